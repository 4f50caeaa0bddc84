import pytest
import torch
from torch.nn import functional as F

from sslbook.augment import SimCLRAugment, augment_config
from sslbook.data import load_images
from sslbook.moco import (
    MoCo,
    SplitBatchNorm,
    moco_loss_fn,
    split_batchnorm,
)
from sslbook.models import ConvEncoder
from sslbook.simclr import SimCLRModel
from sslbook.train import fit, make_loader


def small_moco(queue_size=8, momentum=0.9):
    torch.manual_seed(0)
    return MoCo(
        SimCLRModel(ConvEncoder(1, 8, 16, widths=(4, 8)), projection_dim=4),
        queue_size=queue_size,
        momentum=momentum,
    )


def test_momentum_update_is_the_moving_average():
    moco = small_moco(momentum=0.9)
    with torch.no_grad():
        for p in moco.query.parameters():
            p.add_(1.0)
    before = [k.clone() for k in moco.key.parameters()]
    moco.momentum_update()
    for k_old, k_new, q in zip(
        before, moco.key.parameters(), moco.query.parameters()
    ):
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


def test_a_batch_larger_than_the_queue_keeps_the_newest_keys_in_fifo_order():
    moco = small_moco(queue_size=4)
    moco.enqueue(torch.randn(1, 4))  # pointer at 1
    keys = torch.randn(6, 4)
    moco.enqueue(keys)
    # one at a time, keys 2..5 would land in rows 3, 0, 1, 2 and the pointer
    # end at (1 + 6) % 4 = 3
    assert torch.allclose(
        moco.queue[[3, 0, 1, 2]], F.normalize(keys[2:], dim=1)
    )
    assert moco.pointer == 3
    one_by_one = small_moco(queue_size=4)
    one_by_one.enqueue(torch.randn(1, 4))
    for key in keys:
        one_by_one.enqueue(key[None])
    assert (
        torch.allclose(one_by_one.queue, moco.queue)
        and one_by_one.pointer == moco.pointer
    )


def test_pointer_and_queue_survive_a_checkpoint():
    moco = small_moco(queue_size=5)
    moco.enqueue(torch.randn(3, 4))
    state = moco.state_dict()
    assert "pointer" in state and "queue" in state
    restored = small_moco(queue_size=5)
    restored.load_state_dict(state)
    assert restored.pointer == 3 and torch.equal(restored.queue, moco.queue)
    restored.enqueue(torch.randn(1, 4))
    assert restored.pointer == 4


def test_enqueue_checks_the_key_width():
    with pytest.raises(ValueError, match=r"keys must be \(batch, 4\)"):
        small_moco().enqueue(torch.randn(2, 3))


def test_split_batchnorm_normalises_each_group_on_its_own():
    torch.manual_seed(0)
    bn = torch.nn.BatchNorm2d(3)
    split = SplitBatchNorm(bn, splits=2)
    x = torch.randn(8, 3, 4, 4) + torch.arange(8.0)[:, None, None, None]
    out = split(x)
    for group in (0, 1):  # examples 0, 2, 4, 6 form group 0
        rows = list(range(group, 8, 2))
        expected = torch.nn.functional.batch_norm(
            x[rows], None, None, training=True, eps=bn.eps
        )
        assert torch.allclose(out[rows], expected, atol=1e-5)
    means = [
        x[g::2].mean(dim=(0, 2, 3)) for g in (0, 1)
    ]  # the running mean moves 0.1 of the way to their average
    assert torch.allclose(
        bn.running_mean, 0.1 * (means[0] + means[1]) / 2, atol=1e-5
    )
    split.eval()
    assert torch.allclose(split(x), bn.eval()(x))
    with pytest.raises(ValueError, match="multiple of 2"):
        SplitBatchNorm(torch.nn.BatchNorm2d(3), 2)(torch.randn(3, 3, 2, 2))


def test_shuffle_bn_replaces_every_batchnorm_and_keeps_keys_aligned():
    torch.manual_seed(0)
    model = SimCLRModel(
        ConvEncoder(1, 8, 16, widths=(4, 8), batchnorm=True), projection_dim=4
    )
    moco = MoCo(model, queue_size=8, shuffle_bn_splits=2)
    norms = [
        m
        for m in moco.modules()
        if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)
    ]
    wrappers = [m for m in moco.modules() if isinstance(m, SplitBatchNorm)]
    assert (
        len(norms) == len(wrappers) == 4
    )  # two in each encoder, each inside a wrapper
    x = torch.rand(8, 1, 8, 8)
    # eval mode: no batch statistics, so shuffling must not change any key
    moco.key.eval()
    assert torch.allclose(moco.encode_keys(x), moco.key(x), atol=1e-6)
    # train mode: each key is normalised with another group than without the
    # shuffle
    moco.key.train()
    assert not torch.allclose(moco.encode_keys(x), moco.key(x), atol=1e-4)
    assert split_batchnorm(torch.nn.Linear(2, 2), 2).weight.shape == (2, 2)


def test_training_moves_the_key_encoder_and_fills_the_queue():
    x = load_images("digits", seed=0).x_train[:64]
    moco = small_moco(queue_size=32)
    key_before = [p.clone() for p in moco.key.parameters()]
    queue_before = moco.queue.clone()
    history = fit(
        moco,
        moco_loss_fn(SimCLRAugment(augment_config("digits"), seed=0), 0.2),
        make_loader(x, batch_size=16, seed=0),
        torch.optim.Adam(moco.query.parameters(), lr=1e-2),
        epochs=3,
        seed=0,
        progress=False,
    )
    assert all(torch.isfinite(torch.tensor(history.losses)))
    assert not all(
        torch.equal(a, b) for a, b in zip(key_before, moco.key.parameters())
    )
    assert not torch.equal(queue_before, moco.queue)


def test_construction_leaves_batchnorm_statistics_alone():
    torch.manual_seed(0)
    model = SimCLRModel(
        ConvEncoder(1, 8, 16, widths=(4, 8), batchnorm=True), projection_dim=4
    )
    before = [b.clone() for b in model.buffers()]
    MoCo(model, queue_size=4)
    assert all(torch.equal(a, b) for a, b in zip(before, model.buffers()))
    assert model.training


def test_bad_arguments():
    with pytest.raises(ValueError, match="queue_size must be an int >= 1"):
        small_moco(queue_size=0)
    with pytest.raises(ValueError, match=r"momentum must be in \[0, 1\)"):
        small_moco(momentum=1.0)


# --- added by mutation testing -----------------------------------------------


def test_split_batchnorm_running_statistics_follow_the_wrapped_layers_momentum():  # noqa: E501
    torch.manual_seed(0)
    bn = torch.nn.BatchNorm2d(3, momentum=0.5)
    x = torch.randn(8, 3, 4, 4) * 3 + torch.arange(8.0)[:, None, None, None]
    SplitBatchNorm(bn, splits=2)(x)
    groups = [x[g::2] for g in (0, 1)]
    means = torch.stack([g.mean(dim=(0, 2, 3)) for g in groups]).mean(dim=0)
    variances = torch.stack(
        [
            g.transpose(0, 1).flatten(1).var(dim=1, unbiased=True)
            for g in groups
        ]
    ).mean(dim=0)
    assert torch.allclose(bn.running_mean, 0.5 * means, atol=1e-5)
    assert torch.allclose(
        bn.running_var, 0.5 * 1.0 + 0.5 * variances, atol=1e-4
    )
    assert int(bn.num_batches_tracked) == 1


def test_momentum_update_copies_the_buffers():
    torch.manual_seed(0)
    moco = MoCo(
        SimCLRModel(
            ConvEncoder(1, 8, 16, widths=(4, 8), batchnorm=True),
            projection_dim=4,
        ),
        queue_size=8,
    )
    moco.query(
        torch.rand(8, 1, 8, 8)
    )  # a training-mode forward moves the query's BatchNorm statistics
    assert not all(
        torch.equal(k, q)
        for k, q in zip(moco.key.buffers(), moco.query.buffers())
    )
    moco.momentum_update()
    assert all(
        torch.equal(k, q)
        for k, q in zip(moco.key.buffers(), moco.query.buffers())
    )


def test_split_batchnorm_with_a_cumulative_average_moves_its_running_statistics():  # noqa: E501
    """BatchNorm(momentum=None) keeps a cumulative average; with one split
    SplitBatchNorm is that BatchNorm.
    """
    torch.manual_seed(0)
    x = torch.randn(8, 3, 4, 4) + 5
    wrapped, plain = (
        torch.nn.BatchNorm2d(3, momentum=None),
        torch.nn.BatchNorm2d(3, momentum=None),
    )
    SplitBatchNorm(wrapped, splits=2)(x)
    plain(x)
    assert torch.allclose(
        wrapped.running_mean, plain.running_mean, atol=1e-5
    )  # the groups' means average to the batch mean
