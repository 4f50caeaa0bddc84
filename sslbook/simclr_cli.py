"""The command line of :mod:`sslbook.simclr_train`: its options, their
checks, and the device they resolve to.

Every option is checked before any process group starts, with argparse's
messages: a batch that does not split evenly over ``torchrun``'s processes,
or ``--device cuda`` with fewer GPUs than local processes, is a command-line
error.

Example
-------
>>> from sslbook.simclr_cli import config_of, parse_args
>>> args = parse_args(["--dataset", "mnist5k", "--device", "cpu"])
>>> args.batch_size, args.temperature, config_of(args)["widths"]
(256, 0.5, [16, 32])
"""

from __future__ import annotations

import argparse
import math
import os
from pathlib import Path
from typing import Sequence

import torch

from sslbook.data import DATASETS
from sslbook.distributed import world_size_from_env

__all__ = ["build_parser", "parse_args", "config_of"]


def _int_at_least(minimum: int):
    """An argparse ``type``: an integer >= ``minimum``, with a message that
    says so.
    """

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = minimum - 1
        if value < minimum:
            raise argparse.ArgumentTypeError(
                f"must be an integer >= {minimum}, got {text!r}"
            )
        return value

    return parse


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(
            f"must be a finite number > 0, got {text!r}"
        )
    return value


def _widths(text: str) -> tuple[int, int]:
    try:
        widths = tuple(int(w) for w in text.split(","))
    except ValueError:
        widths = ()
    if len(widths) != 2 or min(widths) < 1:
        raise argparse.ArgumentTypeError(
            "must be two positive integers separated by a comma, "
            f"e.g. 16,32; got {text!r}"
        )
    return widths  # type: ignore[return-value]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m sslbook.simclr_train",
        description=(
            "Train SimCLR on one process, or on several under torchrun "
            "(DistributedDataParallel)."
        ),
    )
    parser.add_argument(
        "--dataset",
        choices=DATASETS,
        default="mnist5k",
        help=(
            "mnist5k or digits (embedded, no network), "
            "or cifar10 (downloaded once into --data-root)"
        ),
    )
    parser.add_argument(
        "--epochs",
        type=_int_at_least(1),
        default=40,
        help=(
            "train until this epoch (with --resume: the total, not the extra)"
        ),
    )
    parser.add_argument(
        "--batch-size",
        type=_int_at_least(1),
        default=256,
        help="global batch, split evenly over the processes (at least 2 each)",
    )
    parser.add_argument(
        "--lr", type=_positive_float, default=3e-3, help="Adam's learning rate"
    )
    parser.add_argument(
        "--temperature", type=_positive_float, default=0.5, help="NT-Xent's τ"
    )
    parser.add_argument("--seed", type=_int_at_least(0), default=0)
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("runs/simclr"),
        help="folder for checkpoint.pt and metrics.json",
    )
    parser.add_argument(
        "--resume",
        action="store_true",
        help="continue from --out/checkpoint.pt",
    )
    parser.add_argument(
        "--knn-every",
        type=_int_at_least(0),
        default=5,
        help=(
            "kNN accuracy on the validation split every N epochs "
            "and after the last (0: after the last only)"
        ),
    )
    parser.add_argument(
        "--log-every",
        type=_int_at_least(1),
        default=10,
        help=(
            "read the loss back for the progress bar every N steps "
            "(each read synchronises a GPU)"
        ),
    )
    parser.add_argument(
        "--widths",
        type=_widths,
        default=(16, 32),
        help="channels of the encoder's two convolutions (default 16,32)",
    )
    parser.add_argument(
        "--feature-dim",
        type=_int_at_least(1),
        default=128,
        help="the encoder's output size",
    )
    parser.add_argument(
        "--projection-dim",
        type=_int_at_least(1),
        default=64,
        help="the projection head's output size",
    )
    parser.add_argument(
        "--subset",
        type=_int_at_least(1),
        default=None,
        help=(
            "train on the first N training images only "
            "(quick trials and tests)"
        ),
    )
    parser.add_argument(
        "--device",
        choices=("auto", "cpu", "cuda"),
        default="auto",
        help=(
            "auto: CUDA when every process on this machine "
            "can have its own GPU, else the CPU"
        ),
    )
    parser.add_argument(
        "--no-amp",
        action="store_true",
        help="on CUDA, train in float32 instead of bfloat16 autocast",
    )
    parser.add_argument(
        "--data-root",
        type=Path,
        default=None,
        help=(
            "where CIFAR-10 is kept "
            "(default $SSLBOOK_DATA or ~/.cache/sslbook)"
        ),
    )
    return parser


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Parse and check the arguments; errors exit with a message, as argparse
    does.

    The batch is checked against the number of processes that ``torchrun``
    announces in ``WORLD_SIZE``, before any process group starts.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    world = world_size_from_env()
    if args.batch_size % world:
        parser.error(
            f"--batch-size {args.batch_size} does not split evenly "
            f"over {world} processes"
        )
    if args.batch_size // world < 2:
        processes = f"{world} process" + ("es" if world > 1 else "")
        parser.error(
            f"--batch-size {args.batch_size} over {processes} "
            f"leaves {args.batch_size // world} image per process; "
            "NT-Xent needs at least 2 per process, "
            "so that each anchor has a negative"
        )
    args.device = _resolve_device(args.device, parser)
    args.world_size = world
    return args


def _resolve_device(device: str, parser: argparse.ArgumentParser) -> str:
    """``"cuda"`` or ``"cpu"``: one GPU per process on this machine, or the
    CPU.

    ``torchrun`` announces the processes of this machine in
    ``LOCAL_WORLD_SIZE``; process ``LOCAL_RANK`` uses GPU ``LOCAL_RANK``, so
    CUDA needs at least as many GPUs as local processes. ``auto`` falls back
    to the CPU when there are too few, and says so once; ``cuda`` is then an
    error.
    """
    gpus = torch.cuda.device_count() if torch.cuda.is_available() else 0
    local = int(os.environ.get("LOCAL_WORLD_SIZE", "1"))
    if device == "cuda" and gpus == 0:
        parser.error("--device cuda, but PyTorch sees no CUDA device")
    if device == "cuda" and local > gpus:
        parser.error(
            "--device cuda needs one GPU per process, "
            f"but this machine runs {local} processes "
            f"and PyTorch sees {gpus} GPU{'s' if gpus > 1 else ''}: "
            f"start at most {gpus} "
            "(torchrun --nproc_per_node), or use --device cpu"
        )
    if device != "auto":
        return device
    if gpus and local > gpus:
        if os.environ.get("LOCAL_RANK", "0") == "0":
            print(
                f"--device auto: {local} processes on this machine "
                f"but {gpus} GPU{'s' if gpus > 1 else ''}, "
                "so training on the CPU",
                flush=True,
            )
        return "cpu"
    return "cuda" if gpus else "cpu"


def config_of(args: argparse.Namespace) -> dict:
    """The run's settings as plain JSON values (stored in the checkpoint and
    metrics).
    """
    config = {
        k: v for k, v in vars(args).items() if k not in ("out", "data_root")
    }
    config["widths"] = list(args.widths)
    return config
