import random

import numpy as np
import pytest
import torch

from sslbook.repro import seed_everything


@pytest.fixture(autouse=True)
def restore_torch_state():
    threads, deterministic = torch.get_num_threads(), torch.are_deterministic_algorithms_enabled()
    yield
    torch.set_num_threads(threads)
    torch.use_deterministic_algorithms(deterministic)


def draws():
    return random.random(), np.random.rand(), torch.rand(3), torch.nn.Linear(4, 2).weight.detach().clone()


def test_same_seed_repeats_every_generator():
    seed_everything(123)
    first = draws()
    seed_everything(123)
    second = draws()
    assert first[0] == second[0]
    assert first[1] == second[1]
    assert torch.equal(first[2], second[2])
    assert torch.equal(first[3], second[3])  # module initialisation uses torch's generator


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
