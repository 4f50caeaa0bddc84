"""The checkers of the exercises on data and statistics: TF-IDF, PCA's
reconstruction, the skip-gram pairs and the paired interval.

Their inputs and results are arrays and lists, without gradients. Each
compares the reader's function with a reference, on random inputs:

- :func:`check_tfidf` (chapter 3.1) with gensim's ``TfidfModel``;
- :func:`check_pca_reconstruction` (3.2) with scikit-learn's ``PCA``;
- :func:`check_skipgram_pairs` (4.1) with
  :func:`sslbook.word2vec.skipgram_pairs`;
- :func:`check_paired_interval` (chapter 6) with the interval of
  :func:`sslbook.evaluate.compare`.

The notebooks import them from :mod:`sslbook.exercises`, which re-exports
them; what they share is in :mod:`sslbook.exercise_checks`.

Example
-------
>>> from sslbook.exercises_data import check_skipgram_pairs
>>> def pairs(ids, window):
...     n = len(ids)
...     return [
...         (ids[i], ids[j])
...         for i in range(n)
...         for j in range(max(0, i - window), min(n, i + window + 1))
...         if j != i
...     ]
>>> check_skipgram_pairs(pairs)
Correct: pairs matches sslbook.word2vec.skipgram_pairs on 5 random sentences.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import torch

from sslbook.exercise_checks import (
    ExerciseFailed,
    _as_tensor,
    _call,
    _check_shape,
    _check_value,
    _correct,
)
from sslbook.stats import SeedScores, compare
from sslbook.word2vec import skipgram_pairs

__all__ = [
    "check_paired_interval",
    "check_pca_reconstruction",
    "check_skipgram_pairs",
    "check_tfidf",
]


def check_tfidf(fn: Callable[[np.ndarray], np.ndarray]) -> None:
    """Check ``fn(counts)`` against gensim's ``TfidfModel`` with its defaults.

    ``counts`` is a ``(documents, terms)`` array of term counts; ``fn``
    returns the ``(documents, terms)`` TF-IDF weights: the count times
    ``log2(documents / document frequency)``, each document's row then
    scaled to unit length (a row of zeros stays zero).
    """
    from gensim.matutils import sparse2full
    from gensim.models import TfidfModel

    rng = np.random.default_rng(2)
    shapes = [(4, 6), (7, 3), (5, 10)]
    for n_docs, n_terms in shapes:
        counts = rng.poisson(0.8, size=(n_docs, n_terms))
        counts[:, 0] = np.maximum(
            counts[:, 0], 1
        )  # a term in every document: its weight is 0
        inputs = f"a count matrix of shape ({n_docs}, {n_terms})"
        result = _call(fn, counts.copy())
        if result is None:
            return None
        result = _as_tensor(result, "the weights")
        corpus = [
            [(t, int(c)) for t, c in enumerate(row) if c] for row in counts
        ]
        model = TfidfModel(corpus)
        expected = np.stack(
            [sparse2full(model[doc], n_terms) for doc in corpus]
        ).astype(np.float64)
        _check_shape(result, expected.shape, "the weights", inputs)
        _check_value(
            result,
            torch.from_numpy(expected),
            "the weights",
            inputs,
            rtol=1e-4,
            atol=1e-6,
        )
    return _correct(fn, "gensim's TfidfModel", len(shapes), "count matrices")


def check_pca_reconstruction(
    fn: Callable[[np.ndarray, int], np.ndarray],
) -> None:
    """Check ``fn(x, k)``: each row of ``x`` projected on its top-``k``
    principal subspace.

    ``x`` is ``(n, d)``; ``fn`` returns the ``(n, d)`` reconstruction
    ``mean + (x − mean) V_k V_kᵀ``, where ``V_k`` holds the ``k`` leading
    principal directions of ``x``: the best rank-``k`` linear autoencoder's
    output. The reference is scikit-learn's ``PCA(k)``.
    """
    from sklearn.decomposition import PCA

    rng = np.random.default_rng(3)
    cases = [(50, 6, 2), (40, 10, 1), (80, 5, 4)]
    for n, d, k in cases:
        scales = np.linspace(
            3.0, 0.5, d
        )  # distinct variances, so the top-k subspace is well defined
        x = rng.normal(size=(n, d)) * scales + rng.normal(size=d)
        inputs = f"x of shape ({n}, {d}) and k = {k}"
        result = _call(fn, x.copy(), k)
        if result is None:
            return None
        result = _as_tensor(result, "the reconstruction")
        pca = PCA(n_components=k).fit(x)
        expected = pca.inverse_transform(pca.transform(x))
        _check_shape(result, expected.shape, "the reconstruction", inputs)
        _check_value(
            result,
            torch.from_numpy(expected),
            "the reconstruction",
            inputs,
            rtol=1e-4,
            atol=1e-6,
        )
    return _correct(fn, "scikit-learn's PCA", len(cases), "datasets")


def check_skipgram_pairs(fn: Callable[[list[int], int], list]) -> None:
    """Check ``fn(ids, window)``: every (centre, context) pair of one sentence.

    ``ids`` is a sentence as a list of word ids; ``fn`` returns the pairs
    ``(ids[i], ids[j])`` for every position ``i`` and every other position
    ``j`` with ``|i − j| ≤ window``, as a list of 2-tuples in any order. The
    reference is :func:`sslbook.word2vec.skipgram_pairs`.
    """
    cases = [
        ([0, 1, 2, 3, 4], 1),
        ([5, 2, 5, 7, 1, 2], 2),
        ([3, 4], 5),
        ([9], 2),
        ([1, 2, 3, 4, 5, 6, 7], 3),
    ]
    for ids, window in cases:
        inputs = f"the sentence {ids} and window {window}"
        result = _call(fn, list(ids), window)
        if result is None:
            return None
        try:
            got = sorted((int(c), int(x)) for c, x in result)
        except (TypeError, ValueError):
            raise ExerciseFailed(
                f"type: for {inputs}, return a list of (centre, context) "
                f"pairs, got {result!r}"
            ) from None
        if len(ids) < 2:
            expected = []
        else:
            vocab, centres, contexts, _ = skipgram_pairs(
                [[f"w{i}" for i in ids]], window
            )
            expected = sorted(
                (int(vocab[c][1:]), int(vocab[x][1:]))
                for c, x in zip(centres.tolist(), contexts.tolist())
            )
        if got != expected:
            missing = sorted(set(expected) - set(got))[:3]
            extra = sorted(set(got) - set(expected))[:3]
            detail = (
                f"missing {missing}"
                if missing
                else f"extra {extra}"
                if extra
                else "the same pairs, but not as often"
            )
            raise ExerciseFailed(
                f"value: for {inputs}, {len(expected)} pairs are expected, "
                f"got {len(got)}: {detail}"
            )
    return _correct(
        fn, "sslbook.word2vec.skipgram_pairs", len(cases), "sentences"
    )


def check_paired_interval(
    fn: Callable[[list[float], list[float]], tuple[float, float]],
) -> None:
    """Check ``fn(a, b)``: the 95 % interval ``(low, high)`` of the mean
    paired difference.

    ``a`` and ``b`` are lists of per-seed scores on the same seeds, two or
    more values each. The reference is :func:`sslbook.evaluate.compare`, the
    book's rule for calling a difference.
    """
    cases = [
        ([0.90, 0.88, 0.91], [0.84, 0.85, 0.80]),
        ([0.5, 0.7, 0.6, 0.65], [0.55, 0.52, 0.61, 0.6]),
        ([1.0, 2.0, 3.0], [1.5, 2.5, 2.0]),
        ([0.1, 0.3], [0.2, 0.25]),
    ]
    for a, b in cases:
        inputs = f"a = {a} and b = {b}"
        result = _call(fn, list(a), list(b))
        if result is None:
            return None
        if isinstance(result, (tuple, list)) and all(
            isinstance(v, (float, int, np.floating)) for v in result
        ):
            result = np.asarray(result, dtype=np.float64)
        result = _as_tensor(result, "the interval")
        seeds = tuple(range(len(a)))
        verdict = compare(
            SeedScores(tuple(a), seeds), SeedScores(tuple(b), seeds), "a", "b"
        )
        _check_shape(result, (2,), "the interval (low, high)", inputs)
        expected = torch.tensor(
            [verdict.low, verdict.high], dtype=torch.float64
        )
        _check_value(
            result, expected, "the interval", inputs, rtol=1e-6, atol=1e-12
        )
    return _correct(
        fn,
        "sslbook.evaluate.compare's interval",
        len(cases),
        "pairs of score lists",
    )
