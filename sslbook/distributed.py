"""Several processes, one contrastive loss: PyTorch's distributed engine and a
gather with gradients.

Data-parallel training runs one process per GPU (or per CPU group), each on a
slice of the batch, and :class:`torch.nn.parallel.DistributedDataParallel`
averages their gradients. For most losses that equals one process on the whole
batch. For NT-Xent it does not, unless the embeddings are gathered: otherwise
each process scores its anchors against its own slice only. And the gather must
carry gradients back, summed over the processes, because an embedding that
process 0 computed is a negative for process 1's anchors too. A gather without
that backward (``torch.distributed.all_gather`` has none) silently drops those
terms: the bug reported in 2024 in Lightly's gather (lightly-ai/lightly issue
1528).

- :func:`all_gather_with_gradient` is that gather.
- :func:`init_from_env` starts the process group that ``torchrun`` describes
  in its environment variables (``gloo`` on CPU, ``nccl`` on GPU).

The test suite (``tests/test_distributed.py``) starts two CPU processes,
trains one step of a small model with DistributedDataParallel and
``nt_xent_loss(..., gather_distributed=True)``, and compares the loss and
every gradient with one process that sees the concatenated batch.

This module imports nothing from the rest of :mod:`sslbook`.

Example
-------
>>> from sslbook.distributed import init_from_env
>>> init_from_env(use_cuda=False).world_size  # started without torchrun
1
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Callable, TypeVar

import torch
import torch.distributed as dist

__all__ = [
    "ProcessInfo",
    "world_size_from_env",
    "init_from_env",
    "main_process_first",
    "all_gather_with_gradient",
]

T = TypeVar("T")

#: Dimensions of a shape that :func:`all_gather_with_gradient` compares across
#: processes.
_MAX_DIMS = 8


@dataclass(frozen=True)
class ProcessInfo:
    """Where this process stands: ``world_size`` processes, this one is
    ``rank``.

    Attributes:
        world_size: the number of processes (1 without ``torchrun``).
        rank: this process's index, 0 to world_size − 1.
        local_rank: its index on this machine (picks the GPU).
        device: ``cuda:<local_rank>`` when CUDA is used, else ``cpu``.
    """

    world_size: int
    rank: int
    local_rank: int
    device: torch.device

    @property
    def is_main(self) -> bool:
        """True for rank 0, which writes files and draws the progress bar."""
        return self.rank == 0


def world_size_from_env() -> int:
    """The number of processes ``torchrun`` started (``WORLD_SIZE``), 1
    without it.
    """
    value = os.environ.get("WORLD_SIZE", "1")
    try:
        world = int(value)
    except ValueError:
        raise ValueError(
            f"WORLD_SIZE must be a positive integer, got {value!r}"
        ) from None
    if world < 1:
        raise ValueError(
            f"WORLD_SIZE must be a positive integer, got {value!r}"
        )
    return world


def init_from_env(use_cuda: bool) -> ProcessInfo:
    """Start the default process group from ``torchrun``'s environment, if it
    set one.

    Under ``torchrun`` (``WORLD_SIZE``, ``RANK``, ``LOCAL_RANK``,
    ``MASTER_ADDR`` and ``MASTER_PORT`` set) this initialises
    ``torch.distributed`` with ``nccl`` when ``use_cuda`` and ``gloo``
    otherwise. Started any other way it initialises nothing and returns a
    single process.
    """
    world = world_size_from_env()
    if "RANK" not in os.environ:
        device = torch.device("cuda", 0) if use_cuda else torch.device("cpu")
        return ProcessInfo(1, 0, 0, device)
    rank, local_rank = (
        int(os.environ["RANK"]),
        int(os.environ.get("LOCAL_RANK", "0")),
    )
    if use_cuda:
        torch.cuda.set_device(local_rank)
        device = torch.device("cuda", local_rank)
    else:
        device = torch.device("cpu")
    if not dist.is_initialized():
        dist.init_process_group(backend="nccl" if use_cuda else "gloo")
    return ProcessInfo(world, rank, local_rank, device)


def main_process_first(load: Callable[[bool], T], proc: ProcessInfo) -> T:
    """``load(download)`` on every process, rank 0 first, so that only rank 0
    downloads.

    Rank 0 calls ``load(True)``; once it has finished, the other processes
    call ``load(False)`` and read what it wrote. If rank 0 fails, every
    process raises (a ``RuntimeError`` naming rank 0's error) instead of
    waiting for it. Without a process group it is just ``load(True)``.

    Args:
        load: loads the data; its argument says whether it may download.
        proc: this process, from :func:`init_from_env`.
    """
    if proc.world_size == 1 or not dist.is_initialized():
        return load(True)
    outcome: list[object] = [None]
    result = None
    if proc.is_main:
        try:
            result = load(True)
        except (
            Exception
        ) as error:  # told to the other ranks, then raised here too
            outcome[0] = f"{type(error).__name__}: {error}"
            dist.broadcast_object_list(outcome, src=0)
            raise
    dist.broadcast_object_list(
        outcome, src=0
    )  # the other ranks wait here for rank 0
    if proc.is_main:
        return result
    if outcome[0] is not None:
        raise RuntimeError(
            f"rank 0 could not load the data, so rank {proc.rank} stops too: "
            f"{outcome[0]}"
        )
    return load(False)


def _check_same_shape(tensor: torch.Tensor) -> None:
    """Raise on every process at once when the processes' tensors differ in
    shape.

    ``all_gather`` of unequal shapes can hang or fail with an opaque message;
    gathering the shapes first (a fixed-size tensor) lets every process see
    all of them and raise the same error.
    """
    if tensor.dim() > _MAX_DIMS:
        raise ValueError(
            "all_gather_with_gradient takes tensors "
            f"of at most {_MAX_DIMS} dimensions, got {tensor.dim()}"
        )
    mine = torch.full(
        (_MAX_DIMS + 1,), -1, dtype=torch.long, device=tensor.device
    )
    mine[0] = tensor.dim()
    mine[1 : tensor.dim() + 1] = torch.tensor(tensor.shape, dtype=torch.long)
    shapes = [torch.empty_like(mine) for _ in range(dist.get_world_size())]
    dist.all_gather(shapes, mine)
    described = [tuple(s[1 : int(s[0]) + 1].tolist()) for s in shapes]
    if len(set(described)) > 1:
        listed = ", ".join(
            f"rank {rank}: {shape}" for rank, shape in enumerate(described)
        )
        raise ValueError(
            "all_gather_with_gradient needs tensors of one shape "
            f"on every process, got {listed}"
        )


class _AllGatherWithGradient(torch.autograd.Function):
    @staticmethod
    def forward(ctx, tensor: torch.Tensor) -> torch.Tensor:
        _check_same_shape(tensor)
        parts = [
            torch.empty_like(tensor) for _ in range(dist.get_world_size())
        ]
        dist.all_gather(parts, tensor.contiguous())
        return torch.cat(parts)

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> torch.Tensor:
        # all_reduce works in place: reduce a copy, so that the gradient
        # autograd handed us (which it may share with other consumers) is left
        # as it was.
        summed = grad.contiguous().clone()
        dist.all_reduce(
            summed
        )  # every rank's loss used every gathered row: sum their gradients
        return summed.chunk(dist.get_world_size())[dist.get_rank()]


def all_gather_with_gradient(tensor: torch.Tensor) -> torch.Tensor:
    """Every process's ``tensor``, concatenated along dim 0 in rank order, with
    gradients.

    The backward pass sums, over the processes, the gradient that each one's
    loss sends to each gathered row, and hands every process the rows it
    contributed. All processes must pass tensors of the same shape; the
    shapes are compared first (one small extra collective), so that unequal
    shapes raise a ``ValueError`` on every process instead of hanging.

    PyTorch's own ``torch.distributed.nn.functional.all_gather`` does this but
    is deprecated in torch 2.14, and the replacements it names live in a
    private module whose names changed between releases; this is the same
    computation on the stable ``all_gather`` and ``all_reduce``, checked by
    the test suite against one process on the concatenated batch.

    Raises:
        ValueError: when the processes pass tensors of different shapes.
    """
    return _AllGatherWithGradient.apply(tensor)
