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
