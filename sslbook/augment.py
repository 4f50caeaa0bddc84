"""SimCLR-style image augmentations, batched and seeded.

Contrastive learning makes two random *views* of each image and trains the
encoder to match them. SimCLR (Chen et al. 2020, §3 and appendix A) found the
composition that matters: a random resized crop, colour distortion (jitter and
random grayscale) and Gaussian blur.

:class:`SimCLRAugment` applies that composition to a whole batch
``(batch, C, H, W)`` at once, with different random parameters for every
image: crops are cut and resized in one call (``torchvision.ops.roi_align``,
bilinear), jitter is tensor arithmetic, and blur is
``torchvision.transforms.v2.functional.gaussian_blur``. Applying a
``transforms.v2`` pipeline image by image gives the same distribution but costs
about 100–200 µs per image on a CPU, which would dominate a small model's
training step.

All randomness comes from the augmenter's own ``torch.Generator``: the same
seed gives the same views, and the global RNG is untouched.

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

import torch
from torchvision.ops import roi_align
from torchvision.transforms.v2 import functional as TF


@dataclass(frozen=True)
class AugmentConfig:
    """Parameters of :class:`SimCLRAugment`.

    Attributes:
        crop_scale: the range of the crop's area, as a fraction of the image.
        crop_ratio: the range of the crop's aspect ratio (width / height).
        flip_p: probability of a horizontal flip (0 for digits: a flipped 2 is
            not a 2).
        jitter_p: probability of colour jitter.
        brightness, contrast, saturation: jitter strengths; a factor is drawn
            uniformly in [1 − s, 1 + s]. Saturation only acts on 3 channels.
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
    grayscale_p: float = 0.2
    blur_p: float = 0.5
    blur_sigma: tuple[float, float] = (0.1, 2.0)

    def __post_init__(self) -> None:
        low, high = self.crop_scale
        if not 0 < low <= high <= 1:
            raise ValueError(f"crop_scale must satisfy 0 < low <= high <= 1, got {self.crop_scale}")
        if not 0 < self.crop_ratio[0] <= self.crop_ratio[1]:
            raise ValueError(f"crop_ratio must satisfy 0 < low <= high, got {self.crop_ratio}")
        for name in ("flip_p", "jitter_p", "grayscale_p", "blur_p"):
            if not 0 <= getattr(self, name) <= 1:
                raise ValueError(f"{name} must be a probability in [0, 1], got {getattr(self, name)}")
        if not 0 < self.blur_sigma[0] <= self.blur_sigma[1]:
            raise ValueError(f"blur_sigma must satisfy 0 < low <= high, got {self.blur_sigma}")


def augment_config(dataset: str) -> AugmentConfig:
    """The book's augmentation settings for a dataset of :data:`sslbook.data.DATASETS`.

    Digits get no flip and a milder crop; CIFAR-10 gets SimCLR's CIFAR settings
    (crop scale 0.08–1, flips, jitter 0.4, grayscale 0.2).
    """
    if dataset in ("mnist5k", "digits"):
        return AugmentConfig(crop_scale=(0.3, 1.0), flip_p=0.0, blur_sigma=(0.1, 1.0))
    if dataset == "cifar10":
        return AugmentConfig(crop_scale=(0.08, 1.0), blur_p=0.0)  # SimCLR leaves blur out on CIFAR-10
    raise ValueError(f"unknown dataset {dataset!r}; known: mnist5k, digits, cifar10")


class SimCLRAugment:
    """Random views of a batch of images: crop and resize, flip, jitter, grayscale, blur.

    Args:
        config: the parameters; see :func:`augment_config`.
        seed: seeds this augmenter's generator.

    Calling it on ``(batch, C, H, W)`` float images in [0, 1] returns a new
    tensor of the same shape, dtype and device, with independent random
    parameters per image.
    """

    def __init__(self, config: AugmentConfig, seed: int):
        self.config = config
        self.generator = torch.Generator().manual_seed(seed)

    def _uniform(self, n: int, low: float, high: float) -> torch.Tensor:
        return low + (high - low) * torch.rand(n, generator=self.generator)

    def _coin(self, n: int, p: float) -> torch.Tensor:
        return torch.rand(n, generator=self.generator) < p

    def _crop_boxes(self, n: int, height: int, width: int) -> torch.Tensor:
        """``(n, 5)`` boxes ``[index, x0, y0, x1, y1]`` as RandomResizedCrop draws them."""
        c = self.config
        area = self._uniform(n, *c.crop_scale) * height * width
        ratio = torch.exp(self._uniform(n, math.log(c.crop_ratio[0]), math.log(c.crop_ratio[1])))
        w = torch.sqrt(area * ratio).clamp(1, width)
        h = torch.sqrt(area / ratio).clamp(1, height)
        x0 = torch.rand(n, generator=self.generator) * (width - w)
        y0 = torch.rand(n, generator=self.generator) * (height - h)
        return torch.stack([torch.arange(n, dtype=torch.float32), x0, y0, x0 + w, y0 + h], dim=1)

    def __call__(self, images: torch.Tensor) -> torch.Tensor:
        if images.dim() != 4 or not images.is_floating_point():
            raise ValueError(f"images must be a float tensor (batch, C, H, W), got {images.dtype} of shape {tuple(images.shape)}")
        n, channels, height, width = images.shape
        c, device = self.config, images.device
        boxes = self._crop_boxes(n, height, width).to(device=device, dtype=images.dtype)
        x = roi_align(images, boxes, output_size=(height, width), spatial_scale=1.0, sampling_ratio=1, aligned=True)

        flip = self._coin(n, c.flip_p).to(device)
        x = torch.where(flip[:, None, None, None], x.flip(-1), x)

        jitter = self._coin(n, c.jitter_p).to(device)[:, None, None, None]
        brightness = self._uniform(n, 1 - c.brightness, 1 + c.brightness).to(device, images.dtype)[:, None, None, None]
        contrast = self._uniform(n, 1 - c.contrast, 1 + c.contrast).to(device, images.dtype)[:, None, None, None]
        saturation = self._uniform(n, 1 - c.saturation, 1 + c.saturation).to(device, images.dtype)[:, None, None, None]
        jittered = (x * brightness).clamp(0, 1)
        mean = _gray(jittered).mean(dim=(1, 2, 3), keepdim=True)
        jittered = ((jittered - mean) * contrast + mean).clamp(0, 1)
        if channels == 3:
            gray = _gray(jittered)
            jittered = ((jittered - gray) * saturation + gray).clamp(0, 1)
        x = torch.where(jitter, jittered, x)

        if channels == 3:
            to_gray = self._coin(n, c.grayscale_p).to(device)[:, None, None, None]
            x = torch.where(to_gray, _gray(x).expand_as(x), x)

        blur = self._coin(n, c.blur_p)
        if blur.any():
            sigma = float(self._uniform(1, *c.blur_sigma))  # one σ per batch: one v2 call
            x = x.clone()
            idx = blur.nonzero().squeeze(1).to(device)
            x[idx] = TF.gaussian_blur(x[idx], kernel_size=[3, 3], sigma=[sigma, sigma])
        return x


def _gray(x: torch.Tensor) -> torch.Tensor:
    """Luminance ``(batch, 1, H, W)`` of 1- or 3-channel images (ITU-R 601 weights, as torchvision)."""
    if x.shape[1] == 1:
        return x
    weights = torch.tensor([0.299, 0.587, 0.114], dtype=x.dtype, device=x.device)[None, :, None, None]
    return (x * weights).sum(dim=1, keepdim=True)
