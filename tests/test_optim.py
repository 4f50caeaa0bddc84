import pytest
import torch

from sslbook.optim import (
    gradient_descent,
    optimizer_path,
    quadratic,
    rosenbrock,
    steps_to_tolerance,
)

START = torch.tensor([-1.5, 2.0], dtype=torch.float64)


@pytest.mark.parametrize(
    "loss_fn, lr", [(quadratic, 0.15), (rosenbrock, 1e-3)]
)
def test_iterates_equal_torch_sgd(loss_fn, lr):
    ours = gradient_descent(loss_fn, START, lr=lr, steps=50)
    sgd = optimizer_path(
        loss_fn, START, lambda params: torch.optim.SGD(params, lr=lr), steps=50
    )
    assert torch.equal(ours, sgd)


def test_quadratic_step_matches_the_closed_form():
    # ∇J = (θ1, κ θ2), so one step multiplies θ1 by (1 − α) and θ2 by (1 − ακ).
    path = gradient_descent(quadratic, START, lr=0.05, steps=3)
    expected = torch.stack(
        [
            START * torch.tensor([0.95, 0.5], dtype=torch.float64) ** t
            for t in range(4)
        ]
    )
    assert torch.allclose(path, expected, rtol=1e-12)


def test_too_large_a_step_diverges_and_a_good_one_converges():
    # Stable iff α < 2/κ = 0.2 for κ = 10.
    assert (
        quadratic(gradient_descent(quadratic, START, lr=0.18, steps=100)[-1])
        < 1e-12
    )
    assert (
        quadratic(gradient_descent(quadratic, START, lr=0.21, steps=100)[-1])
        > 1e6
    )


def test_minima_of_the_surfaces():
    assert quadratic(torch.zeros(2)) == 0
    assert rosenbrock(torch.tensor([1.0, 1.0])) == 0
    assert rosenbrock(torch.tensor([2.0, 4.0]), a=2.0) == 0


def test_start_is_not_modified_and_path_starts_there():
    start = START.clone()
    path = gradient_descent(rosenbrock, start, lr=1e-3, steps=2)
    assert torch.equal(start, START) and torch.equal(path[0], START)


def test_steps_to_tolerance():
    path = gradient_descent(quadratic, START, lr=0.18, steps=60)
    t = steps_to_tolerance(quadratic, path, 1e-6)
    assert quadratic(path[t]) <= 1e-6 < quadratic(path[t - 1])
    assert steps_to_tolerance(quadratic, path[:5], 1e-6) is None


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"lr": 0.0, "steps": 1}, "lr must be a finite number > 0"),
        ({"lr": float("inf"), "steps": 1}, "lr must be a finite number > 0"),
        ({"lr": 0.1, "steps": -1}, "steps must be an int >= 0"),
    ],
)
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        gradient_descent(quadratic, START, **kwargs)


def test_bad_shapes():
    with pytest.raises(ValueError, match=r"theta0 must be 1-D"):
        gradient_descent(quadratic, START[None], lr=0.1, steps=1)
    with pytest.raises(ValueError, match="must return a scalar"):
        gradient_descent(lambda t: t * 2, START, lr=0.1, steps=1)
