"""Synthetic 1-D signals and their augmentations: self-supervised learning
beyond images.

:func:`make_signals` draws labelled time series of four shapes (sine, square,
sawtooth, and a burst: a sine under a bell-shaped envelope at a random
time), each with a random frequency, phase,
amplitude, offset and noise, so that the class is in the *shape* and not in
any single sample value. Everything is made by this code from a seed.

:class:`SignalAugment` makes contrastive views of a batch: a random circular
shift, a random amplitude scaling, added Gaussian noise, and a random
contiguous mask (a stretch set to zero, as in masked prediction).
:class:`SignalEncoder` is a small 1-D convolutional encoder.

Example
-------
>>> from sslbook.signals import make_signals
>>> x, y = make_signals(8, length=64, seed=0)
>>> tuple(x.shape), sorted(set(y.tolist()))
((8, 1, 64), [0, 1, 2, 3])
"""

from __future__ import annotations

import math

import torch
from torch import nn

from sslbook.checks import check_real

__all__ = ["SIGNAL_CLASSES", "make_signals", "SignalAugment", "SignalEncoder"]

#: The class names of :func:`make_signals`, by label.
SIGNAL_CLASSES = ("sine", "square", "sawtooth", "burst")


def make_signals(
    n: int, length: int = 128, seed: int = 0, noise: float = 0.3
) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` signals ``(n, 1, length)`` and their labels ``(n,)``, balanced
    over the four classes.
    """
    if n < 1 or length < 8:
        raise ValueError(
            f"n must be >= 1 and length >= 8, got n={n}, length={length}"
        )
    g = torch.Generator().manual_seed(seed)
    labels = torch.arange(n) % len(SIGNAL_CLASSES)
    labels = labels[torch.randperm(n, generator=g)]
    t = torch.linspace(0, 1, length)
    frequency = 2 + 4 * torch.rand(
        n, 1, generator=g
    )  # 2 to 6 cycles per signal
    phase = 2 * math.pi * torch.rand(n, 1, generator=g)
    angle = 2 * math.pi * frequency * t + phase  # (n, length)
    shapes = torch.stack(
        [
            torch.sin(angle),
            torch.sign(torch.sin(angle)),
            2 * ((angle / (2 * math.pi)) % 1) - 1,
            torch.sin(angle)
            * torch.exp(
                -4 * ((t - torch.rand(n, 1, generator=g)) ** 2) / 0.02
            ),
        ]
    )  # (4, n, length)
    signal = shapes[labels, torch.arange(n)]
    amplitude = 0.5 + torch.rand(n, 1, generator=g)
    offset = 0.5 * torch.randn(n, 1, generator=g)
    signal = (
        amplitude * signal
        + offset
        + noise * torch.randn(n, length, generator=g)
    )
    return signal.unsqueeze(1), labels


class SignalAugment:
    """Random views of ``(batch, 1, length)`` signals: shift, scale, noise and
    a masked stretch.

    Args:
        seed: seeds this augmenter's own generator (the global RNG is
            untouched).
        max_mask: the longest masked stretch, as a fraction of the length, in
            [0, 1).
        noise: the standard deviation of the added Gaussian noise, ≥ 0.

    Raises:
        ValueError: for settings outside those ranges, or, when called, for
            input that is not a float tensor ``(batch, 1, length)``.
    """

    def __init__(self, seed: int, max_mask: float = 0.25, noise: float = 0.2):
        check_real(
            "max_mask", max_mask, "[0, 1)", why="a fraction of the length"
        )
        check_real("noise", noise, "[0, inf)", why="a standard deviation")
        self.generator = torch.Generator().manual_seed(seed)
        self.max_mask, self.noise = max_mask, noise

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        if (
            not isinstance(x, torch.Tensor)
            or x.dim() != 3
            or x.shape[1] != 1
            or not x.is_floating_point()
            or x.shape[2] < 2
        ):
            shape = (
                tuple(x.shape)
                if isinstance(x, torch.Tensor)
                else type(x).__name__
            )
            raise ValueError(
                "signals must be a float tensor (batch, 1, length) "
                f"with length >= 2, got {shape}"
            )
        n, _, length = x.shape
        g = self.generator
        shift = torch.randint(0, length, (n,), generator=g)
        index = (torch.arange(length) + shift[:, None]) % length  # (n, length)
        out = x.gather(2, index[:, None, :])
        out = out * (
            0.7 + 0.6 * torch.rand(n, 1, 1, generator=g)
        ) + self.noise * torch.randn(out.shape, generator=g)
        width = (self.max_mask * length * torch.rand(n, generator=g)).long()
        start = (torch.rand(n, generator=g) * (length - width)).long()
        position = torch.arange(length)
        mask = (position >= start[:, None]) & (
            position < (start + width)[:, None]
        )
        return out.masked_fill(mask[:, None, :], 0.0)


class SignalEncoder(nn.Module):
    """A 1-D CNN: ``(batch, 1, length)`` → ``(batch, out_dim)``, with global
    average pooling.
    """

    def __init__(self, out_dim: int = 64, width: int = 32):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv1d(1, width, 7, padding=3),
            nn.BatchNorm1d(width),
            nn.ReLU(),
            nn.MaxPool1d(2),
            nn.Conv1d(width, width, 5, padding=2),
            nn.BatchNorm1d(width),
            nn.ReLU(),
            nn.MaxPool1d(2),
            nn.Conv1d(width, out_dim, 3, padding=1),
            nn.BatchNorm1d(out_dim),
            nn.ReLU(),
            nn.AdaptiveAvgPool1d(1),
            nn.Flatten(),
        )
        self.out_dim = out_dim

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.features(x)
