import pytest
import torch

from sslbook.momentum import momentum_target, momentum_update_


def test_the_target_is_an_equal_copy_that_no_gradient_reaches():
    torch.manual_seed(0)
    online = torch.nn.Sequential(
        torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4)
    )
    target = momentum_target(online)
    assert target is not online
    for t, o in zip(target.parameters(), online.parameters()):
        assert torch.equal(t, o) and t is not o
        assert not t.requires_grad and o.requires_grad
    target(torch.randn(5, 3)).sum()  # a forward through the copy
    online(torch.randn(5, 3)).sum().backward()
    assert all(t.grad is None for t in target.parameters())


def test_momentum_update_is_the_moving_average_and_copies_buffers():
    torch.manual_seed(0)
    key, query = torch.nn.BatchNorm1d(3), torch.nn.BatchNorm1d(3)
    with torch.no_grad():
        key.weight.fill_(1.0)
        query.weight.fill_(3.0)
        query.running_mean.fill_(2.0)
    weight = key.weight
    momentum_update_(key, query, 0.75)
    assert key.weight is weight and torch.allclose(
        key.weight, torch.full((3,), 1.5)
    )  # 0.75 * 1 + 0.25 * 3
    assert torch.equal(key.running_mean, query.running_mean) and torch.equal(
        query.weight, torch.full((3,), 3.0)
    )


def test_momentum_update_rejects_a_bad_momentum_and_unlike_modules():
    with pytest.raises(ValueError, match="momentum must be in"):
        momentum_update_(torch.nn.Linear(2, 2), torch.nn.Linear(2, 2), 1.5)
    with pytest.raises(ValueError, match="same parameters"):
        momentum_update_(torch.nn.Linear(2, 2), torch.nn.Linear(2, 3), 0.9)
