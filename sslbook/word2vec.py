"""Skip-gram with negative sampling (SGNS), from scratch in PyTorch.

Word2Vec's skip-gram model (Mikolov et al. 2013) gives every word ``w`` two
vectors: ``v_w`` when it is the centre word and ``u_w`` when it is a context
word. For an observed (centre ``w``, context ``c``) pair and ``K`` noise words
``n_1..n_K`` drawn from the unigram distribution raised to the power 3/4, it
maximises

    log σ(u_c · v_w) + Σ_k log σ(−u_{n_k} · v_w),

so observed pairs get a high score and random pairs a low one. After training,
the centre vectors ``v`` are the word embeddings. gensim's ``Word2Vec(sg=1)``
optimises the same objective, with extra tricks (a decaying learning rate,
frequent-word subsampling, a dynamic window).

Example
-------
>>> import torch
>>> from sslbook.word2vec import SkipGramNS, skipgram_pairs
>>> vocab, centres, contexts, counts = skipgram_pairs(
...     [["a", "b", "a", "c"]], window=1
... )
>>> model = SkipGramNS(len(vocab), dim=8)
>>> negatives = torch.zeros(len(centres), 2, dtype=torch.long)
>>> model(centres, contexts, negatives).shape
torch.Size([])
"""

from __future__ import annotations

from collections import Counter
from typing import Sequence

import torch
from torch import nn
from torch.nn import functional as F

from sslbook.checks import check_corpus, check_int

__all__ = [
    "skipgram_pairs",
    "noise_distribution",
    "sgns_loss",
    "SkipGramNS",
    "sgns_loss_fn",
]


def skipgram_pairs(
    sentences: Sequence[Sequence[str]], window: int, min_count: int = 1
):
    """Every (centre, context) pair within ``window`` words, as vocabulary
    indices.

    Returns:
        ``(vocab, centres, contexts, counts)``: ``vocab`` lists the words kept
        (count ≥ ``min_count``) by decreasing count; ``centres`` and
        ``contexts`` are ``(n_pairs,)`` int64 tensors; ``counts`` is
        ``(len(vocab),)``, each word's frequency.

    Raises:
        TypeError: if ``sentences`` is not a list of token lists.
        ValueError: if ``window`` < 1, no word reaches ``min_count``, or no
            sentence holds two kept words (so there is no pair to learn from).
    """
    check_corpus(sentences)
    check_int("window", window)
    check_int("min_count", min_count)
    frequency = Counter(token for sentence in sentences for token in sentence)
    vocab = [
        word for word, count in frequency.most_common() if count >= min_count
    ]
    if not vocab:
        raise ValueError(
            f"no word occurs at least min_count={min_count} times"
        )
    index = {word: i for i, word in enumerate(vocab)}
    centres, contexts = [], []
    for sentence in sentences:
        ids = [index[token] for token in sentence if token in index]
        for i, centre in enumerate(ids):
            for j in range(max(0, i - window), min(len(ids), i + window + 1)):
                if j != i:
                    centres.append(centre)
                    contexts.append(ids[j])
    if not centres:
        raise ValueError(
            "no (centre, context) pair: every sentence holds "
            "fewer than two words that occur at least "
            f"min_count={min_count} times. "
            "A raw string split into characters, or one word per sentence, "
            "gives this; pass sentences of several tokens"
        )
    counts = torch.tensor(
        [frequency[word] for word in vocab], dtype=torch.float64
    )
    return (
        vocab,
        torch.tensor(centres, dtype=torch.long),
        torch.tensor(contexts, dtype=torch.long),
        counts,
    )


def noise_distribution(
    counts: torch.Tensor, power: float = 0.75
) -> torch.Tensor:
    """Word2Vec's noise distribution: unigram counts ``(vocab,)`` to the power
    3/4, normalised.
    """
    weights = counts.double() ** power
    return weights / weights.sum()


def sgns_loss(
    v: torch.Tensor, u_context: torch.Tensor, u_negatives: torch.Tensor
) -> torch.Tensor:
    """The mean negative SGNS objective, from the vectors themselves.

    ``−mean_b [log σ(u_c · v) + Σ_k log σ(−u_{n_k} · v)]``.

    Args:
        v: ``(batch, dim)`` centre vectors.
        u_context: ``(batch, dim)`` context vectors of the observed pairs.
        u_negatives: ``(batch, K, dim)`` context vectors of the noise words.

    Returns:
        A scalar.

    Raises:
        ValueError: if the shapes do not fit together.
    """
    if (
        v.dim() != 2
        or u_context.shape != v.shape
        or u_negatives.dim() != 3
        or (u_negatives.shape[0], u_negatives.shape[2]) != tuple(v.shape)
    ):
        raise ValueError(
            "expected v and u_context of shape (batch, dim) "
            "and u_negatives of shape (batch, K, dim), "
            f"got {tuple(v.shape)}, {tuple(u_context.shape)} "
            f"and {tuple(u_negatives.shape)}"
        )
    positive = F.logsigmoid((u_context * v).sum(-1))  # (batch,)
    negative = F.logsigmoid(-torch.einsum("bkd,bd->bk", u_negatives, v)).sum(
        -1
    )  # (batch,)
    return -(positive + negative).mean()


class SkipGramNS(nn.Module):
    """The SGNS model: centre embeddings ``v`` and context embeddings ``u``.

    Args:
        vocab_size: number of words.
        dim: embedding size.

    Initialised as word2vec.c does: ``v`` uniform in ±0.5/dim, ``u`` zero.
    """

    def __init__(self, vocab_size: int, dim: int):
        super().__init__()
        check_int("vocab_size", vocab_size)
        check_int("dim", dim)
        self.centre = nn.Embedding(vocab_size, dim)
        self.context = nn.Embedding(vocab_size, dim)
        nn.init.uniform_(self.centre.weight, -0.5 / dim, 0.5 / dim)
        nn.init.zeros_(self.context.weight)

    def forward(
        self,
        centres: torch.Tensor,
        contexts: torch.Tensor,
        negatives: torch.Tensor,
    ) -> torch.Tensor:
        """The mean negative SGNS objective.

        Shapes: ``centres`` and ``contexts`` ``(batch,)``, ``negatives``
        ``(batch, K)``.
        """
        return sgns_loss(
            self.centre(centres),
            self.context(contexts),
            self.context(negatives),
        )

    def embeddings(self) -> torch.Tensor:
        """The word vectors ``v``, ``(vocab, dim)``, detached."""
        return self.centre.weight.detach().clone()


def sgns_loss_fn(noise: torch.Tensor, negatives: int = 5, *, seed: int = 0):
    """A ``loss_fn(model, batch)`` for :func:`sslbook.train.fit` on
    ``(centres, contexts)`` batches.

    Each pair gets ``negatives`` noise words drawn from ``noise`` with the
    loss function's own generator, seeded with ``seed``: the same seed draws
    the same noise words, whatever else uses torch's global generator.
    """
    check_int("negatives", negatives)
    generator = torch.Generator(device=noise.device).manual_seed(seed)

    def loss_fn(model: SkipGramNS, batch) -> torch.Tensor:
        centres, contexts = batch
        drawn = torch.multinomial(
            noise,
            len(centres) * negatives,
            replacement=True,
            generator=generator,
        ).view(len(centres), negatives)
        return model(centres, contexts, drawn)

    return loss_fn
