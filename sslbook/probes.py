"""Frozen features scored with few labels: label draws, linear probes and
accuracy.

- :func:`sample_per_class` draws the ``k`` labelled examples per class of a
  seed; every method of a comparison sees the same draw.
- :func:`linear_probe` freezes the features and fits a logistic regression
  on them (SimCLR, Chen et al. 2020, §4); :func:`select_probe` chooses its
  regularisation on validation and scores the test split once.
- :func:`accuracy` scores a classifier network.

The kNN classifier of frozen features is in :mod:`sslbook.knn`.

Example
-------
>>> import numpy as np
>>> from sslbook.probes import linear_probe
>>> rng = np.random.default_rng(0)
>>> y = np.repeat([0, 1], 50)
>>> x = rng.normal(size=(100, 2)) + 3 * y[:, None]
>>> linear_probe(x, y, x, y, labels_per_class=5, seeds=(0, 1)).mean > 0.9
True
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import torch
from torch import nn

from sslbook.checks import check_int
from sslbook.models import eval_mode
from sslbook.repro import experiment_seeds
from sslbook.selection import Selection, select
from sslbook.stats import SeedScores

__all__ = [
    "PROBE_C_GRID",
    "accuracy",
    "sample_per_class",
    "linear_probe",
    "Features",
    "select_probe",
]

#: The inverse regularisation strengths that :func:`select_probe` tries.
PROBE_C_GRID = (0.001, 0.01, 0.1, 1.0, 10.0)


@torch.no_grad()
def accuracy(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    *,
    batch_size: int = 1024,
) -> float:
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
        raise ValueError(
            "x and y must be non-empty and of equal length, "
            f"got {len(x)} and {len(y)}"
        )
    with eval_mode(model):
        correct = sum(
            (
                model(x[i : i + batch_size]).argmax(dim=1)
                == y[i : i + batch_size].to(x.device)
            )
            .sum()
            .item()
            for i in range(0, len(x), batch_size)
        )
    return correct / len(x)


def _as_numpy(array: np.ndarray | torch.Tensor, name: str) -> np.ndarray:
    if isinstance(array, torch.Tensor):
        array = array.detach().cpu().numpy()
    if not isinstance(array, np.ndarray):
        raise TypeError(
            f"{name} must be a numpy array or torch tensor, "
            f"got {type(array).__name__}"
        )
    return array


def sample_per_class(
    labels: np.ndarray | torch.Tensor, k: int, seed: int
) -> np.ndarray:
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
            raise ValueError(
                f"class {cls} has {len(members)} examples, fewer than k={k}"
            )
        chosen.append(rng.choice(members, size=k, replace=False))
    return np.sort(np.concatenate(chosen))


def _flat_features(x, name: str) -> np.ndarray:
    x = _as_numpy(x, name)
    return x.reshape(len(x), -1)


def _fit_probe(x: np.ndarray, y: np.ndarray, c: float, max_iter: int):
    """Standardise with the labelled subset's own statistics, then an L2
    logistic regression.

    The fit runs in float64: in float32, newton-cg's line search can stop on
    rounding errors (a strong penalty on ten examples is enough) and return an
    unconverged probe.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    probe = make_pipeline(
        StandardScaler(),
        LogisticRegression(C=c, solver="newton-cg", max_iter=max_iter),
    )
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
    """Fit a logistic regression on ``k`` labels per class; score it on
    ``x_eval``.

    The features are standardised with statistics of the labelled subset only
    (the probe sees nothing else of the training set), then scikit-learn's
    ``LogisticRegression`` (L2, inverse strength ``c``) is fitted.

    Args:
        x_train: ``(n_train, ...)`` frozen features; trailing dims are
            flattened.
        y_train: ``(n_train,)`` labels to draw the labelled subset from.
        x_eval: ``(n_eval, ...)`` features of held-out examples (validation
            or test).
        y_eval: ``(n_eval,)`` their labels.
        labels_per_class: ``k``.
        seeds: one draw of the labelled subset per seed; by default
            ``experiment_seeds(3)``: 0, 1, 2 shifted by
            ``SSLBOOK_SEED_OFFSET``.
        c: the inverse regularisation strength (choose it with
            :func:`select_probe`).
        max_iter: the solver's iteration cap.

    Raises:
        ValueError: for mismatched lengths, an empty ``seeds``, or a bad ``k``.
    """
    x_train, x_eval = (
        _flat_features(x_train, "x_train"),
        _flat_features(x_eval, "x_eval"),
    )
    y_train, y_eval = (
        _as_numpy(y_train, "y_train"),
        _as_numpy(y_eval, "y_eval"),
    )
    if len(x_train) != len(y_train) or len(x_eval) != len(y_eval):
        raise ValueError(
            "features and labels differ in length: "
            f"x_train {len(x_train)} vs y_train {len(y_train)}, "
            f"x_eval {len(x_eval)} vs y_eval {len(y_eval)}"
        )
    seeds = experiment_seeds(3) if seeds is None else seeds
    if len(seeds) == 0:
        raise ValueError("seeds must name at least one draw")
    scores = []
    for seed in seeds:
        idx = sample_per_class(y_train, labels_per_class, seed)
        scores.append(
            float(
                _fit_probe(x_train[idx], y_train[idx], c, max_iter).score(
                    x_eval, y_eval
                )
            )
        )
    return SeedScores(tuple(scores), tuple(int(s) for s in seeds))


#: Features of one seed: ``(train, validation, test)``, arrays or tensors of
#: ``(n, ...)``.
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
    """A linear probe whose regularisation is chosen on validation, scored once
    on test.

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
    y_train, y_val, y_test = (
        _as_numpy(y, name)
        for y, name in (
            (y_train, "y_train"),
            (y_val, "y_val"),
            (y_test, "y_test"),
        )
    )
    seeds = tuple(int(s) for s in features)
    probes: dict[float, list] = {c: [] for c in grid}
    validation: dict[float, list[float]] = {c: [] for c in grid}
    tests, labelled = {}, {}
    for seed, split in features.items():
        if len(split) != 3:
            raise ValueError(
                f"features[{seed}] must be (train, val, test), "
                f"got {len(split)} arrays"
            )
        x_train, x_val, x_test = (
            _flat_features(x, name)
            for x, name in zip(split, ("train", "val", "test"))
        )
        if (len(x_train), len(x_val), len(x_test)) != (
            len(y_train),
            len(y_val),
            len(y_test),
        ):
            raise ValueError(
                f"features[{seed}] hold "
                f"{len(x_train)}/{len(x_val)}/{len(x_test)} rows for "
                f"{len(y_train)}/{len(y_val)}/{len(y_test)} labels"
            )
        idx = sample_per_class(y_train, labels_per_class, seed)
        for c in grid:
            probe = _fit_probe(x_train[idx], y_train[idx], c, max_iter)
            probes[c].append(probe)
            validation[c].append(float(probe.score(x_val, y_val)))
        tests[seed], labelled[seed] = x_test, (x_train[idx], y_train[idx])
    val_scores = {
        c: SeedScores(tuple(v), seeds) for c, v in validation.items()
    }
    chosen = select(val_scores)
    test = SeedScores(
        tuple(
            float(p.score(tests[s], y_test))
            for p, s in zip(probes[chosen], seeds)
        ),
        seeds,
    )
    train = SeedScores(
        tuple(
            float(p.score(*labelled[s])) for p, s in zip(probes[chosen], seeds)
        ),
        seeds,
    )
    return Selection(chosen, val_scores, test, train)
