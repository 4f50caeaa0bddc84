import numpy as np
import pytest
import torch
from torch import nn

from sslbook.gradients import (
    first_last_ratio,
    layer_gradient_norms,
    weight_layers,
)


def tiny_network():
    torch.manual_seed(0)
    net = nn.Sequential(
        nn.Linear(3, 4, bias=False), nn.Sigmoid(), nn.Linear(4, 2, bias=False)
    )
    return net.double()


def test_norms_match_a_hand_computed_backward_pass():
    net = tiny_network()
    x = torch.randn(5, 3, dtype=torch.float64)
    t = torch.randn(5, 2, dtype=torch.float64)
    norms = layer_gradient_norms(net, x, t, nn.MSELoss())

    # The same gradients by hand, in NumPy: L = mean((W2 σ(W1 x) - t)^2).
    w1, w2 = net[0].weight.detach().numpy(), net[2].weight.detach().numpy()
    xn, tn = x.numpy(), t.numpy()
    h = 1 / (1 + np.exp(-xn @ w1.T))
    out = h @ w2.T
    d_out = 2 * (out - tn) / out.size
    d_w2 = d_out.T @ h
    d_a = (d_out @ w2) * h * (1 - h)
    d_w1 = d_a.T @ xn
    assert list(norms) == ["0", "2"]
    assert norms["0"] == pytest.approx(np.linalg.norm(d_w1), rel=1e-10)
    assert norms["2"] == pytest.approx(np.linalg.norm(d_w2), rel=1e-10)


def test_leaves_grad_fields_and_hooks_untouched():
    net = tiny_network()
    layer_gradient_norms(
        net,
        torch.randn(5, 3, dtype=torch.float64),
        torch.randn(5, 2, dtype=torch.float64),
        nn.MSELoss(),
    )
    assert all(p.grad is None for p in net.parameters())
    for module in net.modules():
        assert not module._forward_hooks and not module._backward_hooks


def test_batchnorm_weights_are_not_layers():
    net = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 2))
    assert [name for name, _ in weight_layers(net)] == ["0", "2"]


def test_unused_weight_gets_zero():
    net = nn.ModuleDict({"used": nn.Linear(3, 2), "unused": nn.Linear(3, 2)})
    net.forward = lambda x: net["used"](x)
    norms = layer_gradient_norms(
        net,
        torch.randn(4, 3),
        torch.zeros(4, dtype=torch.long),
        nn.CrossEntropyLoss(),
    )
    assert norms["unused"] == 0.0 and norms["used"] > 0


def test_model_without_weight_layers_is_rejected():
    with pytest.raises(
        ValueError, match="Sigmoid has no layer with a weight matrix"
    ):
        layer_gradient_norms(
            nn.Sigmoid(), torch.randn(4, 3), torch.randn(4, 3), nn.MSELoss()
        )


def test_mismatched_batches_are_rejected():
    with pytest.raises(
        ValueError,
        match=r"share the batch dimension, got shapes \(5, 3\) and \(4, 2\)",
    ):
        layer_gradient_norms(
            tiny_network(),
            torch.randn(5, 3).double(),
            torch.randn(4, 2).double(),
            nn.MSELoss(),
        )


def test_non_scalar_loss_is_rejected():
    loss = nn.MSELoss(reduction="none")
    with pytest.raises(ValueError, match="must return a scalar"):
        layer_gradient_norms(
            tiny_network(),
            torch.randn(5, 3).double(),
            torch.randn(5, 2).double(),
            loss,
        )


def test_first_last_ratio():
    assert first_last_ratio({"a": 1e-6, "b": 0.5, "c": 2.0}) == pytest.approx(
        5e-7
    )
    with pytest.raises(ValueError, match="at least two layers"):
        first_last_ratio({"a": 1.0})
    with pytest.raises(ValueError, match="last layer's gradient norm is 0"):
        first_last_ratio({"a": 1.0, "b": 0.0})


def test_activation_stats_match_a_direct_computation_and_remove_hooks():
    from sslbook.gradients import activation_stats

    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 4), nn.ReLU())
    x = torch.randn(6, 3)
    stats = activation_stats(net, x)
    h1 = torch.tanh(net[0](x))
    h2 = torch.relu(net[2](h1))
    assert list(stats) == ["1", "3"]
    assert stats["1"] == pytest.approx((h1.mean().item(), h1.std().item()))
    assert stats["3"] == pytest.approx((h2.mean().item(), h2.std().item()))
    assert all(not m._forward_hooks for m in net.modules())


def test_activation_stats_removes_hooks_when_forward_fails():
    from sslbook.gradients import activation_stats

    net = nn.Sequential(nn.Linear(3, 4), nn.Sigmoid())
    with pytest.raises(RuntimeError):
        activation_stats(net, torch.randn(2, 5))
    assert all(not m._forward_hooks for m in net.modules())
    with pytest.raises(
        ValueError, match="Linear has no activation layer of type Sigmoid"
    ):
        activation_stats(
            nn.Linear(2, 2), torch.randn(1, 2), types=(nn.Sigmoid,)
        )
