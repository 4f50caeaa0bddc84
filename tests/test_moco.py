import pytest
import torch
from torch.nn import functional as F

from sslbook.augment import SimCLRAugment, augment_config
from sslbook.data import load_images
from sslbook.models import ConvEncoder
from sslbook.moco import MoCo, moco_loss_fn
from sslbook.simclr import SimCLRModel
from sslbook.train import fit, make_loader


def small_moco(queue_size=8, momentum=0.9):
    torch.manual_seed(0)
    return MoCo(SimCLRModel(ConvEncoder(1, 8, 16, widths=(4, 8)), projection_dim=4), queue_size=queue_size, momentum=momentum)


def test_momentum_update_is_the_moving_average():
    moco = small_moco(momentum=0.9)
    with torch.no_grad():
        for p in moco.query.parameters():
            p.add_(1.0)
    before = [k.clone() for k in moco.key.parameters()]
    moco.momentum_update()
    for k_old, k_new, q in zip(before, moco.key.parameters(), moco.query.parameters()):
        assert torch.allclose(k_new, 0.9 * k_old + 0.1 * q)
    assert not any(p.requires_grad for p in moco.key.parameters())


def test_queue_is_fifo_and_normalised():
    moco = small_moco(queue_size=5)
    assert torch.allclose(moco.queue.norm(dim=1), torch.ones(5))
    first, second = torch.randn(3, 4), torch.randn(3, 4)
    moco.enqueue(first)
    moco.enqueue(second)  # wraps around: rows 3, 4 then 0
    assert torch.allclose(moco.queue[[3, 4, 0]], F.normalize(second, dim=1))
    assert torch.allclose(moco.queue[[1, 2]], F.normalize(first, dim=1)[1:])
    assert moco.pointer == 1


def test_training_moves_the_key_encoder_and_fills_the_queue():
    x = load_images("digits", seed=0).x_train[:64]
    moco = small_moco(queue_size=32)
    key_before = [p.clone() for p in moco.key.parameters()]
    queue_before = moco.queue.clone()
    history = fit(moco, moco_loss_fn(SimCLRAugment(augment_config("digits"), seed=0), 0.2), make_loader(x, batch_size=16, seed=0),
                  torch.optim.Adam(moco.query.parameters(), lr=1e-2), epochs=3, seed=0, progress=False)
    assert all(torch.isfinite(torch.tensor(history.losses)))
    assert not all(torch.equal(a, b) for a, b in zip(key_before, moco.key.parameters()))
    assert not torch.equal(queue_before, moco.queue)


def test_construction_leaves_batchnorm_statistics_alone():
    torch.manual_seed(0)
    model = SimCLRModel(ConvEncoder(1, 8, 16, widths=(4, 8), batchnorm=True), projection_dim=4)
    before = [b.clone() for b in model.buffers()]
    MoCo(model, queue_size=4)
    assert all(torch.equal(a, b) for a, b in zip(before, model.buffers()))
    assert model.training


def test_bad_arguments():
    with pytest.raises(ValueError, match="queue_size must be >= 1"):
        small_moco(queue_size=0)
    with pytest.raises(ValueError, match=r"momentum must be in \[0, 1\)"):
        small_moco(momentum=1.0)
