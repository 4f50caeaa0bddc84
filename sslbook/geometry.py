"""The geometry of contrastive embeddings: alignment and uniformity (Wang &
Isola 2020).
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["alignment_uniformity"]


@torch.no_grad()
def alignment_uniformity(
    z1: torch.Tensor, z2: torch.Tensor, t: float = 2.0
) -> tuple[float, float]:
    """Wang & Isola (2020)'s alignment and uniformity of embeddings of
    positive pairs.

    Both are computed on L2-normalised embeddings:

    - alignment = E ||f(x) − f(x⁺)||², over the positive pairs (lower is
      better);
    - uniformity = log E exp(−t ||f(x) − f(y)||²), over all pairs of distinct
      examples of ``z1`` (lower is better: spread over the sphere).

    Args:
        z1: ``(n, dim)`` embeddings of one view; ``n`` ≥ 2.
        z2: ``(n, dim)`` embeddings of the other view of the same examples.
        t: the uniformity kernel's scale (2 in the paper).
    """
    if z1.dim() != 2 or z1.shape != z2.shape or len(z1) < 2:
        raise ValueError(
            "z1 and z2 must be (n, dim) with equal shapes and n >= 2, "
            f"got {tuple(z1.shape)} and {tuple(z2.shape)}"
        )
    a, b = (
        nn.functional.normalize(z1, dim=1),
        nn.functional.normalize(z2, dim=1),
    )
    alignment = (a - b).pow(2).sum(dim=1).mean()
    uniformity = torch.pdist(a).pow(2).mul(-t).exp().mean().log()
    return float(alignment), float(uniformity)
