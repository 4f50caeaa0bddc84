import pytest
import torch.distributed as dist

from sslbook.distributed import compare_gather_gradients, init_from_env, world_size_from_env


def test_gathered_nt_xent_equals_one_process_on_the_concatenated_batch():
    """Two gloo processes under DistributedDataParallel against one process: loss and every gradient."""
    check = compare_gather_gradients(world_size=2, batch_per_process=8, seed=0)
    assert check.gathered_loss == pytest.approx(check.single_loss, abs=1e-5)
    assert check.gathered_max_abs_diff < 1e-5
    # The comparison can fail: a gather whose backward does not sum over the
    # processes (Lightly's bug) gives gradients off by a large fraction of their size.
    assert check.no_sum_max_abs_diff > 0.05 * check.max_abs_grad


def test_gather_check_rejects_sizes_it_cannot_compare():
    with pytest.raises(ValueError, match="world_size must be at least 2"):
        compare_gather_gradients(world_size=1)
    with pytest.raises(ValueError, match="batch_per_process must be at least 2"):
        compare_gather_gradients(world_size=2, batch_per_process=1)


def test_without_torchrun_there_is_one_process_and_no_process_group(monkeypatch):
    for name in ("WORLD_SIZE", "RANK", "LOCAL_RANK"):
        monkeypatch.delenv(name, raising=False)
    proc = init_from_env(use_cuda=False)
    assert (proc.world_size, proc.rank, proc.is_main, proc.device.type) == (1, 0, True, "cpu")
    assert not dist.is_initialized()


@pytest.mark.parametrize("value", ["0", "-2", "two"])
def test_world_size_must_be_a_positive_integer(monkeypatch, value):
    monkeypatch.setenv("WORLD_SIZE", value)
    with pytest.raises(ValueError, match="WORLD_SIZE must be a positive integer"):
        world_size_from_env()
