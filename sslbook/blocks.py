"""Building blocks that several models share.

- :func:`mlp_head` is the small MLP that SimCLR puts after its encoder (its
  projection head) and that SimSiam and BYOL use twice, as projector and as
  predictor: Linear, an optional BatchNorm, ReLU, Linear.
- :func:`transformer_encoder` is the stack of pre-norm Transformer blocks of
  MAE (:mod:`sslbook.mae`) and of the tiny BERT (:mod:`sslbook.mlm`).

Example
-------
>>> import torch
>>> from sslbook.blocks import mlp_head
>>> head = mlp_head(8, 8, 4)
>>> head
Sequential(
  (0): Linear(in_features=8, out_features=8, bias=True)
  (1): ReLU()
  (2): Linear(in_features=8, out_features=4, bias=True)
)
>>> head(torch.zeros(5, 8)).shape
torch.Size([5, 4])
"""

from __future__ import annotations

from torch import nn

from sslbook.checks import check_int

__all__ = ["mlp_head", "transformer_encoder"]


def mlp_head(
    in_dim: int, hidden_dim: int, out_dim: int, *, batchnorm: bool = False
) -> nn.Sequential:
    """Linear, [BatchNorm,] ReLU, Linear: ``(batch, in_dim)`` →
    ``(batch, out_dim)``.

    Args:
        in_dim, hidden_dim, out_dim: the sizes of the input, the hidden
            layer and the output, each ≥ 1.
        batchnorm: a BatchNorm after the first linear layer, as in SimSiam's
            and BYOL's heads; SimCLR's has none.

    Raises:
        ValueError: for a size that is not an int ≥ 1.
    """
    for name, size in (
        ("in_dim", in_dim),
        ("hidden_dim", hidden_dim),
        ("out_dim", out_dim),
    ):
        check_int(name, size)
    layers: list[nn.Module] = [nn.Linear(in_dim, hidden_dim)]
    if batchnorm:
        layers.append(nn.BatchNorm1d(hidden_dim))
    layers += [nn.ReLU(), nn.Linear(hidden_dim, out_dim)]
    return nn.Sequential(*layers)


def transformer_encoder(dim: int, depth: int, heads: int) -> nn.Module:
    """``depth`` pre-norm Transformer blocks of width ``dim`` with ``heads``
    attention heads, an MLP of ``2 * dim`` and no dropout, on
    ``(batch, tokens, dim)`` inputs: the blocks of MAE and of the tiny BERT.
    """
    layer = nn.TransformerEncoderLayer(
        dim,
        heads,
        dim_feedforward=2 * dim,
        dropout=0.0,
        batch_first=True,
        norm_first=True,
    )
    return nn.TransformerEncoder(layer, depth, enable_nested_tensor=False)
