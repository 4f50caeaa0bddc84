import pytest
import torch

from sslbook.signals import (
    SIGNAL_CLASSES,
    SignalAugment,
    SignalEncoder,
    make_signals,
)


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
    assert (
        len(torch.unique(square.round(decimals=4))) <= 3
    )  # two levels (and sign(0) = 0 at most)


def test_augment_keeps_shape_masks_a_stretch_and_is_seeded():
    x = torch.ones(6, 1, 32)
    views = SignalAugment(seed=0, noise=0.0, max_mask=0.5)(x)
    assert views.shape == x.shape
    assert (views == 0).any()  # the masked stretch
    assert torch.equal(
        views, SignalAugment(seed=0, noise=0.0, max_mask=0.5)(x)
    )


def test_encoder_output_shape():
    assert SignalEncoder(out_dim=12)(torch.randn(3, 1, 64)).shape == (3, 12)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (
            {"max_mask": 1.0},
            r"max_mask must be in \[0, 1\) \(a fraction of the length\)",
        ),
        ({"max_mask": -0.1}, "max_mask"),
        (
            {"noise": -1.0},
            r"noise must be a finite number >= 0 \(a standard deviation\)",
        ),
        ({"noise": float("nan")}, "noise"),
    ],
)
def test_augment_rejects_bad_settings(kwargs, message):
    with pytest.raises(ValueError, match=message):
        SignalAugment(seed=0, **kwargs)


@pytest.mark.parametrize(
    "x",
    [
        torch.ones(4, 64),
        torch.ones(4, 2, 64),
        torch.ones(4, 1, 64, dtype=torch.long),
        torch.ones(4, 1, 1),
    ],
)
def test_augment_rejects_bad_input(x):
    with pytest.raises(ValueError, match=r"float tensor \(batch, 1, length\)"):
        SignalAugment(seed=0)(x)


def test_augment_scales_shifts_and_adds_noise_per_signal():
    ramp = torch.linspace(0, 1, 32).repeat(8, 1, 1)
    views = SignalAugment(seed=1, noise=0.0, max_mask=0.0)(ramp)
    scales = views.max(dim=2).values.squeeze(
        1
    )  # a circular shift keeps the maximum
    assert ((scales >= 0.7) & (scales <= 1.3)).all() and len(
        torch.unique(scales)
    ) == 8
    assert len({int(v.argmax()) for v in views[:, 0]}) > 1  # different shifts


# --- added by mutation testing -----------------------------------------------


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"noise": float("inf")}, "noise must be a finite number >= 0"),
        ({"max_mask": "0.5"}, r"max_mask must be in \[0, 1\)"),
        ({"noise": "0.2"}, "noise must be a finite number >= 0"),
    ],
)
def test_augment_rejects_infinite_noise_and_non_numbers(kwargs, message):
    with pytest.raises(ValueError, match=message):
        SignalAugment(seed=0, **kwargs)
