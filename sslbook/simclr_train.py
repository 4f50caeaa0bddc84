"""SimCLR from the command line, on one process or many:
``python -m sslbook.simclr_train``.

The training of section 4.3 as a script, for longer runs than a notebook
allows: CIFAR-10 on a GPU, or several GPUs (or CPU processes) with
``torchrun``. It uses PyTorch's own distributed engine: one process per device,
:class:`~torch.nn.parallel.DistributedDataParallel` to average gradients, a
:class:`~torch.utils.data.DistributedSampler` to split each epoch between the
processes, and NT-Xent with ``gather_distributed=True``, so that every anchor
is scored against the views of all processes (see :mod:`sslbook.distributed`).

Usage::

    # one process (CPU, or the GPU if there is one)
    python -m sslbook.simclr_train \
        --dataset mnist5k --epochs 40 --out runs/mnist5k
    # two processes on this machine: gloo on CPU, nccl on GPUs
    torchrun --standalone --nproc_per_node=2 -m sslbook.simclr_train \
        --dataset mnist5k --epochs 40 --out runs/mnist5k-2p
    # carry on after an interruption, or train longer
    torchrun --standalone --nproc_per_node=2 -m sslbook.simclr_train \
        --dataset mnist5k --epochs 60 --out runs/mnist5k-2p --resume

``--batch-size`` is the global batch, split evenly over the processes, so the
same command with more processes trains on the same number of images per step.
The defaults are those of section 4.3 (encoder widths 16 and 32, 128-d
features, 64-d projection, Adam at 3e-3, batch 256, τ = 0.5).

What it writes in ``--out``:

- ``checkpoint.pt``: model, optimiser, epoch and configuration, after every
  epoch (written to a temporary file, then renamed). ``--resume`` loads it with
  ``torch.load(..., weights_only=True)`` and continues; the result equals an
  uninterrupted run on the CPU, because every random draw is seeded by
  ``(seed, epoch, rank)``.
- ``metrics.json``: the configuration and, per epoch, the mean loss, the
  training images per second, the kNN accuracy on the validation split
  (``val_knn_acc``: k = 200, τ = 0.1, on the encoder's features, with the
  training images as neighbours) every ``--knn-every`` epochs and after the
  last, and on CUDA the peak memory. The test split is never read: a monitor
  is for choosing, and choices are made on validation.

With several processes, rank 0 finds (or downloads) the dataset first, and
the other processes read it from disk once it is there, so that no two
processes write the same archive.

On CUDA, the forward pass runs in bfloat16 autocast (``--no-amp`` turns it
off), BatchNorm is synchronised across processes, and cuDNN picks its fastest
kernels, so GPU runs are fast rather than bit-reproducible. A progress bar
(tqdm) is drawn by rank 0 only.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path
from typing import Sequence

import numpy as np
import torch
import torch.distributed as dist
from torch import nn
from torch.utils.data import BatchSampler, DistributedSampler

from sslbook.augment import SimCLRAugment, augment_config, two_views
from sslbook.data import load_images
from sslbook.distributed import (
    ProcessInfo,
    init_from_env,
    main_process_first,
)
from sslbook.knn import knn_accuracy
from sslbook.losses import nt_xent_loss
from sslbook.models import ConvEncoder, encode
from sslbook.repro import DEFAULT_THREADS, seed_everything
from sslbook.simclr import SimCLRModel
from sslbook.simclr_checkpoint import (
    CHECKPOINT,
    METRICS,
    CheckpointError,
    check_resumable,
    load_checkpoint,
    save_atomically,
)
from sslbook.simclr_cli import config_of, parse_args
from sslbook.train import progress_enabled

__all__ = ["run_training", "main"]


def _seed_for(seed: int, epoch: int, rank: int) -> int:
    """One seed per (run seed, epoch, rank): a resumed epoch draws what it
    would have drawn.
    """
    return int(
        np.random.SeedSequence([seed, epoch, rank]).generate_state(1)[0]
    )


def _build_model(
    data_shape: tuple[int, int, int], args: argparse.Namespace
) -> SimCLRModel:
    channels, side, _ = data_shape
    encoder = ConvEncoder(
        channels,
        side,
        out_dim=args.feature_dim,
        widths=tuple(args.widths),
        batchnorm=True,
    )
    return SimCLRModel(encoder, projection_dim=args.projection_dim)


def run_training(args: argparse.Namespace) -> dict:
    """Run the training that ``args`` (from :func:`parse_args`) describes;
    return the metrics.

    Raises:
        CheckpointError: for ``--resume`` without a readable, matching
            checkpoint, or a new run into a folder that holds one.
        sslbook.data.DatasetUnavailableError: when CIFAR-10 is neither on
            disk nor downloadable.
    """
    use_cuda = args.device == "cuda"  # parse_args resolved "auto"
    out: Path = args.out
    config = config_of(args)
    checkpoint_path = out / CHECKPOINT
    checkpoint = None
    if args.resume:
        checkpoint = load_checkpoint(checkpoint_path)
        check_resumable(checkpoint, config, checkpoint_path)
    elif checkpoint_path.exists():
        raise CheckpointError(
            f"{checkpoint_path} exists; pass --resume to continue that run, "
            "or choose another --out"
        )

    # On the CPU: the book's two threads, shared by the processes (so the same
    # command gives the same numbers on any machine), and deterministic
    # kernels, so that --resume reproduces an uninterrupted run exactly.
    threads = None if use_cuda else max(1, DEFAULT_THREADS // args.world_size)
    proc = init_from_env(use_cuda)
    try:
        seed_everything(args.seed, threads=threads, deterministic=not use_cuda)
        return _train(args, proc, config, checkpoint, use_cuda)
    finally:
        if dist.is_initialized():
            dist.destroy_process_group()


def _train(
    args: argparse.Namespace,
    proc: ProcessInfo,
    config: dict,
    checkpoint: dict | None,
    use_cuda: bool,
) -> dict:
    # Rank 0 finds or downloads the data first; the others then read it from
    # disk.
    data = main_process_first(
        lambda download: load_images(
            args.dataset,
            seed=args.seed,
            root=args.data_root,
            download=download,
        ),
        proc,
    )
    x_train = data.x_train[: args.subset] if args.subset else data.x_train
    y_train = data.y_train[: len(x_train)]
    per_rank = args.batch_size // proc.world_size
    if len(x_train) < args.batch_size:
        raise ValueError(
            f"--batch-size {args.batch_size} is larger than "
            f"the {len(x_train)} training images"
        )
    x_train, x_val = x_train.to(proc.device), data.x_val.to(proc.device)
    if use_cuda:
        torch.backends.cudnn.benchmark = True

    model = _build_model(data.image_shape, args).to(proc.device)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    start_epoch, history = 0, []
    if checkpoint is not None:
        model.load_state_dict(checkpoint["model"])
        optimizer.load_state_dict(checkpoint["optimizer"])
        start_epoch, history = checkpoint["epoch"], list(checkpoint["metrics"])
    trained = model
    if proc.world_size > 1:
        if use_cuda:
            trained = nn.SyncBatchNorm.convert_sync_batchnorm(trained)
        trained = nn.parallel.DistributedDataParallel(
            trained, device_ids=[proc.local_rank] if use_cuda else None
        )
    network = (
        trained.module
        if isinstance(trained, nn.parallel.DistributedDataParallel)
        else trained
    )

    sampler = DistributedSampler(
        range(len(x_train)),
        num_replicas=proc.world_size,
        rank=proc.rank,
        shuffle=True,
        seed=args.seed,
        drop_last=True,
    )
    batches = BatchSampler(sampler, per_rank, drop_last=True)
    # load_images gives pixels in [0, 1]: skip the range check, which would
    # synchronise a GPU twice a step
    augment = SimCLRAugment(
        augment_config(args.dataset), seed=args.seed, check_range=False
    )
    amp = use_cuda and not args.no_amp
    steps_per_epoch = len(batches)

    bar = None
    if proc.is_main and progress_enabled():
        from tqdm.auto import tqdm

        bar = tqdm(
            total=args.epochs * steps_per_epoch,
            initial=start_epoch * steps_per_epoch,
            desc="SimCLR",
            unit="step",
        )
    try:
        for epoch in range(start_epoch, args.epochs):
            sampler.set_epoch(epoch)
            augment.generator.manual_seed(
                _seed_for(args.seed, epoch, proc.rank)
            )
            trained.train()
            if use_cuda:
                torch.cuda.synchronize()
            start, total = (
                time.perf_counter(),
                torch.zeros((), device=proc.device),
            )
            for step, index in enumerate(batches, start=1):
                x = x_train[index]
                views = two_views(augment, x)
                with torch.autocast(
                    device_type=proc.device.type,
                    dtype=torch.bfloat16,
                    enabled=amp,
                ):
                    z = trained(views)
                z1, z2 = z.float().chunk(2)
                loss = nt_xent_loss(
                    z1, z2, args.temperature, gather_distributed=True
                )
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                total += (
                    loss.detach()
                )  # summed on the device: no synchronisation per step
                if bar is not None:
                    bar.update(1)
                    if step % args.log_every == 0:
                        bar.set_postfix(
                            epoch=epoch + 1,
                            loss=f"{loss.item():.4f}",
                            refresh=False,
                        )
            if use_cuda:
                torch.cuda.synchronize()
            seconds = time.perf_counter() - start
            if proc.world_size > 1:
                dist.all_reduce(total)
            mean_loss = float(total) / (steps_per_epoch * proc.world_size)
            if not math.isfinite(mean_loss):
                raise ValueError(
                    f"the loss became {mean_loss} in epoch {epoch + 1}; "
                    "lower --lr"
                )
            row = {
                "epoch": epoch + 1,
                "loss": round(mean_loss, 6),
                "seconds": round(seconds, 3),
                "images_per_s": round(
                    steps_per_epoch * args.batch_size / seconds, 1
                ),
                "val_knn_acc": None,
            }
            last = epoch + 1 == args.epochs
            if proc.is_main and (
                last or (args.knn_every and (epoch + 1) % args.knn_every == 0)
            ):
                train_features = encode(network.encoder, x_train)
                val_features = encode(network.encoder, x_val)
                row["val_knn_acc"] = round(
                    knn_accuracy(
                        train_features, y_train, val_features, data.y_val
                    ),
                    4,
                )
            if use_cuda:
                row["max_memory_mib"] = round(
                    torch.cuda.max_memory_allocated(proc.device) / 2**20, 1
                )
            history.append(row)
            if proc.is_main:
                args.out.mkdir(parents=True, exist_ok=True)
                state = {
                    "model": network.state_dict(),
                    "optimizer": optimizer.state_dict(),
                    "epoch": epoch + 1,
                    "config": config,
                    "metrics": history,
                }
                save_atomically(state, args.out / CHECKPOINT)
                metrics = {
                    "config": config,
                    "device": str(proc.device),
                    "world_size": proc.world_size,
                    "epochs": history,
                }
                save_atomically(metrics, args.out / METRICS)
            if proc.world_size > 1:
                # no process starts the next epoch before the checkpoint is
                # written
                dist.barrier()
    finally:
        if bar is not None:
            bar.close()
    if proc.is_main:
        final = history[-1]
        print(
            f"epoch {final['epoch']}: loss {final['loss']:.4f}, "
            f"validation kNN accuracy {final['val_knn_acc']:.3f}, "
            f"{final['images_per_s']:.0f} images/s "
            f"on {proc.world_size} × {proc.device.type}; wrote {args.out}"
        )
    return {"config": config, "world_size": proc.world_size, "epochs": history}


def main(argv: Sequence[str] | None = None) -> dict:
    """Parse ``argv`` (default: the command line) and train."""
    return run_training(parse_args(argv))


if __name__ == "__main__":
    try:
        main()
    except CheckpointError as error:
        sys.exit(f"error: {error}")
