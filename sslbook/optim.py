"""Gradient descent from scratch, and the 2-D loss surfaces that show how it
behaves.

:func:`gradient_descent` implements the update of the source article's §2.1,

    θ_{t+1} = θ_t − α ∇J(θ_t),

with autograd computing ∇J, and returns every iterate so that trajectories can
be plotted. Its iterates equal those of ``torch.optim.SGD`` (no momentum, no
weight decay), which the tests check.

Example
-------
>>> import torch
>>> from sslbook.optim import gradient_descent, quadratic
>>> path = gradient_descent(
...     quadratic, torch.tensor([1.0, 1.0]), lr=0.1, steps=3
... )
>>> path.shape
torch.Size([4, 2])
"""

from __future__ import annotations

from typing import Callable

import torch

from sslbook.checks import check_int, check_real

__all__ = [
    "Loss",
    "quadratic",
    "rosenbrock",
    "gradient_descent",
    "optimizer_path",
    "steps_to_tolerance",
]

Loss = Callable[[torch.Tensor], torch.Tensor]


def quadratic(theta: torch.Tensor, condition: float = 10.0) -> torch.Tensor:
    """J(θ) = ½ (θ₁² + κ θ₂²): an ill-conditioned bowl with minimum 0 at the
    origin.

    The Hessian is diag(1, κ), so gradient descent is stable for α < 2/κ and
    converges along θ₁ at rate |1 − α| per step: the larger κ (``condition``),
    the slower the best stable α converges.

    Args:
        theta: ``(..., 2)`` points.
        condition: κ ≥ 1, the ratio of the largest to the smallest curvature.
    """
    return 0.5 * (theta[..., 0] ** 2 + condition * theta[..., 1] ** 2)


def rosenbrock(
    theta: torch.Tensor, a: float = 1.0, b: float = 100.0
) -> torch.Tensor:
    """J(θ) = (a − θ₁)² + b (θ₂ − θ₁²)²: a curved valley with minimum 0 at
    (a, a²).

    Args:
        theta: ``(..., 2)`` points.
    """
    return (a - theta[..., 0]) ** 2 + b * (
        theta[..., 1] - theta[..., 0] ** 2
    ) ** 2


def gradient_descent(
    loss_fn: Loss, theta0: torch.Tensor, *, lr: float, steps: int
) -> torch.Tensor:
    """Run ``steps`` steps of plain gradient descent from ``theta0``.

    Args:
        loss_fn: maps ``(d,)`` parameters to a scalar loss.
        theta0: ``(d,)`` the starting point (not modified).
        lr: the learning rate α > 0.
        steps: the number of updates, ≥ 0.

    Returns:
        ``(steps + 1, d)``: θ₀, θ₁, …, θ_steps. Iterates that overflow become
        inf or nan and stay so; that is what divergence looks like.

    Raises:
        ValueError: for an ``lr`` that is not a finite number > 0, ``steps``
            < 0, a ``theta0`` that is not 1-D, or a ``loss_fn`` that does not
            return a scalar.
    """
    check_real("lr", lr, "(0, inf)")
    check_int("steps", steps, minimum=0)
    if theta0.dim() != 1:
        raise ValueError(
            f"theta0 must be 1-D (d,), got shape {tuple(theta0.shape)}"
        )
    theta = theta0.detach().clone()
    path = [theta.clone()]
    for _ in range(steps):
        theta.requires_grad_(True)
        loss = loss_fn(theta)
        if loss.dim() != 0:
            raise ValueError(
                f"loss_fn must return a scalar, got shape {tuple(loss.shape)}"
            )
        (grad,) = torch.autograd.grad(loss, theta)
        # θ ← θ − α ∇J(θ), rounded as torch.optim.SGD rounds it
        theta = theta.detach().add(grad, alpha=-lr)
        path.append(theta.clone())
    return torch.stack(path)


def optimizer_path(
    loss_fn: Loss,
    theta0: torch.Tensor,
    make_optimizer: Callable[[list[torch.Tensor]], torch.optim.Optimizer],
    *,
    steps: int,
) -> torch.Tensor:
    """Like :func:`gradient_descent`, but each update is a ``torch.optim``
    optimiser's step.

    Args:
        loss_fn: maps ``(d,)`` parameters to a scalar loss.
        theta0: ``(d,)`` the starting point (not modified).
        make_optimizer: builds the optimiser from a list of parameters, e.g.
            ``lambda params: torch.optim.Adam(params, lr=0.05)``.
        steps: the number of updates, ≥ 0.

    Returns:
        ``(steps + 1, d)``: θ₀, θ₁, …, θ_steps.
    """
    check_int("steps", steps, minimum=0)
    theta = theta0.detach().clone().requires_grad_(True)
    optimizer = make_optimizer([theta])
    path = [theta.detach().clone()]
    for _ in range(steps):
        optimizer.zero_grad()
        loss_fn(theta).backward()
        optimizer.step()
        path.append(theta.detach().clone())
    return torch.stack(path)


def steps_to_tolerance(
    loss_fn: Loss, path: torch.Tensor, tol: float
) -> int | None:
    """The first step t at which J(θ_t) ≤ ``tol``, or ``None`` if the path
    never gets there.
    """
    with torch.no_grad():
        losses = loss_fn(path)
    below = torch.nonzero(losses <= tol)
    return int(below[0, 0]) if len(below) else None
