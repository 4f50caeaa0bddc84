"""Networks trained on the few labelled examples: supervised baselines and
fine-tuning.

:func:`train_classifier` trains a network on the labelled examples with the
cross-entropy; :func:`select_supervised` tunes its learning rate, weight
decay and number of steps on validation (:class:`SupervisedGrid`), with the
same care as the self-supervised method it is compared with, and scores the
test split once.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Callable, Sequence

import torch
from torch import nn

from sslbook.checks import check_int
from sslbook.probes import accuracy, sample_per_class
from sslbook.repro import experiment_seeds
from sslbook.selection import Selection, select
from sslbook.stats import SeedScores
from sslbook.train import DivergedError

__all__ = [
    "OPTIMIZERS",
    "train_classifier",
    "SupervisedGrid",
    "select_supervised",
]

#: The optimisers :func:`train_classifier` knows: AdamW, or SGD with
#: momentum 0.9.
OPTIMIZERS = ("adamw", "sgd")


def train_classifier(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    *,
    steps: int,
    lr: float,
    weight_decay: float = 0.0,
    optimizer: str = "adamw",
    augment: Callable[[torch.Tensor], torch.Tensor] | None = None,
    batch_size: int = 256,
    seed: int = 0,
    on_step: Callable[[int], None] | None = None,
    description: str = "supervised",
):
    """Train ``model`` in place on ``(x, y)`` with the cross-entropy.

    Args:
        model: maps ``(batch, C, H, W)`` images to ``(batch, classes)`` logits.
        x, y: the labelled images and their labels.
        steps: optimiser steps (batches of up to ``batch_size``, reshuffled
            each epoch).
        lr: the learning rate.
        weight_decay: AdamW's decoupled weight decay (0: plain Adam), or SGD's
            L2 penalty.
        optimizer: ``"adamw"``, or ``"sgd"`` (with momentum 0.9).
        augment: an optional callable applied to every training batch, e.g.
            :class:`sslbook.augment.SimCLRAugment`.
        batch_size: examples per step.
        seed: seeds the batch order (and any global-RNG draw during training).
        on_step: passed to :func:`sslbook.train.fit`.

    Returns:
        the :class:`sslbook.train.History` of the run.
    """
    from sslbook.train import fit, make_loader

    if optimizer not in OPTIMIZERS:
        raise ValueError(
            f"unknown optimizer {optimizer!r}; known: {', '.join(OPTIMIZERS)}"
        )
    transform = augment if augment is not None else (lambda t: t)

    def loss_fn(m: nn.Module, batch) -> torch.Tensor:
        return nn.functional.cross_entropy(m(transform(batch[0])), batch[1])

    if optimizer == "adamw":
        step_rule = torch.optim.AdamW(
            model.parameters(), lr=lr, weight_decay=weight_decay
        )
    else:
        step_rule = torch.optim.SGD(
            model.parameters(), lr=lr, momentum=0.9, weight_decay=weight_decay
        )
    loader = make_loader(x, y, batch_size=batch_size, seed=seed)
    return fit(
        model,
        loss_fn,
        loader,
        step_rule,
        steps=steps,
        seed=seed,
        on_step=on_step,
        description=description,
    )


@dataclass(frozen=True)
class SupervisedGrid:
    """The settings :func:`select_supervised` tries: every
    ``(lr, weight_decay)``, stopped at each of ``checkpoints``.
    """

    lrs: tuple[float, ...] = (1e-3, 3e-3)
    weight_decays: tuple[float, ...] = (0.0, 5e-4)
    checkpoints: tuple[int, ...] = (50, 100, 200, 400)

    def __post_init__(self) -> None:
        if not self.lrs or not self.weight_decays or not self.checkpoints:
            raise ValueError("every part of the grid needs at least one value")
        for step in self.checkpoints:
            check_int("each checkpoint", step)
        if list(self.checkpoints) != sorted(set(self.checkpoints)):
            raise ValueError(
                f"checkpoints must be increasing, got {self.checkpoints}"
            )


def select_supervised(
    make_model: Callable[[int], nn.Module],
    x_train: torch.Tensor,
    y_train: torch.Tensor,
    x_val: torch.Tensor,
    y_val: torch.Tensor,
    x_test: torch.Tensor,
    y_test: torch.Tensor,
    *,
    labels_per_class: int,
    seeds: Sequence[int] | None = None,
    grid: SupervisedGrid = SupervisedGrid(),
    selection_seeds: Sequence[int] | None = None,
    make_augment: Callable[[int], Callable] | None = None,
    batch_size: int = 256,
    optimizer: str = "adamw",
    description: str = "supervised",
) -> Selection:
    """Train a network on ``k`` labels per class, tuned on validation, scored
    once on test.

    For every selection seed ``s`` and every ``(lr, weight_decay)`` of
    ``grid``, a fresh ``make_model(s)`` (initialised under
    ``torch.manual_seed(s)``) is trained on
    ``sample_per_class(y_train, k, s)``, the same labelled subset that
    :func:`select_probe` uses, and scored on the validation split at every
    checkpoint. The settings ``(lr, weight_decay, steps)`` with the best mean
    validation accuracy are chosen.
    The other seeds are then trained with the chosen settings only, and the
    chosen models of every seed are scored on the test split. The caller's
    global RNG is left as it was. A run whose loss becomes nan or infinite
    (a learning rate too large) scores 0 on validation from then on, so that
    it is never chosen over a run that trained.

    Args:
        make_model: ``make_model(seed)`` returns the network to train: a new
            one for a supervised baseline, or a copy of the encoder that was
            pre-trained with that seed, to fine-tune it.
        x_train, y_train, x_val, y_val, x_test, y_test: images and labels.
        labels_per_class: ``k``.
        seeds: one run (labelled draw, initialisation, batch order) per seed;
            by default ``experiment_seeds(3)``: 0, 1, 2 shifted by
            ``SSLBOOK_SEED_OFFSET``.
        grid: the learning rates, weight decays and checkpoints to try.
        selection_seeds: the seeds whose runs choose the settings; all of
            ``seeds`` by default. Fewer seeds afford a wider grid: the search
            costs one run per setting and selection seed, and every other
            seed one run.
        make_augment: ``make_augment(seed)`` returns the training
            augmentation of one run, or None for none.
        batch_size: examples per step.
        optimizer: ``"adamw"`` or ``"sgd"`` (see :func:`train_classifier`).

    Returns:
        a :class:`Selection` whose ``choice`` is ``(lr, weight_decay, steps)``
        and whose ``validation`` scores are over the selection seeds, with the
        chosen models' accuracy on their own labelled examples in ``train``
        and every run's training history in ``histories``.
    """
    seeds = tuple(
        int(s) for s in (experiment_seeds(3) if seeds is None else seeds)
    )
    chooser = (
        seeds
        if selection_seeds is None
        else tuple(int(s) for s in selection_seeds)
    )
    if not seeds:
        raise ValueError("seeds must name at least one run")
    if not chooser or not set(chooser) <= set(seeds):
        raise ValueError(
            "selection_seeds must be a non-empty subset of "
            f"seeds {seeds}, got {chooser}"
        )
    common = dict(
        make_model=make_model,
        x_train=x_train,
        y_train=y_train,
        x_val=x_val,
        y_val=y_val,
        labels_per_class=labels_per_class,
        make_augment=make_augment,
        batch_size=batch_size,
        optimizer=optimizer,
        description=description,
    )
    runs: dict[tuple, tuple] = {}  # (lr, weight_decay, seed) -> one run
    for lr in grid.lrs:
        for weight_decay in grid.weight_decays:
            for seed in chooser:
                runs[lr, weight_decay, seed] = _checkpointed_run(
                    seed=seed,
                    lr=lr,
                    weight_decay=weight_decay,
                    checkpoints=tuple(grid.checkpoints),
                    **common,
                )
    val_scores = {
        (lr, weight_decay, step): SeedScores(
            tuple(runs[lr, weight_decay, s][1][step][0] for s in chooser),
            chooser,
        )
        for lr in grid.lrs
        for weight_decay in grid.weight_decays
        for step in grid.checkpoints
    }
    chosen = select(val_scores)
    lr, weight_decay, steps = chosen
    for seed in seeds:
        if seed not in chooser:
            runs[lr, weight_decay, seed] = _checkpointed_run(
                seed=seed,
                lr=lr,
                weight_decay=weight_decay,
                checkpoints=(steps,),
                **common,
            )
    states = {
        seed: runs[lr, weight_decay, seed][1][steps][1] for seed in seeds
    }
    if any(states[seed] is None for seed in seeds):
        raise ValueError(
            f"the chosen settings {chosen} diverged for at least one seed; "
            "lower the learning rates"
        )
    histories: dict[tuple, list] = {}  # (lr, weight_decay) -> runs' histories
    for (run_lr, run_decay, _), (history, _) in runs.items():
        histories.setdefault((run_lr, run_decay), []).append(history)
    tests, trains = [], []
    for seed in seeds:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            model = make_model(seed)
        model.load_state_dict(states[seed])
        tests.append(accuracy(model, x_test, y_test))
        idx = torch.from_numpy(
            sample_per_class(y_train, labels_per_class, seed)
        )
        trains.append(accuracy(model, x_train[idx], y_train[idx]))
    return Selection(
        chosen,
        val_scores,
        SeedScores(tuple(tests), seeds),
        SeedScores(tuple(trains), seeds),
        histories,
    )


def _checkpointed_run(
    *,
    make_model: Callable[[int], nn.Module],
    x_train: torch.Tensor,
    y_train: torch.Tensor,
    x_val: torch.Tensor,
    y_val: torch.Tensor,
    labels_per_class: int,
    seed: int,
    lr: float,
    weight_decay: float,
    checkpoints: tuple[int, ...],
    make_augment: Callable[[int], Callable] | None,
    batch_size: int,
    optimizer: str,
    description: str,
) -> tuple:
    """One run of :func:`select_supervised`: a fresh ``make_model(seed)``
    trained on the seed's labelled draw, scored on validation at each
    checkpoint.

    Returns:
        ``(history, reached)``: the run's :class:`sslbook.train.History`
        (None if its loss diverged) and ``{step: (validation accuracy,
        state_dict)}`` for every checkpoint, ``(0.0, None)`` for those a
        diverged run did not reach.
    """
    idx = torch.from_numpy(sample_per_class(y_train, labels_per_class, seed))
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = make_model(seed)
    reached: dict[int, tuple[float, dict | None]] = {}

    def record(step: int) -> None:
        if step in checkpoints:
            reached[step] = (
                accuracy(model, x_val, y_val),
                copy.deepcopy(model.state_dict()),
            )

    augment = make_augment(seed) if make_augment is not None else None
    try:
        history = train_classifier(
            model, x_train[idx], y_train[idx],
            steps=max(checkpoints), lr=lr, weight_decay=weight_decay,
            optimizer=optimizer, augment=augment, batch_size=batch_size,
            seed=seed, on_step=record,
            description=(
                f"{description}, k={labels_per_class}, "
                f"lr={lr:g}, wd={weight_decay:g}, seed {seed}"
            ),
        )  # fmt: skip
    except DivergedError as error:
        history = None
        reached = {
            step: result
            for step, result in reached.items()
            if step < error.step
        }
    return history, {
        step: reached.get(step, (0.0, None)) for step in checkpoints
    }
