"""A small, reusable training loop.

:func:`fit` trains any model whose loss can be written as ``loss_fn(model,
batch)``: a classifier (cross-entropy on ``(x, y)``), an autoencoder (MSE of
``model(x)`` against ``x``) or a contrastive model (two augmented views of
``x``). It stops after a fixed number of epochs or steps; an optional
wall-clock budget is for interactive use only, because a notebook whose
training length depends on the machine's speed cannot reproduce its outputs.

Progress bars (tqdm) show when a person runs the code, in Jupyter or a
terminal. The book's stored outputs are made and checked with
``SSLBOOK_PROGRESS=0`` (set by ``tools/nbtools.py``, the Makefile and the test
suite), so that no bar, whose timings change every run, is stored.

Example
-------
>>> import torch
>>> from torch import nn
>>> from sslbook.train import fit, make_loader
>>> x, y = torch.randn(64, 3), torch.randint(0, 2, (64,))
>>> model = nn.Linear(3, 2)
>>> history = fit(
...     model,
...     lambda m, b: nn.functional.cross_entropy(m(b[0]), b[1]),
...     make_loader(x, y, batch_size=16, seed=0),
...     torch.optim.SGD(model.parameters(), lr=0.1),
...     epochs=2, seed=0, progress=False,
... )
>>> len(history.losses), history.stopped_by
(8, 'epochs')
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

import torch
from torch import nn
from torch.utils.data import (
    BatchSampler,
    DataLoader,
    RandomSampler,
    SequentialSampler,
    TensorDataset,
)

from sslbook.checks import check_int, check_real

__all__ = [
    "PROGRESS_ENV_VAR",
    "progress_enabled",
    "DivergedError",
    "History",
    "classification_loss",
    "make_loader",
    "fit",
]

#: Set to 0 to turn progress bars off (the book's stored outputs are made so).
PROGRESS_ENV_VAR = "SSLBOOK_PROGRESS"


def progress_enabled() -> bool:
    """True unless ``SSLBOOK_PROGRESS`` is ``0``, ``false`` or ``no``."""
    return os.environ.get(PROGRESS_ENV_VAR, "1").strip().lower() not in {
        "0",
        "false",
        "no",
    }


class DivergedError(ValueError):
    """The training loss became nan or infinite; ``step`` is the first step
    where it did.
    """

    def __init__(self, message: str, step: int):
        super().__init__(message)
        self.step = step


@dataclass
class History:
    """What :func:`fit` did.

    Attributes:
        losses: the training loss of every step, in order.
        epoch_losses: the mean loss of every pass over the loader (the last
            one partial when training stopped mid-epoch).
        steps: the number of optimiser steps taken.
        stopped_by: ``"epochs"``, ``"steps"`` or ``"time"``.
    """

    losses: list[float] = field(default_factory=list)
    epoch_losses: list[float] = field(default_factory=list)
    steps: int = 0
    stopped_by: str = ""


def classification_loss(
    model: nn.Module, batch: tuple[torch.Tensor, torch.Tensor]
) -> torch.Tensor:
    """Cross-entropy of ``model(x)`` against ``y`` for a ``(x, y)`` batch: the
    ``loss_fn`` of a classifier.

    Shapes: ``x`` is ``(batch, ...)``, ``y`` is ``(batch,)`` class indices, and
    ``model(x)`` returns ``(batch, n_classes)`` logits.
    """
    x, y = batch
    return nn.functional.cross_entropy(model(x), y)


def make_loader(
    *tensors: torch.Tensor,
    batch_size: int,
    seed: int,
    shuffle: bool = True,
    drop_last: bool = False,
) -> DataLoader:
    """A DataLoader over in-memory tensors whose shuffling has its own seeded
    generator.

    Each batch is one indexing operation on the tensors, not ``batch_size``
    single-example lookups followed by a stack: for small examples (word
    pairs, 28×28 images) that is many times faster, with the same batches.

    Args:
        tensors: tensors sharing their first dimension, e.g. ``(x, y)``.
        batch_size: examples per batch, ≥ 1.
        seed: seeds the order of the batches; the same seed gives the same
            order.
        shuffle: reshuffle at every epoch.
        drop_last: drop the last, smaller batch.
    """
    check_int("batch_size", batch_size)
    dataset = TensorDataset(*tensors)
    generator = torch.Generator().manual_seed(seed)
    order = (
        RandomSampler(dataset, generator=generator)
        if shuffle
        else SequentialSampler(dataset)
    )
    # batch_size=None turns off per-example collation: the sampler yields index
    # lists. The loader draws its base seed from `generator` too, as
    # DataLoader(shuffle=True) does.
    return DataLoader(
        dataset,
        sampler=BatchSampler(order, batch_size, drop_last),
        batch_size=None,
        generator=generator,
    )


def fit(
    model: nn.Module,
    loss_fn: Callable[[nn.Module, Any], torch.Tensor],
    loader: Iterable,
    optimizer: torch.optim.Optimizer,
    *,
    epochs: int | None = None,
    steps: int | None = None,
    max_seconds: float | None = None,
    seed: int | None = 0,
    progress: bool | None = None,
    description: str = "training",
    sync_every: int = 25,
    on_step: Callable[[int], None] | None = None,
) -> History:
    """Train ``model`` in place; stop after ``epochs`` epochs or ``steps``
    steps.

    Args:
        model: switched to train mode (and left in it).
        loss_fn: ``loss_fn(model, batch)`` returns the scalar loss of one
            batch.
        loader: an iterable of batches that can be iterated once per epoch.
        optimizer: steps the model's parameters.
        epochs: stop after this many passes over ``loader``.
        steps: stop after this many optimiser steps (may end mid-epoch).
        max_seconds: also stop once this much wall-clock time has passed. For
            interactive use only: the result then depends on the machine.
        seed: if not None, training draws its global-RNG randomness (dropout,
            noise words, any loader without its own generator) from a stream
            seeded with ``seed``, and the caller's global RNG state is restored
            afterwards: calling ``fit`` does not change the caller's random
            stream. ``None`` draws from (and advances) the caller's stream.
        progress: show a tqdm bar; ``None`` follows :func:`progress_enabled`.
        description: the bar's label.
        sync_every: the losses stay on the model's device and are read back
            (one synchronisation of a GPU) every this many steps, at the end
            of every epoch and at the end of training; the check for a nan
            or infinite loss happens then.
        on_step: called after every optimiser step with the number of steps
            taken so far, e.g. to score the model on a validation split at
            chosen steps (the model is then in train mode again when
            training resumes, even if the hook left a part of it in eval
            mode).

    Raises:
        ValueError: if neither ``epochs`` nor ``steps`` is given, or either
            is < 1.
        DivergedError: (a ``ValueError``) if the loss becomes nan or
            infinite; the message and ``error.step`` name the step.
    """
    if epochs is None and steps is None:
        raise ValueError(
            "give epochs or steps (or both): "
            "a notebook always trains for a fixed budget"
        )
    for name, value in (("epochs", epochs), ("steps", steps)):
        if value is not None:
            check_int(name, value)
    check_int("sync_every", sync_every)
    if max_seconds is not None:
        check_real("max_seconds", max_seconds, "(0, inf)")
    if progress is None:
        progress = progress_enabled()
    if seed is None:
        return _fit(
            model,
            loss_fn,
            loader,
            optimizer,
            epochs,
            steps,
            max_seconds,
            progress,
            description,
            sync_every,
            on_step,
        )
    devices = (
        [torch.cuda.current_device()]
        if torch.cuda.is_available() and torch.cuda.is_initialized()
        else []
    )
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(seed)
        return _fit(
            model,
            loss_fn,
            loader,
            optimizer,
            epochs,
            steps,
            max_seconds,
            progress,
            description,
            sync_every,
            on_step,
        )


def _fit(
    model,
    loss_fn,
    loader,
    optimizer,
    epochs,
    steps,
    max_seconds,
    progress,
    description,
    sync_every,
    on_step,
) -> History:
    history = History()
    per_epoch = len(loader) if hasattr(loader, "__len__") else None
    budgets = [
        b
        for b in (steps, epochs * per_epoch if epochs and per_epoch else None)
        if b is not None
    ]
    total = (
        min(budgets) if budgets else None
    )  # the bar's length; None when unknown
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=total, desc=description, unit="step")
    pending: list[
        torch.Tensor
    ] = []  # detached losses not yet read back from the device

    def read_back() -> None:
        """Move the pending losses into ``history``; fail on the first
        non-finite one.
        """
        if not pending:
            return
        values = torch.stack(pending).float().tolist()
        first = len(history.losses) + 1
        pending.clear()
        for offset, value in enumerate(values):
            if not math.isfinite(value):
                raise DivergedError(
                    f"the loss became {value} at step {first + offset}; "
                    "lower the learning rate",
                    first + offset,
                )
        history.losses.extend(values)
        if bar is not None:
            bar.set_postfix(loss=f"{values[-1]:.4f}", refresh=False)

    start = time.perf_counter()
    model.train()
    epoch = 0
    try:
        while history.stopped_by == "":
            epoch_start, epoch_count = history.steps, 0
            for batch in loader:
                loss = loss_fn(model, batch)
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                history.steps += 1
                epoch_count += 1
                pending.append(loss.detach())
                if len(pending) >= sync_every:
                    read_back()
                if bar is not None:
                    bar.update(1)
                if on_step is not None:
                    on_step(history.steps)
                    model.train()  # whatever mode the hook left anything in
                if steps is not None and history.steps >= steps:
                    history.stopped_by = "steps"
                elif (
                    max_seconds is not None
                    and time.perf_counter() - start >= max_seconds
                ):
                    history.stopped_by = "time"
                if history.stopped_by:
                    break
            if epoch_count == 0:
                raise ValueError("the loader yielded no batch")
            read_back()
            epoch += 1
            history.epoch_losses.append(
                sum(history.losses[epoch_start:]) / epoch_count
            )
            if (
                not history.stopped_by
                and epochs is not None
                and epoch >= epochs
            ):
                history.stopped_by = "epochs"
    finally:
        if bar is not None:
            bar.close()
    return history
