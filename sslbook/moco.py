"""MoCo (He et al. 2020): negatives from a queue, keys from a momentum encoder.

NT-Xent (:mod:`sslbook.losses`) takes its negatives from the batch, so more
negatives cost a larger batch and a (2N × 2N) similarity matrix. MoCo keeps a
FIFO queue of the embeddings of past batches as negatives instead: the number
of negatives K is decoupled from the batch size, and the cost per step grows
with N·K, not N². The embeddings in the queue must stay comparable although the
encoder changes, so they come from a *key encoder* that is a slowly moving
average of the trained *query encoder*:

    θ_k ← m θ_k + (1 − m) θ_q,   m close to 1 (0.99 here, 0.999 in the paper).

Example
-------
>>> import torch
>>> from sslbook.models import ConvEncoder
>>> from sslbook.moco import MoCo
>>> from sslbook.simclr import SimCLRModel
>>> moco = MoCo(SimCLRModel(ConvEncoder(1, 8, 16), projection_dim=8), queue_size=32)
>>> moco.queue.shape
torch.Size([32, 8])
"""

from __future__ import annotations

import copy
from typing import Callable

import torch
from torch import nn
from torch.nn import functional as F

from sslbook.augment import SimCLRAugment
from sslbook.losses import info_nce_loss


class MoCo(nn.Module):
    """A query encoder, its momentum copy and a queue of negative keys.

    Args:
        model: the query network, e.g. a :class:`sslbook.simclr.SimCLRModel`;
            it must map images to ``(batch, dim)`` and have an ``encoder``.
        queue_size: K, the number of negatives kept.
        momentum: m of the key encoder's moving average, in [0, 1).
        seed: seeds the queue's random initial content.
    """

    def __init__(self, model: nn.Module, queue_size: int = 1024, momentum: float = 0.99, seed: int = 0):
        super().__init__()
        if queue_size < 1:
            raise ValueError(f"queue_size must be >= 1, got {queue_size}")
        if not 0 <= momentum < 1:
            raise ValueError(f"momentum must be in [0, 1), got {momentum}")
        self.query = model
        self.key = copy.deepcopy(model).requires_grad_(False)
        self.momentum = momentum
        if not hasattr(model.encoder, "input_shape"):
            raise TypeError("model.encoder must have an input_shape attribute, as sslbook.models.ConvEncoder does")
        was_training = model.training
        model.eval()  # so that this probe forward leaves BatchNorm statistics untouched
        with torch.no_grad():
            dim = model(torch.zeros(1, *model.encoder.input_shape)).shape[1]
        model.train(was_training)
        generator = torch.Generator().manual_seed(seed)
        self.register_buffer("queue", F.normalize(torch.randn(queue_size, dim, generator=generator), dim=1))
        self.pointer = 0

    @property
    def encoder(self) -> nn.Module:
        """The query network's encoder: the representation used downstream."""
        return self.query.encoder

    @torch.no_grad()
    def momentum_update(self) -> None:
        """θ_k ← m θ_k + (1 − m) θ_q for every parameter; buffers (BatchNorm statistics) are copied."""
        for k, q in zip(self.key.parameters(), self.query.parameters()):
            k.mul_(self.momentum).add_(q.detach(), alpha=1 - self.momentum)
        for k, q in zip(self.key.buffers(), self.query.buffers()):
            k.copy_(q)

    @torch.no_grad()
    def enqueue(self, keys: torch.Tensor) -> None:
        """Replace the oldest ``len(keys)`` entries of the queue by ``keys`` (normalised), in FIFO order."""
        keys = F.normalize(keys, dim=1)
        size = len(self.queue)
        index = (self.pointer + torch.arange(len(keys))) % size
        self.queue[index] = keys[-size:] if len(keys) > size else keys
        self.pointer = int((self.pointer + len(keys)) % size)


def moco_loss_fn(augment: SimCLRAugment, temperature: float = 0.2) -> Callable[[MoCo, tuple], torch.Tensor]:
    """The ``loss_fn(moco, batch)`` of MoCo for :func:`sslbook.train.fit`.

    Queries come from one view through the query network, keys from the other
    view through the key network (no gradient); the loss is InfoNCE with the
    queue as shared negatives. After computing the loss it updates the key
    encoder and pushes the keys into the queue, as MoCo does every step.
    """

    def loss_fn(moco: MoCo, batch: tuple) -> torch.Tensor:
        x = batch[0]
        query = moco.query(augment(x))
        moco.momentum_update()
        with torch.no_grad():
            key = moco.key(augment(x))
        loss = info_nce_loss(query, key, moco.queue.clone(), temperature)
        moco.enqueue(key)
        return loss

    return loss_fn
