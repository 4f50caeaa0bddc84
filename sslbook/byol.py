"""BYOL (Grill et al. 2020): learning without negatives, from a moving-average
target.

An *online* network (encoder, projector and a predictor) learns to predict,
from one view of an image, the *target* network's projection of another view.
The target is not trained by gradients: its weights are an exponential moving
average (EMA) of the online network's encoder and projector,

    ξ ← m ξ + (1 − m) θ,   m close to 1,

and its output is treated as a constant (a stop-gradient). The loss is the
squared distance between the L2-normalised prediction and target projection,
which equals ``2 − 2 cos(p, t)``, symmetrised over the two views:

    L = ½ [(2 − 2 cos(p₁, t₂)) + (2 − 2 cos(p₂, t₁))]
      = 2 − cos(p₁, t₂) − cos(p₂, t₁).

There are no negatives, so nothing in the loss forbids mapping every image to
one point. The predictor, the stop-gradient and the slowly moving target keep
training away from that collapse; section 5.4 of the book removes the
predictor and the moving average and measures the collapse with
:func:`sslbook.simsiam.embedding_std`.

Departures from the paper, for small CPU runs: the two directions of the loss
are averaged where the paper sums them (which halves the gradient), the
online network is a :class:`sslbook.simsiam.Siamese`, whose predictor is
SimSiam's bottleneck MLP (hidden size ``dim // 2``) rather than BYOL's, and
the momentum is constant instead of following the paper's cosine schedule.

Example
-------
>>> import torch
>>> from sslbook.byol import BYOL
>>> from sslbook.models import ConvEncoder
>>> from sslbook.simsiam import Siamese
>>> byol = BYOL(
...     Siamese(ConvEncoder(1, 8, 16, widths=(4, 8)), dim=8), momentum=0.99
... )
>>> byol.target(torch.rand(3, 1, 8, 8)).shape
torch.Size([3, 8])
"""

from __future__ import annotations

from typing import Callable

import torch
from torch import nn
from torch.nn import functional as F

from sslbook.augment import SimCLRAugment, two_views
from sslbook.checks import check_real
from sslbook.momentum import momentum_target, momentum_update_
from sslbook.simsiam import Siamese

__all__ = ["BYOL", "byol_loss", "byol_loss_fn"]


class BYOL(nn.Module):
    """The online network and its moving-average target.

    Args:
        online: a :class:`sslbook.simsiam.Siamese` (encoder, projector and,
            with ``predictor=True``, the predictor); it is trained.
        momentum: m of the target's moving average, in [0, 1]. With 0 the
            target is a copy of the online network at every step (still
            behind a stop-gradient); with 1 it never moves from its
            initialisation.

    Attributes:
        target_encoder, target_projector: copies of the online encoder and
            projector, without gradients, updated by :meth:`momentum_update`.

    Raises:
        TypeError: if ``online`` is not a ``Siamese``.
        ValueError: if ``momentum`` is outside [0, 1].
    """

    def __init__(self, online: Siamese, momentum: float = 0.99):
        super().__init__()
        if not isinstance(online, Siamese):
            raise TypeError(
                "online must be an sslbook.simsiam.Siamese, "
                f"got {type(online).__name__}"
            )
        check_real("momentum", momentum, "[0, 1]")
        self.online = online
        self.momentum = momentum
        self.target_encoder = momentum_target(online.encoder)
        self.target_projector = momentum_target(online.projector)

    @property
    def encoder(self) -> nn.Module:
        """The online encoder: the representation used downstream."""
        return self.online.encoder

    def momentum_update(self) -> None:
        """ξ ← m ξ + (1 − m) θ for the target encoder and projector; buffers
        are copied.
        """
        momentum_update_(
            self.target_encoder, self.online.encoder, self.momentum
        )
        momentum_update_(
            self.target_projector, self.online.projector, self.momentum
        )

    @torch.no_grad()
    def target(self, x: torch.Tensor) -> torch.Tensor:
        """The target's projection ``(batch, dim)`` of ``x``, without
        gradient.
        """
        return self.target_projector(self.target_encoder(x))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The online network's prediction ``(batch, dim)`` of ``x``."""
        return self.online(x)[1]


def byol_loss(
    p1: torch.Tensor, p2: torch.Tensor, t1: torch.Tensor, t2: torch.Tensor
) -> torch.Tensor:
    """``2 − cos(p₁, t₂) − cos(p₂, t₁)``, averaged over the batch; the targets
    get no gradient.

    Args:
        p1, p2: ``(batch, dim)`` online predictions of views 1 and 2.
        t1, t2: ``(batch, dim)`` target projections of views 1 and 2.

    Raises:
        ValueError: if the four shapes are not one and the same
            ``(batch, dim)``.
    """
    if p1.dim() != 2 or not p1.shape == p2.shape == t1.shape == t2.shape:
        raise ValueError(
            "p1, p2, t1 and t2 must all be (batch, dim) with one shape, got "
            f"{tuple(p1.shape)}, {tuple(p2.shape)}, "
            f"{tuple(t1.shape)} and {tuple(t2.shape)}"
        )
    t1, t2 = t1.detach(), t2.detach()
    return (
        2
        - F.cosine_similarity(p1, t2).mean()
        - F.cosine_similarity(p2, t1).mean()
    )


def byol_loss_fn(
    augment: SimCLRAugment,
) -> Callable[[BYOL, tuple], torch.Tensor]:
    """The ``loss_fn(byol, batch)`` of BYOL for :func:`sslbook.train.fit`.

    It first moves the target towards the online network (so the target
    follows the weights that the previous optimiser step produced; at the
    first step the two are equal), then embeds two views of ``batch[0]``:
    both through the online network in one forward pass, both through the
    target without gradient.
    """

    def loss_fn(byol: BYOL, batch: tuple) -> torch.Tensor:
        x = batch[0]
        byol.momentum_update()
        views = two_views(augment, x)
        p1, p2 = byol(views).chunk(2)
        t1, t2 = byol.target(views).chunk(2)
        return byol_loss(p1, p2, t1, t2)

    return loss_fn
