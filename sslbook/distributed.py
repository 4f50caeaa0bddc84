"""Several processes, one contrastive loss: PyTorch's distributed engine, and a check of its gradients.

Data-parallel training runs one process per GPU (or per CPU group), each on a
slice of the batch, and :class:`torch.nn.parallel.DistributedDataParallel`
averages their gradients. For most losses that equals one process on the whole
batch. For NT-Xent it does not, unless the embeddings are gathered: otherwise
each process scores its anchors against its own slice only. And the gather must
carry gradients back, summed over the processes, because an embedding that
process 0 computed is a negative for process 1's anchors too. A gather without
that backward (``torch.distributed.all_gather`` has none) silently drops those
terms: the bug reported in 2024 in Lightly's gather (lightly-ai/lightly issue 1528).

- :func:`all_gather_with_gradient` is that gather.
- :func:`init_from_env` starts the process group that ``torchrun`` describes
  in its environment variables (``gloo`` on CPU, ``nccl`` on GPU).
- :func:`compare_gather_gradients` runs the check on the CPU: it starts
  ``world_size`` processes, trains one step of a small model with
  DistributedDataParallel and ``nt_xent_loss(..., gather_distributed=True)``,
  and compares the loss and every gradient with one process that sees the
  concatenated batch; and the same with a gather whose backward does not sum.

Example
-------
>>> from sslbook.distributed import compare_gather_gradients
>>> check = compare_gather_gradients(world_size=2)  # doctest: +SKIP
>>> check.gathered_max_abs_diff < 1e-5 < check.no_sum_max_abs_diff  # doctest: +SKIP
True
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.distributed as dist
from torch import nn

from sslbook.losses import _gathered_nt_xent, nt_xent_loss


@dataclass(frozen=True)
class ProcessInfo:
    """Where this process stands: ``world_size`` processes, this one is ``rank``.

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
    """The number of processes ``torchrun`` started (``WORLD_SIZE``), 1 without it."""
    value = os.environ.get("WORLD_SIZE", "1")
    try:
        world = int(value)
    except ValueError:
        raise ValueError(f"WORLD_SIZE must be a positive integer, got {value!r}") from None
    if world < 1:
        raise ValueError(f"WORLD_SIZE must be a positive integer, got {value!r}")
    return world


def init_from_env(use_cuda: bool) -> ProcessInfo:
    """Start the default process group from ``torchrun``'s environment, if it set one.

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
    rank, local_rank = int(os.environ["RANK"]), int(os.environ.get("LOCAL_RANK", "0"))
    if use_cuda:
        torch.cuda.set_device(local_rank)
        device = torch.device("cuda", local_rank)
    else:
        device = torch.device("cpu")
    if not dist.is_initialized():
        dist.init_process_group(backend="nccl" if use_cuda else "gloo")
    return ProcessInfo(world, rank, local_rank, device)


class _AllGatherWithGradient(torch.autograd.Function):
    @staticmethod
    def forward(ctx, tensor: torch.Tensor) -> torch.Tensor:
        parts = [torch.empty_like(tensor) for _ in range(dist.get_world_size())]
        dist.all_gather(parts, tensor.contiguous())
        return torch.cat(parts)

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> torch.Tensor:
        grad = grad.contiguous()
        dist.all_reduce(grad)  # every rank's loss used every gathered row: sum their gradients
        return grad.chunk(dist.get_world_size())[dist.get_rank()]


def all_gather_with_gradient(tensor: torch.Tensor) -> torch.Tensor:
    """Every process's ``tensor``, concatenated along dim 0 in rank order, with gradients.

    The backward pass sums, over the processes, the gradient that each one's
    loss sends to each gathered row, and hands every process the rows it
    contributed. All processes must pass tensors of the same shape.

    PyTorch's own ``torch.distributed.nn.functional.all_gather`` does this but
    is deprecated in torch 2.14, and the replacements it names live in a
    private module whose names changed between releases; this is the same
    computation on the stable ``all_gather`` and ``all_reduce``, checked by
    :func:`compare_gather_gradients`.
    """
    return _AllGatherWithGradient.apply(tensor)


@dataclass(frozen=True)
class GatherCheck:
    """What :func:`compare_gather_gradients` measured.

    Attributes:
        world_size: the number of processes.
        single_loss: the loss of one process on the concatenated batch.
        gathered_loss: the loss averaged over the processes, with the gather.
        gathered_max_abs_diff: the largest difference between a parameter's
            gradient with the gather and with one process.
        no_sum_max_abs_diff: the same, for a gather whose backward pass
            returns each process only the gradient of its own loss.
        max_abs_grad: the largest gradient of the single process, for scale.
    """

    world_size: int
    single_loss: float
    gathered_loss: float
    gathered_max_abs_diff: float
    no_sum_max_abs_diff: float
    max_abs_grad: float


def _check_model(seed: int) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(12, 32), nn.ReLU(), nn.Linear(32, 8))


def _check_views(world_size: int, batch_per_process: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed + 1)
    x = torch.randn(world_size * batch_per_process, 12, generator=generator)
    return x + 0.1 * torch.randn(x.shape, generator=generator), x + 0.1 * torch.randn(x.shape, generator=generator)


def _gather_without_sum(t: torch.Tensor) -> torch.Tensor:
    """Every rank's ``t``, with gradient only into this rank's own copy (the bug)."""
    parts = [torch.empty_like(t) for _ in range(dist.get_world_size())]
    dist.all_gather(parts, t.detach().contiguous())
    parts[dist.get_rank()] = t
    return torch.cat(parts)


def _gradients(model: nn.Module) -> dict[str, torch.Tensor]:
    return {name: p.grad.detach().clone() for name, p in model.named_parameters()}


def _check_worker(rank: int, world_size: int, batch_per_process: int, seed: int, folder: str) -> None:
    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"file://{folder}/store", rank=rank, world_size=world_size)
    try:
        v1, v2 = (v.chunk(world_size)[rank] for v in _check_views(world_size, batch_per_process, seed))
        result = {}
        for name, gather in (("gathered", None), ("no_sum", _gather_without_sum)):
            model = nn.parallel.DistributedDataParallel(_check_model(seed))
            z1, z2 = model(torch.cat([v1, v2])).chunk(2)
            if gather is None:
                loss = nt_xent_loss(z1, z2, 0.5, gather_distributed=True)
            else:
                loss = _gathered_nt_xent(z1, z2, 0.5, world_size, rank, gather=gather)
            loss.backward()  # DistributedDataParallel averages the gradients over the processes
            mean_loss = loss.detach().clone()
            dist.all_reduce(mean_loss)
            result[name] = {"loss": mean_loss / world_size, "grads": _gradients(model.module)}
        if rank == 0:
            torch.save(result, Path(folder) / "result.pt")
    finally:
        dist.destroy_process_group()


def compare_gather_gradients(world_size: int = 2, batch_per_process: int = 8, seed: int = 0) -> GatherCheck:
    """Check the gathered NT-Xent against one process that sees the whole batch.

    Starts ``world_size`` CPU processes (``gloo``), each with its slice of the
    same two views of ``world_size × batch_per_process`` random examples, and
    one training step of a small MLP under DistributedDataParallel. Compares
    the loss and every parameter's gradient with those of one process on the
    concatenated batch (plain :func:`~sslbook.losses.nt_xent_loss`): once with
    ``gather_distributed=True``, and once with a gather whose backward pass
    does not sum the gradients over the processes.

    Raises:
        ValueError: if ``world_size`` < 2 or ``batch_per_process`` < 2.
    """
    if world_size < 2:
        raise ValueError(f"world_size must be at least 2 to compare with one process, got {world_size}")
    if batch_per_process < 2:
        raise ValueError(f"batch_per_process must be at least 2, got {batch_per_process}")
    import torch.multiprocessing as mp

    with tempfile.TemporaryDirectory() as folder:
        mp.spawn(_check_worker, args=(world_size, batch_per_process, seed, folder), nprocs=world_size, join=True)
        result = torch.load(Path(folder) / "result.pt", weights_only=True)

    model = _check_model(seed)
    v1, v2 = _check_views(world_size, batch_per_process, seed)
    z1, z2 = model(torch.cat([v1, v2])).chunk(2)
    single_loss = nt_xent_loss(z1, z2, 0.5)
    single_loss.backward()
    single_loss = single_loss.detach()
    reference = _gradients(model)

    def max_diff(grads: dict[str, torch.Tensor]) -> float:
        return max(float((grads[name] - g).abs().max()) for name, g in reference.items())

    return GatherCheck(
        world_size=world_size,
        single_loss=float(single_loss),
        gathered_loss=float(result["gathered"]["loss"]),
        gathered_max_abs_diff=max_diff(result["gathered"]["grads"]),
        no_sum_max_abs_diff=max_diff(result["no_sum"]["grads"]),
        max_abs_grad=max(float(g.abs().max()) for g in reference.values()),
    )
