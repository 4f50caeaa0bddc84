"""The weighted kNN classifier of frozen features (Wu et al. 2018).

:func:`knn_predict` classifies each test example by a vote of its ``k`` most
cosine-similar training examples, weighted by exp(sim / τ): the usual monitor
of self-supervised CIFAR-10 runs, which needs no training.
:func:`knn_accuracy` scores its predictions.

Example
-------
>>> import torch
>>> from sslbook.knn import knn_accuracy, knn_predict
>>> train, labels = torch.eye(3), torch.arange(3)
>>> knn_predict(train, labels, 5 * torch.eye(3), k=1).tolist()
[0, 1, 2]
>>> round(knn_accuracy(train, labels, train, torch.tensor([0, 1, 0]), k=1), 3)
0.667
"""

from __future__ import annotations

import torch
from torch import nn

from sslbook.checks import check_int, check_real

__all__ = [
    "knn_predict",
    "knn_accuracy",
]


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
        ``(n_test,)`` predicted class indices, on the device of
        ``test_features``.

    Raises:
        ValueError: for mismatched shapes or devices, ``k`` < 1 or τ not a
            finite number > 0.
    """
    train_features = torch.as_tensor(train_features)
    test_features = torch.as_tensor(test_features)
    if train_features.device != test_features.device:
        raise ValueError(
            "train and test features must be on one device, "
            f"got {train_features.device} and {test_features.device}"
        )
    device = test_features.device
    train_features, test_features = (
        train_features.float(),
        test_features.float(),
    )
    train_labels = torch.as_tensor(train_labels).long().to(device)
    if (
        train_features.dim() > 2 and test_features.dim() > 2
    ):  # images: flatten the trailing dims
        train_features, test_features = (
            train_features.flatten(1),
            test_features.flatten(1),
        )
    if (
        train_features.dim() != 2
        or test_features.dim() != 2
        or train_features.shape[1] != test_features.shape[1]
    ):
        raise ValueError(
            "features must be (n, dim) with the same dim, "
            f"got {tuple(train_features.shape)} "
            f"and {tuple(test_features.shape)}"
        )
    if len(train_labels) != len(train_features):
        raise ValueError(
            f"train_labels has {len(train_labels)} entries "
            f"for {len(train_features)} training examples"
        )
    check_int("k", k)
    check_real("temperature", temperature, "(0, inf)")
    k = min(k, len(train_features))
    num_classes = int(train_labels.max()) + 1
    bank = nn.functional.normalize(train_features, dim=1)
    predictions = []
    for queries in nn.functional.normalize(test_features, dim=1).split(
        batch_size
    ):
        similarity, index = (queries @ bank.T).topk(k, dim=1)  # (b, k)
        weights = (similarity / temperature).exp()  # (b, k)
        one_hot = nn.functional.one_hot(train_labels[index], num_classes).to(
            weights.dtype
        )  # (b, k, classes)
        votes = (weights.unsqueeze(-1) * one_hot).sum(dim=1)  # (b, classes)
        predictions.append(votes.argmax(dim=1))
    return torch.cat(predictions)


def knn_accuracy(
    train_features,
    train_labels,
    test_features,
    test_labels,
    *,
    k: int = 200,
    temperature: float = 0.1,
) -> float:
    """Test accuracy of :func:`knn_predict` (k=200, τ=0.1 by default)."""
    predictions = knn_predict(
        train_features,
        train_labels,
        test_features,
        k=k,
        temperature=temperature,
    )
    return float(
        (predictions == torch.as_tensor(test_labels).to(predictions.device))
        .float()
        .mean()
    )
