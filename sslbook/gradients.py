"""Gradient diagnostics: where in a deep network does the gradient vanish?

Backpropagation multiplies one Jacobian per layer, so in a deep network the
gradient that reaches the first layers can be many orders of magnitude smaller
(vanishing) or larger (exploding) than at the last.
:func:`layer_gradient_norms` measures it, layer by layer, for one batch.

Example
-------
>>> import torch
>>> from torch import nn
>>> from sslbook.gradients import layer_gradient_norms
>>> net = nn.Sequential(nn.Linear(4, 3), nn.Sigmoid(), nn.Linear(3, 2))
>>> norms = layer_gradient_norms(
...     net,
...     torch.ones(8, 4),
...     torch.zeros(8, dtype=torch.long),
...     nn.CrossEntropyLoss(),
... )
>>> list(norms)
['0', '2']
"""

from __future__ import annotations

from typing import Callable

import torch
from torch import nn

__all__ = [
    "weight_layers",
    "layer_gradient_norms",
    "first_last_ratio",
    "ACTIVATION_TYPES",
    "activation_stats",
]


def weight_layers(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """The layers of ``model`` that hold a weight matrix or kernel, in
    registration order.

    A layer counts when its ``weight`` parameter has two or more dimensions:
    Linear, convolution and embedding layers do; BatchNorm and LayerNorm
    (whose weight is a 1-D scale) do not. For a model built front to back, the
    order is input to output.
    """
    return [
        (name, module)
        for name, module in model.named_modules()
        if isinstance(getattr(module, "weight", None), nn.Parameter)
        and module.weight.dim() >= 2
    ]


def layer_gradient_norms(
    model: nn.Module,
    inputs: torch.Tensor,
    targets: torch.Tensor,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
) -> dict[str, float]:
    """The Frobenius norm of the loss gradient for each layer's weight.

    Args:
        model: the network, in the mode it should be measured in (``train()``
            makes BatchNorm use batch statistics, as during training).
        inputs: ``(batch, ...)``, what ``model`` takes.
        targets: ``(batch, ...)``, what ``loss_fn`` compares the outputs with.
        loss_fn: maps ``(model(inputs), targets)`` to a scalar loss.

    Returns:
        ``{layer name: ||dL/dW||}`` for the layers of :func:`weight_layers`, in
        that order. A weight that the loss does not depend on gets 0.0.

    Raises:
        ValueError: if ``model`` has no weight layer, the batch sizes of
            ``inputs`` and ``targets`` differ, or the loss is not a scalar.

    The gradients come from ``torch.autograd.grad``, so the model's ``.grad``
    fields are left exactly as they were and nothing stays registered on it.
    """
    layers = weight_layers(model)
    if not layers:
        raise ValueError(
            f"{type(model).__name__} has no layer with a weight matrix "
            "(Linear, Conv, Embedding); there is no layer gradient to measure"
        )
    batched = inputs.dim() > 0 and targets.dim() > 0
    if not batched or inputs.shape[0] != targets.shape[0]:
        raise ValueError(
            f"inputs and targets must share the batch dimension, got shapes "
            f"{tuple(inputs.shape)} and {tuple(targets.shape)}"
        )
    loss = loss_fn(model(inputs), targets)
    if loss.dim() != 0:
        raise ValueError(
            f"loss_fn must return a scalar, got shape {tuple(loss.shape)}"
        )
    weights = [module.weight for _, module in layers]
    grads = torch.autograd.grad(loss, weights, allow_unused=True)
    return {
        name: 0.0 if g is None else g.norm().item()
        for (name, _), g in zip(layers, grads)
    }


def first_last_ratio(norms: dict[str, float]) -> float:
    """``norms[first layer] / norms[last layer]``: below 1 the gradient
    shrinks towards the input.

    Raises:
        ValueError: if there are fewer than two layers or the last norm is 0.
    """
    values = list(norms.values())
    if len(values) < 2:
        raise ValueError(
            f"need the norms of at least two layers, got {len(values)}"
        )
    if values[-1] == 0.0:
        raise ValueError(
            "the last layer's gradient norm is 0; the ratio is undefined"
        )
    return values[0] / values[-1]


#: Module types whose outputs :func:`activation_stats` measures by default.
ACTIVATION_TYPES: tuple[type[nn.Module], ...] = (
    nn.Sigmoid,
    nn.Tanh,
    nn.ReLU,
    nn.LeakyReLU,
    nn.GELU,
    nn.ELU,
)


def activation_stats(
    model: nn.Module,
    inputs: torch.Tensor,
    types: tuple[type[nn.Module], ...] = ACTIVATION_TYPES,
) -> dict[str, tuple[float, float]]:
    """The mean and standard deviation of every activation layer's output, for
    one batch.

    Forward hooks record the outputs; they are removed before returning, also
    when the forward pass raises. Nothing is differentiated.

    Args:
        model: the network, in its current mode. In train mode, a BatchNorm
            layer uses (and updates its running averages with) the batch's
            statistics; call ``model.eval()`` first to leave it untouched.
        inputs: ``(batch, ...)``, what ``model`` takes.
        types: which module types count as activation layers.

    Returns:
        ``{module name: (mean, std)}`` in the order the modules ran.

    Raises:
        ValueError: if ``model`` has no module of ``types``.
    """
    targets = [
        (name, m) for name, m in model.named_modules() if isinstance(m, types)
    ]
    if not targets:
        names = ", ".join(t.__name__ for t in types)
        raise ValueError(
            f"{type(model).__name__} has no activation layer of type {names}"
        )
    stats: dict[str, tuple[float, float]] = {}

    def record(name: str):
        def hook(module: nn.Module, args: tuple, output: torch.Tensor) -> None:
            stats[name] = (output.mean().item(), output.std().item())

        return hook

    handles = [
        module.register_forward_hook(record(name)) for name, module in targets
    ]
    try:
        with torch.no_grad():
            model(inputs)
    finally:
        for handle in handles:
            handle.remove()
    return stats
