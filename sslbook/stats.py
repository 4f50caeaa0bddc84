"""Scores over seeds, and the book's rule for calling a difference.

A *seed* repeats a whole experiment: the network's initialisation, the order
of the batches, the augmentations and the draw of the few labelled examples.
:func:`over_seeds` runs an experiment once per seed; :class:`SeedScores`
keeps one score per seed and reports mean ± sd (the sample standard
deviation).

:func:`compare` is the rule. It pairs the two arms seed by seed (the same
seeds, label draws and test images), takes the 95 % Student-t interval of the
mean per-seed difference, and calls it with a margin fixed in advance for the
kind of metric (:data:`MARGINS`): "A is ahead of B" when the interval
excludes 0, "A and B are within ±m" when it lies inside ±m, and
"inconclusive with n seeds" otherwise.

The choice of settings on validation, by the same scores, is in
:mod:`sslbook.selection`.

Example
-------
>>> from sslbook.stats import SeedScores, compare
>>> a = SeedScores((0.91, 0.88, 0.90), (0, 1, 2))
>>> b = SeedScores((0.85, 0.84, 0.86), (0, 1, 2))
>>> compare(a, b, "SimCLR", "raw pixels").text
'SimCLR is ahead of raw pixels'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Mapping, Sequence

import numpy as np

from sslbook.checks import check_int, check_real

__all__ = [
    "LEVEL",
    "MARGINS",
    "SeedScores",
    "over_seeds",
    "Comparison",
    "compare",
    "paired_bootstrap_se",
]

#: The confidence level of :func:`compare`'s interval.
LEVEL = 0.95
#: The equivalence margin of each kind of metric, fixed before any run: two
#: methods are "within ±m" when the interval of their difference lies inside
#: ±m. Each is below every effect the book teaches and above what a reader
#: would act on (the protocol page gives the reasons).
MARGINS = {
    "accuracy": 0.02,  # 2 points, also for a train–test gap in accuracy
    # a rank correlation, with human judgements or between two models
    "spearman": 0.05,
    "nats": 0.05,  # a cross-entropy
    "mse": 0.001,  # mean squared error per pixel, pixels in [0, 1]
    # 1/√d when d dimensions are used evenly, 0 collapsed
    "embedding std": 0.01,
    "alignment": 0.05,  # mean squared distance of two views, in [0, 4]
    "uniformity": 0.1,  # a log of a mean Gaussian potential
    "log10 ratio": 0.05,  # orders of magnitude: 0.05 is a factor of 1.12
}


@dataclass(frozen=True)
class SeedScores:
    """One score per seed, summarised as mean ± sd.

    Attributes:
        values: the scores, one per seed, in the order of ``seeds``.
        seeds: the seeds that produced them.
    """

    values: tuple[float, ...]
    seeds: tuple[int, ...]

    def __post_init__(self) -> None:
        if len(self.values) == 0 or len(self.values) != len(self.seeds):
            raise ValueError(
                "need one value per seed and at least one seed, "
                f"got {len(self.values)} values for seeds {self.seeds}"
            )

    @property
    def n(self) -> int:
        """The number of seeds."""
        return len(self.values)

    @property
    def mean(self) -> float:
        """The mean over the seeds."""
        return float(np.mean(self.values))

    @property
    def sd(self) -> float:
        """The sample standard deviation over the seeds (0 for a single
        seed).
        """
        return float(np.std(self.values, ddof=1)) if self.n > 1 else 0.0

    def format(self, digits: int = 3) -> str:
        """``"mean ± sd"`` with ``digits`` decimals."""
        return f"{self.mean:.{digits}f} ± {self.sd:.{digits}f}"

    def __str__(self) -> str:
        return self.format()


def over_seeds(
    experiment: Callable[[int], float | Mapping[str, float]],
    seeds: Sequence[int],
) -> SeedScores | dict[str, SeedScores]:
    """Run ``experiment(seed)`` once per seed and collect the scores.

    Args:
        experiment: returns a score, or a mapping of named scores, for one
            seed.
        seeds: the seeds, e.g. ``(0, 1, 2)``.

    Returns:
        a :class:`SeedScores`, or a dict of them when ``experiment`` returns
        a mapping.

    Raises:
        ValueError: for no seed, repeated seeds, or runs that return different
            names.
    """
    seeds = tuple(int(s) for s in seeds)
    if not seeds or len(set(seeds)) != len(seeds):
        raise ValueError(
            f"seeds must be distinct and at least one, got {seeds}"
        )
    results = [experiment(seed) for seed in seeds]
    if isinstance(results[0], Mapping):
        names = list(results[0])
        if any(list(r) != names for r in results):
            raise ValueError(
                "every run must return the same names; "
                f"got {[list(r) for r in results]}"
            )
        return {
            name: SeedScores(tuple(float(r[name]) for r in results), seeds)
            for name in names
        }
    return SeedScores(tuple(float(r) for r in results), seeds)


@dataclass(frozen=True)
class Comparison:
    """The call of :func:`compare` on two methods' paired per-seed scores.

    Attributes:
        name_a, name_b: the two methods.
        a, b: their scores, on the same seeds.
        low, high: the interval of the mean difference a − b over the seeds.
        margin: the equivalence margin, in the metric's units.
        level: the interval's confidence level.
        higher_is_better: False for errors and losses.
        test_se: the standard error of the mean difference that comes from
            the test set's own sampling, included in the interval (0 when the
            interval covers the seeds only).
    """

    name_a: str
    name_b: str
    a: SeedScores
    b: SeedScores
    low: float
    high: float
    margin: float
    level: float = LEVEL
    higher_is_better: bool = True
    test_se: float = 0.0

    @property
    def n(self) -> int:
        """The number of paired seeds."""
        return self.a.n

    @property
    def difference(self) -> float:
        """The mean of the per-seed differences a − b."""
        return float(np.mean(np.subtract(self.a.values, self.b.values)))

    @property
    def call(self) -> str:
        """``"a"`` or ``"b"`` (that one is ahead), ``"within"`` or
        ``"inconclusive"``.
        """
        return _call(self.low, self.high, self.margin, self.higher_is_better)

    @property
    def text(self) -> str:
        """The call in words, as the book pastes it."""
        a, b = self.name_a, self.name_b
        if self.call == "a":
            return f"{a} is ahead of {b}"
        if self.call == "b":
            return f"{b} is ahead of {a}"
        if self.call == "within":
            return f"{a} and {b} are within ±{self.margin:g}"
        return f"{a} against {b} is inconclusive with {self.n} seeds"

    @property
    def text_zh(self) -> str:
        """The call in Chinese, as the Chinese edition pastes it (see
        :mod:`sslbook.zh`).
        """
        from sslbook.zh import call_text_zh

        if self.call in ("a", "b"):
            ahead, behind = (
                (self.name_a, self.name_b)
                if self.call == "a"
                else (self.name_b, self.name_a)
            )
            return call_text_zh("ahead", ahead, behind)
        return call_text_zh(
            self.call, self.name_a, self.name_b, margin=self.margin, n=self.n
        )

    def repeat_probability(self, draws: int = 4000, seed: int = 0) -> float:
        """The chance that ``n`` fresh seeds give the same call.

        A parametric bootstrap: the per-seed differences are taken as normal
        with the observed mean and sd, ``draws`` fresh sets of ``n`` seeds are
        drawn (their mean and sd, exactly), and each is called by the rule,
        on the same test set (``test_se`` unchanged).
        """
        calls = self._fresh_calls(draws, seed, posterior=False)
        return 1.0 if calls is None else float(np.mean(calls == self.call))

    def change_probability(self, draws: int = 4000, seed: int = 0) -> float:
        """The chance that a re-run with ``n`` fresh seeds gives another call.

        :meth:`repeat_probability` takes the observed mean difference and sd
        as the truth. Here both are uncertain: each of ``draws`` re-runs
        first draws a true mean and sd from their posterior given the ``n``
        observed differences (under the reference prior, flat in the mean
        and in the log of the sd), then its ``n`` seeds from them. With few
        seeds a re-run then lands much further from the stored result than
        :meth:`repeat_probability` assumes. Summed over calls, it is the
        number of calls that a re-run with fresh seeds is expected to move to
        another category when every setting stays as it was
        (``tools/robustness.py`` prints that sum). Like the chance to repeat,
        it takes the per-seed differences to be normal.
        """
        calls = self._fresh_calls(draws, seed, posterior=True)
        return 0.0 if calls is None else float(np.mean(calls != self.call))

    def _fresh_calls(self, draws: int, seed: int, posterior: bool):
        """The rule's calls on ``draws`` simulated re-runs of ``n`` seeds, or
        ``None`` when the seeds did not vary.

        A re-run's per-seed differences are normal with mean μ and sd σ; only
        their mean (normal, σ/√n) and sd (σ √(χ²(n − 1)/(n − 1))) are
        drawn. μ and σ are the observed mean and sd, or, with ``posterior``,
        drawn from their posterior: σ² = (n − 1) s² / χ²(n − 1), then μ
        normal around the observed mean with sd σ/√n.
        """
        check_int("draws", draws)
        diffs = np.subtract(self.a.values, self.b.values)
        sd = float(np.std(diffs, ddof=1))
        if sd == 0:
            return None
        n = self.n
        rng = np.random.default_rng(seed)
        sigma, truth = sd, self.difference
        if posterior:
            sigma = sd * np.sqrt((n - 1) / rng.chisquare(n - 1, draws))
            truth = rng.normal(self.difference, sigma / np.sqrt(n))
        means = rng.normal(truth, sigma / np.sqrt(n), draws)
        sds = sigma * np.sqrt(rng.chisquare(n - 1, draws) / (n - 1))
        half = _half_width(sds, n, self.test_se, self.level)
        return _calls(
            means - half, means + half, self.margin, self.higher_is_better
        )

    def __str__(self) -> str:
        return (
            f"{self.text} (difference {self.difference:+.3f}, "
            f"{self.level * 100:g} % interval "
            f"{self.low:+.3f} to {self.high:+.3f}, {self.n} seeds)"
        )


def _call(
    low: float, high: float, margin: float, higher_is_better: bool
) -> str:
    """The rule's call for an interval [low, high] of a − b."""
    return str(_calls(low, high, margin, higher_is_better))


def _calls(low, high, margin: float, higher_is_better: bool) -> np.ndarray:
    """The rule's calls for intervals [low, high] of a − b (numbers or
    arrays): ``"a"`` or ``"b"`` where the interval excludes 0 (the better
    side by ``higher_is_better``), ``"within"`` where it lies inside
    ±``margin``, ``"inconclusive"`` otherwise.
    """
    low, high = np.asarray(low), np.asarray(high)
    above, below = low > 0, high < 0
    return np.select(
        [
            above if higher_is_better else below,
            below if higher_is_better else above,
            (-margin <= low) & (high <= margin),
        ],
        ["a", "b", "within"],
        "inconclusive",
    )


def _half_width(sd, n: int, test_se: float, level: float):
    """Half the interval of a mean of ``n`` paired differences with sample
    sd ``sd`` (a number or an array of them), plus a test-set standard error
    ``test_se``: Student's t at ``level``, with the Welch-Satterthwaite
    degrees of freedom of the two variances (``n - 1`` when ``test_se`` is
    0, infinitely many when the seeds do not vary).
    """
    from scipy.stats import t as student_t

    seeds = np.square(sd) / n
    total = seeds + test_se**2
    with np.errstate(divide="ignore", invalid="ignore"):
        df = np.where(seeds > 0, (n - 1) * total**2 / seeds**2, np.inf)
    return student_t.ppf((1 + level) / 2, df) * np.sqrt(total)


def compare(
    a: SeedScores,
    b: SeedScores,
    name_a: str,
    name_b: str,
    *,
    metric: str = "accuracy",
    higher_is_better: bool = True,
    level: float = LEVEL,
    test_se: float = 0.0,
) -> Comparison:
    """The book's rule for calling a difference: a paired interval and a
    margin.

    Per seed, d = a − b: both arms ran on the same seeds, so on the same label
    draws and test images. The interval is the mean of d ± t·sd(d)/√n, with
    Student's t at ``level`` and n − 1 degrees of freedom. The call is "A is
    ahead of B" when the interval excludes 0 (the better side by
    ``higher_is_better``), "A and B are within ±m" when it lies inside
    ± ``MARGINS[metric]``, and "inconclusive with n seeds" otherwise.

    Args:
        a, b: per-seed scores on the same seeds, at least 2.
        name_a, name_b: how the call names them.
        metric: a key of :data:`MARGINS`: the kind of score, which sets the
            margin.
        higher_is_better: False for an error or a loss.
        level: the interval's confidence level, in (0, 1).
        test_se: the standard error of the mean difference from the test
            set's own sampling (:func:`paired_bootstrap_se`), for a test set
            small enough that it matters; its variance is added to the
            seeds', with Welch-Satterthwaite degrees of freedom (slightly
            conservative: the seeds' spread, measured on the same items,
            already holds a little of their noise).

    Raises:
        ValueError: for arms on different seeds, fewer than 2 seeds, an
            unknown metric or a level outside (0, 1).
    """
    if a.seeds != b.seeds:
        raise ValueError(
            "compare pairs the arms seed by seed "
            "(the same seeds, label draws and test images); "
            f"got seeds {a.seeds} and {b.seeds}"
        )
    if a.n < 2:
        raise ValueError(f"compare needs at least 2 seeds, got {a.n}")
    if metric not in MARGINS:
        raise ValueError(
            f"unknown metric {metric!r}; "
            f"the margins are set for {sorted(MARGINS)}"
        )
    check_real("level", level, "(0, 1)")
    check_real("test_se", test_se, "[0, inf)")
    diffs = np.subtract(a.values, b.values)
    half = float(
        _half_width(float(np.std(diffs, ddof=1)), a.n, test_se, level)
    )
    mean = float(np.mean(diffs))
    return Comparison(
        name_a,
        name_b,
        a,
        b,
        float(mean - half),
        float(mean + half),
        MARGINS[metric],
        level,
        higher_is_better,
        float(test_se),
    )


def paired_bootstrap_se(
    score_a: Callable[[np.ndarray], Sequence[float]],
    score_b: Callable[[np.ndarray], Sequence[float]],
    n_items: int,
    *,
    draws: int = 1000,
    seed: int = 0,
) -> float:
    """The standard error of the mean difference a − b over seeds that comes
    from the test set's own sampling: a paired bootstrap over its items.

    Each draw resamples ``n_items`` test items with replacement, and both
    arms are scored on the same draw, every seed kept as it is.

    Args:
        score_a, score_b: ``score(items)`` returns an arm's per-seed scores
            (one per seed, in the same order for both arms) on the test items
            at the indices ``items``.
        n_items: the number of test items.
        draws: bootstrap draws.
        seed: the seed of the draws.
    """
    check_int("n_items", n_items)
    check_int("draws", draws)
    if n_items < 2 or draws < 2:
        raise ValueError(
            f"a bootstrap needs 2 items and 2 draws, got {n_items} and {draws}"
        )
    rng = np.random.default_rng(seed)
    means = []
    for _ in range(draws):
        items = rng.integers(0, n_items, n_items)
        means.append(np.mean(np.subtract(score_a(items), score_b(items))))
    if not np.all(np.isfinite(means)):
        raise ValueError(
            "a bootstrap draw scored nan or an infinity (a score undefined on "
            "some resample of the items, e.g. a correlation of a constant)"
        )
    return float(np.std(means, ddof=1))
