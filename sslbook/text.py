"""Text corpora that ship inside gensim, and word-embedding benchmarks.

Everything here reads gensim's own test data (``gensim.test.utils.datapath``),
so it works offline: the book's default profile never downloads text.

- :func:`wiki_sample`: a shortened English Wikipedia dump, about 450k tokens.
- :func:`lee`: the Lee background corpus (300 news articles).
- :class:`TextFileCorpus`: your own, larger corpus, streamed from a text file.
- :func:`evaluate_embeddings`: WordSim353, SimLex-999 and the analogy set
  (Mikolov et al. 2013), through gensim's ``evaluate_word_pairs`` and
  ``evaluate_word_analogies``.

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

import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator, Sequence

from gensim.corpora.wikicorpus import WikiCorpus
from gensim.models import KeyedVectors
from gensim.test.utils import datapath
from gensim.utils import simple_preprocess

#: The Wikipedia sample inside gensim's test data.
WIKI_SAMPLE_FILE = "enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2"
LEE_FILE = "lee_background.cor"
WORDSIM353_FILE = "wordsim353.tsv"
SIMLEX999_FILE = "simlex999.txt"
ANALOGY_FILE = "questions-words.txt"


def wiki_sample() -> list[list[str]]:
    """The shortened English Wikipedia sample: one token list per article.

    Tokenised with gensim's wiki tokenizer (lower case, markup removed, tokens
    of 2 to 15 characters). 106 articles, 452,944 tokens.
    """
    corpus = WikiCorpus(datapath(WIKI_SAMPLE_FILE), dictionary={}, processes=1)
    return [list(tokens) for tokens in corpus.get_texts()]


def lee() -> list[list[str]]:
    """The Lee background corpus: 300 news articles, one token list each.

    Tokenised with ``gensim.utils.simple_preprocess`` (lower case, letters only).
    """
    lines = Path(datapath(LEE_FILE)).read_text(encoding="latin-1").splitlines()
    return [simple_preprocess(line) for line in lines if line.strip()]


class TextFileCorpus:
    """A corpus read from a UTF-8 text file, one sentence or document per line.

    It streams the file, so it can be larger than memory, and can be iterated
    many times (``Word2Vec`` makes one pass per epoch). Each line is tokenised
    with ``gensim.utils.simple_preprocess``.

    Args:
        path: the text file, e.g. ``text8`` split into lines, or a Wikipedia
            dump extracted to plain text.

    Raises:
        FileNotFoundError: if ``path`` does not exist.
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)
        if not self.path.is_file():
            raise FileNotFoundError(f"corpus file {str(self.path)!r} does not exist")

    def __iter__(self) -> Iterator[list[str]]:
        with self.path.open(encoding="utf-8") as lines:
            for line in lines:
                tokens = simple_preprocess(line)
                if tokens:
                    yield tokens


def check_corpus(sentences: Iterable[Sequence[str]], name: str = "sentences") -> None:
    """Raise ``TypeError`` unless ``sentences`` looks like a corpus of token lists.

    Only the first sentence is inspected, so streaming corpora stay cheap.

    Raises:
        TypeError: for a raw string (gensim would learn its characters), a flat
            list of tokens, or sentences that are not lists of strings.
    """
    if isinstance(sentences, (str, bytes)):
        raise TypeError(
            f"{name} must be an iterable of token lists, e.g. [['the', 'cat'], ['a', 'dog']], "
            f"not a raw {type(sentences).__name__}: Word2Vec would treat each character as a word. "
            "Tokenise it first, e.g. [gensim.utils.simple_preprocess(line) for line in text.splitlines()]"
        )
    first = next(iter(sentences), None)
    if first is None:
        raise TypeError(f"{name} is empty")
    if isinstance(first, str) or not all(isinstance(token, str) for token in first):
        raise TypeError(
            f"{name} must be an iterable of token lists, but its first item is {first!r}; "
            "wrap a single list of tokens as [tokens]"
        )


@dataclass(frozen=True)
class EmbeddingScores:
    """Word-embedding quality on three standard benchmarks.

    Attributes:
        ws353_spearman: Spearman correlation with human relatedness judgements
            on WordSim353, over the pairs whose words are both in the vocabulary
            (nan when no pair is).
        ws353_oov_pct: percentage of WordSim353 pairs skipped as out of vocabulary.
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
    return sum(1 for line in lines if line.strip() and not line.startswith(":"))


def _word_pairs(keyed_vectors: KeyedVectors, filename: str) -> tuple[float, float]:
    """(Spearman correlation, OOV %) on a word-pair file; (nan, 100) if no pair is covered."""
    try:
        _, (rho, _), oov = keyed_vectors.evaluate_word_pairs(datapath(filename))
    except ValueError as error:  # gensim raises when every pair is out of vocabulary
        if "No valid similarity judgements" not in str(error):
            raise
        return float("nan"), 100.0
    return float(rho), float(oov)


def evaluate_embeddings(keyed_vectors: KeyedVectors) -> EmbeddingScores:
    """Score word vectors on WordSim353, SimLex-999 and the analogy set.

    Args:
        keyed_vectors: e.g. ``Word2Vec(...).wv``.

    Raises:
        TypeError: if ``keyed_vectors`` is not gensim ``KeyedVectors``.
    """
    if not isinstance(keyed_vectors, KeyedVectors):
        raise TypeError(f"keyed_vectors must be gensim KeyedVectors (e.g. model.wv), got {type(keyed_vectors).__name__}")
    with warnings.catch_warnings():
        # scipy warns when a tiny vocabulary leaves too few pairs to correlate
        warnings.simplefilter("ignore", RuntimeWarning)
        ws_rho, ws_oov = _word_pairs(keyed_vectors, WORDSIM353_FILE)
        sl_rho, sl_oov = _word_pairs(keyed_vectors, SIMLEX999_FILE)
    accuracy, sections = keyed_vectors.evaluate_word_analogies(datapath(ANALOGY_FILE))
    total = sections[-1]  # gensim's last section is "Total accuracy"
    asked = len(total["correct"]) + len(total["incorrect"])
    return EmbeddingScores(
        ws353_spearman=ws_rho,
        ws353_oov_pct=ws_oov,
        simlex_spearman=sl_rho,
        simlex_oov_pct=sl_oov,
        analogy_accuracy=float(accuracy),
        analogy_coverage=asked / _count_analogy_questions(datapath(ANALOGY_FILE)),
    )


def nearest_neighbours(keyed_vectors: KeyedVectors, words: Sequence[str], topn: int = 5):
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
    missing = [word for word in words if word not in keyed_vectors.key_to_index]
    if missing:
        raise KeyError(f"not in the vocabulary: {missing}")
    rows = {
        word: [f"{other} ({similarity:.2f})" for other, similarity in keyed_vectors.most_similar(word, topn=topn)]
        for word in words
    }
    return pd.DataFrame.from_dict(rows, orient="index", columns=[str(i) for i in range(1, topn + 1)])
