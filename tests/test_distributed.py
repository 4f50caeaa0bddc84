"""Several processes: the gathered NT-Xent against one process, the gather's
edge cases, main_process_first.

Each multi-process test starts ``gloo`` processes on the CPU with
``torch.multiprocessing.spawn``; their worker functions live at the top of this
module so that the spawned processes can import them. The workers write what
they saw to files in a temporary folder, which the test then reads.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from torch import nn

from sslbook.distributed import (
    ProcessInfo,
    all_gather_with_gradient,
    init_from_env,
    main_process_first,
    world_size_from_env,
)
from sslbook.losses import nt_xent_loss, nt_xent_loss_gathered

WORLD = 2
BATCH = 8


def start(worker, folder: Path, *args) -> None:
    """Run ``worker(rank, folder, *args)`` in WORLD gloo processes and wait for
    them.
    """
    mp.spawn(
        _bootstrap, args=(worker, str(folder), args), nprocs=WORLD, join=True
    )


def _bootstrap(rank: int, worker, folder: str, args: tuple) -> None:
    torch.set_num_threads(1)
    dist.init_process_group(
        "gloo",
        init_method=f"file://{folder}/store",
        rank=rank,
        world_size=WORLD,
    )
    try:
        worker(rank, Path(folder), *args)
    finally:
        dist.destroy_process_group()


# --- the gathered loss and its gradients -------------------------------------


def small_model(seed: int) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(12, 32), nn.ReLU(), nn.Linear(32, 8))


def views(seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed + 1)
    x = torch.randn(WORLD * BATCH, 12, generator=generator)
    return x + 0.1 * torch.randn(
        x.shape, generator=generator
    ), x + 0.1 * torch.randn(x.shape, generator=generator)


def gather_without_sum(t: torch.Tensor) -> torch.Tensor:
    """Every rank's ``t``, with gradient only into this rank's own copy:
    Lightly's bug.
    """
    parts = [torch.empty_like(t) for _ in range(dist.get_world_size())]
    dist.all_gather(parts, t.detach().contiguous())
    parts[dist.get_rank()] = t
    return torch.cat(parts)


def gradient_worker(rank: int, folder: Path, seed: int) -> None:
    v1, v2 = (v.chunk(WORLD)[rank] for v in views(seed))
    result = {}
    for name, gather in (("gathered", None), ("no_sum", gather_without_sum)):
        model = nn.parallel.DistributedDataParallel(small_model(seed))
        z1, z2 = model(torch.cat([v1, v2])).chunk(2)
        if gather is None:
            loss = nt_xent_loss(z1, z2, 0.5, gather_distributed=True)
        else:
            loss = nt_xent_loss_gathered(
                z1, z2, 0.5, world=WORLD, rank=rank, gather=gather
            )
        # DistributedDataParallel averages the gradients over the processes
        loss.backward()
        mean_loss = loss.detach().clone()
        dist.all_reduce(mean_loss)
        result[name] = {
            "loss": mean_loss / WORLD,
            "grads": {
                n: p.grad.clone() for n, p in model.module.named_parameters()
            },
        }
    if rank == 0:
        torch.save(result, folder / "result.pt")


@pytest.fixture(scope="module")
def two_process_step(tmp_path_factory):
    folder = tmp_path_factory.mktemp("gather")
    start(gradient_worker, folder, 0)
    result = torch.load(folder / "result.pt", weights_only=True)
    model = small_model(0)
    v1, v2 = views(0)
    z1, z2 = model(torch.cat([v1, v2])).chunk(2)
    single = nt_xent_loss(z1, z2, 0.5)
    single.backward()
    reference = {n: p.grad.clone() for n, p in model.named_parameters()}
    return result, float(single.detach()), reference


def max_diff(grads: dict, reference: dict) -> float:
    return max(
        float((grads[name] - g).abs().max()) for name, g in reference.items()
    )


@pytest.mark.slow  # make unit skips it; make test runs it
def test_gathered_nt_xent_equals_one_process_on_the_concatenated_batch(
    two_process_step,
):
    """Two gloo processes under DistributedDataParallel against one process:
    loss and every gradient.
    """
    result, single_loss, reference = two_process_step
    assert float(result["gathered"]["loss"]) == pytest.approx(
        single_loss, abs=1e-5
    )
    assert max_diff(result["gathered"]["grads"], reference) < 1e-5


@pytest.mark.slow  # make unit skips it; make test runs it
def test_the_comparison_catches_a_gather_without_the_summed_backward(
    two_process_step,
):
    result, single_loss, reference = two_process_step
    largest = max(float(g.abs().max()) for g in reference.values())
    assert float(result["no_sum"]["loss"]) == pytest.approx(
        single_loss, abs=1e-5
    )  # the loss cannot tell
    assert max_diff(result["no_sum"]["grads"], reference) > 0.05 * largest


def test_one_process_simulation_matches_the_full_batch():
    """Chapter 5's single-process simulation: summed per-rank losses equal the
    full-batch loss, gradients too.
    """
    torch.manual_seed(0)
    z1, z2 = (
        torch.randn(2 * 4, 6, requires_grad=True),
        torch.randn(2 * 4, 6, requires_grad=True),
    )
    full = nt_xent_loss(z1, z2, 0.5)
    (full_g1, full_g2) = torch.autograd.grad(full, (z1, z2))
    parts1, parts2 = z1.chunk(2), z2.chunk(2)
    losses = []
    for rank in range(2):

        def gather(
            t, rank=rank
        ):  # every rank's rows, live: gradients flow to all of them
            return torch.cat(parts1 if t is parts1[rank] else parts2)

        losses.append(
            nt_xent_loss_gathered(
                parts1[rank],
                parts2[rank],
                0.5,
                world=2,
                rank=rank,
                gather=gather,
            )
        )
    mean = sum(losses) / 2
    g1, g2 = torch.autograd.grad(mean, (z1, z2))
    assert float(mean.detach()) == pytest.approx(
        float(full.detach()), abs=1e-6
    )
    assert torch.allclose(g1, full_g1, atol=1e-6) and torch.allclose(
        g2, full_g2, atol=1e-6
    )


# --- the gather: the incoming gradient, unequal shapes -----------------------


def backward_worker(rank: int, folder: Path) -> None:
    x = torch.full((2, 3), float(rank + 1), requires_grad=True)
    gathered = all_gather_with_gradient(x)
    incoming = torch.arange(12.0).view(4, 3) * (rank + 1)
    kept = incoming.clone()
    (grad,) = torch.autograd.grad(gathered, x, grad_outputs=incoming)
    (folder / f"rank{rank}.json").write_text(json.dumps({
        "gathered": gathered.tolist(),
        "grad": grad.tolist(),
        "incoming_unchanged": bool(torch.equal(incoming, kept)),
    }))  # fmt: skip


@pytest.mark.slow  # make unit skips it; make test runs it
def test_gather_backward_sums_over_ranks_and_leaves_the_incoming_gradient_alone(  # noqa: E501
    tmp_path,
):
    start(backward_worker, tmp_path)
    seen = [
        json.loads((tmp_path / f"rank{r}.json").read_text())
        for r in range(WORLD)
    ]
    incoming_sum = torch.arange(12.0).view(4, 3) * (
        1 + 2
    )  # the two ranks' incoming gradients, summed
    for rank, s in enumerate(seen):
        assert s["gathered"] == [[1.0] * 3] * 2 + [[2.0] * 3] * 2
        assert s["incoming_unchanged"], (
            "the backward pass all-reduced autograd's own gradient in place"
        )
        assert torch.equal(
            torch.tensor(s["grad"]), incoming_sum[2 * rank : 2 * rank + 2]
        )


def unequal_worker(rank: int, folder: Path) -> None:
    try:
        all_gather_with_gradient(torch.zeros(2 + rank, 3))
        outcome = "no error"
    except ValueError as error:
        outcome = str(error)
    (folder / f"rank{rank}.txt").write_text(outcome)


@pytest.mark.slow  # make unit skips it; make test runs it
def test_unequal_shapes_raise_on_every_rank_instead_of_hanging(tmp_path):
    start(unequal_worker, tmp_path)
    for rank in range(WORLD):
        message = (tmp_path / f"rank{rank}.txt").read_text()
        assert (
            "one shape on every process, got rank 0: (2, 3), rank 1: (3, 3)"
            in message
        )


# --- rank 0 first ------------------------------------------------------------


def first_worker(rank: int, folder: Path, fail: bool) -> None:
    proc = ProcessInfo(WORLD, rank, rank, torch.device("cpu"))

    def load(download: bool) -> str:
        if rank == 0:
            time.sleep(0.5)  # a slow download: rank 1 must wait for it
            if fail:
                raise OSError("no network")
        (folder / f"call{rank}.json").write_text(
            json.dumps({"download": download, "time": time.time()})
        )
        return f"data of rank {rank}"

    try:
        outcome = main_process_first(load, proc)
    except (OSError, RuntimeError) as error:
        outcome = f"{type(error).__name__}: {error}"
    (folder / f"outcome{rank}.txt").write_text(outcome)


@pytest.mark.slow  # make unit skips it; make test runs it
def test_rank_zero_loads_first_and_the_others_do_not_download(tmp_path):
    start(first_worker, tmp_path, False)
    calls = [
        json.loads((tmp_path / f"call{r}.json").read_text())
        for r in range(WORLD)
    ]
    assert [c["download"] for c in calls] == [True, False]
    assert calls[1]["time"] >= calls[0]["time"]
    assert (tmp_path / "outcome1.txt").read_text() == "data of rank 1"


@pytest.mark.slow  # make unit skips it; make test runs it
def test_when_rank_zero_fails_every_rank_stops(tmp_path):
    start(first_worker, tmp_path, True)
    assert (tmp_path / "outcome0.txt").read_text() == "OSError: no network"
    assert (
        "rank 0 could not load the data, so rank 1 stops too: "
        "OSError: no network"
    ) in (tmp_path / "outcome1.txt").read_text()
    assert not (tmp_path / "call1.json").exists()


def test_a_single_process_loads_with_download():
    assert (
        main_process_first(
            lambda download: download,
            ProcessInfo(1, 0, 0, torch.device("cpu")),
        )
        is True
    )


# --- torchrun's environment --------------------------------------------------


def test_without_torchrun_there_is_one_process_and_no_process_group(
    monkeypatch,
):
    for name in ("WORLD_SIZE", "RANK", "LOCAL_RANK"):
        monkeypatch.delenv(name, raising=False)
    proc = init_from_env(use_cuda=False)
    assert (proc.world_size, proc.rank, proc.is_main, proc.device.type) == (
        1,
        0,
        True,
        "cpu",
    )
    assert not dist.is_initialized()


@pytest.mark.parametrize("value", ["0", "-2", "two"])
def test_world_size_must_be_a_positive_integer(monkeypatch, value):
    monkeypatch.setenv("WORLD_SIZE", value)
    with pytest.raises(
        ValueError, match="WORLD_SIZE must be a positive integer"
    ):
        world_size_from_env()


def test_the_distributed_module_imports_nothing_from_sslbook():
    import ast

    source = (
        Path(__file__).resolve().parents[1] / "sslbook" / "distributed.py"
    ).read_text(encoding="utf-8")
    imported = [
        node.module or ""
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.ImportFrom)
    ]
    imported += [
        alias.name
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Import)
        for alias in node.names
    ]
    assert not [name for name in imported if name.split(".")[0] == "sslbook"]


# --- added by mutation testing (no process group needed) ---------------------


def test_the_gather_refuses_more_dimensions_than_it_can_compare():
    with pytest.raises(ValueError, match="at most 8 dimensions, got 9"):
        all_gather_with_gradient(torch.zeros([1] * 9))
