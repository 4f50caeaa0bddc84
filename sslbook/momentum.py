"""A momentum target: a frozen copy of a network that follows it slowly.

MoCo's key encoder and BYOL's target network are the same idea: a copy of
the trained network that receives no gradient, and whose weights are an
exponential moving average of the trained ones after every step,

    θ_target ← m θ_target + (1 − m) θ,   m close to 1.

m = 1 keeps the copy frozen at its start; m = 0 makes it the trained network
itself, with its output still treated as a constant.

Example
-------
>>> import torch
>>> from sslbook.momentum import momentum_target, momentum_update_
>>> online = torch.nn.Linear(2, 2)
>>> target = momentum_target(online)
>>> with torch.no_grad():
...     _ = online.weight.add_(1.0)
>>> momentum_update_(target, online, 0.75)
>>> torch.allclose(target.weight, online.weight - 0.75)
True
"""

from __future__ import annotations

import copy

import torch
from torch import nn

from sslbook.checks import check_real

__all__ = ["momentum_target", "momentum_update_"]


def momentum_target(module: nn.Module) -> nn.Module:
    """A copy of ``module`` whose parameters require no gradient, to be moved
    by :func:`momentum_update_`.
    """
    return copy.deepcopy(module).requires_grad_(False)


@torch.no_grad()
def momentum_update_(
    key: nn.Module, query: nn.Module, momentum: float
) -> None:
    """In place, ``θ_k ← m θ_k + (1 − m) θ_q`` for every parameter of ``key``.

    Buffers, such as BatchNorm's running statistics, are copied from
    ``query``. ``key`` and ``query`` must have the same architecture.

    Raises:
        ValueError: if ``momentum`` is outside [0, 1] or the two modules'
            parameters do not match in number or shape.
    """
    check_real("momentum", momentum, "[0, 1]")
    keys, queries = list(key.parameters()), list(query.parameters())
    if [k.shape for k in keys] != [q.shape for q in queries]:
        raise ValueError(
            "key and query must have the same parameters, in number and shape"
        )
    for k, q in zip(keys, queries):
        k.mul_(momentum).add_(q.detach(), alpha=1 - momentum)
    for k, q in zip(key.buffers(), query.buffers()):
        k.copy_(q)
