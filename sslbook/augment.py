"""SimCLR-style image augmentations, batched and seeded, with every parameter
drawn per image.

Contrastive learning makes two random *views* of each image and trains the
encoder to match them. SimCLR (Chen et al. 2020, §3 and appendix A) found the
composition that matters: a random resized crop, colour distortion (jitter of
brightness, contrast, saturation and hue in a random order, and random
grayscale) and Gaussian blur.

:class:`SimCLRAugment` applies that composition to a whole batch
``(batch, C, H, W)`` at once. Every random parameter is drawn per image by
:meth:`SimCLRAugment.sample` (crop box, flip, whether to jitter, the four
jitter factors and their order, grayscale, whether to blur, and the blur's σ),
and :meth:`SimCLRAugment.apply` applies them with the operations of
:mod:`sslbook.image_ops`: crops are cut and resized in one
call (an affine ``grid_sample``, bilinear, one affine map per image), jitter is
tensor arithmetic (hue through HSV, as ``torchvision``'s ``adjust_hue``), and
the blur is one grouped convolution with a 3 × 3 Gaussian kernel per image.
:func:`two_views` stacks two views of every image, the first step of the
training steps of SimCLR, SimSiam, BYOL and MoCo.
Applying a ``transforms.v2`` pipeline image by image gives the same
distribution but costs about 100–200 µs per image on a CPU, which would
dominate a small model's training step.

All randomness comes from the augmenter's own ``torch.Generator``: the same
seed gives the same views, and the global RNG is untouched. The arithmetic,
crop coordinates included, is done in float32 whatever the images' dtype
(bfloat16 has 8 bits of mantissa: a crop edge at pixel 27.3 would land on
27.25), and the views are returned in the images' dtype.

Why not ``kornia.augmentation``? It is the well-kept library for batched
augmentations, but its colour jitter draws one order of its four parts per
batch, not per image, it draws from the global RNG rather than a generator of
its own, and with its default crop it cost 2.6 times as much on 28 × 28 images
and 1.5 times on 32 × 32 × 3 on this book's CPU (``benchmarks/augment.py``;
README has the numbers).

Example
-------
>>> import torch
>>> from sslbook.augment import SimCLRAugment, augment_config
>>> augment = SimCLRAugment(augment_config("mnist5k"), seed=0)
>>> augment(torch.rand(4, 1, 28, 28)).shape
torch.Size([4, 1, 28, 28])
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import torch

from sslbook.checks import check_real
from sslbook.image_ops import (
    adjust_brightness,
    adjust_contrast,
    adjust_hue,
    adjust_saturation,
    gaussian_blur,
    luminance,
    resized_crop,
)

__all__ = [
    "JITTER_OPS",
    "AugmentConfig",
    "augment_config",
    "AugmentParams",
    "SimCLRAugment",
    "two_views",
]

#: The jitter operations, in the order of the columns of
#: :attr:`AugmentParams.order`.
JITTER_OPS = ("brightness", "contrast", "saturation", "hue")


@dataclass(frozen=True)
class AugmentConfig:
    """Parameters of :class:`SimCLRAugment`.

    Attributes:
        crop_scale: the range of the crop's area, as a fraction of the image.
        crop_ratio: the range of the crop's aspect ratio (width / height).
        flip_p: probability of a horizontal flip (0 for digits: a flipped 2 is
            not a 2).
        jitter_p: probability of colour jitter.
        brightness, contrast, saturation: jitter strengths in [0, 1]; a factor
            is drawn uniformly in [1 − s, 1 + s]. Saturation only acts on 3
            channels.
        hue: jitter strength in [0, 0.5]; the hue is shifted by a fraction of
            the colour circle drawn uniformly in [−hue, hue]. 3 channels only.
        grayscale_p: probability of converting a 3-channel image to gray.
        blur_p: probability of a Gaussian blur.
        blur_sigma: the range of the blur's standard deviation, in pixels.
    """

    crop_scale: tuple[float, float] = (0.2, 1.0)
    crop_ratio: tuple[float, float] = (3 / 4, 4 / 3)
    flip_p: float = 0.5
    jitter_p: float = 0.8
    brightness: float = 0.4
    contrast: float = 0.4
    saturation: float = 0.4
    hue: float = 0.1
    grayscale_p: float = 0.2
    blur_p: float = 0.5
    blur_sigma: tuple[float, float] = (0.1, 2.0)

    def __post_init__(self) -> None:
        low, high = self.crop_scale
        if not 0 < low <= high <= 1:
            raise ValueError(
                "crop_scale must satisfy 0 < low <= high <= 1, "
                f"got {self.crop_scale}"
            )
        if not 0 < self.crop_ratio[0] <= self.crop_ratio[1]:
            raise ValueError(
                "crop_ratio must satisfy 0 < low <= high, "
                f"got {self.crop_ratio}"
            )
        for name in ("flip_p", "jitter_p", "grayscale_p", "blur_p"):
            check_real(
                name, getattr(self, name), "[0, 1]", why="a probability"
            )
        for name in ("brightness", "contrast", "saturation"):
            check_real(
                name,
                getattr(self, name),
                "[0, 1]",
                why="a factor in [1 - s, 1 + s] must not be negative",
            )
        check_real(
            "hue",
            self.hue,
            "[0, 0.5]",
            why="a shift of at most half the colour circle",
        )
        if not 0 < self.blur_sigma[0] <= self.blur_sigma[1]:
            raise ValueError(
                "blur_sigma must satisfy 0 < low <= high, "
                f"got {self.blur_sigma}"
            )


def augment_config(dataset: str) -> AugmentConfig:
    """The book's augmentation settings for a dataset of
    :data:`sslbook.data.DATASETS`.

    Digits get no flip and a milder crop (grey images: no saturation, hue or
    grayscale); CIFAR-10 gets SimCLR's CIFAR settings (crop scale 0.08–1,
    flips, colour jitter of strength 0.5, that is 0.4 for brightness,
    contrast and saturation and 0.1 for hue, with probability 0.8, grayscale
    with probability 0.2, and no blur).
    """
    if dataset in ("mnist5k", "digits"):
        return AugmentConfig(
            crop_scale=(0.3, 1.0), flip_p=0.0, blur_sigma=(0.1, 1.0)
        )
    if dataset == "cifar10":
        return AugmentConfig(
            crop_scale=(0.08, 1.0), blur_p=0.0
        )  # SimCLR leaves blur out on CIFAR-10
    raise ValueError(
        f"unknown dataset {dataset!r}; known: mnist5k, digits, cifar10"
    )


@dataclass(frozen=True)
class AugmentParams:
    """The random parameters of one call, one row per image (all on the CPU).

    Attributes:
        boxes: ``(n, 4)`` float32 crop boxes ``x0, y0, x1, y1`` in pixels.
        flip: ``(n,)`` bool.
        jitter: ``(n,)`` bool: whether the colour jitter applies.
        factors: ``(n, 4)`` float32: the brightness, contrast and saturation
            factors and the hue shift, in the order of :data:`JITTER_OPS`.
        order: ``(n, 4)`` int64: each row a permutation of 0..3, the order in
            which that image's jitter operations are applied.
        grayscale: ``(n,)`` bool.
        blur: ``(n,)`` bool.
        sigma: ``(n,)`` float32: the blur's standard deviation.
    """

    boxes: torch.Tensor
    flip: torch.Tensor
    jitter: torch.Tensor
    factors: torch.Tensor
    order: torch.Tensor
    grayscale: torch.Tensor
    blur: torch.Tensor
    sigma: torch.Tensor


class SimCLRAugment:
    """Random views of a batch of images: crop and resize, flip, jitter,
    grayscale, blur.

    Args:
        config: the parameters; see :func:`augment_config`.
        seed: seeds this augmenter's generator.
        check_range: refuse images outside [0, 1]. The check reads one value
            back from the device, a synchronisation on a GPU; a trainer whose
            images are known to be in range may turn it off.

    Calling it on ``(batch, C, H, W)`` float images in [0, 1] (C = 1 or 3)
    returns a new tensor of the same shape, dtype and device, with
    independent random parameters per image.
    """

    def __init__(
        self, config: AugmentConfig, seed: int, check_range: bool = True
    ):
        self.config = config
        self.generator = torch.Generator().manual_seed(seed)
        self.check_range = check_range

    def _uniform(self, n: int, low: float, high: float) -> torch.Tensor:
        return low + (high - low) * torch.rand(n, generator=self.generator)

    def _coin(self, n: int, p: float) -> torch.Tensor:
        return torch.rand(n, generator=self.generator) < p

    def sample(self, n: int, height: int, width: int) -> AugmentParams:
        """Draw the parameters of ``n`` images of ``height × width``, one set
        per image.

        The crop follows ``RandomResizedCrop``: an area fraction in
        ``crop_scale`` and a log-uniform aspect ratio in ``crop_ratio``, the
        box clamped to the image and placed uniformly.
        """
        c = self.config
        area = self._uniform(n, *c.crop_scale) * height * width
        ratio = torch.exp(
            self._uniform(
                n, math.log(c.crop_ratio[0]), math.log(c.crop_ratio[1])
            )
        )
        w = torch.sqrt(area * ratio).clamp(1, width)
        h = torch.sqrt(area / ratio).clamp(1, height)
        x0 = torch.rand(n, generator=self.generator) * (width - w)
        y0 = torch.rand(n, generator=self.generator) * (height - h)
        strengths = torch.tensor([c.brightness, c.contrast, c.saturation])
        factors = 1 + strengths * (
            2 * torch.rand(n, 3, generator=self.generator) - 1
        )
        hue = c.hue * (2 * torch.rand(n, 1, generator=self.generator) - 1)
        return AugmentParams(
            boxes=torch.stack([x0, y0, x0 + w, y0 + h], dim=1),
            flip=self._coin(n, c.flip_p),
            jitter=self._coin(n, c.jitter_p),
            factors=torch.cat([factors, hue], dim=1),
            order=torch.rand(
                n, len(JITTER_OPS), generator=self.generator
            ).argsort(dim=1),
            grayscale=self._coin(n, c.grayscale_p),
            blur=self._coin(n, c.blur_p),
            sigma=self._uniform(n, *c.blur_sigma),
        )

    def __call__(self, images: torch.Tensor) -> torch.Tensor:
        self._check(images)
        n, _, height, width = images.shape
        return self.apply(images, self.sample(n, height, width))

    def _check(self, images: torch.Tensor) -> None:
        if (
            images.dim() != 4
            or not images.is_floating_point()
            or images.shape[1] not in (1, 3)
        ):
            raise ValueError(
                "images must be a float tensor (batch, C, H, W) "
                f"with C = 1 or 3, got {images.dtype} "
                f"of shape {tuple(images.shape)}"
            )
        if (
            self.check_range
            and images.numel()
            and bool(((images < 0) | (images > 1)).any())
        ):
            low, high = float(images.min()), float(images.max())
            raise ValueError(
                "images must hold values in [0, 1], "
                f"got values from {low:.4g} to {high:.4g}; "
                "scale them first (e.g. divide uint8 pixels by 255), "
                "and augment before any normalisation"
            )

    def apply(
        self, images: torch.Tensor, params: AugmentParams
    ) -> torch.Tensor:
        """Apply ``params`` (from :meth:`sample`) to ``images``
        ``(n, C, H, W)``, image by image.
        """
        self._check(images)
        n, channels, height, width = images.shape
        if len(params.flip) != n:
            raise ValueError(
                f"params are for {len(params.flip)} images, got {n}"
            )
        device = images.device
        x = (
            images.float()
        )  # every step in float32; the result is cast back at the end

        x = resized_crop(x, params.boxes.float().to(device))

        x = torch.where(
            params.flip.to(device)[:, None, None, None], x.flip(-1), x
        )
        x = _jitter(x, params, device)
        if channels == 3:
            to_gray = params.grayscale.to(device)[:, None, None, None]
            x = torch.where(to_gray, luminance(x).expand_as(x), x)
        if params.blur.any():
            idx = params.blur.nonzero().squeeze(1).to(device)
            x = x.clone()
            x[idx] = gaussian_blur(
                x[idx], params.sigma[params.blur.cpu()].to(device)
            )
        return x.to(images.dtype)


def two_views(
    augment: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor
) -> torch.Tensor:
    """Two random views of every image of ``x``, stacked: ``(2N, C, H, W)``,
    the first views, then the second.

    SimCLR, SimSiam, BYOL and MoCo start their step here: one forward pass
    over both views lets BatchNorm see them together, and ``.chunk(2)``
    splits the result back into the two views.

    >>> augment = SimCLRAugment(augment_config("mnist5k"), seed=0)
    >>> first, second = two_views(augment, torch.rand(4, 1, 28, 28)).chunk(2)
    >>> first.shape, bool((first != second).any())
    (torch.Size([4, 1, 28, 28]), True)
    """
    return torch.cat([augment(x), augment(x)])


def _jitter(
    x: torch.Tensor, params: AugmentParams, device: torch.device
) -> torch.Tensor:
    """Colour jitter of the images with ``params.jitter``, each in its own
    order of operations.
    """
    selected = params.jitter.nonzero().squeeze(1)
    if len(selected) == 0:
        return x
    ops = (
        JITTER_OPS if x.shape[1] == 3 else JITTER_OPS[:2]
    )  # grey images: brightness and contrast only
    part = x[selected.to(device)]
    factors = params.factors[selected].to(device)
    order = params.order[selected]
    # keep, per image, only the operations that apply to its channels, in its
    # own order
    order = order[torch.isin(order, torch.arange(len(ops)))].view(
        len(selected), len(ops)
    )
    for position in range(len(ops)):
        for op, name in enumerate(ops):
            rows = (order[:, position] == op).nonzero().squeeze(1).to(device)
            if len(rows):
                part[rows] = _JITTER[name](part[rows], factors[rows, op])
    x = x.clone()
    x[selected.to(device)] = part
    return x


_JITTER = {
    "brightness": adjust_brightness,
    "contrast": adjust_contrast,
    "saturation": adjust_saturation,
    "hue": adjust_hue,
}
