"""How many calls would a re-run change, with more seeds per call?

Run from the repository root with the venv active::

    python benchmarks/expected_changes.py

For every call that the stored notebooks glue, the per-seed differences are
taken as normal, with a true mean and sd drawn from their posterior given the
stored interval and number of seeds (as in
``sslbook.evaluate.Comparison.change_probability``). Two independent runs of
k times the stored seeds are then called by the book's rule, and the chance
that their calls differ is summed over the calls. At k = 1 the sum of the
chance that a fresh run differs from the stored call is printed too, to check
this reconstruction against the glued ``<key>_change``.

The reconstruction is approximate: the sd is recovered from the interval's
half-width with Student's t (ignoring a test set's own noise, which one call
adds), and the margin, which is not glued, is MARGINS' value for the metric
that each call's notebook passes to ``compare`` (listed below by key).
"""

import sys
from pathlib import Path

import nbformat
import numpy as np
from scipy.stats import t as student_t

from sslbook.stats import LEVEL, MARGINS, _calls, _half_width

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))

from robustness import (  # noqa: E402
    call_keys,
    glued,
    literal,
    notebooks_with_calls,
)

#: The calls whose metric is not accuracy.
METRIC = {
    "sgns_verdict_ceiling": "spearman",
    "w2v_verdict_simlex": "spearman",
    "w2v_verdict_source": "spearman",
    "ae_mse_verdict": "mse",
    "mlm_verdict_unigram_loss": "nats",
    "mlm_verdict_w2v": "spearman",
    "overfit_verdict_ce_finetune": "nats",
    "overfit_verdict_ce_scratch": "nats",
    "overfit_verdict_rise": "nats",
    "contrastive_verdict_alignment": "alignment",
    "contrastive_verdict_uniformity": "uniformity",
    "faq_verdict_losses": "log10 ratio",
    **{
        key: "embedding std"
        for key in (
            "future_collapse_verdict",
            "byol_verdict_no_ema",
            "byol_verdict_m09",
            "byol_verdict_m1",
            "byol_verdict_no_predictor",
            "byol_verdict_m0_no_predictor",
            "byol_verdict_m09_no_predictor",
            "byol_verdict_m1_no_predictor",
        )
    },
}
DRAWS = 20_000
FACTORS = (1, 5 / 3, 2, 3, 4, 6)


def stored_calls():
    """(mean, sd, n, margin, call) of every glued call."""
    found = []
    for path in notebooks_with_calls():
        values = glued(nbformat.read(path, as_version=4))
        for key in call_keys(values):
            low = float(literal(values[f"{key}_lo"]))
            high = float(literal(values[f"{key}_hi"]))
            n = int(literal(values[f"{key}_n"]))
            margin = MARGINS[METRIC.get(key, "accuracy")]
            mean = (low + high) / 2
            sd = (
                (high - mean)
                * np.sqrt(n)
                / student_t.ppf((1 + LEVEL) / 2, n - 1)
            )
            call = _calls(low, high, margin, True)
            found.append((mean, sd, n, margin, call))
    return found


def run(rng, truth, sigma, n, margin):
    means = rng.normal(truth, sigma / np.sqrt(n))
    sds = sigma * np.sqrt(rng.chisquare(n - 1, len(truth)) / (n - 1))
    half = _half_width(sds, n, 0.0, LEVEL)
    return _calls(means - half, means + half, margin, True)


def main() -> None:
    rng = np.random.default_rng(0)
    table = stored_calls()
    print(f"{len(table)} calls")
    for factor in FACTORS:
        between, against_stored = 0.0, 0.0
        for mean, sd, n, margin, call in table:
            if sd == 0:
                continue
            seeds = max(round(n * factor), n)
            sigma = sd * np.sqrt((n - 1) / rng.chisquare(n - 1, DRAWS))
            truth = rng.normal(mean, sigma / np.sqrt(n))
            first = run(rng, truth, sigma, seeds, margin)
            second = run(rng, truth, sigma, seeds, margin)
            between += np.mean(first != second)
            against_stored += np.mean(first != call)
        line = (
            f"seeds x{factor:.2f}: two runs differ on {between:.1f} calls "
            f"({between / len(table):.0%})"
        )
        if factor == 1:
            line += f"; a fresh run against the stored: {against_stored:.1f}"
        print(line)


if __name__ == "__main__":
    main()
