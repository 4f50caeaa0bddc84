"""Siamese networks without negatives, and how they collapse (Chen & He 2021).

A Siamese network embeds two views of an image with the same encoder and
maximises their cosine similarity. With nothing else, the loss has a trivial
minimum: map every image to the same vector. SimSiam avoids it with two
additions: a *predictor* MLP on one branch, and a *stop-gradient* on the other,
so that the target side is treated as a constant:

    L = −½ cos(p1, sg(z2)) − ½ cos(p2, sg(z1)).

:func:`embedding_std` is the paper's collapse monitor: the standard deviation
of the L2-normalised embeddings across examples, averaged over dimensions. It
is 0 when everything collapses to one point and about 1/√dim when the
embeddings are spread evenly on the sphere.

Example
-------
>>> import torch
>>> from sslbook.simsiam import embedding_std
>>> embedding_std(torch.ones(10, 4))
0.0
"""

from __future__ import annotations

from typing import Callable

import torch
from torch import nn
from torch.nn import functional as F

from sslbook.augment import SimCLRAugment, two_views
from sslbook.blocks import mlp_head
from sslbook.checks import check_int

__all__ = ["Siamese", "siamese_loss_fn", "embedding_std"]


class Siamese(nn.Module):
    """An encoder and projector, with SimSiam's predictor when
    ``predictor=True``.

    Args:
        encoder: maps images to ``(batch, encoder.out_dim)``.
        dim: the projection size, at least 2 (the predictor's hidden layer
            has ``dim // 2`` units).
        predictor: add the predictor MLP (Linear, BatchNorm, ReLU, Linear).
        output_batchnorm: end the projector with a BatchNorm without affine
            parameters, as SimSiam's projector does (Chen & He 2021, §4.4).
            Off by default: in training mode a BatchNorm on the output
            standardises every dimension over the batch, so the output
            cannot be one constant vector. That by itself blocks the complete
            collapse that the book's experiment shows when it removes the
            predictor and the stop-gradient, and the experiment would then
            no longer isolate what those two do (the tests measure it).

    Raises:
        ValueError: for ``dim`` < 2.
    """

    def __init__(
        self,
        encoder: nn.Module,
        dim: int = 64,
        predictor: bool = True,
        output_batchnorm: bool = False,
    ):
        super().__init__()
        check_int(
            "dim",
            dim,
            2,
            why="the predictor's hidden layer has dim // 2 units",
        )
        self.encoder = encoder
        self.projector = mlp_head(encoder.out_dim, dim, dim, batchnorm=True)
        if output_batchnorm:
            self.projector.append(nn.BatchNorm1d(dim, affine=False))
        self.predictor = (
            mlp_head(dim, dim // 2, dim, batchnorm=True)
            if predictor
            else nn.Identity()
        )

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(z, p)``: the projection and the prediction, each
        ``(batch, dim)``.
        """
        z = self.projector(self.encoder(x))
        return z, self.predictor(z)


def siamese_loss_fn(
    augment: SimCLRAugment, stop_gradient: bool = True
) -> Callable[[Siamese, tuple], torch.Tensor]:
    """The symmetric negative-cosine loss of SimSiam, for
    :func:`sslbook.train.fit`.

    With ``stop_gradient=False`` and a model without predictor, this is the
    naive Siamese network that collapses.
    """

    def loss_fn(model: Siamese, batch: tuple) -> torch.Tensor:
        x = batch[0]
        z, p = model(two_views(augment, x))
        z1, z2 = z.chunk(2)
        p1, p2 = p.chunk(2)
        if stop_gradient:
            z1, z2 = z1.detach(), z2.detach()
        return (
            -(
                F.cosine_similarity(p1, z2).mean()
                + F.cosine_similarity(p2, z1).mean()
            )
            / 2
        )

    return loss_fn


@torch.no_grad()
def embedding_std(z: torch.Tensor) -> float:
    """Mean over dimensions of the per-dimension std of the L2-normalised
    ``z`` ``(n, dim)``.
    """
    if z.dim() != 2 or len(z) < 2:
        raise ValueError(
            f"z must be (n, dim) with n >= 2, got {tuple(z.shape)}"
        )
    return float(F.normalize(z, dim=1).std(dim=0, unbiased=False).mean())
