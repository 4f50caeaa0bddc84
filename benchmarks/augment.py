"""Benchmark: SimCLRAugment against an equivalent kornia.augmentation pipeline.

Run from the repository root with the venv active (needs ``pip install kornia``):

    python benchmarks/augment.py                 # batch 256, 2 CPU threads
    python benchmarks/augment.py --threads 4 --repeats 50

For the ``mnist5k`` (1 × 28 × 28) and ``cifar10`` (3 × 32 × 32) settings of
``sslbook.augment.augment_config`` it times, on one batch of uniform random
images in [0, 1]:

- ``SimCLRAugment(augment_config(dataset), seed=0)``, every parameter drawn
  per image (crop, flip, jitter factors and order, hue, grayscale, blur σ);
- kornia: ``AugmentationSequential`` of ``RandomResizedCrop``,
  ``RandomHorizontalFlip``, ``ColorJitter``, ``RandomGrayscale`` and
  ``RandomGaussianBlur`` with the config's values and per-sample parameters
  (brightness and contrast only on 1 channel, where kornia's hue raises; hue
  on 3 channels), plus variants: the same modules in an ``nn.Sequential``,
  the crop in ``cropping_mode="resample"``, and (3 channels) without hue.
  kornia's ColorJitter draws the order of its four parts once per batch.

Each is warmed up, then the median of ``--repeats`` calls is taken, in float32
and in bfloat16 (``error`` where a pipeline rejects it). It prints a markdown
table of images per second and of the ratio kornia time / SimCLRAugment time.
Timings depend on the machine and on anything else using its CPU.
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Callable

import torch
from torch import nn

from sslbook.augment import AugmentConfig, SimCLRAugment, augment_config

SHAPES = {"mnist5k": (1, 28, 28), "cifar10": (3, 32, 32)}


def kornia_pipeline(
    config: AugmentConfig,
    channels: int,
    size: tuple[int, int],
    *,
    container: str = "augmentation_sequential",
    cropping_mode: str = "slice",
    hue: float = 0.1,
) -> nn.Module:
    """The kornia modules equivalent to ``SimCLRAugment(config)`` on ``channels``-channel images."""
    import kornia.augmentation as K

    c = config
    modules: list[nn.Module] = [
        K.RandomResizedCrop(size, scale=c.crop_scale, ratio=c.crop_ratio, cropping_mode=cropping_mode)
    ]
    if c.flip_p > 0:
        modules.append(K.RandomHorizontalFlip(p=c.flip_p))
    if channels == 3:
        modules.append(K.ColorJitter(c.brightness, c.contrast, c.saturation, hue, p=c.jitter_p))
        modules.append(K.RandomGrayscale(p=c.grayscale_p))
    else:  # kornia's hue step raises on 1 channel; its saturation step is a no-op there
        modules.append(K.ColorJitter(c.brightness, c.contrast, p=c.jitter_p))
    if c.blur_p > 0:
        modules.append(K.RandomGaussianBlur(kernel_size=(3, 3), sigma=c.blur_sigma, p=c.blur_p))
    if container == "augmentation_sequential":
        return K.AugmentationSequential(*modules)
    return nn.Sequential(*modules)


def time_it(fn: Callable[[torch.Tensor], torch.Tensor], shape: tuple[int, ...], dtype: torch.dtype, repeats: int, warmup: int) -> float:
    """Median seconds of one call on a fresh batch of uniform random images."""
    times = []
    for r in range(warmup + repeats):
        images = torch.rand(shape).to(dtype)
        start = time.perf_counter()
        fn(images)
        if r >= warmup:
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=50)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--dtypes", nargs="+", default=["float32", "bfloat16"])
    args = parser.parse_args()

    import kornia

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)  # kornia draws from the global RNG
    dtypes = [getattr(torch, name) for name in args.dtypes]
    print(f"batch {args.batch}, cpu, {torch.get_num_threads()} threads, torch {torch.__version__}, kornia {kornia.__version__}, median of {args.repeats}")
    print()
    header = ["dataset", "pipeline"]
    for name in args.dtypes:
        header += [f"{name} ms", f"{name} img/s", f"{name} × ours"]
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join(["---"] * 2 + ["---:"] * (len(header) - 2)) + "|")

    for dataset, (channels, height, width) in SHAPES.items():
        config = augment_config(dataset)
        size = (height, width)
        variants: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {"SimCLRAugment": SimCLRAugment(config, seed=0)}
        variants["kornia AugmentationSequential"] = kornia_pipeline(config, channels, size)
        variants["kornia nn.Sequential"] = kornia_pipeline(config, channels, size, container="sequential")
        variants["kornia, crop resample"] = kornia_pipeline(config, channels, size, cropping_mode="resample")
        if channels == 3:
            variants["kornia, no hue"] = kornia_pipeline(config, channels, size, hue=0.0)
            variants["kornia, crop resample, no hue"] = kornia_pipeline(config, channels, size, cropping_mode="resample", hue=0.0)

        shape = (args.batch, channels, height, width)
        ours: dict[torch.dtype, float] = {}
        for name, fn in variants.items():
            cells = [dataset, name]
            for dtype in dtypes:
                try:
                    seconds = time_it(fn, shape, dtype, args.repeats, args.warmup)
                except Exception as error:  # e.g. roi_align has no bfloat16 CPU kernel
                    cells += ["error", type(error).__name__, ""]
                    continue
                if name == "SimCLRAugment":
                    ours[dtype] = seconds
                ratio = f"{seconds / ours[dtype]:.2f}" if dtype in ours else "—"
                cells += [f"{seconds * 1e3:.2f}", f"{args.batch / seconds:,.0f}", ratio]
            print("| " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
