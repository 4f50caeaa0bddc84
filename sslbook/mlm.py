"""Masked language modelling (Devlin et al. 2019, BERT), small enough for a
CPU.

A sequence of word ids goes in; a share of its positions, ``rate`` (BERT uses
15 %), is chosen at random, independently for every sequence. Of the chosen
positions, 80 % are replaced by a ``[MASK]`` id, 10 % by a random word and
10 % are left unchanged, so that the model cannot learn that only ``[MASK]``
needs predicting. A Transformer encoder reads the corrupted sequence and
predicts, at every chosen position, the original word; the loss is the
cross-entropy at those positions only.

The input embedding of each word, a row of :attr:`TinyBERT.embedding`, is a
word vector learned without labels, comparable to Word2Vec's
(:mod:`sslbook.word2vec`). The output layer shares these weights (weight
tying), as BERT's does.

How well a trained model predicts (its scores at the masked positions, and
the guess that ignores the context) is measured by :mod:`sslbook.mlm_eval`;
its names stay importable from here.

Example
-------
>>> import torch
>>> from sslbook.mlm import Vocabulary, mask_tokens
>>> vocab = Vocabulary.build([["a", "b", "a"], ["c", "a"]], max_size=2)
>>> vocab.words, vocab.encode(["a", "c"])  # ids 0-2 are [PAD], [UNK], [MASK]
(('[PAD]', '[UNK]', '[MASK]', 'a', 'b'), [3, 1])
>>> ids = torch.full((2, 20), 3)
>>> inputs, targets = mask_tokens(
...     ids, vocab_size=5, rate=0.15,
...     generator=torch.Generator().manual_seed(0),
... )
>>> # 3 positions of each sequence chosen
>>> (targets != -100).sum(dim=1).tolist()
[3, 3]
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Callable, Iterable, Sequence

import torch
from torch import nn
from torch.nn import functional as F

from sslbook.blocks import transformer_encoder
from sslbook.checks import check_int, check_real

__all__ = [
    "SPECIAL_TOKENS",
    "IGNORE",
    "Vocabulary",
    "chunk",
    "mask_tokens",
    "TinyBERT",
    "mlm_loss",
    "mlm_loss_fn",
]

#: The special tokens, in id order: padding, unknown word, mask.
SPECIAL_TOKENS = ("[PAD]", "[UNK]", "[MASK]")
PAD_ID, UNK_ID, MASK_ID = 0, 1, 2
#: The target of positions that are not predicted (``F.cross_entropy``'s
#: default ``ignore_index``).
IGNORE = -100


@dataclass(frozen=True)
class Vocabulary:
    """Word ids: the special tokens first, then the ``max_size`` most frequent
    words.

    Attributes:
        words: the word of each id.
    """

    words: tuple[str, ...]

    @classmethod
    def build(
        cls, sentences: Iterable[Sequence[str]], max_size: int
    ) -> "Vocabulary":
        """The ``max_size`` most frequent words of ``sentences``; ties go to
        the word seen first.
        """
        check_int("max_size", max_size)
        counts = Counter(word for sentence in sentences for word in sentence)
        kept = [
            word for word, _ in counts.most_common(max_size)
        ]  # most_common keeps first-seen order on ties
        return cls(SPECIAL_TOKENS + tuple(kept))

    def __len__(self) -> int:
        return len(self.words)

    def encode(self, sentence: Sequence[str]) -> list[int]:
        """The ids of ``sentence``'s words; words outside the vocabulary get
        ``[UNK]``.
        """
        index = self._index()
        return [index.get(word, UNK_ID) for word in sentence]

    def _index(self) -> dict[str, int]:
        cached = getattr(self, "_cache", None)
        if cached is None:
            cached = {word: i for i, word in enumerate(self.words)}
            object.__setattr__(self, "_cache", cached)
        return cached


def chunk(ids: Sequence[Sequence[int]], length: int) -> torch.Tensor:
    """Cut each id list into consecutive windows of ``length`` ids:
    ``(n_windows, length)`` int64.

    A list's last, shorter piece is dropped, so no window mixes two lists and
    none needs padding.
    """
    check_int("length", length, minimum=2)
    windows = [
        seq[i : i + length]
        for seq in ids
        for i in range(0, len(seq) - length + 1, length)
    ]
    if not windows:
        raise ValueError(
            f"no list holds {length} ids, so there is no window to make"
        )
    return torch.tensor(windows, dtype=torch.long)


def mask_tokens(
    ids: torch.Tensor,
    *,
    vocab_size: int,
    rate: float = 0.15,
    generator: torch.Generator,
) -> tuple[torch.Tensor, torch.Tensor]:
    """BERT's corruption of a batch ``(B, L)`` of word ids.

    In every sequence exactly ``max(1, round(rate · L))`` positions are chosen,
    a uniformly random subset, drawn per sequence, of the positions that hold
    a word: the special tokens (``[PAD]``, ``[UNK]``, ``[MASK]``) are never
    chosen, so a sequence with fewer words has all of them chosen. An unknown
    word is thus never a target, and no score can be raised by predicting
    ``[UNK]``. A chosen position becomes
    ``[MASK]`` with probability 0.8, a random word (an id of at least
    ``len(SPECIAL_TOKENS)``) with probability 0.1, and stays as it is with
    probability 0.1.

    Returns:
        ``(inputs, targets)``, both ``(B, L)``: the corrupted ids, and the
        original id at every chosen position with :data:`IGNORE` elsewhere.

    Raises:
        ValueError: if ``ids`` is not 2-D, ``rate`` is not in (0, 1), or the
            vocabulary holds no word besides the special tokens.
    """
    if ids.dim() != 2:
        raise ValueError(
            f"ids must be (batch, length), got {tuple(ids.shape)}"
        )
    check_real("rate", rate, "(0, 1)")
    if vocab_size <= len(SPECIAL_TOKENS):
        raise ValueError(
            "vocab_size must exceed the "
            f"{len(SPECIAL_TOKENS)} special tokens, got {vocab_size}"
        )
    batch, length = ids.shape
    chosen_count = max(1, round(rate * length))
    keys = torch.rand(batch, length, generator=generator)
    action = torch.rand(
        batch, length, generator=generator
    )  # < 0.8: [MASK]; < 0.9: random word; else: keep
    random_words = torch.randint(
        len(SPECIAL_TOKENS), vocab_size, (batch, length), generator=generator
    )
    keys, action, random_words = (
        t.to(ids.device) for t in (keys, action, random_words)
    )
    words = ids >= len(SPECIAL_TOKENS)
    keys = keys.masked_fill(
        ~words, 2.0
    )  # special tokens sort after every word (keys of words are < 1)
    chosen = (
        keys.argsort(dim=1).argsort(dim=1) < chosen_count
    ) & words  # a random subset of the words per row
    inputs = torch.where(
        chosen & (action < 0.8), torch.full_like(ids, MASK_ID), ids
    )
    inputs = torch.where(
        chosen & (action >= 0.8) & (action < 0.9), random_words, inputs
    )
    targets = torch.where(chosen, ids, torch.full_like(ids, IGNORE))
    return inputs, targets


class TinyBERT(nn.Module):
    """A small Transformer encoder with a masked-language-modelling head.

    Args:
        vocab_size: the number of word ids, special tokens included.
        length: the longest sequence (the number of learned positions).
        dim, depth, heads: the Transformer's width, layers and attention heads.

    ``forward(ids)`` maps ``(B, L)`` ids to ``(B, L, vocab_size)`` logits, and
    is ``predict(encode(ids))``: :meth:`encode` gives the ``(B, L, dim)``
    hidden states and :meth:`predict` the logits of any ``(..., dim)`` of
    them. Training needs the logits at the chosen positions only, a sixth of
    them at BERT's rate, and the ``vocab_size``-way output is most of the
    cost. The output layer's weight is the input embedding (weight tying).
    """

    def __init__(
        self,
        vocab_size: int,
        length: int,
        dim: int = 64,
        depth: int = 2,
        heads: int = 4,
    ):
        super().__init__()
        for name, value in (
            ("vocab_size", vocab_size),
            ("length", length),
            ("dim", dim),
            ("depth", depth),
            ("heads", heads),
        ):
            check_int(name, value)
        if dim % heads:
            raise ValueError(f"dim={dim} must be a multiple of heads={heads}")
        self.embedding = nn.Embedding(vocab_size, dim)
        # BERT's initialisation: small embeddings, so that the tied output
        # layer starts near uniform predictions (PyTorch's N(0, 1) would make
        # logits of size ~dim)
        nn.init.normal_(self.embedding.weight, std=0.02)
        self.position = nn.Parameter(torch.randn(1, length, dim) * 0.02)
        self.blocks = transformer_encoder(dim, depth, heads)
        self.norm = nn.LayerNorm(dim)
        self.output_bias = nn.Parameter(torch.zeros(vocab_size))
        self.length = length

    def encode(self, ids: torch.Tensor) -> torch.Tensor:
        """The final hidden states ``(B, L, dim)`` of ``(B, L)`` ids."""
        if ids.dim() != 2 or ids.shape[1] > self.length:
            raise ValueError(
                "ids must be (batch, length) "
                f"with length <= {self.length}, got {tuple(ids.shape)}"
            )
        x = self.embedding(ids) + self.position[:, : ids.shape[1]]
        return self.norm(self.blocks(x))

    def predict(self, hidden: torch.Tensor) -> torch.Tensor:
        """The logits ``(..., vocab_size)`` of hidden states ``(..., dim)``."""
        return (
            hidden @ self.embedding.weight.T + self.output_bias
        )  # tied output layer

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        return self.predict(self.encode(ids))

    @property
    def word_vectors(self) -> torch.Tensor:
        """The input embeddings ``(vocab_size, dim)``, one learned vector per
        word id.
        """
        return self.embedding.weight.detach()


def mlm_loss(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Cross-entropy of ``(B, L, V)`` logits at the positions whose target is
    not :data:`IGNORE`.
    """
    if logits.dim() != 3 or logits.shape[:2] != targets.shape:
        raise ValueError(
            "logits must be (B, L, V) and targets (B, L), "
            f"got {tuple(logits.shape)} and {tuple(targets.shape)}"
        )
    return F.cross_entropy(
        logits.flatten(0, 1), targets.flatten(), ignore_index=IGNORE
    )


def mlm_loss_fn(
    vocab_size: int, rate: float = 0.15, seed: int = 0
) -> Callable[[TinyBERT, tuple], torch.Tensor]:
    """The ``loss_fn(model, batch)`` for :func:`sslbook.train.fit`: mask
    ``batch[0]``, predict the chosen words.

    The masks come from a generator of their own, seeded with ``seed``.
    """
    generator = torch.Generator().manual_seed(seed)

    def loss_fn(model: TinyBERT, batch: tuple) -> torch.Tensor:
        inputs, targets = mask_tokens(
            batch[0], vocab_size=vocab_size, rate=rate, generator=generator
        )
        chosen = targets != IGNORE
        # the value of mlm_loss(model(inputs), targets), with the
        # vocabulary-wide logits computed at the chosen positions only
        hidden = model.encode(inputs)[chosen]
        return F.cross_entropy(model.predict(hidden), targets[chosen])

    return loss_fn
