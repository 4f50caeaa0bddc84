"""CLIP's loss (Radford et al. 2021): contrastive learning across two
modalities.

A batch holds ``N`` pairs, such as an image and its caption. An image encoder
and a text encoder embed them; the ``N × N`` matrix of cosine similarities,
divided by a temperature τ, scores every image against every caption. Row
``i`` is a softmax over captions whose correct answer is caption ``i``, and
column ``i`` a softmax over images whose correct answer is image ``i``:

    L = ½ [CE(rows, diagonal) + CE(columns, diagonal)].

Each half is InfoNCE (:func:`sslbook.losses.info_nce_loss`) with the other
modality's ``N − 1`` non-matching items as negatives: NT-Xent across
modalities, without the same-modality negatives of SimCLR's ``2N × 2N``
matrix. CLIP learns τ as a parameter; here it is an argument.

Zero-shot classification embeds one text per class ("a photo of a dog") and
gives each image the class whose text embedding is most similar to it:
:func:`zero_shot_predict`.

Example
-------
>>> import torch
>>> from sslbook.clip import clip_loss
>>> round(clip_loss(torch.eye(3), torch.eye(3), temperature=0.01).item(), 4)
0.0
"""

from __future__ import annotations

import torch
from torch.nn import functional as F

from sslbook.checks import check_real
from sslbook.losses import cosine_logits

__all__ = ["clip_loss", "zero_shot_predict"]


def _check_pair(
    a: torch.Tensor, b: torch.Tensor, names: tuple[str, str]
) -> None:
    if a.dim() != 2 or b.dim() != 2 or a.shape[1] != b.shape[1]:
        raise ValueError(
            f"{names[0]} and {names[1]} must be (n, dim) with the same dim, "
            f"got {tuple(a.shape)} and {tuple(b.shape)}"
        )


def clip_loss(
    image_embeddings: torch.Tensor,
    text_embeddings: torch.Tensor,
    temperature: float = 0.07,
) -> torch.Tensor:
    """The symmetric cross-entropy of CLIP over a batch of ``N`` matching
    pairs.

    Args:
        image_embeddings: ``(N, dim)``; row ``i`` matches row ``i`` of
            ``text_embeddings``.
        text_embeddings: ``(N, dim)``.
        temperature: τ > 0 (CLIP starts from 0.07 and learns it).

    Raises:
        ValueError: for shapes that are not ``(N, dim)`` alike, ``N < 2``,
            or τ not a finite number > 0.
    """
    _check_pair(
        image_embeddings,
        text_embeddings,
        ("image_embeddings", "text_embeddings"),
    )
    if image_embeddings.shape != text_embeddings.shape:
        raise ValueError(
            "image and text embeddings must pair up row by row, got "
            f"{tuple(image_embeddings.shape)} and "
            f"{tuple(text_embeddings.shape)}"
        )
    if len(image_embeddings) < 2:
        raise ValueError(
            "a batch needs at least 2 pairs, so that each item has a negative"
        )
    check_real("temperature", temperature, "(0, inf)")
    # (N, N): image i against text j
    logits = cosine_logits(image_embeddings, text_embeddings, temperature)
    targets = torch.arange(len(logits), device=logits.device)
    image_to_text = F.cross_entropy(logits, targets)
    text_to_image = F.cross_entropy(logits.T, targets)
    return (image_to_text + text_to_image) / 2


def zero_shot_predict(
    image_embeddings: torch.Tensor, class_text_embeddings: torch.Tensor
) -> torch.Tensor:
    """For each image ``(n, dim)``, the index of the most cosine-similar
    class text ``(classes, dim)``.
    """
    _check_pair(
        image_embeddings,
        class_text_embeddings,
        ("image_embeddings", "class_text_embeddings"),
    )
    similarity = (
        F.normalize(image_embeddings, dim=1)
        @ F.normalize(class_text_embeddings, dim=1).T
    )
    return similarity.argmax(dim=1)
