"""Batched image operations with one parameter per image.

:class:`sslbook.augment.SimCLRAugment` composes them: a crop resized back to
the image's size (:func:`resized_crop`), the four colour jitters
(:func:`adjust_brightness`, :func:`adjust_contrast`,
:func:`adjust_saturation`, :func:`adjust_hue`), greyscale through
:func:`luminance`, and :func:`gaussian_blur`. Each takes ``(n, C, H, W)``
images with values in [0, 1], in float32, and one parameter per image; each
follows the matching function of ``torchvision.transforms.v2.functional``
(the tests compare them image by image).

Example
-------
>>> import torch
>>> from sslbook.image_ops import adjust_brightness
>>> x = torch.full((2, 1, 2, 2), 0.5)
>>> adjust_brightness(x, torch.tensor([0.5, 4.0]))[:, 0, 0, 0]
tensor([0.2500, 1.0000])
"""

from __future__ import annotations

import torch
from torch.nn import functional as F

__all__ = [
    "resized_crop",
    "adjust_brightness",
    "adjust_contrast",
    "adjust_saturation",
    "adjust_hue",
    "gaussian_blur",
    "luminance",
]


def resized_crop(x: torch.Tensor, boxes: torch.Tensor) -> torch.Tensor:
    """Crop box ``i`` ``(x0, y0, x1, y1)`` of image ``i`` and resize it to the
    image's size, bilinearly.

    Output pixel ``j`` samples the input at
    ``x0 + (j + 0.5) (x1 − x0) / W − 0.5``, the centre of its share of the box,
    as ``torchvision.ops.roi_align`` with ``aligned=True`` and one sample per
    bin does; samples that fall half a pixel outside the image take the border
    pixel's value.
    """
    n, channels, height, width = x.shape
    x0, y0, x1, y1 = boxes.unbind(dim=1)
    theta = torch.zeros(n, 2, 3, dtype=x.dtype, device=x.device)
    # grid_sample's coordinates run from -1 to 1 across the image
    # (align_corners=False)
    theta[:, 0, 0] = (x1 - x0) / width
    theta[:, 0, 2] = (x0 + x1) / width - 1
    theta[:, 1, 1] = (y1 - y0) / height
    theta[:, 1, 2] = (y0 + y1) / height - 1
    grid = F.affine_grid(
        theta, [n, channels, height, width], align_corners=False
    )
    return F.grid_sample(
        x, grid, mode="bilinear", padding_mode="border", align_corners=False
    )


def adjust_brightness(x: torch.Tensor, factor: torch.Tensor) -> torch.Tensor:
    return (x * factor[:, None, None, None]).clamp(0, 1)


def adjust_contrast(x: torch.Tensor, factor: torch.Tensor) -> torch.Tensor:
    mean = luminance(x).mean(dim=(1, 2, 3), keepdim=True)
    return ((x - mean) * factor[:, None, None, None] + mean).clamp(0, 1)


def adjust_saturation(x: torch.Tensor, factor: torch.Tensor) -> torch.Tensor:
    gray = luminance(x)
    return ((x - gray) * factor[:, None, None, None] + gray).clamp(0, 1)


def adjust_hue(x: torch.Tensor, shift: torch.Tensor) -> torch.Tensor:
    """Rotate the hue of ``(n, 3, H, W)`` RGB images by ``shift`` ``(n,)`` of
    the colour circle.
    """
    r, g, b = x.unbind(dim=1)
    value, _ = x.max(dim=1)
    delta = value - x.min(dim=1).values
    saturation = torch.where(
        value > 0, delta / value.clamp_min(1e-12), torch.zeros_like(value)
    )
    safe = torch.where(delta > 0, delta, torch.ones_like(delta))
    hue = (
        torch.where(
            value == r,
            ((g - b) / safe) % 6,
            torch.where(value == g, (b - r) / safe + 2, (r - g) / safe + 4),
        )
        / 6
    )
    hue = torch.where(delta > 0, hue, torch.zeros_like(hue))
    hue = (hue + shift[:, None, None]) % 1.0
    # back to RGB: sector i of the colour circle and the position f within it
    h6 = hue * 6
    sector = torch.floor(h6)
    f = h6 - sector
    p = value * (1 - saturation)
    q = value * (1 - saturation * f)
    t = value * (1 - saturation * (1 - f))
    sector = sector.long().remainder(6).unsqueeze(0)  # (1, n, H, W)
    red = torch.stack([value, q, p, p, t, value]).gather(0, sector)[0]
    green = torch.stack([t, value, value, q, p, p]).gather(0, sector)[0]
    blue = torch.stack([p, p, t, value, value, q]).gather(0, sector)[0]
    return torch.stack([red, green, blue], dim=1)


def gaussian_blur(x: torch.Tensor, sigma: torch.Tensor) -> torch.Tensor:
    """3 × 3 Gaussian blur of ``(n, C, H, W)`` images, image ``i`` with
    standard deviation ``sigma[i]``.

    Reflect padding and a normalised separable kernel, as
    ``torchvision.transforms.v2.functional.gaussian_blur``; one grouped
    convolution for the whole batch.
    """
    n, channels, height, width = x.shape
    if sigma.shape != (n,):
        raise ValueError(
            f"sigma must be ({n},), one per image, got {tuple(sigma.shape)}"
        )
    offsets = torch.tensor([-1.0, 0.0, 1.0], dtype=x.dtype, device=x.device)
    kernel = torch.exp(-0.5 * (offsets / sigma.to(x.dtype)[:, None]) ** 2)
    kernel = kernel / kernel.sum(dim=1, keepdim=True)  # (n, 3)
    kernel = kernel[:, :, None] * kernel[:, None, :]  # (n, 3, 3)
    weight = kernel.repeat_interleave(channels, dim=0)[
        :, None
    ]  # (n·C, 1, 3, 3)
    padded = F.pad(
        x.reshape(1, n * channels, height, width), (1, 1, 1, 1), mode="reflect"
    )
    return F.conv2d(padded, weight, groups=n * channels).reshape(
        n, channels, height, width
    )


def luminance(x: torch.Tensor) -> torch.Tensor:
    """Luminance ``(batch, 1, H, W)`` of 1- or 3-channel images, with
    torchvision's weights for tensors.
    """
    if x.shape[1] == 1:
        return x
    weights = torch.tensor(
        [0.2989, 0.587, 0.114], dtype=x.dtype, device=x.device
    )[None, :, None, None]
    return (x * weights).sum(dim=1, keepdim=True)
