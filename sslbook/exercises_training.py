"""The checkers of the exercises that train: two losses with their
gradients, a gradient-descent run, a ratio of gradient norms and MoCo's
momentum update.

Each compares the reader's function with the package's own, on random
inputs:

- :func:`check_gradient_descent` (chapter 2) with
  :func:`sslbook.optim.gradient_descent`, the whole path of a run;
- :func:`check_nt_xent` (chapter 3.3) and :func:`check_sgns_loss` (3.1) with
  :func:`sslbook.losses.nt_xent_loss` and :func:`sslbook.word2vec.sgns_loss`,
  the value and its gradients;
- :func:`check_first_last_ratio` (chapter 1) with
  :func:`sslbook.gradients.first_last_ratio`;
- :func:`check_momentum_update` (5.1) with
  :func:`sslbook.momentum.momentum_update_`, an update in place.

The notebooks import them from :mod:`sslbook.exercises`, which re-exports
them; what they share is in :mod:`sslbook.exercise_checks`.

Example
-------
>>> from sslbook.exercises_training import check_gradient_descent
>>> def descend(loss_fn, theta0, lr, steps):
...     raise NotImplementedError("write it here")
>>> check_gradient_descent(descend)
Not implemented yet: descend raised NotImplementedError('write it here').
"""

from __future__ import annotations

from typing import Callable

import torch
from torch import nn
from torch.nn import functional as F

from sslbook.exercise_checks import (
    ExerciseFailed,
    _as_tensor,
    _call,
    _check_gradients,
    _check_shape,
    _check_value,
    _correct,
    _name,
)
from sslbook.gradients import first_last_ratio, layer_gradient_norms
from sslbook.losses import nt_xent_loss
from sslbook.momentum import momentum_update_
from sslbook.optim import gradient_descent, quadratic, rosenbrock
from sslbook.word2vec import sgns_loss

__all__ = [
    "check_first_last_ratio",
    "check_gradient_descent",
    "check_momentum_update",
    "check_nt_xent",
    "check_sgns_loss",
]


def check_gradient_descent(
    fn: Callable[[Callable, torch.Tensor, float, int], torch.Tensor],
) -> None:
    """Check ``fn(loss_fn, theta0, lr, steps)`` against
    :func:`sslbook.optim.gradient_descent`.

    ``fn`` runs ``steps`` updates ``θ ← θ − lr ∇J(θ)`` from the ``(d,)``
    tensor ``theta0``, without modifying it, and returns the ``(steps + 1, d)``
    path ``θ₀, θ₁, …``.
    """
    cases = [
        (quadratic, [-4.0, 1.0], 0.18, 5),
        (rosenbrock, [-1.0, 1.5], 1e-3, 20),
        (quadratic, [2.0, -3.0], 0.05, 0),
    ]
    for loss_fn, start, lr, steps in cases:
        theta0 = torch.tensor(start, dtype=torch.float64)
        inputs = (
            f"{loss_fn.__name__} from {start} with lr {lr} and {steps} steps"
        )
        result = _call(fn, loss_fn, theta0, lr, steps)
        if result is None:
            return None
        if not torch.equal(theta0, torch.tensor(start, dtype=torch.float64)):
            raise ExerciseFailed(
                f"value: for {inputs}, theta0 was modified; "
                "start from a copy (theta0.clone())"
            )
        result = _as_tensor(result, "the path")
        expected = gradient_descent(loss_fn, theta0, lr=lr, steps=steps)
        _check_shape(
            result,
            expected.shape,
            "the path (the start, then one row per step)",
            inputs,
        )
        _check_value(
            result, expected, "the path", inputs, rtol=1e-6, atol=1e-9
        )
    return _correct(fn, "sslbook.optim.gradient_descent", len(cases), "runs")


def check_nt_xent(
    fn: Callable[[torch.Tensor, torch.Tensor, float], torch.Tensor],
) -> None:
    """Check ``fn(z1, z2, temperature)`` against
    :func:`sslbook.losses.nt_xent_loss`.

    ``z1`` and ``z2`` are ``(N, d)`` embeddings of two views of N examples
    (not normalised); ``fn`` must return the scalar mean NT-Xent over the 2N
    anchors, differentiable with respect to both.
    """
    generator = torch.Generator().manual_seed(0)
    shapes_and_taus = [
        ((4, 8), 0.5),
        ((6, 3), 0.1),
        ((5, 16), 1.0),
        ((3, 8), 0.2),
    ]
    for (n, d), tau in shapes_and_taus:
        z1 = torch.randn(
            n, d, generator=generator, dtype=torch.float64, requires_grad=True
        )
        z2 = torch.randn(
            n, d, generator=generator, dtype=torch.float64, requires_grad=True
        )
        inputs = f"z1, z2 of shape ({n}, {d}) and temperature {tau}"
        result = _call(fn, z1, z2, tau)
        if result is None:
            return None
        result = _as_tensor(result, "the loss")
        reference = nt_xent_loss(z1, z2, temperature=tau)
        _check_shape(
            result, (), "the loss (a mean over the 2N anchors)", inputs
        )
        _check_value(
            result, reference, "the loss", inputs, rtol=1e-5, atol=1e-7
        )
        _check_gradients(result, reference, {"z1": z1, "z2": z2}, inputs)
    return _correct(
        fn,
        "sslbook.losses.nt_xent_loss",
        len(shapes_and_taus),
        "batches: values and gradients",
    )


def check_sgns_loss(
    fn: Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor],
) -> None:
    """Check ``fn(v, u_context, u_negatives)`` against
    :func:`sslbook.word2vec.sgns_loss`.

    Shapes: ``v`` and ``u_context`` ``(B, d)``, ``u_negatives`` ``(B, K, d)``;
    ``fn`` returns the scalar ``−mean_b [log σ(u_c·v) + Σ_k log σ(−u_k·v)]``.
    """
    generator = torch.Generator().manual_seed(1)
    shapes = [(4, 3, 5), (7, 1, 2), (2, 5, 8)]
    for b, k, d in shapes:
        v, u_context = (
            torch.randn(
                b,
                d,
                generator=generator,
                dtype=torch.float64,
                requires_grad=True,
            )
            for _ in "vu"
        )
        u_negatives = torch.randn(
            b,
            k,
            d,
            generator=generator,
            dtype=torch.float64,
            requires_grad=True,
        )
        inputs = (
            f"v and u_context of shape ({b}, {d}) "
            f"and u_negatives of shape ({b}, {k}, {d})"
        )
        result = _call(fn, v, u_context, u_negatives)
        if result is None:
            return None
        result = _as_tensor(result, "the loss")
        reference = sgns_loss(v, u_context, u_negatives)
        _check_shape(result, (), "the loss (a mean over the batch)", inputs)
        _check_value(
            result, reference, "the loss", inputs, rtol=1e-5, atol=1e-7
        )
        _check_gradients(
            result,
            reference,
            {"v": v, "u_context": u_context, "u_negatives": u_negatives},
            inputs,
        )
    return _correct(
        fn,
        "sslbook.word2vec.sgns_loss",
        len(shapes),
        "batches: values and gradients",
    )


def _random_mlp(
    depth: int, width: int, activation: type[nn.Module], seed: int
) -> nn.Sequential:
    torch.manual_seed(seed)
    layers: list[nn.Module] = []
    for i in range(depth):
        layers += [nn.Linear(12 if i == 0 else width, width), activation()]
    return nn.Sequential(*layers, nn.Linear(width, 3)).double()


def check_first_last_ratio(
    fn: Callable[[nn.Module, torch.Tensor, torch.Tensor], float],
) -> None:
    """Check ``fn(model, inputs, targets)``: the first layer's gradient norm
    over the last layer's.

    ``model`` is an ``nn.Sequential`` MLP, the loss is the cross-entropy of
    ``model(inputs)`` against the class indices ``targets``, and each norm is
    the Frobenius norm of the gradient with respect to a layer's weight
    matrix. The reference is :func:`sslbook.gradients.first_last_ratio` of
    :func:`sslbook.gradients.layer_gradient_norms`.
    """
    rng_state = torch.random.get_rng_state()
    try:
        cases = [
            (3, 16, nn.Sigmoid, 0),
            (6, 8, nn.Sigmoid, 1),
            (4, 16, nn.ReLU, 2),
        ]
        for depth, width, activation, seed in cases:
            model = _random_mlp(depth, width, activation, seed)
            generator = torch.Generator().manual_seed(seed)
            inputs = torch.randn(
                32, 12, generator=generator, dtype=torch.float64
            )
            targets = torch.randint(0, 3, (32,), generator=generator)
            where = (
                f"a {depth}-hidden-layer {activation.__name__} MLP "
                f"of width {width} on a batch of 32"
            )
            result = _call(fn, model, inputs, targets)
            if result is None:
                return None
            result = _as_tensor(result, "the ratio")
            expected = first_last_ratio(
                layer_gradient_norms(model, inputs, targets, F.cross_entropy)
            )
            _check_shape(result, (), "the ratio (one number)", where)
            _check_value(
                result,
                torch.tensor(expected),
                "the ratio",
                where,
                rtol=1e-4,
                atol=0.0,
            )
    finally:
        torch.random.set_rng_state(rng_state)
    return _correct(
        fn, "sslbook.gradients.first_last_ratio", len(cases), "networks"
    )


def _small_net(seed: int) -> nn.Module:
    torch.manual_seed(seed)
    net = nn.Sequential(
        nn.Linear(4, 6), nn.BatchNorm1d(6), nn.ReLU(), nn.Linear(6, 2)
    ).double()
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        net[1].running_mean.normal_(generator=generator)
        net[1].running_var.uniform_(0.5, 2.0, generator=generator)
    return net


def check_momentum_update(
    fn: Callable[[nn.Module, nn.Module, float], None],
) -> None:
    """Check ``fn(key, query, m)``: MoCo's update of the key encoder, in place.

    Every parameter of ``key`` becomes ``m θ_k + (1 − m) θ_q``, every buffer
    of ``key`` (BatchNorm's running statistics) a copy of ``query``'s, and
    ``query`` is left unchanged. The reference is
    :func:`sslbook.momentum.momentum_update_`.
    """
    rng_state = torch.random.get_rng_state()
    try:
        cases = [0.99, 0.5, 0.0]
        for case, m in enumerate(cases):
            key, query = _small_net(2 * case), _small_net(2 * case + 1)
            expected = _small_net(2 * case)
            momentum_update_(expected, query, m)
            before = {
                name: t.clone() for name, t in query.state_dict().items()
            }
            tensors = list(key.parameters())
            inputs = f"m = {m} and a Linear-BatchNorm-ReLU-Linear network"
            try:
                fn(key, query, m)
            except NotImplementedError as error:
                print(
                    f"Not implemented yet: {_name(fn)} raised "
                    f"NotImplementedError({str(error)!r})."
                )
                return None
            if any(p is not t for p, t in zip(key.parameters(), tensors)):
                raise ExerciseFailed(
                    f"value: for {inputs}, "
                    "update the key's parameters in place (p.mul_(...)), "
                    "do not replace them"
                )
            for name, t in query.state_dict().items():
                if not torch.equal(t, before[name]):
                    raise ExerciseFailed(
                        f"value: for {inputs}, the query's {name} changed; "
                        "only the key may change"
                    )
            want = expected.state_dict()
            for name, t in key.state_dict().items():
                _check_value(
                    t.double(),
                    want[name].double(),
                    f"the key's {name}",
                    inputs,
                    rtol=1e-10,
                    atol=1e-12,
                )
    finally:
        torch.random.set_rng_state(rng_state)
    return _correct(
        fn,
        "sslbook.momentum.momentum_update_",
        len(cases),
        "pairs of networks",
    )
