"""Contrastive losses: InfoNCE and SimCLR's NT-Xent.

Both score an *anchor* against one *positive* (another view of the same
example) and several *negatives* (views of other examples), with cosine
similarity divided by a temperature τ, and minimise the cross-entropy of
picking the positive:

    ℓ(a) = −log  exp(sim(a, p)/τ) / (exp(sim(a, p)/τ) + Σ_n exp(sim(a, n)/τ)).

- :func:`info_nce_loss` is the general form, with explicit negatives
  (van den Oord et al. 2018). With a single negative it is the source
  article's loss of section 3.3, with the sign it forgot.
- :func:`nt_xent_loss` is SimCLR's normalised temperature-scaled
  cross-entropy (Chen et al. 2020, eq. 1): for a batch of N examples seen
  twice, each of the 2N views is an anchor, its other view is the positive and
  the 2N − 2 views of the other examples are the negatives.
- :func:`cosine_logits` is the kernel of every in-batch form: the matrix of
  cosines divided by τ, over which NT-Xent here, CLIP's loss
  (:func:`sslbook.clip.clip_loss`) and SCARF's
  (:func:`sslbook.scarf.scarf_loss`) each take a cross-entropy.

Example
-------
>>> import torch
>>> from sslbook.losses import nt_xent_loss
>>> z1, z2 = torch.randn(8, 16), torch.randn(8, 16)
>>> loss = nt_xent_loss(z1, z2, temperature=0.5)
>>> loss.shape, bool(loss > 0)
(torch.Size([]), True)
"""

from __future__ import annotations

from typing import Callable

import torch
from torch.nn import functional as F

from sslbook.checks import check_real

__all__ = [
    "cosine_logits",
    "nt_xent_loss",
    "nt_xent_loss_gathered",
    "info_nce_loss",
]


def _check_temperature(temperature: float) -> None:
    check_real("temperature", temperature, "(0, inf)")


def nt_xent_loss(
    z1: torch.Tensor,
    z2: torch.Tensor,
    temperature: float = 0.5,
    *,
    gather_distributed: bool = False,
) -> torch.Tensor:
    """SimCLR's NT-Xent loss (Chen et al. 2020, eq. 1), averaged over the 2N
    anchors.

    Args:
        z1: ``(batch, dim)`` embeddings of the first view of each example.
        z2: ``(batch, dim)`` embeddings of the second view, row i matching
            row i of ``z1``.
        temperature: τ > 0; similarities are cosines divided by τ.
        gather_distributed: when ``torch.distributed`` is initialised with
            more than one process, score this process's anchors against the
            views of *every* process: the embeddings are gathered with
            :func:`sslbook.distributed.all_gather_with_gradient`, whose
            backward pass sums each view's gradient over the processes that
            used it as a negative. Each anchor then has 2·N·world_size − 2
            negatives, and the loss, averaged by DistributedDataParallel over
            the processes, and its gradients equal those of one process that
            sees the concatenated batch. Without an initialised process
            group, or with a single process, this is the plain loss.

    Returns:
        a scalar tensor: the mean over this process's 2N anchors of
        −log softmax(similarities)[positive], where each anchor is compared
        with its positive and all other views (itself excluded).

    Raises:
        ValueError: if ``z1`` and ``z2`` are not 2-D with equal shapes, the
            batch is smaller than 2 (no negatives), or τ is not a finite
            number > 0.
    """
    if z1.dim() != 2 or z1.shape != z2.shape:
        raise ValueError(
            "z1 and z2 must both be (batch, dim) with equal shapes, "
            f"got {tuple(z1.shape)} and {tuple(z2.shape)}"
        )
    n = z1.shape[0]
    if n < 2:
        raise ValueError(
            "the batch must hold at least 2 examples, so that each anchor "
            f"has negatives; got {n}"
        )
    _check_temperature(temperature)
    world, rank = _process_group() if gather_distributed else (1, 0)
    if world > 1:
        return nt_xent_loss_gathered(
            z1, z2, temperature, world=world, rank=rank
        )
    z = torch.cat([z1, z2])  # (2N, dim)
    logits = cosine_logits(z, z, temperature)  # (2N, 2N)
    # an anchor is not its own negative: exp(-inf) = 0
    logits.fill_diagonal_(float("-inf"))
    # the positive of row i is row i + N (and of row i + N, row i)
    targets = torch.cat([torch.arange(n, 2 * n), torch.arange(n)]).to(z.device)
    return F.cross_entropy(logits, targets)


def cosine_logits(
    anchors: torch.Tensor, candidates: torch.Tensor, temperature: float
) -> torch.Tensor:
    """``(len(anchors), len(candidates))``: every cosine similarity divided
    by τ, the logits of an in-batch InfoNCE.

    When ``candidates`` is ``anchors`` (NT-Xent scores every view against
    every view), the rows are scaled once. No argument check: the losses that
    call it check their inputs.

    >>> a = torch.tensor([[3.0, 0.0], [2.0, 2.0]])  # 45 degrees apart
    >>> cosine_logits(a, a, temperature=0.5)
    tensor([[2.0000, 1.4142],
            [1.4142, 2.0000]])
    """
    scaled = _scaled(anchors, temperature)
    if candidates is anchors:
        return scaled @ scaled.T
    return scaled @ _scaled(candidates, temperature).T


def _scaled(z: torch.Tensor, temperature: float) -> torch.Tensor:
    """Rows scaled to length 1/√τ, so that a product of two is cosine / τ.

    One pass over ``(rows, dim)`` instead of a division of the similarity
    matrix; the clamp guards an all-zero row, as ``F.normalize`` does.
    """
    return z * torch.rsqrt(
        (z * z).sum(dim=1, keepdim=True).clamp_min(1e-24) * temperature
    )


def _process_group() -> tuple[int, int]:
    """``(world_size, rank)`` of the default process group, ``(1, 0)`` without
    one.
    """
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        return dist.get_world_size(), dist.get_rank()
    return 1, 0


def nt_xent_loss_gathered(
    z1: torch.Tensor,
    z2: torch.Tensor,
    temperature: float,
    *,
    world: int,
    rank: int,
    gather: Callable[[torch.Tensor], torch.Tensor] | None = None,
) -> torch.Tensor:
    """NT-Xent of one process's 2N anchors against the 2·N·world views of all
    processes.

    :func:`nt_xent_loss` calls it with ``gather_distributed=True`` under
    ``torchrun``. It is public so that the gather can be swapped: chapter 5
    simulates several processes in one by passing a ``gather`` that
    concatenates per-process tensors, with or without their gradients.

    Args:
        z1, z2: ``(batch, dim)`` this process's two views.
        temperature: τ > 0.
        world: the number of processes, ≥ 1.
        rank: this process's index, in ``[0, world)``.
        gather: ``gather(t)`` returns every process's ``t`` concatenated
            along dim 0 in rank order, ``(world · batch, dim)``. The default,
            :func:`sslbook.distributed.all_gather_with_gradient`, sums each
            row's gradient over the processes in its backward pass.

    Returns:
        the mean over this process's 2N anchors, each scored against its
        positive and every other view of every process.
    """
    if gather is None:
        from sslbook.distributed import all_gather_with_gradient as gather
    if not 0 <= rank < world:
        raise ValueError(
            f"rank must be in [0, world), got rank={rank}, world={world}"
        )
    _check_temperature(temperature)
    n = z1.shape[0]
    # all views in a fixed order: every rank's first views, then every rank's
    # second views
    everyone = torch.cat([gather(z1), gather(z2)])  # (2·N·world, dim)
    if everyone.shape[0] != 2 * n * world:
        raise ValueError(
            f"gather returned {everyone.shape[0] // 2} rows per view, "
            f"expected world × batch = {world * n}"
        )
    anchors = torch.cat([z1, z2])  # (2N, dim): this rank's rows of everyone
    logits = cosine_logits(anchors, everyone, temperature)  # (2N, 2·N·world)
    first = torch.arange(
        rank * n, (rank + 1) * n, device=z1.device
    )  # this rank's first views
    second = first + world * n  # and their second views
    own = torch.cat([first, second])
    logits[torch.arange(2 * n, device=z1.device), own] = float(
        "-inf"
    )  # not its own negative
    return F.cross_entropy(logits, torch.cat([second, first]))


def info_nce_loss(
    anchor: torch.Tensor,
    positive: torch.Tensor,
    negatives: torch.Tensor,
    temperature: float = 0.5,
) -> torch.Tensor:
    """InfoNCE with explicit negatives, with cosine similarity, averaged over
    the anchors.

    Args:
        anchor: ``(batch, dim)``.
        positive: ``(batch, dim)``, one positive per anchor.
        negatives: ``(batch, k, dim)``, k negatives per anchor, or ``(k, dim)``
            shared by every anchor (e.g. a queue of past embeddings, as in
            MoCo).
        temperature: τ > 0.

    Returns:
        a scalar: mean over anchors of
        −log(e^{s⁺/τ} / (e^{s⁺/τ} + Σ_k e^{s_k/τ})).

    Raises:
        ValueError: for mismatched shapes, no negatives, or τ not a finite
            number > 0.
    """
    if anchor.dim() != 2 or anchor.shape != positive.shape:
        raise ValueError(
            "anchor and positive must both be (batch, dim) with equal shapes, "
            f"got {tuple(anchor.shape)} and {tuple(positive.shape)}"
        )
    dim = anchor.shape[1]
    if (
        negatives.dim() not in (2, 3)
        or negatives.shape[-1] != dim
        or (negatives.dim() == 3 and negatives.shape[0] != anchor.shape[0])
    ):
        raise ValueError(
            f"negatives must be (batch, k, {dim}) or (k, {dim}), "
            f"got {tuple(negatives.shape)}"
        )
    if negatives.shape[-2] < 1:
        raise ValueError("negatives must hold at least one negative")
    _check_temperature(temperature)
    a, p, neg = (
        F.normalize(anchor, dim=-1),
        F.normalize(positive, dim=-1),
        F.normalize(negatives, dim=-1),
    )
    positive_logit = (a * p).sum(-1, keepdim=True)  # (batch, 1)
    negative_logits = (
        a @ neg.T if neg.dim() == 2 else torch.einsum("bd,bkd->bk", a, neg)
    )  # (batch, k)
    logits = torch.cat([positive_logit, negative_logits], dim=1) / temperature
    return F.cross_entropy(
        logits, torch.zeros(len(a), dtype=torch.long, device=a.device)
    )
