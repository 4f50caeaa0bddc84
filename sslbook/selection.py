"""The choice of settings on validation, by their mean score over the seeds.

The book chooses a probe's regularisation, a baseline's learning rate and
length, or a temperature on the validation split, and scores the test split
once, for the chosen settings only. :func:`select` makes the choice,
:func:`choice_margin` says by how much it won (and with what noise), and
:class:`Selection` holds a choice with its one test score. The scores over
seeds are :class:`~sslbook.stats.SeedScores`.

Example
-------
>>> from sslbook.selection import choice_margin, select
>>> from sslbook.stats import SeedScores
>>> validation = {
...     0.1: SeedScores((0.80, 0.82), (0, 1)),
...     1.0: SeedScores((0.86, 0.85), (0, 1)),
... }
>>> select(validation)
1.0
>>> round(choice_margin(validation).difference, 3)
0.045
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Hashable, Mapping

import numpy as np

from sslbook.stats import SeedScores

__all__ = [
    "select",
    "Margin",
    "choice_margin",
    "Selection",
]


def select(
    candidates: Mapping[Hashable, SeedScores], *, higher_is_better: bool = True
) -> Hashable:
    """The candidate with the best mean validation score (the first one on a
    tie).

    Args:
        candidates: ``{settings: validation scores}``.
        higher_is_better: False when the score is an error.

    Raises:
        ValueError: if ``candidates`` is empty.
    """
    if not candidates:
        raise ValueError("select needs at least one candidate")
    sign = 1.0 if higher_is_better else -1.0
    return max(candidates, key=lambda key: sign * candidates[key].mean)


@dataclass(frozen=True)
class Margin:
    """How clearly a choice won on validation.

    Attributes:
        choice: the chosen candidate (as :func:`select` picks it).
        runner_up: the best of the others.
        difference: the chosen candidate's mean validation score minus the
            runner-up's, signed so that it is never negative.
        noise: the standard error of that difference over the selection
            seeds: the sd of the per-seed differences over √n when both were
            scored on the same seeds, Welch's √(s_a²/n_a + s_b²/n_b)
            otherwise, and nan for a single seed (the noise is then unknown).
    """

    choice: Hashable
    runner_up: Hashable
    difference: float
    noise: float


def choice_margin(
    candidates: Mapping[Hashable, SeedScores], *, higher_is_better: bool = True
) -> Margin:
    """The margin of :func:`select`'s choice over the runner-up, and its noise.

    A re-run on another machine may choose differently where the margin is
    within its noise; ``tools/nbcheck.py`` allows exactly that.

    Raises:
        ValueError: for fewer than two candidates.
    """
    if len(candidates) < 2:
        raise ValueError(
            f"a margin needs at least two candidates, got {len(candidates)}"
        )
    chosen = select(candidates, higher_is_better=higher_is_better)
    rest = {key: scores for key, scores in candidates.items() if key != chosen}
    runner_up = select(rest, higher_is_better=higher_is_better)
    best, second = candidates[chosen], candidates[runner_up]
    sign = 1.0 if higher_is_better else -1.0
    difference = sign * (best.mean - second.mean)
    if best.seeds == second.seeds and best.n >= 2:
        paired = np.subtract(best.values, second.values)
        noise = float(np.std(paired, ddof=1) / np.sqrt(best.n))
    elif best.n >= 2 and second.n >= 2:
        noise = float(np.sqrt(best.sd**2 / best.n + second.sd**2 / second.n))
    else:
        noise = float("nan")
    return Margin(chosen, runner_up, float(difference), noise)


@dataclass(frozen=True)
class Selection:
    """Settings chosen on validation, and the test score of the choice.

    Attributes:
        choice: the chosen settings.
        validation: ``{settings: validation scores over the seeds}`` for
            every candidate.
        test: the chosen settings' test scores, one per seed: the only test
            read.
        train: the chosen settings' scores on their own labelled training
            examples, one per seed, to compare with ``test``: their gap
            measures overfitting.
        histories: ``{(lr, weight_decay): [History per seed]}`` of every run
            (:func:`select_supervised` only; ``None`` for a run that diverged).
    """

    choice: Hashable
    validation: dict
    test: SeedScores
    train: SeedScores | None = None
    histories: dict | None = None

    @property
    def margin(self) -> Margin:
        """The choice's validation margin over the runner-up (see
        :func:`choice_margin`).
        """
        return choice_margin(self.validation)

    def validation_table(self, name: str = "settings"):
        """The validation scores as a pandas DataFrame, the chosen row
        marked.
        """
        import pandas as pd

        rows = [
            {
                name: str(key),
                "validation": scores.format(),
                "chosen": "✓" if key == self.choice else "",
            }
            for key, scores in self.validation.items()
        ]
        return pd.DataFrame(rows).set_index(name)
