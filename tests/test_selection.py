"""sslbook.selection: the choice of settings on validation."""

import numpy as np
import pytest

from sslbook.selection import select
from sslbook.stats import SeedScores


def test_select_takes_the_best_mean():
    val = {
        0.1: SeedScores((0.5, 0.7), (0, 1)),
        1.0: SeedScores((0.65, 0.66), (0, 1)),
        10.0: SeedScores((0.4, 0.4), (0, 1)),
    }
    assert select(val) == 1.0
    assert select(val, higher_is_better=False) == 10.0
    with pytest.raises(ValueError, match="at least one candidate"):
        select({})


def test_select_takes_the_first_candidate_on_a_tie():
    same = SeedScores((0.5, 0.7), (0, 1))
    assert select({1.0: same, 0.1: same, 10.0: same}) == 1.0
    assert (
        select({1.0: same, 0.1: same, 10.0: same}, higher_is_better=False)
        == 1.0
    )


def test_choice_margin_is_the_paired_difference_with_its_standard_error():
    from sslbook.selection import choice_margin

    seeds = (0, 1, 2, 3)
    best, second, third = (
        (0.90, 0.86, 0.88, 0.91),
        (0.85, 0.84, 0.86, 0.86),
        (0.5, 0.5, 0.5, 0.5),
    )
    candidates = {
        "b": SeedScores(second, seeds),
        "a": SeedScores(best, seeds),
        "c": SeedScores(third, seeds),
    }
    margin = choice_margin(candidates)
    differences = np.subtract(best, second)
    assert (margin.choice, margin.runner_up) == ("a", "b")
    assert margin.difference == pytest.approx(differences.mean())
    assert margin.noise == pytest.approx(differences.std(ddof=1) / 2)
    errors = choice_margin(
        candidates, higher_is_better=False
    )  # the lowest wins; its lead is still positive
    assert (errors.choice, errors.runner_up) == (
        "c",
        "b",
    ) and errors.difference == pytest.approx(np.mean(second) - 0.5)


def test_choice_margin_without_shared_seeds_uses_welch_and_one_seed_has_no_noise():  # noqa: E501
    from sslbook.selection import choice_margin

    a, b = (
        SeedScores((0.9, 0.8, 0.85), (0, 1, 2)),
        SeedScores((0.7, 0.75), (5, 6)),
    )
    assert choice_margin({"a": a, "b": b}).noise == pytest.approx(
        np.sqrt(a.sd**2 / 3 + b.sd**2 / 2)
    )
    one = choice_margin(
        {"a": SeedScores((0.9,), (0,)), "b": SeedScores((0.8,), (0,))}
    )
    assert one.difference == pytest.approx(0.1) and np.isnan(one.noise)
    with pytest.raises(ValueError, match="at least two candidates"):
        choice_margin({"a": a})


def test_a_selections_margin_is_that_of_its_validation_scores():
    from sslbook.selection import Selection, choice_margin

    validation = {
        0.1: SeedScores((0.8, 0.7), (0, 1)),
        1.0: SeedScores((0.9, 0.85), (0, 1)),
    }
    selection = Selection(1.0, validation, SeedScores((0.88, 0.86), (0, 1)))
    assert selection.margin == choice_margin(validation)
