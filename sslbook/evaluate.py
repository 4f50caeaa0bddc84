"""How the book measures: probes, baselines, seeds and the rule for calling a difference.

Every number the book reports comes out of the same protocol (the appendix
page "How this book measures" states it for readers):

1. **Choose on validation, report on test once.** Settings (a probe's
   regularisation, a baseline's learning rate and length, a temperature) are
   chosen by their mean score on the validation split over the seeds;
   :func:`select` makes that choice. The test split is then scored once, for
   the chosen settings only.
2. **Several seeds.** A *seed* repeats a whole experiment: the network's
   initialisation, the order of the batches, the augmentations and the draw
   of the few labelled examples. :func:`over_seeds` runs an experiment once
   per seed; :class:`SeedScores` keeps one score per seed and reports
   mean ± sd (the sample standard deviation).
3. **A stated rule for calling a difference.** :func:`compare` pairs the
   two arms seed by seed (the same seeds, label draws and test images), takes
   the 95 % Student-t interval of the mean per-seed difference, and calls it
   with a margin fixed in advance for the kind of metric (:data:`MARGINS`):
   "A is ahead of B" when the interval excludes 0, "A and B are within ±m"
   when it lies inside ±m, and "inconclusive with n seeds" otherwise.

The measurements themselves:

- :func:`linear_probe` freezes the features and fits a logistic regression
  on ``k`` labelled examples per class (SimCLR, Chen et al. 2020, §4);
  :func:`select_probe` chooses its regularisation on validation.
- :func:`knn_predict` is the weighted kNN monitor of Wu et al. (2018).
- :func:`train_classifier` trains a network on the labelled examples (a
  supervised baseline, or fine-tuning); :func:`select_supervised` tunes its
  learning rate, weight decay and number of steps on validation.

Example
-------
>>> import numpy as np
>>> from sslbook.evaluate import SeedScores, compare, linear_probe
>>> rng = np.random.default_rng(0)
>>> y = np.repeat([0, 1], 50)
>>> x = rng.normal(size=(100, 2)) + 3 * y[:, None]
>>> linear_probe(x, y, x, y, labels_per_class=5, seeds=(0, 1)).mean > 0.9
True
>>> a = SeedScores((0.91, 0.88, 0.90), (0, 1, 2))
>>> b = SeedScores((0.85, 0.84, 0.86), (0, 1, 2))
>>> compare(a, b, "SimCLR", "raw pixels").text
'SimCLR is ahead of raw pixels'
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Callable, Hashable, Mapping, Sequence

import numpy as np
import torch
from torch import nn

from sslbook.checks import check_int
from sslbook.models import eval_mode
from sslbook.repro import experiment_seeds
from sslbook.train import DivergedError

__all__ = [
    "LEVEL", "MARGINS", "PROBE_C_GRID", "SeedScores", "over_seeds", "Comparison",
    "compare", "select", "Margin", "choice_margin", "Selection", "accuracy",
    "sample_per_class", "linear_probe", "Features", "select_probe",
    "knn_predict", "knn_accuracy", "OPTIMIZERS", "train_classifier",
    "SupervisedGrid", "select_supervised", "alignment_uniformity"
]

#: The confidence level of :func:`compare`'s interval.
LEVEL = 0.95
#: The equivalence margin of each kind of metric, fixed before any run: two
#: methods are "within ±m" when the interval of their difference lies inside
#: ±m. Each is below every effect the book teaches and above what a reader
#: would act on (the protocol page gives the reasons).
MARGINS = {
    "accuracy": 0.02,  # 2 points, also for a train–test gap in accuracy
    "spearman": 0.05,  # a rank correlation, with human judgements or between two models
    "nats": 0.05,  # a cross-entropy
    "mse": 0.001,  # mean squared error per pixel, pixels in [0, 1]
    "embedding std": 0.01,  # 1/√d when d dimensions are used evenly, 0 collapsed
    "alignment": 0.05,  # mean squared distance of two views, in [0, 4]
    "uniformity": 0.1,  # a log of a mean Gaussian potential
    "log10 ratio": 0.05,  # orders of magnitude: 0.05 is a factor of 1.12
}
#: The inverse regularisation strengths that :func:`select_probe` tries.
PROBE_C_GRID = (0.001, 0.01, 0.1, 1.0, 10.0)


# ---------------------------------------------------------------------------
# Seeds, summaries and the verdict rule
# ---------------------------------------------------------------------------


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
            raise ValueError(f"need one value per seed and at least one seed, got {len(self.values)} values for seeds {self.seeds}")

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
        """The sample standard deviation over the seeds (0 for a single seed)."""
        return float(np.std(self.values, ddof=1)) if self.n > 1 else 0.0

    def format(self, digits: int = 3) -> str:
        """``"mean ± sd"`` with ``digits`` decimals."""
        return f"{self.mean:.{digits}f} ± {self.sd:.{digits}f}"

    def __str__(self) -> str:
        return self.format()


def over_seeds(experiment: Callable[[int], float | Mapping[str, float]], seeds: Sequence[int]) -> SeedScores | dict[str, SeedScores]:
    """Run ``experiment(seed)`` once per seed and collect the scores.

    Args:
        experiment: returns a score, or a mapping of named scores, for one seed.
        seeds: the seeds, e.g. ``(0, 1, 2)``.

    Returns:
        a :class:`SeedScores`, or a dict of them when ``experiment`` returns a mapping.

    Raises:
        ValueError: for no seed, repeated seeds, or runs that return different names.
    """
    seeds = tuple(int(s) for s in seeds)
    if not seeds or len(set(seeds)) != len(seeds):
        raise ValueError(f"seeds must be distinct and at least one, got {seeds}")
    results = [experiment(seed) for seed in seeds]
    if isinstance(results[0], Mapping):
        names = list(results[0])
        if any(list(r) != names for r in results):
            raise ValueError(f"every run must return the same names; got {[list(r) for r in results]}")
        return {name: SeedScores(tuple(float(r[name]) for r in results), seeds) for name in names}
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
        """``"a"`` or ``"b"`` (that one is ahead), ``"within"`` or ``"inconclusive"``."""
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
        """The call in Chinese, as the Chinese edition pastes it (see :mod:`sslbook.zh`)."""
        from sslbook.zh import call_text_zh

        if self.call in ("a", "b"):
            ahead, behind = (self.name_a, self.name_b) if self.call == "a" else (self.name_b, self.name_a)
            return call_text_zh("ahead", ahead, behind)
        return call_text_zh(self.call, self.name_a, self.name_b, margin=self.margin, n=self.n)

    def repeat_probability(self, draws: int = 4000, seed: int = 0) -> float:
        """The chance that ``n`` fresh seeds give the same call.

        A parametric bootstrap: the per-seed differences are taken as normal
        with the observed mean and sd, ``draws`` fresh sets of ``n`` seeds are
        drawn (their mean and sd, exactly), and each is called by the rule.
        """
        check_int("draws", draws)
        diffs = np.subtract(self.a.values, self.b.values)
        sd = float(np.std(diffs, ddof=1))
        if sd == 0:
            return 1.0
        rng = np.random.default_rng(seed)
        means = rng.normal(self.difference, sd / np.sqrt(self.n), draws)
        sds = sd * np.sqrt(rng.chisquare(self.n - 1, draws) / (self.n - 1))
        half = _t_quantile(self.level, self.n) * sds / np.sqrt(self.n)
        calls = [_call(m - h, m + h, self.margin, self.higher_is_better) for m, h in zip(means, half)]
        return float(np.mean([c == self.call for c in calls]))

    def __str__(self) -> str:
        return (f"{self.text} (difference {self.difference:+.3f}, "
                f"{self.level * 100:g} % interval {self.low:+.3f} to {self.high:+.3f}, {self.n} seeds)")


def _call(low: float, high: float, margin: float, higher_is_better: bool) -> str:
    """The rule's call for an interval [low, high] of a − b."""
    if low > 0 or high < 0:
        return "a" if (low > 0) == higher_is_better else "b"
    if -margin <= low and high <= margin:
        return "within"
    return "inconclusive"


def _t_quantile(level: float, n: int) -> float:
    """The two-sided Student-t quantile for ``n`` paired seeds."""
    from scipy.stats import t as student_t

    return float(student_t.ppf((1 + level) / 2, n - 1))


def compare(a: SeedScores, b: SeedScores, name_a: str, name_b: str, *, metric: str = "accuracy",
            higher_is_better: bool = True, level: float = LEVEL) -> Comparison:
    """The book's rule for calling a difference: a paired interval and a margin.

    Per seed, d = a − b: both arms ran on the same seeds, so on the same label
    draws and test images. The interval is the mean of d ± t·sd(d)/√n, with
    Student's t at ``level`` and n − 1 degrees of freedom. The call is "A is
    ahead of B" when the interval excludes 0 (the better side by
    ``higher_is_better``), "A and B are within ±m" when it lies inside
    ± ``MARGINS[metric]``, and "inconclusive with n seeds" otherwise.

    Args:
        a, b: per-seed scores on the same seeds, at least 2.
        name_a, name_b: how the call names them.
        metric: a key of :data:`MARGINS`: the kind of score, which sets the margin.
        higher_is_better: False for an error or a loss.
        level: the interval's confidence level, in (0, 1).

    Raises:
        ValueError: for arms on different seeds, fewer than 2 seeds, an
            unknown metric or a level outside (0, 1).
    """
    if a.seeds != b.seeds:
        raise ValueError(f"compare pairs the arms seed by seed (the same seeds, label draws and test images); "
                         f"got seeds {a.seeds} and {b.seeds}")
    if a.n < 2:
        raise ValueError(f"compare needs at least 2 seeds, got {a.n}")
    if metric not in MARGINS:
        raise ValueError(f"unknown metric {metric!r}; the margins are set for {sorted(MARGINS)}")
    if isinstance(level, bool) or not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level!r}")
    diffs = np.subtract(a.values, b.values)
    half = _t_quantile(level, a.n) * float(np.std(diffs, ddof=1)) / np.sqrt(a.n)
    mean = float(np.mean(diffs))
    return Comparison(name_a, name_b, a, b, float(mean - half), float(mean + half), MARGINS[metric], level, higher_is_better)


def select(candidates: Mapping[Hashable, SeedScores], *, higher_is_better: bool = True) -> Hashable:
    """The candidate with the best mean validation score (the first one on a tie).

    Args:
        candidates: ``{settings: validation scores}``.
        higher_is_better: False when the score is an error.

    Raises:
        ValueError: if ``candidates`` is empty.
    """
    if not candidates:
        raise ValueError("select needs at least one candidate")
    sign = 1.0 if higher_is_better else -1.0
    return max(candidates, key=lambda key: sign * candidates[key].mean)


@dataclass(frozen=True)
class Margin:
    """How clearly a choice won on validation.

    Attributes:
        choice: the chosen candidate (as :func:`select` picks it).
        runner_up: the best of the others.
        difference: the chosen candidate's mean validation score minus the
            runner-up's, signed so that it is never negative.
        noise: the standard error of that difference over the selection
            seeds: the sd of the per-seed differences over √n when both were
            scored on the same seeds, Welch's √(s_a²/n_a + s_b²/n_b)
            otherwise, and nan for a single seed (the noise is then unknown).
    """

    choice: Hashable
    runner_up: Hashable
    difference: float
    noise: float


def choice_margin(candidates: Mapping[Hashable, SeedScores], *, higher_is_better: bool = True) -> Margin:
    """The margin of :func:`select`'s choice over the runner-up, and its noise.

    A re-run on another machine may choose differently where the margin is
    within its noise; ``tools/nbcheck.py`` allows exactly that.

    Raises:
        ValueError: for fewer than two candidates.
    """
    if len(candidates) < 2:
        raise ValueError(f"a margin needs at least two candidates, got {len(candidates)}")
    chosen = select(candidates, higher_is_better=higher_is_better)
    rest = {key: scores for key, scores in candidates.items() if key != chosen}
    runner_up = select(rest, higher_is_better=higher_is_better)
    best, second = candidates[chosen], candidates[runner_up]
    sign = 1.0 if higher_is_better else -1.0
    difference = sign * (best.mean - second.mean)
    if best.seeds == second.seeds and best.n >= 2:
        paired = np.subtract(best.values, second.values)
        noise = float(np.std(paired, ddof=1) / np.sqrt(best.n))
    elif best.n >= 2 and second.n >= 2:
        noise = float(np.sqrt(best.sd**2 / best.n + second.sd**2 / second.n))
    else:
        noise = float("nan")
    return Margin(chosen, runner_up, float(difference), noise)


@dataclass(frozen=True)
class Selection:
    """Settings chosen on validation, and the test score of the choice.

    Attributes:
        choice: the chosen settings.
        validation: ``{settings: validation scores over the seeds}`` for every candidate.
        test: the chosen settings' test scores, one per seed: the only test read.
        train: the chosen settings' scores on their own labelled training
            examples, one per seed, to compare with ``test``: their gap
            measures overfitting.
        histories: ``{(lr, weight_decay): [History per seed]}`` of every run
            (:func:`select_supervised` only; ``None`` for a run that diverged).
    """

    choice: Hashable
    validation: dict
    test: SeedScores
    train: SeedScores | None = None
    histories: dict | None = None

    @property
    def margin(self) -> Margin:
        """The choice's validation margin over the runner-up (see :func:`choice_margin`)."""
        return choice_margin(self.validation)

    def validation_table(self, name: str = "settings"):
        """The validation scores as a pandas DataFrame, the chosen row marked."""
        import pandas as pd

        rows = [{name: str(key), "validation": scores.format(), "chosen": "✓" if key == self.choice else ""}
                for key, scores in self.validation.items()]  # fmt: skip
        return pd.DataFrame(rows).set_index(name)


# ---------------------------------------------------------------------------
# Labelled subsets and linear probes
# ---------------------------------------------------------------------------


@torch.no_grad()
def accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor, *, batch_size: int = 1024) -> float:
    """The fraction of ``x`` that ``model`` classifies as ``y``, in eval mode.

    Args:
        model: returns ``(batch, n_classes)`` logits; it is run in eval mode,
            and its modes are restored afterwards.
        x: ``(n, ...)`` inputs.
        y: ``(n,)`` class indices.
        batch_size: examples per forward pass, to bound memory.

    Raises:
        ValueError: if ``x`` and ``y`` differ in length or are empty.
    """
    if len(x) != len(y) or len(x) == 0:
        raise ValueError(f"x and y must be non-empty and of equal length, got {len(x)} and {len(y)}")
    with eval_mode(model), torch.no_grad():
        correct = sum(
            (model(x[i : i + batch_size]).argmax(dim=1) == y[i : i + batch_size].to(x.device)).sum().item()
            for i in range(0, len(x), batch_size)
        )
    return correct / len(x)


def _as_numpy(array: np.ndarray | torch.Tensor, name: str) -> np.ndarray:
    if isinstance(array, torch.Tensor):
        array = array.detach().cpu().numpy()
    if not isinstance(array, np.ndarray):
        raise TypeError(f"{name} must be a numpy array or torch tensor, got {type(array).__name__}")
    return array


def sample_per_class(labels: np.ndarray | torch.Tensor, k: int, seed: int) -> np.ndarray:
    """Indices of ``k`` examples of each class, drawn without replacement.

    Args:
        labels: ``(n,)`` integer class labels.
        k: examples to draw from each class, at least 1.
        seed: seeds the draw; the same seed gives the same indices.

    Returns:
        ``(k * n_classes,)`` sorted indices into ``labels``.

    Raises:
        ValueError: if ``k`` < 1 or a class has fewer than ``k`` examples.
    """
    labels = _as_numpy(labels, "labels")
    check_int("k", k)
    rng = np.random.default_rng(seed)
    chosen = []
    for cls in np.unique(labels):
        members = np.flatnonzero(labels == cls)
        if len(members) < k:
            raise ValueError(f"class {cls} has {len(members)} examples, fewer than k={k}")
        chosen.append(rng.choice(members, size=k, replace=False))
    return np.sort(np.concatenate(chosen))


def _flat_features(x, name: str) -> np.ndarray:
    x = _as_numpy(x, name)
    return x.reshape(len(x), -1)


def _fit_probe(x: np.ndarray, y: np.ndarray, c: float, max_iter: int):
    """Standardise with the labelled subset's own statistics, then an L2 logistic regression.

    The fit runs in float64: in float32, newton-cg's line search can stop on
    rounding errors (a strong penalty on ten examples is enough) and return an
    unconverged probe.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    probe = make_pipeline(StandardScaler(), LogisticRegression(C=c, solver="newton-cg", max_iter=max_iter))
    return probe.fit(x.astype(np.float64), y)


def linear_probe(
    x_train: np.ndarray | torch.Tensor,
    y_train: np.ndarray | torch.Tensor,
    x_eval: np.ndarray | torch.Tensor,
    y_eval: np.ndarray | torch.Tensor,
    *,
    labels_per_class: int,
    seeds: Sequence[int] | None = None,
    c: float = 1.0,
    max_iter: int = 2000,
) -> SeedScores:
    """Fit a logistic regression on ``k`` labels per class; score it on ``x_eval``.

    The features are standardised with statistics of the labelled subset only
    (the probe sees nothing else of the training set), then scikit-learn's
    ``LogisticRegression`` (L2, inverse strength ``c``) is fitted.

    Args:
        x_train: ``(n_train, ...)`` frozen features; trailing dims are flattened.
        y_train: ``(n_train,)`` labels to draw the labelled subset from.
        x_eval: ``(n_eval, ...)`` features of held-out examples (validation or test).
        y_eval: ``(n_eval,)`` their labels.
        labels_per_class: ``k``.
        seeds: one draw of the labelled subset per seed; by default
            ``experiment_seeds(3)``: 0, 1, 2 shifted by ``SSLBOOK_SEED_OFFSET``.
        c: the inverse regularisation strength (choose it with :func:`select_probe`).
        max_iter: the solver's iteration cap.

    Raises:
        ValueError: for mismatched lengths, an empty ``seeds``, or a bad ``k``.
    """
    x_train, x_eval = _flat_features(x_train, "x_train"), _flat_features(x_eval, "x_eval")
    y_train, y_eval = _as_numpy(y_train, "y_train"), _as_numpy(y_eval, "y_eval")
    if len(x_train) != len(y_train) or len(x_eval) != len(y_eval):
        raise ValueError(
            f"features and labels differ in length: x_train {len(x_train)} vs y_train {len(y_train)}, "
            f"x_eval {len(x_eval)} vs y_eval {len(y_eval)}"
        )
    seeds = experiment_seeds(3) if seeds is None else seeds
    if len(seeds) == 0:
        raise ValueError("seeds must name at least one draw")
    scores = []
    for seed in seeds:
        idx = sample_per_class(y_train, labels_per_class, seed)
        scores.append(float(_fit_probe(x_train[idx], y_train[idx], c, max_iter).score(x_eval, y_eval)))
    return SeedScores(tuple(scores), tuple(int(s) for s in seeds))


#: Features of one seed: ``(train, validation, test)``, arrays or tensors of ``(n, ...)``.
Features = tuple


def select_probe(
    features: Mapping[int, Features],
    y_train: np.ndarray | torch.Tensor,
    y_val: np.ndarray | torch.Tensor,
    y_test: np.ndarray | torch.Tensor,
    *,
    labels_per_class: int,
    grid: Sequence[float] = PROBE_C_GRID,
    max_iter: int = 2000,
) -> Selection:
    """A linear probe whose regularisation is chosen on validation, scored once on test.

    For every seed ``s`` of ``features`` the labelled subset is
    ``sample_per_class(y_train, k, s)``, and one probe per value of ``c`` is
    fitted on it. The ``c`` with the best mean validation accuracy is chosen;
    only its probes are scored on the test split.

    Args:
        features: ``{seed: (train, val, test)}`` features; for a representation
            that has no seed of its own (raw pixels) pass the same arrays for
            every seed: the seeds then draw different labelled subsets.
        y_train, y_val, y_test: the labels of the three splits.
        labels_per_class: ``k``.
        grid: the values of ``c`` to try.

    Returns:
        a :class:`Selection` whose ``choice`` is the chosen ``c``, with the
        chosen probes' accuracy on their own labelled examples in ``train``.
    """
    if not features:
        raise ValueError("features must hold at least one seed")
    if len(grid) == 0:
        raise ValueError("grid must hold at least one value of c")
    y_train, y_val, y_test = (_as_numpy(y, name) for y, name in ((y_train, "y_train"), (y_val, "y_val"), (y_test, "y_test")))
    seeds = tuple(int(s) for s in features)
    probes: dict[float, list] = {c: [] for c in grid}
    validation: dict[float, list[float]] = {c: [] for c in grid}
    tests, labelled = {}, {}
    for seed, split in features.items():
        if len(split) != 3:
            raise ValueError(f"features[{seed}] must be (train, val, test), got {len(split)} arrays")
        x_train, x_val, x_test = (_flat_features(x, name) for x, name in zip(split, ("train", "val", "test")))
        if (len(x_train), len(x_val), len(x_test)) != (len(y_train), len(y_val), len(y_test)):
            raise ValueError(
                f"features[{seed}] hold {len(x_train)}/{len(x_val)}/{len(x_test)} rows for "
                f"{len(y_train)}/{len(y_val)}/{len(y_test)} labels"
            )
        idx = sample_per_class(y_train, labels_per_class, seed)
        for c in grid:
            probe = _fit_probe(x_train[idx], y_train[idx], c, max_iter)
            probes[c].append(probe)
            validation[c].append(float(probe.score(x_val, y_val)))
        tests[seed], labelled[seed] = x_test, (x_train[idx], y_train[idx])
    val_scores = {c: SeedScores(tuple(v), seeds) for c, v in validation.items()}
    chosen = select(val_scores)
    test = SeedScores(tuple(float(p.score(tests[s], y_test)) for p, s in zip(probes[chosen], seeds)), seeds)
    train = SeedScores(tuple(float(p.score(*labelled[s])) for p, s in zip(probes[chosen], seeds)), seeds)
    return Selection(chosen, val_scores, test, train)


# ---------------------------------------------------------------------------
# kNN
# ---------------------------------------------------------------------------


@torch.no_grad()
def knn_predict(
    train_features: torch.Tensor,
    train_labels: torch.Tensor,
    test_features: torch.Tensor,
    *,
    k: int = 200,
    temperature: float = 0.1,
    batch_size: int = 1000,
) -> torch.Tensor:
    """Weighted k-nearest-neighbour classification on cosine similarity.

    Wu et al. (2018)'s rule, the usual monitor of self-supervised CIFAR-10
    runs: each test example takes its ``k`` most cosine-similar training
    examples, each neighbour votes for its label with weight exp(sim / τ), and
    the class with the largest total wins. The votes are summed with a
    one-hot product, which is deterministic on CPU and CUDA alike (a
    ``scatter_add_`` is not, on CUDA), and everything stays on the features'
    device.

    Args:
        train_features: ``(n_train, dim)``, or ``(n_train, ...)`` flattened.
        train_labels: ``(n_train,)`` class indices.
        test_features: ``(n_test, dim)``, or ``(n_test, ...)`` flattened.
        k: neighbours per test example (capped at ``n_train``).
        temperature: τ > 0 of the vote weights.
        batch_size: test examples per similarity matrix, to bound memory.

    Returns:
        ``(n_test,)`` predicted class indices, on the device of ``test_features``.

    Raises:
        ValueError: for mismatched shapes or devices, ``k`` < 1 or τ not > 0.
    """
    train_features = torch.as_tensor(train_features)
    test_features = torch.as_tensor(test_features)
    if train_features.device != test_features.device:
        raise ValueError(f"train and test features must be on one device, got {train_features.device} and {test_features.device}")
    device = test_features.device
    train_features, test_features = train_features.float(), test_features.float()
    train_labels = torch.as_tensor(train_labels).long().to(device)
    if train_features.dim() > 2 and test_features.dim() > 2:  # images: flatten the trailing dims
        train_features, test_features = train_features.flatten(1), test_features.flatten(1)
    if train_features.dim() != 2 or test_features.dim() != 2 or train_features.shape[1] != test_features.shape[1]:
        raise ValueError(f"features must be (n, dim) with the same dim, got {tuple(train_features.shape)} and {tuple(test_features.shape)}")
    if len(train_labels) != len(train_features):
        raise ValueError(f"train_labels has {len(train_labels)} entries for {len(train_features)} training examples")
    check_int("k", k)
    if not temperature > 0:
        raise ValueError(f"temperature must be > 0, got {temperature}")
    k = min(k, len(train_features))
    num_classes = int(train_labels.max()) + 1
    bank = nn.functional.normalize(train_features, dim=1)
    predictions = []
    for queries in nn.functional.normalize(test_features, dim=1).split(batch_size):
        similarity, index = (queries @ bank.T).topk(k, dim=1)  # (b, k)
        weights = (similarity / temperature).exp()  # (b, k)
        one_hot = nn.functional.one_hot(train_labels[index], num_classes).to(weights.dtype)  # (b, k, classes)
        votes = (weights.unsqueeze(-1) * one_hot).sum(dim=1)  # (b, classes)
        predictions.append(votes.argmax(dim=1))
    return torch.cat(predictions)


def knn_accuracy(train_features, train_labels, test_features, test_labels, *, k: int = 200, temperature: float = 0.1) -> float:
    """Test accuracy of :func:`knn_predict` (k=200, τ=0.1 by default)."""
    predictions = knn_predict(train_features, train_labels, test_features, k=k, temperature=temperature)
    return float((predictions == torch.as_tensor(test_labels).to(predictions.device)).float().mean())


# ---------------------------------------------------------------------------
# Training on the labelled examples: supervised baselines and fine-tuning
# ---------------------------------------------------------------------------


#: The optimisers :func:`train_classifier` knows: AdamW, or SGD with momentum 0.9.
OPTIMIZERS = ("adamw", "sgd")


def train_classifier(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    *,
    steps: int,
    lr: float,
    weight_decay: float = 0.0,
    optimizer: str = "adamw",
    augment: Callable[[torch.Tensor], torch.Tensor] | None = None,
    batch_size: int = 256,
    seed: int = 0,
    on_step: Callable[[int], None] | None = None,
    description: str = "supervised",
):
    """Train ``model`` in place on ``(x, y)`` with the cross-entropy.

    Args:
        model: maps ``(batch, C, H, W)`` images to ``(batch, classes)`` logits.
        x, y: the labelled images and their labels.
        steps: optimiser steps (batches of up to ``batch_size``, reshuffled each epoch).
        lr: the learning rate.
        weight_decay: AdamW's decoupled weight decay (0: plain Adam), or SGD's L2 penalty.
        optimizer: ``"adamw"``, or ``"sgd"`` (with momentum 0.9).
        augment: an optional callable applied to every training batch, e.g.
            :class:`sslbook.augment.SimCLRAugment`.
        batch_size: examples per step.
        seed: seeds the batch order (and any global-RNG draw during training).
        on_step: passed to :func:`sslbook.train.fit`.

    Returns:
        the :class:`sslbook.train.History` of the run.
    """
    from sslbook.train import fit, make_loader

    if optimizer not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {optimizer!r}; known: {', '.join(OPTIMIZERS)}")
    transform = augment if augment is not None else (lambda t: t)

    def loss_fn(m: nn.Module, batch) -> torch.Tensor:
        return nn.functional.cross_entropy(m(transform(batch[0])), batch[1])

    if optimizer == "adamw":
        step_rule = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    else:
        step_rule = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=weight_decay)
    loader = make_loader(x, y, batch_size=batch_size, seed=seed)
    return fit(model, loss_fn, loader, step_rule, steps=steps, seed=seed, on_step=on_step, description=description)


@dataclass(frozen=True)
class SupervisedGrid:
    """The settings :func:`select_supervised` tries: every ``(lr, weight_decay)``, stopped at each of ``checkpoints``."""

    lrs: tuple[float, ...] = (1e-3, 3e-3)
    weight_decays: tuple[float, ...] = (0.0, 5e-4)
    checkpoints: tuple[int, ...] = (50, 100, 200, 400)

    def __post_init__(self) -> None:
        if not self.lrs or not self.weight_decays or not self.checkpoints:
            raise ValueError("every part of the grid needs at least one value")
        for step in self.checkpoints:
            check_int("each checkpoint", step)
        if list(self.checkpoints) != sorted(set(self.checkpoints)):
            raise ValueError(f"checkpoints must be increasing, got {self.checkpoints}")


def select_supervised(
    make_model: Callable[[int], nn.Module],
    x_train: torch.Tensor,
    y_train: torch.Tensor,
    x_val: torch.Tensor,
    y_val: torch.Tensor,
    x_test: torch.Tensor,
    y_test: torch.Tensor,
    *,
    labels_per_class: int,
    seeds: Sequence[int] | None = None,
    grid: SupervisedGrid = SupervisedGrid(),
    selection_seeds: Sequence[int] | None = None,
    make_augment: Callable[[int], Callable] | None = None,
    batch_size: int = 256,
    optimizer: str = "adamw",
    description: str = "supervised",
) -> Selection:
    """Train a network on ``k`` labels per class, tuned on validation, scored once on test.

    For every selection seed ``s`` and every ``(lr, weight_decay)`` of
    ``grid``, a fresh ``make_model(s)`` (initialised under
    ``torch.manual_seed(s)``) is trained on ``sample_per_class(y_train, k, s)``,
    the same labelled subset that :func:`select_probe` uses, and scored on
    the validation split at every checkpoint. The settings ``(lr,
    weight_decay, steps)`` with the best mean validation accuracy are chosen.
    The other seeds are then trained with the chosen settings only, and the
    chosen models of every seed are scored on the test split. The caller's
    global RNG is left as it was. A run whose loss becomes nan or infinite
    (a learning rate too large) scores 0 on validation from then on, so that
    it is never chosen over a run that trained.

    Args:
        make_model: ``make_model(seed)`` returns the network to train: a new
            one for a supervised baseline, or a copy of the encoder that was
            pre-trained with that seed, to fine-tune it.
        x_train, y_train, x_val, y_val, x_test, y_test: images and labels.
        labels_per_class: ``k``.
        seeds: one run (labelled draw, initialisation, batch order) per seed;
            by default ``experiment_seeds(3)``: 0, 1, 2 shifted by
            ``SSLBOOK_SEED_OFFSET``.
        grid: the learning rates, weight decays and checkpoints to try.
        selection_seeds: the seeds whose runs choose the settings; all of
            ``seeds`` by default. Fewer seeds afford a wider grid: the search
            costs one run per setting and selection seed, and every other
            seed one run.
        make_augment: ``make_augment(seed)`` returns the training
            augmentation of one run, or None for none.
        batch_size: examples per step.
        optimizer: ``"adamw"`` or ``"sgd"`` (see :func:`train_classifier`).

    Returns:
        a :class:`Selection` whose ``choice`` is ``(lr, weight_decay, steps)``
        and whose ``validation`` scores are over the selection seeds, with the
        chosen models' accuracy on their own labelled examples in ``train``
        and every run's training history in ``histories``.
    """
    seeds = tuple(int(s) for s in (experiment_seeds(3) if seeds is None else seeds))
    chooser = seeds if selection_seeds is None else tuple(int(s) for s in selection_seeds)
    if not seeds:
        raise ValueError("seeds must name at least one run")
    if not chooser or not set(chooser) <= set(seeds):
        raise ValueError(f"selection_seeds must be a non-empty subset of seeds {seeds}, got {chooser}")
    validation: dict[tuple, list[float]] = {}
    snapshots: dict[tuple, dict[int, dict | None]] = {}
    histories: dict[tuple, list] = {}

    def run(seed: int, lr: float, weight_decay: float, checkpoints: tuple[int, ...]) -> None:
        """Train one model; record its validation accuracy and weights at each checkpoint (0 and None once diverged)."""
        idx = torch.from_numpy(sample_per_class(y_train, labels_per_class, seed))
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            model = make_model(seed)
        reached: dict[int, tuple[float, dict | None]] = {}

        def record(step: int) -> None:
            if step in checkpoints:
                reached[step] = (accuracy(model, x_val, y_val), copy.deepcopy(model.state_dict()))

        augment = make_augment(seed) if make_augment is not None else None
        try:
            history = train_classifier(
                model, x_train[idx], y_train[idx], steps=max(checkpoints), lr=lr, weight_decay=weight_decay,
                optimizer=optimizer, augment=augment, batch_size=batch_size, seed=seed, on_step=record,
                description=f"{description}, k={labels_per_class}, lr={lr:g}, wd={weight_decay:g}, seed {seed}",
            )  # fmt: skip
        except DivergedError as error:
            history = None
            reached = {step: result for step, result in reached.items() if step < error.step}
        histories.setdefault((lr, weight_decay), []).append(history)
        for step in checkpoints:
            score, state = reached.get(step, (0.0, None))
            key = (lr, weight_decay, step)
            validation.setdefault(key, []).append(score)
            snapshots.setdefault(key, {})[seed] = state

    for lr in grid.lrs:
        for weight_decay in grid.weight_decays:
            for seed in chooser:
                run(seed, lr, weight_decay, tuple(grid.checkpoints))
    val_scores = {key: SeedScores(tuple(v), chooser) for key, v in validation.items()}
    chosen = select(val_scores)
    lr, weight_decay, steps = chosen
    for seed in seeds:
        if seed not in chooser:
            run(seed, lr, weight_decay, (steps,))
    states = snapshots[chosen]
    if any(states[seed] is None for seed in seeds):
        raise ValueError(f"the chosen settings {chosen} diverged for at least one seed; lower the learning rates")
    tests, trains = [], []
    for seed in seeds:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            model = make_model(seed)
        model.load_state_dict(states[seed])
        tests.append(accuracy(model, x_test, y_test))
        idx = torch.from_numpy(sample_per_class(y_train, labels_per_class, seed))
        trains.append(accuracy(model, x_train[idx], y_train[idx]))
    return Selection(chosen, val_scores, SeedScores(tuple(tests), seeds), SeedScores(tuple(trains), seeds), histories)


# ---------------------------------------------------------------------------
# Geometry of the embeddings
# ---------------------------------------------------------------------------


@torch.no_grad()
def alignment_uniformity(z1: torch.Tensor, z2: torch.Tensor, t: float = 2.0) -> tuple[float, float]:
    """Wang & Isola (2020)'s alignment and uniformity of embeddings of positive pairs.

    Both are computed on L2-normalised embeddings:

    - alignment = E ||f(x) − f(x⁺)||², over the positive pairs (lower is better);
    - uniformity = log E exp(−t ||f(x) − f(y)||²), over all pairs of distinct
      examples of ``z1`` (lower is better: spread over the sphere).

    Args:
        z1: ``(n, dim)`` embeddings of one view; ``n`` ≥ 2.
        z2: ``(n, dim)`` embeddings of the other view of the same examples.
        t: the uniformity kernel's scale (2 in the paper).
    """
    if z1.dim() != 2 or z1.shape != z2.shape or len(z1) < 2:
        raise ValueError(f"z1 and z2 must be (n, dim) with equal shapes and n >= 2, got {tuple(z1.shape)} and {tuple(z2.shape)}")
    a, b = nn.functional.normalize(z1, dim=1), nn.functional.normalize(z2, dim=1)
    alignment = (a - b).pow(2).sum(dim=1).mean()
    uniformity = torch.pdist(a).pow(2).mul(-t).exp().mean().log()
    return float(alignment), float(uniformity)
