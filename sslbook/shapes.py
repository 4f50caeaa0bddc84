"""The output shape of every layer of a network, as a table.

:func:`shape_trace` is how chapter 4 finds where the source article's
autoencoder breaks: it runs one input through the network and records each
layer's output shape and parameter count.

Example
-------
>>> from torch import nn
>>> from sslbook.shapes import shape_trace
>>> shape_trace(nn.Sequential(nn.Conv2d(1, 4, 3), nn.Flatten()), (1, 8, 8))
  layer     type output shape  parameters
0     0   Conv2d    (4, 6, 6)          40
1     1  Flatten       (144,)           0
"""

from __future__ import annotations

import torch
from torch import nn

from sslbook.checks import check_int
from sslbook.models import eval_mode

__all__ = ["shape_trace"]


def shape_trace(model: nn.Module, input_shape: tuple[int, ...]):
    """The output shape of every layer of ``model`` for one input, as a table.

    Runs a zero tensor of shape ``(1, *input_shape)`` through ``model`` in eval
    mode (restored afterwards) and records each leaf module's output with a
    forward hook.

    Args:
        model: any module; its leaves (modules without children) are traced.
        input_shape: the shape of one example, without the batch dimension,
            e.g. ``(3, 32, 32)``.

    Returns:
        a pandas DataFrame with one row per leaf call: ``layer`` (its dotted
        name), ``type``, ``output shape`` (without the batch dimension) and
        ``parameters``.

    Raises:
        ValueError: if ``input_shape`` is empty or has a size < 1. An error
            inside the model propagates, with the rows traced so far in its
            notes.
    """
    import pandas as pd

    if len(input_shape) == 0:
        raise ValueError(
            "input_shape must be a non-empty tuple of positive ints, "
            f"got {input_shape!r}"
        )
    for size in input_shape:
        check_int("each size in input_shape", size)
    rows: list[dict] = []

    def record(name: str):
        def hook(module: nn.Module, inputs, output) -> None:
            rows.append(
                {
                    "layer": name,
                    "type": type(module).__name__,
                    "output shape": tuple(output.shape[1:]),
                    "parameters": sum(p.numel() for p in module.parameters()),
                }
            )

        return hook

    leaves = [
        (name, m)
        for name, m in model.named_modules()
        if not list(m.children())
    ]
    handles = [
        module.register_forward_hook(record(name)) for name, module in leaves
    ]
    try:
        with eval_mode(model), torch.no_grad():
            model(torch.zeros(1, *input_shape))
    except Exception as error:
        error.add_note(
            "shape_trace: the layers before the failure gave "
            f"{[(r['layer'], r['output shape']) for r in rows]}"
        )
        raise
    finally:
        for handle in handles:
            handle.remove()
    return pd.DataFrame(rows)
