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
    the class with the largest total wins.

    Args:
        train_features: ``(n_train, dim)``, or ``(n_train, ...)`` flattened.
        train_labels: ``(n_train,)`` class indices.
        test_features: ``(n_test, dim)``, or ``(n_test, ...)`` flattened.
        k: neighbours per test example (capped at ``n_train``).
        temperature: τ > 0 of the vote weights.
        batch_size: test examples per similarity matrix, to bound memory.

    Returns:
        ``(n_test,)`` predicted class indices.

    Raises:
        ValueError: for mismatched shapes, ``k`` < 1 or τ not > 0.
    """
    train_features = torch.as_tensor(train_features).float()
    test_features = torch.as_tensor(test_features).float()
    train_labels = torch.as_tensor(train_labels).long()
    if train_features.dim() > 2 and test_features.dim() > 2:  # images: flatten the trailing dims
        train_features, test_features = train_features.flatten(1), test_features.flatten(1)
    if train_features.dim() != 2 or test_features.dim() != 2 or train_features.shape[1] != test_features.shape[1]:
        raise ValueError(f"features must be (n, dim) with the same dim, got {tuple(train_features.shape)} and {tuple(test_features.shape)}")
    if len(train_labels) != len(train_features):
        raise ValueError(f"train_labels has {len(train_labels)} entries for {len(train_features)} training examples")
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    if not temperature > 0:
        raise ValueError(f"temperature must be > 0, got {temperature}")
    k = min(k, len(train_features))
    num_classes = int(train_labels.max()) + 1
    bank = torch.nn.functional.normalize(train_features, dim=1)
    predictions = []
    for queries in torch.nn.functional.normalize(test_features, dim=1).split(batch_size):
        similarity, index = (queries @ bank.T).topk(k, dim=1)  # (b, k)
        votes = torch.zeros(len(queries), num_classes).scatter_add_(1, train_labels[index], (similarity / temperature).exp())
        predictions.append(votes.argmax(dim=1))
    return torch.cat(predictions)


def knn_accuracy(train_features, train_labels, test_features, test_labels, *, k: int = 200, temperature: float = 0.1) -> float:
    """Test accuracy of :func:`knn_predict` (k=200, τ=0.1 by default)."""
    predictions = knn_predict(train_features, train_labels, test_features, k=k, temperature=temperature)
    return float((predictions == torch.as_tensor(test_labels)).float().mean())


def train_from_scratch(
    make_model,
    x_train: torch.Tensor,
    y_train: torch.Tensor,
    x_test: torch.Tensor,
    y_test: torch.Tensor,
    *,
    labels_per_class: int,
    seeds: Sequence[int] = (0, 1, 2),
    steps: int = 300,
    lr: float = 1e-3,
    augment=None,
) -> ProbeResult:
    """Supervised baseline: train a fresh classifier on ``k`` labels per class, report test accuracy.

    The same labelled subsets as :func:`linear_probe` (same seeds), so the two
    compare like for like. Each draw trains ``make_model()`` with Adam on the
    cross-entropy for ``steps`` full-batch steps (up to 256 examples a batch),
    optionally on augmented images.

    Args:
        make_model: returns a new ``nn.Module`` mapping images to logits;
            random for a supervised baseline, or built on a copy of a
            pre-trained encoder to fine-tune it.
        x_train, y_train, x_test, y_test: images ``(n, C, H, W)`` and labels.
        labels_per_class: ``k``.
        seeds: one draw (and one initialisation) per seed.
        steps: optimiser steps per draw.
        lr: Adam's learning rate.
        augment: an optional callable applied to every training batch, e.g.
            :class:`sslbook.augment.SimCLRAugment`.
    """
    from sslbook.train import fit, make_loader

    accuracies = []
    for seed in seeds:
        idx = torch.from_numpy(sample_per_class(y_train, labels_per_class, seed))
        torch.manual_seed(seed)
        model = make_model()
        transform = augment if augment is not None else (lambda x: x)
        loss_fn = lambda m, batch: torch.nn.functional.cross_entropy(m(transform(batch[0])), batch[1])  # noqa: E731
        loader = make_loader(x_train[idx], y_train[idx], batch_size=256, seed=seed)
        fit(model, loss_fn, loader, torch.optim.Adam(model.parameters(), lr=lr), steps=steps, seed=seed, description=f"supervised, k={labels_per_class}")
        accuracies.append(accuracy(model, x_test, y_test))
    return ProbeResult(labels_per_class, tuple(accuracies))


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
    a, b = torch.nn.functional.normalize(z1, dim=1), torch.nn.functional.normalize(z2, dim=1)
    alignment = (a - b).pow(2).sum(dim=1).mean()
    uniformity = torch.pdist(a).pow(2).mul(-t).exp().mean().log()
    return float(alignment), float(uniformity)
