"""How well a masked language model predicts: its scores at the masked
positions, and the bar of the guess that ignores the context.

A score draws its test set's masks with :func:`sslbook.mlm.mask_tokens` and a
generator of its own, seeded with ``seed``, so that every score of a seed
sees the same positions. Only the chosen positions that became ``[MASK]``
are scored.

- :func:`masked_accuracy` and :func:`masked_loss`: how often the model's top
  prediction is the original word there, and its cross-entropy (nats), in
  eval mode;
- :func:`unigram_guess`, :func:`unigram_accuracy` and :func:`unigram_loss`:
  the same scores for the word frequencies of the training set, the model
  that ignores the context. A model that reads the context must beat them.

The model, its masking and its training loss are in :mod:`sslbook.mlm`, from
which these names stay importable.

Example
-------
>>> import torch
>>> from sslbook.mlm_eval import unigram_accuracy, unigram_guess
>>> train = torch.tensor([[3, 3, 4, 3, 5]])  # word 3 is the most frequent
>>> unigram_guess(train, vocab_size=6)
3
>>> test = torch.tensor([[3, 4, 3, 3, 5, 4, 3, 3, 4, 3]])
>>> # 5 positions masked, 3 of them hold word 3
>>> round(unigram_accuracy(train, test, vocab_size=6, rate=0.5, seed=0), 2)
0.6
"""

from __future__ import annotations

import torch
from torch.nn import functional as F

from sslbook.mlm import IGNORE, MASK_ID, SPECIAL_TOKENS, TinyBERT, mask_tokens
from sslbook.models import eval_mode

__all__ = [
    "masked_accuracy",
    "masked_loss",
    "unigram_guess",
    "unigram_accuracy",
    "unigram_loss",
]


def _masked_test_set(
    ids: torch.Tensor, vocab_size: int, rate: float, seed: int
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The masks every score draws for ``ids``, one call seeded with ``seed``,
    so that all scores of a seed see the same ones:
    ``(inputs, targets, scored)``, where ``scored`` marks the chosen positions
    that became ``[MASK]``."""
    inputs, targets = mask_tokens(
        ids,
        vocab_size=vocab_size,
        rate=rate,
        generator=torch.Generator().manual_seed(seed),
    )
    return inputs, targets, (targets != IGNORE) & (inputs == MASK_ID)


def _scored_logits(
    model: TinyBERT,
    ids: torch.Tensor,
    vocab_size: int,
    rate: float,
    seed: int,
    batch_size: int,
):
    """``(logits, targets)`` at the scored positions, batch by batch, in eval
    mode; the model's mode is restored afterwards."""
    inputs, targets, scored = _masked_test_set(ids, vocab_size, rate, seed)
    with eval_mode(model), torch.no_grad():
        for batch, batch_targets, batch_scored in zip(
            inputs.split(batch_size),
            targets.split(batch_size),
            scored.split(batch_size),
        ):
            yield (
                model.predict(model.encode(batch)[batch_scored]),
                batch_targets[batch_scored],
            )


def masked_accuracy(
    model: TinyBERT,
    ids: torch.Tensor,
    *,
    vocab_size: int,
    rate: float = 0.15,
    seed: int = 0,
    batch_size: int = 512,
) -> float:
    """The share of ``[MASK]`` positions whose original word is the model's
    top prediction, in eval mode.

    Only the chosen positions that became ``[MASK]`` are scored: at the
    unchanged ones a model could score by copying its input without reading
    the context, and the random ones pose another task (spotting and
    correcting a wrong word). The positions, and their corruption, are drawn
    with ``seed``; the same ``ids``, ``rate`` and ``seed`` give
    :func:`masked_loss`, :func:`unigram_accuracy` and :func:`unigram_loss`
    the same ones.
    """
    right = total = 0
    for logits, targets in _scored_logits(
        model, ids, vocab_size, rate, seed, batch_size
    ):
        right += int((logits.argmax(dim=-1) == targets).sum())
        total += len(targets)
    return right / total


def masked_loss(
    model: TinyBERT,
    ids: torch.Tensor,
    *,
    vocab_size: int,
    rate: float = 0.15,
    seed: int = 0,
    batch_size: int = 512,
) -> float:
    """The mean cross-entropy (nats) at the ``[MASK]`` positions that
    :func:`masked_accuracy` scores, in eval mode.

    Unlike the accuracy it rewards a better probability for the right word
    even where the top guess stays the same, so it can tell apart models
    that all give the most frequent word as their top guess.
    """
    loss = total = 0
    for logits, targets in _scored_logits(
        model, ids, vocab_size, rate, seed, batch_size
    ):
        loss += float(F.cross_entropy(logits, targets, reduction="sum"))
        total += len(targets)
    return loss / total


def _word_counts(train_ids: torch.Tensor, vocab_size: int) -> torch.Tensor:
    """How often each id occurs in ``train_ids``, ``(vocab_size,)``, with the
    special tokens counted as 0.
    """
    counts = torch.bincount(train_ids.flatten(), minlength=vocab_size)
    counts[: len(SPECIAL_TOKENS)] = 0
    return counts


def unigram_guess(train_ids: torch.Tensor, vocab_size: int) -> int:
    """The most frequent word id of ``train_ids``, special tokens aside: the
    best guess that ignores the context.
    """
    return int(_word_counts(train_ids, vocab_size).argmax())


def unigram_accuracy(
    train_ids: torch.Tensor,
    ids: torch.Tensor,
    *,
    vocab_size: int,
    rate: float = 0.15,
    seed: int = 0,
) -> float:
    """:func:`masked_accuracy` of :func:`unigram_guess` at every ``[MASK]``
    position of ``ids``.

    The positions are those that :func:`masked_accuracy` scores with the
    same ``rate`` and ``seed``.
    """
    guess = unigram_guess(train_ids, vocab_size)
    _, targets, scored = _masked_test_set(ids, vocab_size, rate, seed)
    return float((targets[scored] == guess).float().mean())


def unigram_loss(
    train_ids: torch.Tensor,
    ids: torch.Tensor,
    *,
    vocab_size: int,
    rate: float = 0.15,
    seed: int = 0,
) -> float:
    """:func:`masked_loss` of the model that ignores the context: each word's
    frequency in ``train_ids``.

    Special tokens aside, with add-one smoothing so that a word absent from
    ``train_ids`` does not cost an infinite loss.
    """
    counts = _word_counts(train_ids, vocab_size).double()
    counts[len(SPECIAL_TOKENS) :] += 1
    log_p = (counts / counts.sum()).log()
    _, targets, scored = _masked_test_set(ids, vocab_size, rate, seed)
    return float(-log_p[targets[scored]].mean())
