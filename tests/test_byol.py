import copy

import pytest
import torch

from sslbook.augment import SimCLRAugment, augment_config
from sslbook.byol import BYOL, byol_loss, byol_loss_fn
from sslbook.data import load_images
from sslbook.models import ConvEncoder
from sslbook.simsiam import Siamese, embedding_std
from sslbook.train import fit, make_loader


def small_byol(momentum=0.99, predictor=True, seed=0):
    torch.manual_seed(seed)
    return BYOL(
        Siamese(
            ConvEncoder(1, 8, 16, widths=(4, 8), batchnorm=True),
            dim=8,
            predictor=predictor,
        ),
        momentum,
    )


def test_the_target_starts_as_a_copy_without_gradients():
    byol = small_byol()
    x = torch.rand(5, 1, 8, 8)
    byol.eval()
    assert torch.equal(byol.target(x), byol.online(x)[0])
    assert not any(p.requires_grad for p in byol.target_encoder.parameters())
    assert not any(p.requires_grad for p in byol.target_projector.parameters())
    assert byol.encoder is byol.online.encoder


def test_the_momentum_update_is_exact():
    byol = small_byol(momentum=0.9)
    with torch.no_grad():
        for p in byol.online.parameters():
            p.add_(1.0)
    before = [p.clone() for p in byol.target_encoder.parameters()] + [
        p.clone() for p in byol.target_projector.parameters()
    ]
    online = list(byol.online.encoder.parameters()) + list(
        byol.online.projector.parameters()
    )
    byol.momentum_update()
    after = list(byol.target_encoder.parameters()) + list(
        byol.target_projector.parameters()
    )
    for b, o, a in zip(before, online, after):
        assert torch.allclose(a, 0.9 * b + 0.1 * o)


@pytest.mark.parametrize(
    "momentum, expected", [(0.0, "online"), (1.0, "start")]
)
def test_momentum_zero_copies_the_online_network_and_one_freezes_the_target(
    momentum, expected
):
    byol = small_byol(momentum=momentum)
    start = copy.deepcopy(byol.target_encoder.state_dict())
    with torch.no_grad():
        for p in byol.online.parameters():
            p.mul_(2.0).add_(0.5)
    byol.momentum_update()
    reference = (
        byol.online.encoder.state_dict() if expected == "online" else start
    )
    for name, value in byol.target_encoder.state_dict().items():
        if (
            name.endswith("running_mean")
            or name.endswith("running_var")
            or "num_batches" in name
        ):
            continue  # buffers are always copied
        assert torch.equal(value, reference[name]), name


def test_the_loss_is_two_minus_the_two_cosines_and_sends_no_gradient_to_the_targets():  # noqa: E501
    torch.manual_seed(0)
    p1, p2 = (
        torch.randn(4, 6, requires_grad=True),
        torch.randn(4, 6, requires_grad=True),
    )
    t1, t2 = (
        torch.randn(4, 6, requires_grad=True),
        torch.randn(4, 6, requires_grad=True),
    )
    loss = byol_loss(p1, p2, t1, t2)
    normalised = lambda a: a / a.norm(dim=1, keepdim=True)  # noqa: E731
    expected = ((normalised(p1) - normalised(t2)) ** 2).sum(1).mean() / 2 + (
        (normalised(p2) - normalised(t1)) ** 2
    ).sum(1).mean() / 2
    assert loss.item() == pytest.approx(expected.item(), rel=1e-5)
    loss.backward()
    assert t1.grad is None and t2.grad is None
    assert p1.grad is not None and p2.grad is not None


def test_the_loss_checks_shapes():
    with pytest.raises(ValueError, match="one shape"):
        byol_loss(
            torch.randn(4, 6),
            torch.randn(4, 6),
            torch.randn(4, 6),
            torch.randn(4, 5),
        )


def test_bad_arguments():
    with pytest.raises(TypeError, match="Siamese"):
        BYOL(torch.nn.Linear(2, 2))
    with pytest.raises(ValueError, match=r"momentum must be in \[0, 1\]"):
        small_byol(momentum=1.5)


def test_a_training_step_moves_the_online_network_and_the_target_only_by_its_average():  # noqa: E501
    byol = small_byol(momentum=0.5)
    x = torch.rand(8, 1, 8, 8)
    loss_fn = byol_loss_fn(SimCLRAugment(augment_config("digits"), seed=0))
    optimizer = torch.optim.SGD(byol.online.parameters(), lr=0.1)
    online_before = [p.clone() for p in byol.online.encoder.parameters()]
    target_before = [p.clone() for p in byol.target_encoder.parameters()]
    for _ in range(2):
        optimizer.zero_grad()
        loss_fn(byol, (x,)).backward()
        assert all(p.grad is None for p in byol.target_encoder.parameters())
        optimizer.step()
    online_mid = [p.clone() for p in byol.online.encoder.parameters()]
    # the second step's update averaged the target with the weights after the
    # first step: not yet the latest ones
    assert not all(
        torch.equal(a, b) for a, b in zip(online_before, online_mid)
    )
    assert not all(
        torch.equal(a, b)
        for a, b in zip(target_before, byol.target_encoder.parameters())
    )


def embeddings_after_training(momentum, predictor):
    x = load_images("digits", seed=0).x_train[:256]
    byol = small_byol(momentum=momentum, predictor=predictor)
    fit(
        byol,
        byol_loss_fn(SimCLRAugment(augment_config("digits"), seed=0)),
        make_loader(x, batch_size=64, seed=0, drop_last=True),
        torch.optim.SGD(byol.online.parameters(), lr=0.05, momentum=0.9),
        epochs=15,
        seed=0,
        progress=False,
    )
    byol.eval()
    with torch.no_grad():
        return embedding_std(byol.online(x)[0])


def test_byol_keeps_its_embeddings_spread():
    assert embeddings_after_training(0.99, predictor=True) > 0.4 * 8**-0.5


def test_without_predictor_and_moving_average_the_embeddings_collapse():
    assert embeddings_after_training(0.0, predictor=False) < 0.1 * 8**-0.5
