"""sslbook.stats: scores over seeds and the rule for calling a difference."""

import numpy as np
import pytest
from scipy.stats import ttest_rel

from sslbook.stats import (
    MARGINS,
    Comparison,
    SeedScores,
    compare,
    over_seeds,
    paired_bootstrap_se,
)


def test_seed_scores_report_the_sample_sd():
    scores = SeedScores((0.80, 0.84, 0.88), (0, 1, 2))
    assert scores.mean == pytest.approx(0.84)
    assert scores.sd == pytest.approx(
        0.04
    )  # ddof = 1: sqrt((0.04² + 0 + 0.04²) / 2)
    assert scores.n == 3 and str(scores) == "0.840 ± 0.040"
    assert SeedScores((0.5,), (7,)).sd == 0.0
    with pytest.raises(ValueError, match="one value per seed"):
        SeedScores((0.1, 0.2), (0,))


def test_over_seeds_calls_once_per_seed_and_keeps_names():
    calls = []
    single = over_seeds(lambda s: calls.append(s) or s / 10, (3, 1, 2))
    assert (
        calls == [3, 1, 2]
        and single.values == (0.3, 0.1, 0.2)
        and single.seeds == (3, 1, 2)
    )
    named = over_seeds(lambda s: {"a": s, "b": 2 * s}, (0, 1))
    assert named["b"].values == (0.0, 2.0) and named["a"].seeds == (0, 1)
    with pytest.raises(ValueError, match="distinct"):
        over_seeds(lambda s: 0.0, (1, 1))
    with pytest.raises(ValueError, match="same names"):
        over_seeds(lambda s: {"a": 1} if s == 0 else {"b": 1}, (0, 1))


def test_compare_takes_the_paired_t_interval_and_makes_four_calls():
    a = SeedScores((0.90, 0.91, 0.93), (0, 1, 2))
    b = SeedScores((0.70, 0.72, 0.71), (0, 1, 2))
    call = compare(a, b, "SimCLR", "raw pixels")
    expected = ttest_rel(a.values, b.values).confidence_interval(0.95)
    assert (call.low, call.high) == pytest.approx(
        (expected.low, expected.high)
    )
    assert call.difference == pytest.approx(0.2033, abs=1e-4) and call.n == 3
    assert call.text == "SimCLR is ahead of raw pixels" and call.call == "a"
    assert (
        compare(b, a, "raw pixels", "SimCLR").text
        == "SimCLR is ahead of raw pixels"
    )
    noisy = SeedScores((0.85, 0.95, 0.75), (0, 1, 2))
    close = SeedScores((0.84, 0.86, 0.85), (0, 1, 2))
    unclear = compare(noisy, close, "MoCo", "SimCLR")
    assert unclear.low < -0.02 and unclear.high > 0.02
    assert (
        unclear.text == "MoCo against SimCLR is inconclusive with 3 seeds"
        and unclear.call == "inconclusive"
    )
    near = compare(
        SeedScores((0.845, 0.855, 0.852), (0, 1, 2)), close, "MoCo", "SimCLR"
    )
    assert -0.02 <= near.low < 0 < near.high <= 0.02
    assert (
        near.text == "MoCo and SimCLR are within ±0.02"
        and near.call == "within"
    )
    assert "95 % interval" in str(near) and "3 seeds" in str(near)


def test_compare_pairs_the_seeds_and_uses_the_metrics_margin():
    a, b = (
        SeedScores((0.80, 0.83, 0.81), (0, 1, 2)),
        SeedScores((0.79, 0.84, 0.79), (0, 1, 2)),
    )
    with pytest.raises(ValueError, match="pairs the arms"):
        compare(a, SeedScores(b.values, (3, 4, 5)), "a", "b")
    with pytest.raises(ValueError, match="pairs the arms"):
        compare(a, SeedScores(b.values[::-1], (2, 1, 0)), "a", "b")
    with pytest.raises(ValueError, match="unknown metric"):
        compare(a, b, "a", "b", metric="points")
    assert compare(a, b, "a", "b").call == "inconclusive"  # accuracy: ±0.02
    assert (
        compare(a, b, "a", "b", metric="spearman").text
        == "a and b are within ±0.05"
    )
    assert (
        compare(a, b, "a", "b", metric="mse").margin == MARGINS["mse"] == 0.001
    )


def test_compare_direction_for_errors_and_deterministic_methods():
    error_a = SeedScores((0.010, 0.011, 0.012), (0, 1, 2))
    error_b = SeedScores((0.030, 0.030, 0.030), (0, 1, 2))
    kind = {"metric": "mse"}
    assert (
        compare(
            error_a,
            error_b,
            "autoencoder",
            "PCA",
            higher_is_better=False,
            **kind,
        ).text
        == "autoencoder is ahead of PCA"
    )
    assert (
        compare(error_a, error_b, "autoencoder", "PCA", **kind).text
        == "PCA is ahead of autoencoder"
    )
    same = SeedScores((0.5, 0.5, 0.5), (0, 1, 2))
    assert compare(same, same, "x", "y").text == "x and y are within ±0.02"
    assert (
        compare(SeedScores((0.6, 0.6, 0.6), (0, 1, 2)), same, "x", "y").call
        == "a"
    )  # no noise on either side
    with pytest.raises(ValueError, match="at least 2 seeds"):
        compare(SeedScores((0.5,), (0,)), SeedScores((0.5,), (0,)), "x", "y")
    with pytest.raises(ValueError, match="level"):
        compare(same, same, "x", "y", level=1.0)


def test_a_higher_level_widens_the_interval_and_can_make_a_call_inconclusive():
    a, b = (
        SeedScores((0.80, 0.83, 0.82), (0, 1, 2)),
        SeedScores((0.76, 0.78, 0.79), (0, 1, 2)),
    )
    call = compare(a, b, "a", "b")
    assert call.call == "a" and isinstance(call, Comparison)
    strict = compare(a, b, "a", "b", level=0.999)
    assert (
        strict.low < call.low
        and strict.high > call.high
        and strict.call == "inconclusive"
    )


def test_repeat_probability_is_high_for_a_clear_call_and_low_at_the_edge():
    clear = compare(
        SeedScores((0.90, 0.91, 0.93), (0, 1, 2)),
        SeedScores((0.70, 0.72, 0.71), (0, 1, 2)),
        "a",
        "b",
    )
    assert clear.repeat_probability() > 0.95
    edge = compare(
        SeedScores((0.80, 0.83, 0.81), (0, 1, 2)),
        SeedScores((0.76, 0.78, 0.79), (0, 1, 2)),
        "a",
        "b",
    )
    assert 0.3 < edge.repeat_probability() < 0.8
    assert edge.repeat_probability(seed=1) != edge.repeat_probability(seed=0)
    same = SeedScores((0.5, 0.5, 0.5), (0, 1, 2))
    assert compare(same, same, "x", "y").repeat_probability() == 1.0


def test_change_probability_counts_the_stored_estimate_as_uncertain_too():
    clear = compare(
        SeedScores((0.90, 0.91, 0.93), (0, 1, 2)),
        SeedScores((0.70, 0.72, 0.71), (0, 1, 2)),
        "a",
        "b",
    )
    assert clear.change_probability() < 0.05
    edge = compare(
        SeedScores((0.80, 0.83, 0.81), (0, 1, 2)),
        SeedScores((0.76, 0.78, 0.79), (0, 1, 2)),
        "a",
        "b",
    )
    change = edge.change_probability()
    assert edge.call == "inconclusive" and 0.2 < change < 0.7
    assert edge.change_probability(seed=1) != change
    assert edge.change_probability(draws=200) != change
    inconclusive = compare(
        SeedScores((0.80, 0.83, 0.78), (0, 1, 2)),
        SeedScores((0.79, 0.78, 0.80), (0, 1, 2)),
        "a",
        "b",
    )
    assert inconclusive.call == "inconclusive"
    assert 0 < inconclusive.change_probability() < 0.5
    ahead = compare(
        SeedScores((0.80, 0.83, 0.82), (0, 1, 2)),
        SeedScores((0.76, 0.78, 0.79), (0, 1, 2)),
        "a",
        "b",
    )
    # the true mean and sd are uncertain too, so a re-run lands further from
    # the stored result, and a call clear of the boundary is left more often
    # than 1 - repeat says
    assert ahead.call == "a"
    assert ahead.change_probability() > 1 - ahead.repeat_probability() + 0.01
    same = SeedScores((0.5, 0.5, 0.5), (0, 1, 2))
    assert compare(same, same, "x", "y").change_probability() == 0.0
    with pytest.raises(ValueError, match="draws"):
        edge.change_probability(draws=10.5)


def test_change_probability_matches_its_normal_approximation_with_many_seeds():
    """With many seeds t ≈ z and the sd barely varies, so a re-run leaves an
    "ahead" call about when its mean, spread √2 standard errors around the
    observed d̄, falls below the half-width t·se: Φ((t·se − d̄)/(√2·se)).
    """
    from scipy.stats import norm
    from scipy.stats import t as student_t

    n, sd = 200, 0.1
    se = sd / np.sqrt(n)
    noise = np.random.default_rng(0).normal(0, 1, n)
    diffs = 3 * se + sd * (noise - noise.mean()) / noise.std(ddof=1)
    seeds = tuple(range(n))
    call = compare(
        SeedScores(tuple(0.5 + diffs), seeds),
        SeedScores((0.5,) * n, seeds),
        "a",
        "b",
    )
    t = student_t.ppf(0.975, n - 1)
    assert call.call == "a"
    change = norm.cdf((t - 3) / np.sqrt(2))  # about 0.23
    assert abs(call.change_probability() - change) < 0.03
    assert abs(call.repeat_probability() - (1 - norm.cdf(t - 3))) < 0.03


def test_repeat_and_change_match_a_simulation_of_whole_reruns():
    """Draw each re-run's n per-seed differences themselves and call them with
    compare: around the observed mean and sd for the chance to repeat, and
    around a mean and sd drawn from their posterior for the chance to change
    (σ² = (n − 1)s²/χ²(n − 1), then μ ~ N(d̄, σ²/n)). The methods, which draw
    only the mean and sd of such a re-run, agree with them.
    """
    seeds = (0, 1, 2)
    call = compare(
        SeedScores((0.80, 0.83, 0.82), seeds),
        SeedScores((0.76, 0.78, 0.79), seeds),
        "a",
        "b",
    )
    diffs = np.subtract(call.a.values, call.b.values)
    s, n = diffs.std(ddof=1), len(diffs)
    rng = np.random.default_rng(123)

    def simulated(posterior: bool) -> float:
        same = 0
        for _ in range(3000):
            sigma, truth = s, call.difference
            if posterior:
                sigma = s * np.sqrt((n - 1) / rng.chisquare(n - 1))
                truth = rng.normal(call.difference, sigma / np.sqrt(n))
            rerun = rng.normal(truth, sigma, n)
            fresh = compare(
                SeedScores(tuple(rerun), seeds),
                SeedScores((0.0,) * n, seeds),
                "a",
                "b",
            )
            same += fresh.call == call.call
        return same / 3000

    assert abs(call.repeat_probability() - simulated(False)) < 0.03
    change = call.change_probability()
    assert abs(change - (1 - simulated(True))) < 0.03
    # with three seeds the uncertain sd matters: a known sd would give less
    assert change > 1 - call.repeat_probability() + 0.1


def test_a_test_set_error_widens_the_interval_by_welch_satterthwaite():
    from scipy.stats import t as student_t

    a = SeedScores((0.50, 0.52, 0.49), (0, 1, 2))
    b = SeedScores((0.45, 0.50, 0.47), (0, 1, 2))
    seeds_only = compare(a, b, "A", "B")
    assert compare(a, b, "A", "B", test_se=0.0) == seeds_only
    d = np.subtract(a.values, b.values)
    v_seeds, v_test = np.var(d, ddof=1) / 3, 0.02**2
    df = 2 * (v_seeds + v_test) ** 2 / v_seeds**2
    half = student_t.ppf(0.975, df) * np.sqrt(v_seeds + v_test)
    both = compare(a, b, "A", "B", test_se=0.02)
    assert both.low == pytest.approx(d.mean() - half)
    assert both.high == pytest.approx(d.mean() + half)
    assert both.test_se == 0.02 and both.high > seeds_only.high
    # seeds that agree exactly leave only the test set's noise: a normal
    # interval
    same = compare(
        SeedScores((0.6, 0.6), (0, 1)), SeedScores((0.5, 0.5), (0, 1)),
        "A", "B", test_se=0.01,
    )  # fmt: skip
    assert same.high - same.low == pytest.approx(2 * 1.959964 * 0.01)
    for bad in (-0.1, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="test_se"):
            compare(a, b, "A", "B", test_se=bad)


def test_paired_bootstrap_se_resamples_the_test_items_for_both_arms():
    x = np.random.default_rng(0).normal(size=400)

    def mean_of(values):
        return lambda items: [values[items].mean(), values[items].mean()]

    se = paired_bootstrap_se(
        mean_of(x), mean_of(np.zeros(400)), 400, draws=2000
    )
    assert se == pytest.approx(x.std() / np.sqrt(400), rel=0.1)
    # paired: two arms that move together on every draw differ by nothing
    shifted = paired_bootstrap_se(mean_of(x + 1.0), mean_of(x), 400, draws=50)
    assert shifted == pytest.approx(0.0, abs=1e-12)
    with pytest.raises(ValueError, match="2 items"):
        paired_bootstrap_se(mean_of(x), mean_of(x), 1)
    with pytest.raises(ValueError, match="nan or an infinity"):
        paired_bootstrap_se(
            lambda items: [float("nan")], mean_of(x), 400, draws=5
        )
