"""SimCLR (Chen et al. 2020): the model and its training step.

A SimCLR model is an encoder ``f`` followed by a small projection head ``g``.
Training takes a batch of images, makes two random views of each with
:class:`sslbook.augment.SimCLRAugment`, embeds both with ``g(f(·))`` and
minimises :func:`sslbook.losses.nt_xent_loss`. After training the head is
thrown away: the representation used downstream is ``f``'s output (Chen et al.
2020, §4.2 found it better than the head's).

Example
-------
>>> import torch
>>> from sslbook.augment import SimCLRAugment, augment_config
>>> from sslbook.models import ConvEncoder
>>> from sslbook.simclr import SimCLRModel, simclr_loss_fn
>>> model = SimCLRModel(
...     ConvEncoder(1, 28, 32, batchnorm=True), projection_dim=16
... )
>>> loss_fn = simclr_loss_fn(
...     SimCLRAugment(augment_config("mnist5k"), seed=0), temperature=0.5
... )
>>> loss_fn(model, (torch.rand(8, 1, 28, 28),)).shape
torch.Size([])
"""

from __future__ import annotations

from typing import Callable

import torch
from torch import nn

from sslbook.augment import SimCLRAugment, two_views
from sslbook.blocks import mlp_head
from sslbook.checks import check_int
from sslbook.losses import nt_xent_loss

__all__ = ["SimCLRModel", "simclr_loss_fn"]


class SimCLRModel(nn.Module):
    """An encoder and a projection head: ``x`` → ``h = encoder(x)`` →
    ``z = head(h)``.

    Args:
        encoder: any module with an ``out_dim`` attribute, mapping
            ``(batch, ...)`` to ``(batch, out_dim)``, e.g.
            :class:`sslbook.models.ConvEncoder`.
        projection_dim: the size of ``z``, where the loss is computed.

    The head is SimCLR's: Linear, ReLU, Linear. ``forward`` returns ``z``.
    """

    def __init__(self, encoder: nn.Module, projection_dim: int = 64):
        super().__init__()
        if not hasattr(encoder, "out_dim"):
            raise TypeError(
                "encoder must have an out_dim attribute (its output size), "
                f"got {type(encoder).__name__}"
            )
        check_int("projection_dim", projection_dim)
        dim = encoder.out_dim
        self.encoder = encoder
        self.head = mlp_head(dim, dim, projection_dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.encoder(x))


def simclr_loss_fn(
    augment: SimCLRAugment, temperature: float = 0.5
) -> Callable[[nn.Module, tuple], torch.Tensor]:
    """The ``loss_fn(model, batch)`` of SimCLR for :func:`sslbook.train.fit`.

    ``batch`` is ``(x,)`` or ``(x, y)`` with ``x`` of shape
    ``(batch, C, H, W)``; labels are ignored. Two views of ``x`` are embedded
    in one forward pass (so BatchNorm sees both) and scored with NT-Xent.
    """

    def loss_fn(model: nn.Module, batch: tuple) -> torch.Tensor:
        x = batch[0]
        views = two_views(augment, x)  # (2N, C, H, W)
        z1, z2 = model(views).chunk(2)
        return nt_xent_loss(z1, z2, temperature)

    return loss_fn
