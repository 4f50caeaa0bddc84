"""SCARF (Bahri et al. 2022): contrastive learning on tables by random feature
corruption.

Images have crops and colour jitter; a row of a table has no such natural
augmentation. SCARF makes one from the data itself: for each row, pick a
random subset of its features, a fixed fraction ``rate`` of them, and replace
each picked value by the same feature's value in another training row drawn
at random, that is, by a draw from the feature's empirical marginal
distribution. The corrupted row is the positive of the original; the other
corrupted rows of the batch are its negatives, and the loss is InfoNCE:

    ℓ_i = −log exp(sim(z_i, z̃_i)/τ) / Σ_j exp(sim(z_i, z̃_j)/τ),

with ``z = g(f(x))`` and cosine similarity, averaged over the batch.

Example
-------
>>> import torch
>>> from sslbook.scarf import FeatureCorruption
>>> rows = torch.arange(20.0).view(5, 4)  # 5 training rows, 4 features
>>> corrupt = FeatureCorruption(rows, rate=0.5, seed=0)
>>> corrupted, mask = corrupt(rows, return_mask=True)
>>> mask.sum(dim=1).tolist()  # 2 of the 4 features of every row
[2, 2, 2, 2, 2]
"""

from __future__ import annotations

from typing import Callable

import torch
from torch import nn
from torch.nn import functional as F

from sslbook.checks import check_int, check_real
from sslbook.losses import cosine_logits

__all__ = [
    "FeatureCorruption",
    "TabularEncoder",
    "scarf_loss",
    "scarf_loss_fn",
]


class FeatureCorruption:
    """SCARF's augmentation: replace a fraction of each row's features by
    draws from their marginals.

    Args:
        x_train: ``(n, features)`` training rows; replacement values are drawn
            from their columns, so a corrupted value is always one that the
            feature takes in the training data.
        rate: the fraction of features replaced in every row, in [0, 1];
            ``round(rate * features)`` of them, chosen uniformly per row.
            Bahri et al. use 0.6.
        seed: seeds this augmentation's own generator (the global RNG is
            not touched), so a run is reproducible.

    Raises:
        ValueError: if ``x_train`` is not 2-D with at least one row, or
            ``rate`` is outside [0, 1].
    """

    def __init__(
        self, x_train: torch.Tensor, rate: float = 0.6, seed: int = 0
    ):
        if x_train.dim() != 2 or len(x_train) < 1:
            raise ValueError(
                "x_train must be (n, features) with n >= 1, "
                f"got {tuple(x_train.shape)}"
            )
        check_real("rate", rate, "[0, 1]")
        self.x_train = x_train.detach().cpu()
        self.rate = rate
        self.n_corrupted = round(rate * x_train.shape[1])
        self.generator = torch.Generator().manual_seed(seed)

    def __call__(self, x: torch.Tensor, return_mask: bool = False):
        """``x`` ``(batch, features)``, ``round(rate · features)`` values of
        each row replaced.

        Returns the corrupted rows, on ``x``'s device and dtype, and with
        ``return_mask=True`` also the ``(batch, features)`` boolean mask of
        the replaced positions (a replacement may equal the original value).
        """
        if x.dim() != 2 or x.shape[1] != self.x_train.shape[1]:
            raise ValueError(
                f"x must be (batch, {self.x_train.shape[1]}), "
                f"got {tuple(x.shape)}"
            )
        batch, features = x.shape
        # a uniform random subset of n_corrupted features per row:
        # the lowest ranks of random keys
        keys = torch.rand(batch, features, generator=self.generator)
        ranks = keys.argsort(dim=1).argsort(dim=1)
        mask = ranks < self.n_corrupted
        donors = torch.randint(
            len(self.x_train), (batch, features), generator=self.generator
        )
        # (batch, features): column j comes from row donors[:, j]
        marginal = self.x_train[donors, torch.arange(features)]
        mask_d = mask.to(x.device)
        marginal = marginal.to(device=x.device, dtype=x.dtype)
        corrupted = torch.where(mask_d, marginal, x)
        return (corrupted, mask_d) if return_mask else corrupted


class TabularEncoder(nn.Module):
    """An MLP encoder for rows of ``in_features`` numbers: (Linear, ReLU) ×
    ``depth``.

    Args:
        in_features: the number of features of a row.
        out_dim: the representation size (the width of every layer).
        depth: the number of Linear + ReLU layers, at least 1.

    Attributes:
        out_dim: as given, so that :class:`sslbook.simclr.SimCLRModel` can add
            its projection head.
    """

    def __init__(self, in_features: int, out_dim: int = 64, depth: int = 2):
        super().__init__()
        check_int("in_features", in_features)
        check_int("out_dim", out_dim)
        check_int("depth", depth)
        layers: list[nn.Module] = []
        width = in_features
        for _ in range(depth):
            layers += [nn.Linear(width, out_dim), nn.ReLU()]
            width = out_dim
        self.net = nn.Sequential(*layers)
        self.out_dim = out_dim
        self.in_features = in_features

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 2 or x.shape[1] != self.in_features:
            raise ValueError(
                f"expected rows of shape (batch, {self.in_features}), "
                f"got {tuple(x.shape)}"
            )
        return self.net(x)


def scarf_loss(
    z: torch.Tensor, z_corrupted: torch.Tensor, temperature: float = 1.0
) -> torch.Tensor:
    """SCARF's InfoNCE: row ``i`` of ``z`` must pick row ``i`` of
    ``z_corrupted`` among all its rows.

    Args:
        z: ``(batch, dim)`` embeddings of the original rows (the anchors).
        z_corrupted: ``(batch, dim)`` embeddings of their corrupted views
            (row ``i`` is the positive of anchor ``i``, the others its
            negatives).
        temperature: τ > 0; similarities are cosines divided by τ.

    Raises:
        ValueError: if the shapes differ or are not 2-D, the batch has fewer
            than 2 rows, or τ is not a finite number > 0.
    """
    if z.dim() != 2 or z.shape != z_corrupted.shape:
        raise ValueError(
            "z and z_corrupted must both be (batch, dim) with equal shapes, "
            f"got {tuple(z.shape)} and {tuple(z_corrupted.shape)}"
        )
    if len(z) < 2:
        raise ValueError(
            "the batch must hold at least 2 rows, "
            f"so that each anchor has negatives; got {len(z)}"
        )
    check_real("temperature", temperature, "(0, inf)")
    logits = cosine_logits(z, z_corrupted, temperature)  # (batch, batch)
    return F.cross_entropy(logits, torch.arange(len(z), device=z.device))


def scarf_loss_fn(
    corrupt: FeatureCorruption, temperature: float = 1.0
) -> Callable[[nn.Module, tuple], torch.Tensor]:
    """The ``loss_fn(model, batch)`` of SCARF for :func:`sslbook.train.fit`.

    ``batch`` is ``(x,)`` or ``(x, y)``; labels are ignored. The original and
    the corrupted rows go through ``model`` (an encoder and a projection head,
    e.g. :class:`sslbook.simclr.SimCLRModel`) in one forward pass.
    """

    def loss_fn(model: nn.Module, batch: tuple) -> torch.Tensor:
        x = batch[0]
        z, z_corrupted = model(torch.cat([x, corrupt(x)])).chunk(2)
        return scarf_loss(z, z_corrupted, temperature)

    return loss_fn
