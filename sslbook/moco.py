"""MoCo (He et al. 2020): negatives from a queue, keys from a momentum encoder.

NT-Xent (:mod:`sslbook.losses`) takes its negatives from the batch, so more
negatives cost a larger batch and a (2N × 2N) similarity matrix. MoCo keeps a
FIFO queue of the embeddings of past batches as negatives instead: the number
of negatives K is decoupled from the batch size, and the cost per step grows
with N·K, not N². The embeddings in the queue must stay comparable although the
encoder changes, so they come from a *key encoder* that is a slowly moving
average of the trained *query encoder*:

    θ_k ← m θ_k + (1 − m) θ_q,   m close to 1 (0.99 here, 0.999 in the paper).

**Shuffle-BN.** With BatchNorm, the statistics of a batch are shared by its
examples, and a query and its positive key are computed from batches that
hold the same images: the network can lower the loss by recognising a
sub-batch through its statistics instead of learning good features (He et
al. 2020, §3.3). MoCo computes BatchNorm statistics on each GPU separately
and shuffles the keys across GPUs. On one device the same effect comes from
:class:`SplitBatchNorm`, which normalises ``splits`` groups of the batch
separately (as MoCo's own single-GPU CIFAR-10 demonstration does), and from
shuffling the key batch before the key encoder: the group a key is normalised
with then holds other images than its query's group. ``MoCo(...,
shuffle_bn_splits=s)`` turns both on.

Example
-------
>>> import torch
>>> from sslbook.models import ConvEncoder
>>> from sslbook.moco import MoCo
>>> from sslbook.simclr import SimCLRModel
>>> moco = MoCo(
...     SimCLRModel(ConvEncoder(1, 8, 16), projection_dim=8), queue_size=32
... )
>>> moco.queue.shape
torch.Size([32, 8])
"""

from __future__ import annotations

from typing import Callable

import torch
from torch import nn
from torch.nn import functional as F

from sslbook.augment import SimCLRAugment, two_views
from sslbook.checks import check_int, check_real
from sslbook.losses import info_nce_loss
from sslbook.models import eval_mode
from sslbook.momentum import momentum_target, momentum_update_

__all__ = [
    "SplitBatchNorm",
    "split_batchnorm",
    "MoCo",
    "moco_loss_fn",
]


class SplitBatchNorm(nn.Module):
    """BatchNorm whose training statistics come from ``splits`` groups of the
    batch separately.

    In training mode example ``i`` of a batch of ``N`` is normalised with the
    mean and variance of the examples ``j`` with ``j % splits == i % splits``
    (the ``N / splits`` examples of its group), as if each group were on its
    own GPU; the running statistics are updated with the mean over the groups.
    In eval mode it is the wrapped BatchNorm.

    Args:
        batchnorm: a ``BatchNorm1d`` or ``BatchNorm2d`` whose parameters and
            running statistics are kept and used.
        splits: the number of groups, ≥ 1; the batch size must be a multiple.

    Raises:
        ValueError: in ``forward``, for a batch that ``splits`` does not
            divide.
    """

    def __init__(
        self, batchnorm: nn.modules.batchnorm._BatchNorm, splits: int
    ):
        super().__init__()
        if not isinstance(batchnorm, nn.modules.batchnorm._BatchNorm):
            raise TypeError(
                "batchnorm must be a torch BatchNorm layer, "
                f"got {type(batchnorm).__name__}"
            )
        self.bn = batchnorm
        self.splits = check_int("splits", splits)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        bn, s = self.bn, self.splits
        if not bn.training or s == 1:
            return bn(x)
        n, c = x.shape[:2]
        if n % s:
            raise ValueError(
                f"SplitBatchNorm with {s} splits needs a batch "
                f"that is a multiple of {s}, got {n}"
            )
        # (N, C, ...) -> (N/s, s*C, ...): example a*s + b lands in channel
        # block b, so group b is {b, b+s, ...}
        grouped = x.reshape(n // s, s * c, *x.shape[2:])
        running_mean = (
            bn.running_mean.repeat(s) if bn.track_running_stats else None
        )
        running_var = (
            bn.running_var.repeat(s) if bn.track_running_stats else None
        )
        weight = bn.weight.repeat(s) if bn.affine else None
        bias = bn.bias.repeat(s) if bn.affine else None
        # momentum None means a cumulative average, as nn.BatchNorm does it
        momentum = (
            1.0 / (int(bn.num_batches_tracked) + 1)
            if bn.momentum is None
            else bn.momentum
        )
        out = F.batch_norm(
            grouped,
            running_mean,
            running_var,
            weight,
            bias,
            True,
            momentum,
            bn.eps,
        )
        if bn.track_running_stats:
            with torch.no_grad():
                bn.running_mean.copy_(running_mean.view(s, c).mean(dim=0))
                bn.running_var.copy_(running_var.view(s, c).mean(dim=0))
                bn.num_batches_tracked.add_(1)
        return out.reshape(x.shape)


def split_batchnorm(module: nn.Module, splits: int) -> nn.Module:
    """Replace, in place, every BatchNorm layer of ``module`` by a
    :class:`SplitBatchNorm`; return ``module``.
    """
    check_int("splits", splits)
    for name, child in module.named_children():
        if isinstance(child, nn.modules.batchnorm._BatchNorm):
            setattr(module, name, SplitBatchNorm(child, splits))
        else:
            split_batchnorm(child, splits)
    return module


class MoCo(nn.Module):
    """A query encoder, its momentum copy and a queue of negative keys.

    Args:
        model: the query network, e.g. a :class:`sslbook.simclr.SimCLRModel`;
            it must map images to ``(batch, dim)`` and have an ``encoder``
            with an ``input_shape``.
        queue_size: K, the number of negatives kept. It should be well below
            the number of training images: a queue that holds a whole epoch
            holds each query's own image, from an earlier epoch, as a negative.
        momentum: m of the key encoder's moving average, in [0, 1).
        seed: seeds the queue's random initial content and the key shuffles.
        shuffle_bn_splits: if given, shuffle-BN with this many groups: every
            BatchNorm of both encoders becomes a :class:`SplitBatchNorm`, and
            :func:`moco_loss_fn` shuffles the key batch. ``None`` leaves the
            model as it is.

    Attributes:
        queue: ``(queue_size, dim)`` buffer of L2-normalised keys.
        pointer: a 0-d ``int64`` buffer, the queue row that the next key
            replaces; both are saved in the ``state_dict``.
    """

    def __init__(
        self,
        model: nn.Module,
        queue_size: int = 1024,
        momentum: float = 0.99,
        seed: int = 0,
        shuffle_bn_splits: int | None = None,
    ):
        super().__init__()
        check_int("queue_size", queue_size)
        check_real("momentum", momentum, "[0, 1)")
        if not hasattr(getattr(model, "encoder", None), "input_shape"):
            raise TypeError(
                "model.encoder must have an input_shape attribute, "
                "as sslbook.models.ConvEncoder does"
            )
        if shuffle_bn_splits is not None:
            split_batchnorm(model, shuffle_bn_splits)
        self.shuffle_bn_splits = shuffle_bn_splits
        self.query = model
        self.key = momentum_target(model)
        self.momentum = momentum
        # eval mode, so that this probe forward leaves BatchNorm statistics
        # untouched
        with eval_mode(model), torch.no_grad():
            dim = model(torch.zeros(1, *model.encoder.input_shape)).shape[1]
        self.generator = torch.Generator().manual_seed(seed)
        self.register_buffer(
            "queue",
            F.normalize(
                torch.randn(queue_size, dim, generator=self.generator), dim=1
            ),
        )
        self.register_buffer("pointer", torch.zeros((), dtype=torch.long))

    @property
    def encoder(self) -> nn.Module:
        """The query network's encoder: the representation used downstream."""
        return self.query.encoder

    def momentum_update(self) -> None:
        """θ_k ← m θ_k + (1 − m) θ_q for every parameter; buffers (BatchNorm
        statistics) are copied.
        """
        momentum_update_(self.key, self.query, self.momentum)

    @torch.no_grad()
    def encode_keys(self, x: torch.Tensor) -> torch.Tensor:
        """The key encoder's embeddings ``(batch, dim)`` of ``x``, row i for
        ``x[i]``.

        With shuffle-BN the batch is permuted before the key encoder and the
        result permuted back, so that its BatchNorm groups differ from the
        query encoder's.
        """
        if self.shuffle_bn_splits is None:
            return self.key(x)
        order = torch.randperm(len(x), generator=self.generator).to(x.device)
        keys = self.key(x[order])
        return keys[torch.argsort(order)]

    @torch.no_grad()
    def enqueue(self, keys: torch.Tensor) -> None:
        """Push ``keys`` ``(batch, dim)`` (normalised) into the queue, oldest
        out first.

        The result is what pushing the keys one at a time would give: with
        more keys than the queue holds, only the newest ``queue_size`` remain.
        """
        if keys.dim() != 2 or keys.shape[1] != self.queue.shape[1]:
            raise ValueError(
                f"keys must be (batch, {self.queue.shape[1]}), "
                f"got {tuple(keys.shape)}"
            )
        size, n = len(self.queue), len(keys)
        keys = F.normalize(keys, dim=1).to(self.queue.dtype)
        start = int(self.pointer)
        if (
            n > size
        ):  # the first n - size keys would be overwritten within this call
            start = (start + n - size) % size
            keys = keys[-size:]
        index = (
            start + torch.arange(len(keys), device=self.queue.device)
        ) % size
        self.queue[index] = keys
        self.pointer.fill_((int(self.pointer) + n) % size)


def moco_loss_fn(
    augment: SimCLRAugment, temperature: float = 0.2
) -> Callable[[MoCo, tuple], torch.Tensor]:
    """The ``loss_fn(moco, batch)`` of MoCo for :func:`sslbook.train.fit`.

    Queries come from one view through the query network, keys from the other
    view through the key network (no gradient; shuffled when the model uses
    shuffle-BN); the loss is InfoNCE with the queue as shared negatives. After
    computing the loss it updates the key encoder and pushes the keys into the
    queue, as MoCo does every step.
    """

    def loss_fn(moco: MoCo, batch: tuple) -> torch.Tensor:
        x_query, x_key = two_views(augment, batch[0]).chunk(2)
        query = moco.query(x_query)
        moco.momentum_update()
        key = moco.encode_keys(x_key)
        loss = info_nce_loss(query, key, moco.queue.clone(), temperature)
        moco.enqueue(key)
        return loss

    return loss_fn
