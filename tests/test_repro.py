import random

import numpy as np
import pytest
import torch

from sslbook.repro import seed_everything


@pytest.fixture(autouse=True)
def restore_torch_state():
    threads, deterministic = (
        torch.get_num_threads(),
        torch.are_deterministic_algorithms_enabled(),
    )
    yield
    torch.set_num_threads(threads)
    torch.use_deterministic_algorithms(deterministic)


def draws():
    return (
        random.random(),
        np.random.rand(),
        torch.rand(3),
        torch.nn.Linear(4, 2).weight.detach().clone(),
    )


def test_same_seed_repeats_every_generator():
    seed_everything(123)
    first = draws()
    seed_everything(123)
    second = draws()
    assert first[0] == second[0]
    assert first[1] == second[1]
    assert torch.equal(first[2], second[2])
    assert torch.equal(
        first[3], second[3]
    )  # module initialisation uses torch's generator


def test_different_seeds_differ():
    seed_everything(1)
    first = draws()
    seed_everything(2)
    second = draws()
    assert first[0] != second[0] and first[1] != second[1]
    assert not torch.equal(first[2], second[2])


def test_sets_threads_and_deterministic_mode():
    torch.use_deterministic_algorithms(False)
    seed_everything(0, threads=1)
    assert torch.get_num_threads() == 1
    assert torch.are_deterministic_algorithms_enabled()
    seed_everything(0, threads=None, deterministic=False)
    assert torch.get_num_threads() == 1  # None leaves the thread count alone
    assert not torch.are_deterministic_algorithms_enabled()


@pytest.mark.parametrize("seed", [-1, 2**32])
def test_out_of_range_seed_is_rejected(seed):
    with pytest.raises(ValueError, match="seed must be in"):
        seed_everything(seed)


@pytest.mark.parametrize("seed", [1.5, "0", True, None])
def test_non_integer_seed_is_rejected(seed):
    with pytest.raises(TypeError, match="seed must be an int"):
        seed_everything(seed)


def test_bad_thread_count_is_rejected():
    with pytest.raises(ValueError, match="threads must be at least 1"):
        seed_everything(0, threads=0)
    with pytest.raises(TypeError, match="threads must be an int"):
        seed_everything(0, threads=2.0)


def test_experiment_seeds_start_at_the_offset(monkeypatch):
    from sslbook import repro

    assert repro.experiment_seeds(3) == tuple(
        repro.SEED_OFFSET + i for i in range(3)
    )
    monkeypatch.setattr(repro, "SEED_OFFSET", 1000)
    assert repro.experiment_seeds(2) == (1000, 1001)
    for bad in (0, -1, 2.0, True):
        with pytest.raises(ValueError, match="n must be an int >= 1"):
            repro.experiment_seeds(bad)


def test_the_seed_offset_is_read_from_the_environment_with_a_clear_error():
    from sslbook.repro import _seed_offset

    assert _seed_offset("0") == 0 and _seed_offset("1000") == 1000
    for bad in ("-1", "ten", "1.5", str(2**31)):
        with pytest.raises(ValueError, match="SSLBOOK_SEED_OFFSET"):
            _seed_offset(bad)


def test_the_offset_reaches_a_fresh_interpreter():
    import subprocess
    import sys

    code = (
        "from sslbook.repro import experiment_seeds; "
        "print(experiment_seeds(2))"
    )
    env = {**__import__("os").environ, "SSLBOOK_SEED_OFFSET": "1000"}
    out = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == "(1000, 1001)"


# torch's and NumPy's draws; nn.init's and the in-place ones end with "_"
_DRAWS = {
    "rand", "randn", "randint", "randperm", "multinomial", "bernoulli",
    "normal", "poisson", "rand_like", "randn_like", "randint_like",
    "normal_", "uniform_", "bernoulli_", "exponential_", "random_",
    "xavier_normal_", "xavier_uniform_", "kaiming_normal_",
    "kaiming_uniform_", "trunc_normal_", "orthogonal_",
}  # fmt: skip
# NumPy's functions that seed rather than draw
_NUMPY_SEEDING = {"default_rng", "seed", "SeedSequence"}
# where PyTorch's convention holds: initial weights from the global generator
_WEIGHT_INIT = {"__init__", "_initialise"}


def _unseeded_draws(source: str) -> list[tuple[int, str]]:
    """``(line, call)`` for every draw in ``source`` that names no generator,
    outside a model's weight initialisation; NumPy's global functions
    (``np.random.rand`` and the like) always count.
    """
    import ast

    found = []

    def visit(node: ast.AST, function: str) -> None:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            function = node.name
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            call = ast.unparse(node.func)
            owner = ast.unparse(node.func.value)
            numpy_global = owner in ("np.random", "numpy.random")
            if numpy_global and node.func.attr not in _NUMPY_SEEDING:
                found.append((node.lineno, call))
            elif (
                node.func.attr in _DRAWS
                and not numpy_global
                and not any(k.arg == "generator" for k in node.keywords)
                and owner != "rng"  # a NumPy Generator
                and "default_rng(" not in owner
                and function not in _WEIGHT_INIT
            ):
                found.append((node.lineno, call))
        for child in ast.iter_child_nodes(node):
            visit(child, function)

    visit(ast.parse(source), "")
    return found


def test_every_draw_of_the_package_names_its_generator():
    import pathlib

    import sslbook

    package = pathlib.Path(sslbook.__file__).parent
    offenders = {
        path.name: draws
        for path in sorted(package.glob("*.py"))
        if (draws := _unseeded_draws(path.read_text(encoding="utf-8")))
    }
    assert offenders == {}


def test_the_draw_scan_finds_what_it_looks_for():
    source = """
import numpy as np
import torch
def step(x, g):
    a = torch.rand(3)                       # global: found
    b = torch.rand(3, generator=g)          # named: fine
    c = np.random.permutation(4)            # NumPy's global: found
    d = np.random.default_rng(0).normal()   # a seeded generator: fine
    x.normal_()                             # in place, global: found
    return torch.multinomial(x, 2)          # global: found
class Net:
    def __init__(self):
        self.w = torch.randn(3)             # initial weights: fine
"""
    assert [call for _, call in _unseeded_draws(source)] == [
        "torch.rand",
        "np.random.permutation",
        "x.normal_",
        "torch.multinomial",
    ]
