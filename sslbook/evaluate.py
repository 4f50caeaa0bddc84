"""Evaluating representations with few labels: the linear probe.

A linear probe freezes the features and fits a logistic regression on top,
using only ``k`` labelled examples per class. It is the standard way to ask how
much a representation helps when labels are scarce (e.g. SimCLR, Chen et al.
2020, §4). Because the drawn labelled subset matters a lot at small ``k``, the
accuracy is averaged over several draws.

Example
-------
>>> import numpy as np
>>> from sslbook.evaluate import linear_probe
>>> rng = np.random.default_rng(0)
>>> y = np.repeat([0, 1], 50)
>>> x = rng.normal(size=(100, 2)) + 3 * y[:, None]
>>> linear_probe(x, y, x, y, labels_per_class=5, seeds=(0, 1)).mean > 0.9
True
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import torch


@dataclass(frozen=True)
class ProbeResult:
    """Test accuracy of a linear probe over several draws of the labelled subset.

    Attributes:
        labels_per_class: ``k``, the labelled training examples per class.
        accuracies: one test accuracy per seed, in [0, 1].
    """

    labels_per_class: int
    accuracies: tuple[float, ...]

    @property
    def mean(self) -> float:
        """The mean test accuracy over the draws."""
        return float(np.mean(self.accuracies))

    @property
    def std(self) -> float:
        """The standard deviation of the test accuracy over the draws."""
        return float(np.std(self.accuracies))


@torch.no_grad()
def accuracy(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, *, batch_size: int = 1024) -> float:
    """The fraction of ``x`` that ``model`` classifies as ``y``, in eval mode.

    Args:
        model: returns ``(batch, n_classes)`` logits; it is left in eval mode.
        x: ``(n, ...)`` inputs.
        y: ``(n,)`` class indices.
        batch_size: examples per forward pass, to bound memory.

    Raises:
        ValueError: if ``x`` and ``y`` differ in length or are empty.
    """
    if len(x) != len(y) or len(x) == 0:
        raise ValueError(f"x and y must be non-empty and of equal length, got {len(x)} and {len(y)}")
    model.eval()
    correct = sum(
        (model(x[i : i + batch_size]).argmax(dim=1) == y[i : i + batch_size]).sum().item()
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
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"k must be a positive int, got {k!r}")
    rng = np.random.default_rng(seed)
    chosen = []
    for cls in np.unique(labels):
        members = np.flatnonzero(labels == cls)
        if len(members) < k:
            raise ValueError(f"class {cls} has {len(members)} examples, fewer than k={k}")
        chosen.append(rng.choice(members, size=k, replace=False))
    return np.sort(np.concatenate(chosen))


def linear_probe(
    x_train: np.ndarray | torch.Tensor,
    y_train: np.ndarray | torch.Tensor,
    x_test: np.ndarray | torch.Tensor,
    y_test: np.ndarray | torch.Tensor,
    *,
    labels_per_class: int,
    seeds: Sequence[int] = (0, 1, 2),
    max_iter: int = 2000,
) -> ProbeResult:
    """Fit a logistic regression on ``k`` labels per class; report test accuracy.

    The features are standardised with statistics of the labelled subset only
    (the probe sees nothing else of the training set), then scikit-learn's
    ``LogisticRegression`` (L2, C=1) is fitted.

    Args:
        x_train: ``(n_train, ...)`` frozen features; trailing dims are flattened.
        y_train: ``(n_train,)`` labels to draw the labelled subset from.
        x_test: ``(n_test, ...)`` features of held-out examples.
        y_test: ``(n_test,)`` their labels.
        labels_per_class: ``k``.
        seeds: one draw of the labelled subset per seed.
        max_iter: the solver's iteration cap.

    Raises:
        ValueError: for mismatched lengths, an empty ``seeds``, or a bad ``k``.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    x_train = _as_numpy(x_train, "x_train").reshape(len(x_train), -1)
    x_test = _as_numpy(x_test, "x_test").reshape(len(x_test), -1)
    y_train, y_test = _as_numpy(y_train, "y_train"), _as_numpy(y_test, "y_test")
    if len(x_train) != len(y_train) or len(x_test) != len(y_test):
        raise ValueError(
            f"features and labels differ in length: x_train {len(x_train)} vs y_train {len(y_train)}, "
            f"x_test {len(x_test)} vs y_test {len(y_test)}"
        )
    if len(seeds) == 0:
        raise ValueError("seeds must name at least one draw")
    accuracies = []
    for seed in seeds:
        idx = sample_per_class(y_train, labels_per_class, seed)
        probe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=max_iter))
        probe.fit(x_train[idx], y_train[idx])
        accuracies.append(float(probe.score(x_test, y_test)))
    return ProbeResult(labels_per_class, tuple(accuracies))
