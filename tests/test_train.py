import pytest
import torch
from torch import nn

from sslbook.train import (
    PROGRESS_ENV_VAR,
    classification_loss,
    fit,
    make_loader,
    progress_enabled,
)


def problem(seed=0):
    torch.manual_seed(seed)
    x = torch.randn(64, 4)
    y = (x[:, 0] > 0).long()
    return x, y


def train(epochs=None, steps=None, seed=0, **kwargs):
    x, y = problem()
    torch.manual_seed(123)
    model = nn.Linear(4, 2)
    loader = make_loader(x, y, batch_size=16, seed=seed)
    history = fit(
        model,
        classification_loss,
        loader,
        torch.optim.SGD(model.parameters(), lr=0.5),
        epochs=epochs,
        steps=steps,
        seed=seed,
        progress=False,
        **kwargs,
    )
    return model, history


def test_loss_decreases_on_a_learnable_problem():
    _, history = train(epochs=10)
    assert history.epoch_losses[-1] < 0.5 * history.epoch_losses[0]


def test_epoch_budget():
    _, history = train(epochs=3)
    assert (
        history.steps,
        len(history.losses),
        len(history.epoch_losses),
        history.stopped_by,
    ) == (12, 12, 3, "epochs")


def test_step_budget_can_end_mid_epoch():
    _, history = train(steps=6)
    assert (history.steps, len(history.epoch_losses), history.stopped_by) == (
        6,
        2,
        "steps",
    )


def test_first_budget_reached_wins():
    _, history = train(epochs=5, steps=7)
    assert (history.steps, history.stopped_by) == (7, "steps")


def test_time_budget(monkeypatch):
    clock = iter(range(100))
    monkeypatch.setattr("sslbook.train.time.perf_counter", lambda: next(clock))
    _, history = train(epochs=100, max_seconds=3)
    assert (history.steps, history.stopped_by) == (3, "time")


def test_same_seed_same_result():
    model_a, history_a = train(epochs=2, seed=5)
    model_b, history_b = train(epochs=2, seed=5)
    _, history_c = train(epochs=2, seed=6)
    assert history_a.losses == history_b.losses
    assert torch.equal(model_a.weight, model_b.weight)
    assert history_a.losses != history_c.losses


def test_diverging_loss_is_reported():
    x, y = problem()
    model = nn.Linear(4, 2)
    with torch.no_grad():
        model.weight.fill_(float("inf"))
    with pytest.raises(ValueError, match="the loss became nan at step 1"):
        fit(
            model,
            classification_loss,
            make_loader(x, y, batch_size=16, seed=0),
            torch.optim.SGD(model.parameters(), lr=0.1),
            epochs=1,
            progress=False,
        )


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({}, "give epochs or steps"),
        ({"epochs": 0}, "epochs must be an int >= 1"),
        ({"steps": 1.5}, "steps must be an int >= 1"),
        ({"epochs": 1, "sync_every": 0}, "sync_every must be an int >= 1"),
        (
            {"epochs": 1, "max_seconds": 0},
            "max_seconds must be a finite number > 0",
        ),
    ],
)
def test_bad_budgets(kwargs, message):
    x, y = problem()
    model = nn.Linear(4, 2)
    with pytest.raises(ValueError, match=message):
        fit(
            model,
            classification_loss,
            make_loader(x, y, batch_size=16, seed=0),
            torch.optim.SGD(model.parameters(), lr=0.1),
            progress=False,
            **kwargs,
        )


def test_progress_switch(monkeypatch):
    monkeypatch.setenv(PROGRESS_ENV_VAR, "0")
    assert not progress_enabled()
    monkeypatch.setenv(PROGRESS_ENV_VAR, "1")
    assert progress_enabled()
    monkeypatch.delenv(PROGRESS_ENV_VAR)
    assert progress_enabled()


def test_progress_bar_goes_to_stderr_when_on(capsys):
    x, y = problem()
    model = nn.Linear(4, 2)
    fit(
        model,
        classification_loss,
        make_loader(x, y, batch_size=16, seed=0),
        torch.optim.SGD(model.parameters(), lr=0.1),
        epochs=1,
        progress=True,
        description="demo",
    )
    assert "demo" in capsys.readouterr().err


def test_classification_loss_is_cross_entropy_of_the_logits():
    x, y = problem()
    model = nn.Linear(4, 2)
    manual = -torch.log_softmax(model(x), dim=1)[
        torch.arange(len(y)), y
    ].mean()
    assert torch.allclose(classification_loss(model, (x, y)), manual)


def test_make_loader_batches_are_slices_in_a_seeded_order():
    x = torch.arange(10)
    batches = [b[0].tolist() for b in make_loader(x, batch_size=4, seed=0)]
    assert [len(b) for b in batches] == [4, 4, 2]
    assert sorted(sum(batches, [])) == list(range(10))
    assert batches == [
        b[0].tolist() for b in make_loader(x, batch_size=4, seed=0)
    ]
    assert batches != [
        b[0].tolist() for b in make_loader(x, batch_size=4, seed=1)
    ]
    assert [
        b[0].tolist()
        for b in make_loader(
            x, batch_size=4, seed=0, shuffle=False, drop_last=True
        )
    ] == [[0, 1, 2, 3], [4, 5, 6, 7]]


@pytest.mark.parametrize(
    "seed", [{"seed": 3}, {}], ids=["seed 3", "default seed 0"]
)
def test_fit_leaves_the_callers_random_stream_alone(seed):
    """Training draws (dropout here) from its own seeded stream; the caller's
    RNG state is put back.
    """
    x, y = problem()
    model = nn.Sequential(nn.Dropout(0.5), nn.Linear(4, 2))
    torch.manual_seed(7)
    before = torch.random.get_rng_state()
    fit(
        model,
        classification_loss,
        make_loader(x, y, batch_size=16, seed=0),
        torch.optim.SGD(model.parameters(), lr=0.1),
        epochs=2,
        progress=False,
        **seed,
    )
    assert torch.equal(torch.random.get_rng_state(), before)


def test_fit_with_a_seed_repeats_its_global_draws():
    """Global-RNG draws inside training (dropout here) come from the seed,
    whatever the caller's state.
    """
    x, y = problem()

    def run(outer_seed):
        torch.manual_seed(0)
        model = nn.Sequential(nn.Dropout(0.5), nn.Linear(4, 2))
        torch.manual_seed(outer_seed)
        return fit(
            model,
            classification_loss,
            make_loader(x, y, batch_size=16, seed=0),
            torch.optim.SGD(model.parameters(), lr=0.1),
            epochs=2,
            seed=3,
            progress=False,
        ).losses

    assert run(1) == run(2)


def test_losses_are_read_back_in_chunks_with_the_same_values():
    _, every_step = train(epochs=3, sync_every=1)
    _, chunked = train(epochs=3, sync_every=5)
    assert (
        chunked.losses == every_step.losses
        and chunked.epoch_losses == every_step.epoch_losses
    )
    assert len(chunked.losses) == 12


def test_on_step_sees_every_step_and_training_resumes_in_train_mode():
    x, y = problem()
    model = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.Linear(8, 2))
    seen = []

    def on_step(step):
        seen.append((step, model.training))
        model.eval()  # as an evaluation would leave it

    modes = []
    fit(
        model,
        lambda m, b: (modes.append(m.training), classification_loss(m, b))[1],
        make_loader(x, y, batch_size=16, seed=0),
        torch.optim.SGD(model.parameters(), lr=0.1),
        steps=6,
        progress=False,
        on_step=on_step,
    )
    assert [s for s, _ in seen] == [1, 2, 3, 4, 5, 6]
    assert all(modes)  # every step trained in train mode


def test_training_resumes_in_train_mode_when_a_hook_left_only_a_part_in_eval():
    x, y = problem()
    model = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.Linear(8, 2))
    modes = []
    fit(
        model,
        lambda m, b: (modes.append(m[1].training), classification_loss(m, b))[
            1
        ],
        make_loader(x, y, batch_size=16, seed=0),
        torch.optim.SGD(model.parameters(), lr=0.1),
        steps=4,
        progress=False,
        on_step=lambda step: model[1].eval(),
    )
    assert modes == [True] * 4  # the BatchNorm trained at every step


def test_losses_are_not_read_back_every_step(monkeypatch):
    """Reading a loss with .item() synchronises a GPU; fit reads them back in
    chunks instead.
    """
    calls = []
    original = torch.Tensor.item
    # count float reads only: the DataLoader reads an int64 seed once per epoch
    monkeypatch.setattr(
        torch.Tensor,
        "item",
        lambda self: (
            (calls.append(1) if self.is_floating_point() else None)
            or original(self)
        ),
    )
    _, history = train(epochs=3, sync_every=5)
    assert len(history.losses) == 12 and calls == []


# --- added by mutation testing -----------------------------------------------


def test_epoch_losses_are_the_mean_loss_of_each_pass_the_last_one_partial():
    _, history = train(
        steps=6
    )  # 4 batches per epoch: one whole epoch, then 2 steps
    assert history.epoch_losses == pytest.approx(
        [sum(history.losses[:4]) / 4, sum(history.losses[4:]) / 2]
    )


def test_a_nan_is_caught_at_the_first_read_back_after_it_and_its_step_is_on_the_error():  # noqa: E501
    x, y = problem()
    model = nn.Linear(4, 2)
    calls = {"n": 0}

    def loss_fn(m, batch):
        calls["n"] += 1
        loss = classification_loss(m, batch)
        return loss * float("nan") if calls["n"] == 3 else loss

    with pytest.raises(
        ValueError, match="the loss became nan at step 3"
    ) as info:
        fit(
            model,
            loss_fn,
            make_loader(x, y, batch_size=8, seed=0),  # 8 batches per epoch
            torch.optim.SGD(model.parameters(), lr=0.1),
            epochs=1,
            sync_every=3,
            progress=False,
        )
    assert info.value.step == 3
    assert (
        calls["n"] == 3
    )  # read back after the 3rd step, before a 4th is taken


def test_an_empty_loader_is_refused():
    with pytest.raises(ValueError, match="the loader yielded no batch"):
        fit(
            nn.Linear(4, 2),
            classification_loss,
            [],
            torch.optim.SGD(nn.Linear(4, 2).parameters(), lr=0.1),
            epochs=1,
            progress=False,
        )
