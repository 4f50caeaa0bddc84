"""sslbook.baselines: supervised baselines and fine-tuning, tuned on
validation.
"""

import pytest
import torch

from sslbook.baselines import (
    SupervisedGrid,
    select_supervised,
    train_classifier,
)
from sslbook.probes import accuracy, linear_probe, sample_per_class
from sslbook.selection import select


def image_problem(n, seed):
    g = torch.Generator().manual_seed(seed)
    y = torch.arange(n) % 2
    x = 0.05 * torch.rand(n, 1, 4, 4, generator=g)
    x[y == 1, :, :2] += 1.0  # class 1: top half lit
    return x, y


def linear_model(seed: int) -> torch.nn.Module:
    return torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(16, 2))


def retrain(choice: tuple, seed: int, x_tr, y_tr) -> torch.nn.Module:
    """select_supervised's run for ``seed``, redone by hand with the chosen
    (lr, weight decay, steps).
    """
    lr, weight_decay, steps = choice
    torch.manual_seed(seed)
    model = linear_model(seed)
    idx = torch.from_numpy(sample_per_class(y_tr, 3, seed))
    train_classifier(
        model,
        x_tr[idx],
        y_tr[idx],
        steps=steps,
        lr=lr,
        weight_decay=weight_decay,
        seed=seed,
    )
    return model


def test_train_classifier_uses_weight_decay_and_learns():
    x, y = image_problem(40, 0)
    torch.manual_seed(0)
    plain, decayed = linear_model(0), linear_model(0)
    decayed.load_state_dict(plain.state_dict())
    train_classifier(plain, x, y, steps=30, lr=0.1, seed=0)
    train_classifier(decayed, x, y, steps=30, lr=0.1, weight_decay=1.0, seed=0)
    assert accuracy(plain, x, y) == 1.0
    assert decayed[1].weight.norm() < plain[1].weight.norm()


def test_select_supervised_tunes_on_validation_and_leaves_the_global_rng_alone():  # noqa: E501
    x_tr, y_tr = image_problem(40, 0)
    x_val, y_val = image_problem(20, 1)
    x_te, y_te = image_problem(20, 2)
    grid = SupervisedGrid(
        lrs=(1e-4, 0.1), weight_decays=(0.0,), checkpoints=(1, 20)
    )
    torch.manual_seed(123)
    before = torch.random.get_rng_state()
    result = select_supervised(
        linear_model,
        x_tr,
        y_tr,
        x_val,
        y_val,
        x_te,
        y_te,
        labels_per_class=3,
        seeds=(0, 1),
        grid=grid,
    )
    assert torch.equal(torch.random.get_rng_state(), before)
    assert set(result.validation) == {
        (lr, 0.0, step) for lr in (1e-4, 0.1) for step in (1, 20)
    }
    assert (
        result.choice == select(result.validation) and result.choice[0] == 0.1
    )
    assert (
        result.validation[(1e-4, 0.0, 1)].mean
        < 0.9
        <= result.validation[result.choice].mean
    )  # a tiny lr for one step cannot fit it
    assert result.test.seeds == (0, 1) and result.test.mean == 1.0
    # The chosen models are the ones scored: retraining seed 0 with the choice
    # gives its test score.
    model = retrain(result.choice, 0, x_tr, y_tr)
    assert accuracy(model, x_te, y_te) == result.test.values[0]
    assert (
        accuracy(model, x_val, y_val)
        == result.validation[result.choice].values[0]
    )


def test_supervised_grid_checks_its_values():
    with pytest.raises(ValueError, match="increasing"):
        SupervisedGrid(checkpoints=(100, 50))
    with pytest.raises(ValueError, match="at least one value"):
        SupervisedGrid(lrs=())


def test_a_diverging_learning_rate_scores_zero_and_is_not_chosen():
    x_tr, y_tr = image_problem(40, 0)
    y_tr = y_tr.clone()
    # noisy labels: no step can fit them all, so a huge learning rate
    # overflows
    y_tr[::5] = 1 - y_tr[::5]
    x_val, y_val = image_problem(20, 1)
    x_te, y_te = image_problem(20, 2)
    grid = SupervisedGrid(
        lrs=(3e38, 0.1), weight_decays=(0.0,), checkpoints=(30, 60)
    )
    result = select_supervised(
        linear_model,
        x_tr,
        y_tr,
        x_val,
        y_val,
        x_te,
        y_te,
        labels_per_class=3,
        seeds=(0, 1),
        grid=grid,
        optimizer="sgd",
    )
    assert result.validation[(3e38, 0.0, 60)].values == (0.0, 0.0)
    assert result.choice[0] == 0.1 and result.histories[(3e38, 0.0)] == [
        None,
        None,
    ]
    with pytest.raises(ValueError, match="diverged for at least one seed"):
        select_supervised(
            linear_model,
            x_tr,
            y_tr,
            x_val,
            y_val,
            x_te,
            y_te,
            labels_per_class=3,
            seeds=(0,),
            grid=SupervisedGrid(
                lrs=(3e38,), weight_decays=(0.0,), checkpoints=(30,)
            ),
            optimizer="sgd",
        )


def test_select_supervised_reports_training_accuracy_and_histories():
    x_tr, y_tr = image_problem(40, 0)
    x_val, y_val = image_problem(20, 1)
    grid = SupervisedGrid(
        lrs=(0.05,), weight_decays=(0.0,), checkpoints=(5, 10)
    )
    result = select_supervised(
        linear_model,
        x_tr,
        y_tr,
        x_val,
        y_val,
        x_val,
        y_val,
        labels_per_class=3,
        seeds=(0, 1, 2),
        grid=grid,
        optimizer="sgd",
    )
    assert result.train.seeds == (0, 1, 2) and all(
        0 <= v <= 1 for v in result.train.values
    )
    assert [len(h.losses) for h in result.histories[(0.05, 0.0)]] == [
        10,
        10,
        10,
    ]
    with pytest.raises(ValueError, match="unknown optimizer 'lbfgs'"):
        train_classifier(
            linear_model(0), x_tr, y_tr, steps=1, lr=0.1, optimizer="lbfgs"
        )


def test_sgd_and_adamw_take_different_steps():
    x, y = image_problem(40, 0)
    torch.manual_seed(0)
    a, b = linear_model(0), linear_model(0)
    b.load_state_dict(a.state_dict())
    train_classifier(a, x, y, steps=3, lr=0.01, optimizer="sgd", seed=0)
    train_classifier(b, x, y, steps=3, lr=0.01, optimizer="adamw", seed=0)
    assert not torch.allclose(a[1].weight, b[1].weight)


def test_selection_on_one_seed_then_the_chosen_settings_on_the_others():
    x_tr, y_tr = image_problem(40, 0)
    x_val, y_val = image_problem(20, 1)
    x_te, y_te = image_problem(20, 2)
    grid = SupervisedGrid(
        lrs=(1e-4, 0.1), weight_decays=(0.0,), checkpoints=(2, 10)
    )
    trained = []

    def counting_model(seed):
        trained.append(seed)
        return linear_model(seed)

    result = select_supervised(
        counting_model,
        x_tr,
        y_tr,
        x_val,
        y_val,
        x_te,
        y_te,
        labels_per_class=3,
        seeds=(0, 1, 2),
        selection_seeds=(0,),
        grid=grid,
    )
    assert all(scores.seeds == (0,) for scores in result.validation.values())
    assert trained[:2] == [0, 0] and sorted(trained[2:4]) == [
        1,
        2,
    ]  # the grid on seed 0, then one run per other seed
    assert result.test.seeds == (0, 1, 2)
    model = retrain(result.choice, 2, x_tr, y_tr)
    assert accuracy(model, x_te, y_te) == result.test.values[2]
    with pytest.raises(
        ValueError, match="selection_seeds must be a non-empty subset"
    ):
        select_supervised(
            linear_model,
            x_tr,
            y_tr,
            x_val,
            y_val,
            x_te,
            y_te,
            labels_per_class=3,
            seeds=(0, 1),
            selection_seeds=(5,),
            grid=grid,
        )


def test_sgd_is_momentum_sgd_with_weight_decay():
    x, y = image_problem(40, 0)
    torch.manual_seed(0)
    ours, reference = linear_model(0), linear_model(0)
    reference.load_state_dict(ours.state_dict())
    train_classifier(
        ours,
        x,
        y,
        steps=3,
        lr=0.05,
        weight_decay=0.01,
        optimizer="sgd",
        batch_size=len(x),
        seed=0,
    )
    step_rule = torch.optim.SGD(
        reference.parameters(), lr=0.05, momentum=0.9, weight_decay=0.01
    )
    for _ in range(
        3
    ):  # one full batch per step: the batch order cannot matter
        step_rule.zero_grad()
        torch.nn.functional.cross_entropy(reference(x), y).backward()
        step_rule.step()
    for a, b in zip(ours.parameters(), reference.parameters()):
        assert torch.allclose(a, b, atol=1e-6)


def test_train_classifier_seed_orders_the_batches():
    x, y = image_problem(40, 0)

    def batches(seed):
        seen = []
        train_classifier(
            linear_model(0),
            x,
            y,
            steps=4,
            lr=0.1,
            batch_size=10,
            seed=seed,
            augment=lambda b: seen.append(b.clone()) or b,
        )
        return seen

    first = batches(0)
    assert len(first) == 4 and all(
        torch.equal(a, b) for a, b in zip(first, batches(0))
    )
    assert not all(torch.equal(a, b) for a, b in zip(first, batches(1)))


def test_each_seed_trains_on_its_own_labelled_draw_through_its_augmentation():
    x_tr, y_tr = image_problem(40, 0)
    x_val, y_val = image_problem(20, 1)
    seen = {}

    def make_augment(seed):
        def augment(batch):
            seen.setdefault(seed, set()).update(
                tuple(row.flatten().tolist()) for row in batch
            )
            return batch

        return augment

    grid = SupervisedGrid(lrs=(0.1,), weight_decays=(0.0,), checkpoints=(3,))
    select_supervised(
        linear_model, x_tr, y_tr, x_val, y_val, x_val, y_val,
        labels_per_class=3, seeds=(0, 1, 2), grid=grid,
        make_augment=make_augment,
    )  # fmt: skip
    for seed in (0, 1, 2):
        idx = sample_per_class(y_tr, 3, seed)
        assert seen[seed] == {
            tuple(row.flatten().tolist()) for row in x_tr[idx]
        }, seed


def test_select_supervised_initialises_each_model_under_its_seed():
    x_tr, y_tr = image_problem(40, 0)
    x_val, y_val = image_problem(20, 1)
    draws = []

    def recording_model(seed):
        draws.append(
            (seed, torch.rand(1).item())
        )  # what an initialisation would draw
        return linear_model(seed)

    torch.manual_seed(123)
    grid = SupervisedGrid(lrs=(0.1,), weight_decays=(0.0,), checkpoints=(2,))
    select_supervised(
        recording_model, x_tr, y_tr, x_val, y_val, x_val, y_val,
        labels_per_class=3, seeds=(0, 1), grid=grid,
    )  # fmt: skip
    assert len(draws) == 4  # a training run and a scoring copy per seed
    for seed, value in draws:
        assert (
            value
            == torch.rand(
                1, generator=torch.Generator().manual_seed(seed)
            ).item()
        ), seed


def test_select_supervised_never_reads_the_test_labels_to_choose():
    x_tr, y_tr = image_problem(40, 0)
    x_val, y_val = image_problem(20, 1)
    x_te, y_te = image_problem(20, 2)
    grid = SupervisedGrid(
        lrs=(1e-4, 0.1), weight_decays=(0.0,), checkpoints=(1, 20)
    )
    kwargs = dict(labels_per_class=3, seeds=(0, 1), grid=grid)
    honest = select_supervised(
        linear_model, x_tr, y_tr, x_val, y_val, x_te, y_te, **kwargs
    )
    scrambled = select_supervised(
        linear_model, x_tr, y_tr, x_val, y_val, x_te, 1 - y_te, **kwargs
    )
    assert (
        honest.validation == scrambled.validation
        and honest.choice == scrambled.choice
    )
    assert honest.test.values != scrambled.test.values


def test_train_scores_are_the_chosen_models_on_their_own_labelled_examples():
    x_tr, y_tr = image_problem(40, 0)
    y_tr = y_tr.clone()
    # noisy labels: the labelled draws differ in how well a model fits them
    y_tr[::3] = 1 - y_tr[::3]
    x_val, y_val = image_problem(20, 1)
    grid = SupervisedGrid(lrs=(0.1,), weight_decays=(0.0,), checkpoints=(2,))
    result = select_supervised(
        linear_model, x_tr, y_tr, x_val, y_val, x_val, y_val,
        labels_per_class=3, seeds=(0, 1, 2), grid=grid,
    )  # fmt: skip
    expected = []
    for seed in (0, 1, 2):
        model = retrain((0.1, 0.0, 2), seed, x_tr, y_tr)
        idx = torch.from_numpy(sample_per_class(y_tr, 3, seed))
        expected.append(accuracy(model, x_tr[idx], y_tr[idx]))
    assert result.train.values == tuple(expected)
    assert result.train.values != result.validation[result.choice].values


def test_a_diverged_run_scores_zero_from_the_step_whose_loss_was_not_finite():
    """fit calls on_step before it reads the losses back: a checkpoint at or
    after the nan step must still score 0.
    """
    from sslbook.train import DivergedError

    x_tr, y_tr = image_problem(40, 0)
    y_tr = y_tr.clone()
    y_tr[::5] = 1 - y_tr[::5]
    x_val, y_val = image_problem(20, 1)
    lr, checkpoints = 3e38, (1, 2, 3, 4, 5, 6)
    diverged_at = {}
    # the same run as select_supervised's, to learn where its loss stops
    # being finite
    for seed in (0, 1):
        torch.manual_seed(seed)
        model = linear_model(seed)
        idx = torch.from_numpy(sample_per_class(y_tr, 3, seed))
        with pytest.raises(DivergedError) as info:
            train_classifier(
                model,
                x_tr[idx],
                y_tr[idx],
                steps=max(checkpoints),
                lr=lr,
                optimizer="sgd",
                batch_size=2,
                seed=seed,
            )
        diverged_at[seed] = info.value.step
        assert diverged_at[seed] in checkpoints
    result = select_supervised(
        linear_model, x_tr, y_tr, x_val, y_val, x_val, y_val,
        labels_per_class=3, seeds=(0, 1),
        grid=SupervisedGrid(
            lrs=(lr, 0.1), weight_decays=(0.0,), checkpoints=checkpoints
        ),
        optimizer="sgd", batch_size=2,
    )  # fmt: skip
    for i, seed in enumerate((0, 1)):
        for step in checkpoints:
            if step >= diverged_at[seed]:
                assert result.validation[(lr, 0.0, step)].values[i] == 0.0, (
                    seed,
                    step,
                )


def test_a_chosen_setting_that_diverges_on_a_later_seed_is_refused():
    x_tr, y_tr = image_problem(40, 0)
    x_val, y_val = image_problem(20, 1)

    # seed 1's network starts with infinite weights: its loss is nan at once
    def fragile_model(seed):
        model = linear_model(seed)
        if seed == 1:
            with torch.no_grad():
                model[1].weight.fill_(float("inf"))
        return model

    grid = SupervisedGrid(lrs=(0.1,), weight_decays=(0.0,), checkpoints=(5,))
    with pytest.raises(ValueError, match="diverged for at least one seed"):
        select_supervised(
            fragile_model, x_tr, y_tr, x_val, y_val, x_val, y_val,
            labels_per_class=3, seeds=(0, 1), selection_seeds=(0,), grid=grid,
        )  # fmt: skip


def test_the_default_seeds_follow_the_seed_offset(monkeypatch):
    """A notebook that leaves seeds out still re-runs on fresh seeds under
    SSLBOOK_SEED_OFFSET.
    """
    import sslbook.repro

    monkeypatch.setattr(sslbook.repro, "SEED_OFFSET", 1000)
    x, y = image_problem(40, 0)
    assert linear_probe(x, y, x, y, labels_per_class=3).seeds == (
        1000,
        1001,
        1002,
    )
    grid = SupervisedGrid(lrs=(0.1,), weight_decays=(0.0,), checkpoints=(2,))
    result = select_supervised(
        linear_model, x, y, x, y, x, y, labels_per_class=3, grid=grid
    )
    assert result.test.seeds == (1000, 1001, 1002)


def test_every_checkpoint_is_scored_and_the_chosen_one_is_tested():
    """Validation at each checkpoint, and test at the chosen one, equal the
    same runs redone by hand to that step, on a problem noisy enough that the
    checkpoints score differently."""
    g = torch.Generator().manual_seed(0)

    def noisy(n):
        x = torch.randn(n, 1, 4, 4, generator=g)
        signal = x.flatten(1)[:, :8].sum(1) + 2 * torch.randn(n, generator=g)
        return x, (signal > 0).long()

    (x_tr, y_tr), (x_val, y_val), (x_te, y_te) = (
        noisy(60),
        noisy(200),
        noisy(200),
    )
    grid = SupervisedGrid(
        lrs=(0.03,), weight_decays=(0.0,), checkpoints=(1, 4, 30)
    )
    result = select_supervised(
        linear_model, x_tr, y_tr, x_val, y_val, x_te, y_te,
        labels_per_class=3, seeds=(0, 1), selection_seeds=(0,), grid=grid,
    )  # fmt: skip
    scores = []
    for step in grid.checkpoints:
        model = retrain((0.03, 0.0, step), 0, x_tr, y_tr)
        scores.append(accuracy(model, x_val, y_val))
        assert scores[-1] == result.validation[(0.03, 0.0, step)].values[0]
    assert len(set(scores)) == len(scores)  # the checkpoints are told apart
    for i, seed in enumerate((0, 1)):
        model = retrain(result.choice, seed, x_tr, y_tr)
        assert accuracy(model, x_te, y_te) == result.test.values[i]
    # the seed that did not choose trains to the chosen step only
    later = result.histories[(0.03, 0.0)][1]
    assert len(later.losses) == result.choice[2]
