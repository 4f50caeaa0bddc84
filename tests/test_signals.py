import pytest
import torch

from sslbook.signals import SIGNAL_CLASSES, SignalAugment, SignalEncoder, make_signals


def test_signals_are_balanced_seeded_and_shaped():
    x, y = make_signals(40, length=64, seed=0)
    assert x.shape == (40, 1, 64) and y.shape == (40,)
    assert torch.bincount(y).tolist() == [10] * len(SIGNAL_CLASSES)
    x2, y2 = make_signals(40, length=64, seed=0)
    assert torch.equal(x, x2) and torch.equal(y, y2)
    assert not torch.equal(x, make_signals(40, length=64, seed=1)[0])
    with pytest.raises(ValueError, match="length >= 8"):
        make_signals(4, length=4)


def test_square_waves_take_two_levels_without_noise():
    x, y = make_signals(8, length=64, seed=0, noise=0.0)
    square = x[y == SIGNAL_CLASSES.index("square")][0, 0]
    assert len(torch.unique(square.round(decimals=4))) <= 3  # two levels (and sign(0) = 0 at most)


def test_augment_keeps_shape_masks_a_stretch_and_is_seeded():
    x = torch.ones(6, 1, 32)
    views = SignalAugment(seed=0, noise=0.0, max_mask=0.5)(x)
    assert views.shape == x.shape
    assert (views == 0).any()  # the masked stretch
    assert torch.equal(views, SignalAugment(seed=0, noise=0.0, max_mask=0.5)(x))


def test_encoder_output_shape():
    assert SignalEncoder(out_dim=12)(torch.randn(3, 1, 64)).shape == (3, 12)
