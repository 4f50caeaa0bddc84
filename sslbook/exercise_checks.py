"""What the checkers of the book's exercises share: calling the reader's
function, and comparing its result with the reference's.

A checker (:mod:`sslbook.exercises_training`, :mod:`sslbook.exercises_data`)
calls the reader's function through :func:`_call`, which prints a "not
implemented yet" line, and returns ``None``, when the function is still the
exercise's template. :func:`_check_shape`, :func:`_check_value` and
:func:`_check_gradients` then compare the result with the reference: each
raises :class:`ExerciseFailed` with a message that starts with what differs
(``shape:``, ``value:``, ``gradient:``) and names the inputs. :func:`_correct`
prints the line of a function that passed every case.

Example
-------
>>> import torch
>>> from sslbook.exercise_checks import ExerciseFailed, _call, _check_value
>>> def template(z):
...     raise NotImplementedError("write it here")
>>> _call(template, torch.zeros(3))
Not implemented yet: template raised NotImplementedError('write it here').
>>> try:
...     _check_value(
...         torch.tensor(1.5), torch.tensor(2.0), "the loss",
...         "z of shape (3,)", rtol=1e-5, atol=0.0,
...     )
... except ExerciseFailed as error:
...     print(error)
value: for z of shape (3,), the loss should be 2, got 1.5
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import torch

__all__ = ["ExerciseFailed"]


class ExerciseFailed(AssertionError):
    """The reader's function differs from the reference; the message says
    how.
    """


def _name(fn: Callable) -> str:
    return getattr(fn, "__name__", type(fn).__name__)


def _call(fn: Callable, *args):
    """``fn(*args)``, or ``None`` after a "not implemented yet" line if it
    raises NotImplementedError.
    """
    try:
        return fn(*args)
    except NotImplementedError as error:
        print(
            f"Not implemented yet: {_name(fn)} raised "
            f"NotImplementedError({str(error)!r})."
        )
        return None


def _as_tensor(result, what: str) -> torch.Tensor:
    if isinstance(result, torch.Tensor):
        return result
    if isinstance(result, (float, int, np.floating, np.integer, np.ndarray)):
        return torch.as_tensor(np.asarray(result, dtype=np.float64))
    raise ExerciseFailed(
        f"type: {what} must be a number, a numpy array or a torch tensor, "
        f"got {type(result).__name__}"
    )


def _check_shape(
    result: torch.Tensor, expected: tuple, what: str, inputs: str
) -> None:
    if tuple(result.shape) != tuple(expected):
        raise ExerciseFailed(
            f"shape: for {inputs}, {what} must have shape {tuple(expected)}, "
            f"got {tuple(result.shape)}"
        )


def _check_value(
    result: torch.Tensor,
    expected: torch.Tensor,
    what: str,
    inputs: str,
    rtol: float,
    atol: float,
) -> None:
    got, want = result.detach().double(), expected.detach().double()
    if not torch.isfinite(got).all():
        raise ExerciseFailed(
            f"value: for {inputs}, {what} is not finite: "
            f"{got.flatten()[:4].tolist()}"
        )
    if not torch.allclose(got, want, rtol=rtol, atol=atol):
        worst = int((got - want).abs().flatten().argmax())
        raise ExerciseFailed(
            f"value: for {inputs}, {what} "
            f"should be {want.flatten()[worst].item():.6g}, "
            f"got {got.flatten()[worst].item():.6g}"
            + (f" (at flat index {worst})" if got.numel() > 1 else "")
        )


def _check_gradients(
    loss: torch.Tensor,
    reference: torch.Tensor,
    inputs: dict[str, torch.Tensor],
    where: str,
) -> None:
    if not loss.requires_grad:
        raise ExerciseFailed(
            f"gradient: for {where}, the result carries no gradient; "
            "compute it with torch operations on the "
            "inputs (no .item(), .detach() or numpy on the way)"
        )
    names = list(inputs)
    got = torch.autograd.grad(
        loss, [inputs[n] for n in names], allow_unused=True
    )
    want = torch.autograd.grad(
        reference, [inputs[n] for n in names], allow_unused=True
    )
    for name, g, w in zip(names, got, want):
        g = torch.zeros_like(w) if g is None else g
        if not torch.allclose(g.double(), w.double(), rtol=1e-3, atol=1e-6):
            raise ExerciseFailed(
                f"gradient: for {where}, the gradient with respect to {name} "
                "differs from the reference's by up to "
                f"{(g - w).abs().max().item():.3g}, although the value matches"
            )


def _correct(fn: Callable, reference: str, cases: int, what: str) -> None:
    print(
        f"Correct: {_name(fn)} matches {reference} on {cases} random {what}."
    )
