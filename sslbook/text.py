"""Text corpora that ship inside gensim, and word-embedding benchmarks.

Everything here reads gensim's own test data (``gensim.test.utils.datapath``),
so it works offline: the book's default profile never downloads text.

- :func:`wiki_sample`: a shortened English Wikipedia dump, about 450k tokens.
- :func:`lee`: the Lee background corpus (300 news articles).
- :class:`TextFileCorpus`: your own, larger corpus, streamed from a text file.
- :func:`cut_texts`: long texts cut into pieces that gensim reads to the end.
- :func:`evaluate_embeddings`: WordSim353, SimLex-999 and the analogy set
  (Mikolov et al. 2013), with gensim's ``evaluate_word_analogies``.
- :func:`word_pairs`, :func:`split_pairs` and :func:`pair_correlation`: a
  word-similarity benchmark as data, split into a fixed *development* half, on
  which settings are chosen, and a *test* half, on which they are reported
  (these benchmarks come without a development split).

A *corpus* here is what gensim's ``Word2Vec(sentences=...)`` expects: an
iterable of sentences, each a list of string tokens. A raw string is not a
corpus: gensim would iterate over its characters and learn a vocabulary of
letters, the mistake in the source article's section 4.1.

Example
-------
>>> from sslbook.text import lee
>>> docs = lee()
>>> len(docs), docs[0][:4]
(300, ['hundreds', 'of', 'people', 'have'])
"""

from __future__ import annotations

import functools
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator, Sequence

from gensim.corpora.wikicorpus import WikiCorpus
from gensim.models import KeyedVectors
from gensim.models.word2vec_inner import MAX_WORDS_IN_BATCH
from gensim.test.utils import datapath
from gensim.utils import simple_preprocess

from sslbook.checks import check_int, check_real

__all__ = [
    "WIKI_SAMPLE_FILE",
    "LEE_FILE",
    "WORDSIM353_FILE",
    "SIMLEX999_FILE",
    "ANALOGY_FILE",
    "wiki_sample",
    "lee",
    "TextFileCorpus",
    "cut_texts",
    "EmbeddingScores",
    "PAIR_FILES",
    "word_pairs",
    "split_pairs",
    "pair_correlation",
    "evaluate_embeddings",
    "nearest_neighbours",
]

#: The Wikipedia sample inside gensim's test data.
WIKI_SAMPLE_FILE = (
    "enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2"
)
LEE_FILE = "lee_background.cor"
WORDSIM353_FILE = "wordsim353.tsv"
SIMLEX999_FILE = "simlex999.txt"
ANALOGY_FILE = "questions-words.txt"


def wiki_sample() -> list[list[str]]:
    """The shortened English Wikipedia sample: one token list per article.

    Tokenised with gensim's wiki tokenizer (lower case, markup removed, tokens
    of 2 to 15 characters). 106 articles, 452,944 tokens.
    """
    return [list(tokens) for tokens in _wiki_sample()]


@functools.lru_cache(maxsize=1)
def _wiki_sample() -> tuple[tuple[str, ...], ...]:
    """The sample's articles, tokenised once per process (about 2.5 s)."""
    corpus = WikiCorpus(datapath(WIKI_SAMPLE_FILE), dictionary={}, processes=1)
    return tuple(tuple(tokens) for tokens in corpus.get_texts())


def lee() -> list[list[str]]:
    """The Lee background corpus: 300 news articles, one token list each.

    Tokenised with ``gensim.utils.simple_preprocess`` (lower case, letters
    only).
    """
    lines = Path(datapath(LEE_FILE)).read_text(encoding="latin-1").splitlines()
    return [simple_preprocess(line) for line in lines if line.strip()]


class TextFileCorpus:
    """A corpus read from a UTF-8 text file, one sentence or document per line.

    It streams the file, so it can be larger than memory, and can be iterated
    many times (``Word2Vec`` makes one pass per epoch). Each line is tokenised
    with ``gensim.utils.simple_preprocess``; a line of more than 10,000 tokens
    is cut into pieces, as :func:`cut_texts` cuts, so that gensim reads it all.

    Args:
        path: the text file, e.g. ``text8`` split into lines, or a Wikipedia
            dump extracted to plain text.

    Raises:
        FileNotFoundError: if ``path`` does not exist.
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)
        if not self.path.is_file():
            raise FileNotFoundError(
                f"corpus file {str(self.path)!r} does not exist"
            )

    def __iter__(self) -> Iterator[list[str]]:
        with self.path.open(encoding="utf-8") as lines:
            for line in lines:
                yield from cut_texts([simple_preprocess(line)])


def cut_texts(
    texts: Iterable[Sequence[str]], max_words: int = MAX_WORDS_IN_BATCH
) -> list[list[str]]:
    """Cut every text into consecutive pieces of at most ``max_words`` tokens.

    gensim's optimised ``Word2Vec`` stops reading a text after its first
    10,000 kept words (``MAX_WORDS_IN_BATCH``, the default here): the rest of
    a longer text is silently ignored. 10 of the 106 articles of
    :func:`wiki_sample` are longer. Cut into pieces, every word is read; a
    window never spans two pieces.

    Args:
        texts: token lists, e.g. :func:`wiki_sample`'s articles.
        max_words: the longest piece, a positive integer.

    Returns:
        the pieces, in order; joined, a text's pieces give the text back.
        Empty texts give no piece.

    Raises:
        ValueError: if ``max_words`` is not a positive integer.

    Example
    -------
    >>> cut_texts([["a", "b", "c", "d", "e"], ["f"]], max_words=2)
    [['a', 'b'], ['c', 'd'], ['e'], ['f']]
    """
    max_words = check_int("max_words", max_words)
    return [
        list(text[i : i + max_words])
        for text in texts
        for i in range(0, len(text), max_words)
    ]


@dataclass(frozen=True)
class EmbeddingScores:
    """Word-embedding quality on three standard benchmarks.

    Attributes:
        ws353_spearman: Spearman correlation with human relatedness judgements
            on the WordSim353 pairs scored (all, or a part such as the test
            half of :func:`split_pairs`), over the pairs whose words are both
            in the vocabulary (nan when fewer than two are).
        ws353_oov_pct: percentage of those pairs skipped as out of vocabulary.
        simlex_spearman: the same on SimLex-999, which rates similarity, not
            relatedness (so "coast"–"shore" high, "cup"–"coffee" low).
        simlex_oov_pct: percentage of SimLex-999 pairs skipped.
        analogy_accuracy: accuracy on the analogy questions ("king - man +
            woman = ?") whose four words are all in the vocabulary.
        analogy_coverage: fraction of all analogy questions that were asked.
    """

    ws353_spearman: float
    ws353_oov_pct: float
    simlex_spearman: float
    simlex_oov_pct: float
    analogy_accuracy: float
    analogy_coverage: float


def _count_analogy_questions(path: str) -> int:
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    return sum(
        1 for line in lines if line.strip() and not line.startswith(":")
    )


#: The word-similarity benchmarks that :func:`word_pairs` reads, by name.
PAIR_FILES = {"wordsim353": WORDSIM353_FILE, "simlex999": SIMLEX999_FILE}


def word_pairs(benchmark: str) -> list[tuple[str, str, float]]:
    """The ``(word, word, human score)`` rows of a benchmark that ships with
    gensim.

    Args:
        benchmark: ``"wordsim353"`` (353 pairs rated for relatedness) or
            ``"simlex999"`` (999 pairs rated for similarity).

    Raises:
        ValueError: for another name.
    """
    if benchmark not in PAIR_FILES:
        raise ValueError(
            f"unknown benchmark {benchmark!r}; known: {', '.join(PAIR_FILES)}"
        )
    rows = []
    for line in (
        Path(datapath(PAIR_FILES[benchmark]))
        .read_text(encoding="utf-8")
        .splitlines()
    ):
        if line.strip() and not line.startswith("#"):
            first, second, score = line.split("\t")
            rows.append((first, second, float(score)))
    return rows


def split_pairs(
    pairs: Sequence[tuple[str, str, float]],
    *,
    seed: int = 0,
    dev_fraction: float = 0.5,
):
    """A fixed, seeded split of benchmark pairs into ``(dev, test)``.

    Settings are chosen by their score on ``dev`` and reported on ``test``,
    which no choice has seen. The order of the pairs within each part is
    kept.

    Raises:
        ValueError: for ``dev_fraction`` outside (0, 1) or fewer than 2 pairs.
    """
    import numpy as np

    check_real("dev_fraction", dev_fraction, "(0, 1)")
    if len(pairs) < 2:
        raise ValueError(f"need at least 2 pairs to split, got {len(pairs)}")
    order = np.random.default_rng(seed).permutation(len(pairs))
    n_dev = int(round(dev_fraction * len(pairs)))
    dev = sorted(order[:n_dev].tolist())
    test = sorted(order[n_dev:].tolist())
    return [pairs[i] for i in dev], [pairs[i] for i in test]


def pair_correlation(
    keyed_vectors: KeyedVectors, pairs: Sequence[tuple[str, str, float]]
) -> tuple[float, float]:
    """Spearman correlation of cosine similarities with human scores, and the
    OOV percentage.

    Computed as gensim's ``evaluate_word_pairs`` does (case-insensitive,
    pairs with a word outside the vocabulary skipped), on any list of pairs.

    Returns:
        ``(spearman, oov_pct)``; the correlation is nan when fewer than two
        pairs are covered.
    """
    from scipy.stats import spearmanr

    lower = {
        key.lower(): key for key in reversed(keyed_vectors.index_to_key)
    }  # the most frequent spelling wins
    gold, model = [], []
    for first, second, score in pairs:
        a, b = lower.get(first.lower()), lower.get(second.lower())
        if a is None or b is None:
            continue
        gold.append(score)
        model.append(float(keyed_vectors.similarity(a, b)))
    oov_pct = 100.0 * (len(pairs) - len(gold)) / len(pairs) if pairs else 100.0
    if len(gold) < 2:
        return float("nan"), oov_pct
    with warnings.catch_warnings():
        warnings.simplefilter(
            "ignore", RuntimeWarning
        )  # a constant list has no rank correlation
        rho = spearmanr(gold, model)[0]
    return float(rho), oov_pct


def evaluate_embeddings(
    keyed_vectors: KeyedVectors,
    *,
    ws353: Sequence[tuple[str, str, float]] | None = None,
    analogies: bool = True,
) -> EmbeddingScores:
    """Score word vectors on WordSim353, SimLex-999 and the analogy set.

    Args:
        keyed_vectors: e.g. ``Word2Vec(...).wv``.
        ws353: the WordSim353 pairs to score, e.g. the test half from
            :func:`split_pairs`; all 353 by default.
        analogies: also answer the 19,544 analogy questions (a few seconds);
            False leaves the two analogy fields nan.

    Raises:
        TypeError: if ``keyed_vectors`` is not gensim ``KeyedVectors``.
    """
    if not isinstance(keyed_vectors, KeyedVectors):
        raise TypeError(
            "keyed_vectors must be gensim KeyedVectors (e.g. model.wv), "
            f"got {type(keyed_vectors).__name__}"
        )
    ws_rho, ws_oov = pair_correlation(
        keyed_vectors, word_pairs("wordsim353") if ws353 is None else ws353
    )
    sl_rho, sl_oov = pair_correlation(keyed_vectors, word_pairs("simlex999"))
    accuracy, coverage = float("nan"), float("nan")
    if analogies:
        accuracy, sections = keyed_vectors.evaluate_word_analogies(
            datapath(ANALOGY_FILE)
        )
        total = sections[-1]  # gensim's last section is "Total accuracy"
        asked = len(total["correct"]) + len(total["incorrect"])
        coverage = asked / _count_analogy_questions(datapath(ANALOGY_FILE))
    return EmbeddingScores(
        ws353_spearman=ws_rho,
        ws353_oov_pct=ws_oov,
        simlex_spearman=sl_rho,
        simlex_oov_pct=sl_oov,
        analogy_accuracy=float(accuracy),
        analogy_coverage=coverage,
    )


def nearest_neighbours(
    keyed_vectors: KeyedVectors, words: Sequence[str], topn: int = 5
):
    """A table of each word's ``topn`` nearest neighbours by cosine similarity.

    Returns:
        a pandas DataFrame with one row per word and columns ``1..topn``, each
        cell ``"neighbour (similarity)"``.

    Raises:
        KeyError: naming the words that are not in the vocabulary.
        ValueError: if ``topn`` < 1.
    """
    import pandas as pd

    if topn < 1:
        raise ValueError(f"topn must be >= 1, got {topn}")
    missing = [
        word for word in words if word not in keyed_vectors.key_to_index
    ]
    if missing:
        raise KeyError(f"not in the vocabulary: {missing}")
    rows = {
        word: [
            f"{other} ({similarity:.2f})"
            for other, similarity in keyed_vectors.most_similar(
                word, topn=topn
            )
        ]
        for word in words
    }
    return pd.DataFrame.from_dict(
        rows, orient="index", columns=[str(i) for i in range(1, topn + 1)]
    )
