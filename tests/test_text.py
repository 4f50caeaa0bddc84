from pathlib import Path

import numpy as np
import pytest
from gensim.models import KeyedVectors
from gensim.test.utils import datapath
from scipy.stats import spearmanr

from sslbook.checks import check_corpus
from sslbook.text import (
    ANALOGY_FILE,
    WORDSIM353_FILE,
    TextFileCorpus,
    cut_texts,
    evaluate_embeddings,
    lee,
    nearest_neighbours,
    pair_correlation,
    split_pairs,
    wiki_sample,
    word_pairs,
)


def test_wiki_sample_is_token_lists_of_the_documented_size():
    corpus = wiki_sample()
    assert len(corpus) == 106
    assert sum(len(doc) for doc in corpus) == 452_944
    assert all(
        isinstance(token, str) and token == token.lower()
        for token in corpus[0]
    )


def test_wiki_sample_gives_each_caller_its_own_lists():
    """The parsed sample is kept for the process; a caller that edits its
    corpus must not change the next caller's.
    """
    first = wiki_sample()
    first[0][0] = "edited"
    first[1].clear()
    del first[2]
    again = wiki_sample()
    assert again[0][0] != "edited" and again[1] and len(again) == 106


def test_lee_is_300_documents_of_tokens():
    corpus = lee()
    assert len(corpus) == 300
    assert sum(len(doc) for doc in corpus) == 58_152
    assert corpus[0][:4] == ["hundreds", "of", "people", "have"]


def test_text_file_corpus_streams_a_file_many_times(tmp_path):
    path = tmp_path / "corpus.txt"
    path.write_text("The cat sat.\n\nA dog ran, fast!\n", encoding="utf-8")
    corpus = TextFileCorpus(path)
    expected = [["the", "cat", "sat"], ["dog", "ran", "fast"]]
    assert list(corpus) == expected
    assert (
        list(corpus) == expected
    )  # again, not []: Word2Vec iterates once per epoch
    with pytest.raises(FileNotFoundError, match="missing.txt"):
        TextFileCorpus(tmp_path / "missing.txt")


@pytest.mark.parametrize(
    "bad, message",
    [
        (
            "apple banana cherry",
            "not a raw str: Word2Vec would treat each character as a word",
        ),
        (["apple", "banana"], "its first item is 'apple'"),
        ([], "is empty"),
        ([[1, 2]], "must be an iterable of token lists"),
        (
            [1, 2],
            "its first item is 1",
        ),  # a flat list of ids, not a list of lists
    ],
)
def test_check_corpus_rejects_what_is_not_a_corpus(bad, message):
    with pytest.raises(TypeError, match=message):
        check_corpus(bad)


def random_vectors(words, seed=0, dim=10):
    kv = KeyedVectors(dim)
    kv.add_vectors(
        list(words),
        np.random.default_rng(seed)
        .normal(size=(len(words), dim))
        .astype(np.float32),
    )
    return kv


def ws353_pairs():
    lines = (
        Path(datapath(WORDSIM353_FILE))
        .read_text(encoding="utf-8")
        .splitlines()
    )
    rows = [line.split("\t") for line in lines if not line.startswith("#")]
    return [(a.lower(), b.lower(), float(score)) for a, b, score in rows]


def test_wordsim_score_matches_an_independent_computation():
    pairs = ws353_pairs()
    words = sorted({w for a, b, _ in pairs for w in (a, b)})
    kv = random_vectors(
        words[::2] + words[1::4]
    )  # leave some words out, so some pairs are OOV
    kept = [
        (a, b, s)
        for a, b, s in pairs
        if a in kv.key_to_index and b in kv.key_to_index
    ]
    expected_rho = spearmanr(
        [s for *_, s in kept], [kv.similarity(a, b) for a, b, _ in kept]
    )[0]
    scores = evaluate_embeddings(kv)
    assert scores.ws353_spearman == pytest.approx(expected_rho, abs=1e-6)
    assert scores.ws353_oov_pct == pytest.approx(
        100 * (1 - len(kept) / len(pairs))
    )
    assert 0 < scores.ws353_oov_pct < 100


def test_pair_correlation_is_gensims_on_any_subset(tmp_path):
    pairs = word_pairs("wordsim353")
    assert len(pairs) == 353 and len(word_pairs("simlex999")) == 999
    words = sorted({w.lower() for a, b, _ in pairs for w in (a, b)})
    kv = random_vectors(words[::2] + words[1::4])
    _, (rho, _), oov = kv.evaluate_word_pairs(datapath(WORDSIM353_FILE))
    assert pair_correlation(kv, pairs) == pytest.approx((rho, oov))
    subset = pairs[::3]
    path = tmp_path / "subset.tsv"
    path.write_text(
        "".join(f"{a}\t{b}\t{s}\n" for a, b, s in subset), encoding="utf-8"
    )
    _, (rho, _), oov = kv.evaluate_word_pairs(str(path))
    assert pair_correlation(kv, subset) == pytest.approx((rho, oov))
    with pytest.raises(ValueError, match="unknown benchmark 'men'"):
        word_pairs("men")


def test_split_pairs_is_a_seeded_partition():
    pairs = word_pairs("wordsim353")
    dev, test = split_pairs(pairs, seed=0)
    assert len(dev) == 176 and len(test) == 177
    assert sorted(dev + test) == sorted(pairs) and not set(dev) & set(test)
    assert (dev, test) == split_pairs(pairs, seed=0)
    assert dev != split_pairs(pairs, seed=1)[0]
    assert [
        p for p in pairs if p in set(dev)
    ] == dev  # the original order is kept
    with pytest.raises(ValueError, match="dev_fraction"):
        split_pairs(pairs, dev_fraction=1.0)


def test_evaluate_embeddings_scores_the_wordsim_pairs_it_is_given():
    pairs = word_pairs("wordsim353")
    kv = random_vectors(
        sorted({w.lower() for a, b, _ in pairs for w in (a, b)})
    )
    dev, test = split_pairs(pairs)
    scores = evaluate_embeddings(kv, ws353=test, analogies=False)
    assert (scores.ws353_spearman, scores.ws353_oov_pct) == pytest.approx(
        pair_correlation(kv, test)
    )
    assert scores.ws353_spearman != pytest.approx(pair_correlation(kv, dev)[0])
    assert np.isnan(scores.analogy_accuracy) and np.isnan(
        scores.analogy_coverage
    )


def test_analogy_coverage_counts_questions_whose_words_are_known():
    lines = [
        line.split()
        for line in Path(datapath(ANALOGY_FILE))
        .read_text(encoding="utf-8")
        .splitlines()
    ]
    questions = [[w.lower() for w in line] for line in lines if line[0] != ":"]
    kv = random_vectors(sorted({w for q in questions[:500] for w in q}))
    known = sum(all(w in kv.key_to_index for w in q) for q in questions)
    scores = evaluate_embeddings(kv)
    assert scores.analogy_coverage == pytest.approx(known / len(questions))
    assert 0 <= scores.analogy_accuracy <= 1


def test_evaluate_embeddings_wants_keyed_vectors():
    with pytest.raises(
        TypeError,
        match="must be gensim KeyedVectors \\(e.g. model.wv\\), got dict",
    ):
        evaluate_embeddings({"cat": [1.0]})


def test_nearest_neighbours_table():
    kv = KeyedVectors(2)
    kv.add_vectors(
        ["cat", "dog", "car"],
        np.array([[1, 0], [0.9, 0.1], [0, 1]], dtype=np.float32),
    )
    table = nearest_neighbours(kv, ["cat"], topn=2)
    assert table.loc["cat"].tolist() == ["dog (0.99)", "car (0.00)"]
    with pytest.raises(KeyError, match="not in the vocabulary: \\['emu'\\]"):
        nearest_neighbours(kv, ["cat", "emu"])


def test_no_covered_pair_gives_nan_not_an_error():
    scores = evaluate_embeddings(random_vectors(["qwertyuiop"]))
    assert np.isnan(scores.ws353_spearman) and scores.ws353_oov_pct == 100
    assert scores.analogy_coverage == 0


# --- added by mutation testing -----------------------------------------------


def test_split_pairs_rounds_to_the_nearest_count_and_checks_its_arguments():
    pairs = word_pairs("wordsim353")[:100]
    assert (
        len(split_pairs(pairs, dev_fraction=0.29)[0]) == 29
    )  # 0.29 * 100 is 28.999999999999996 in floating point
    with pytest.raises(
        ValueError, match="need at least 2 pairs to split, got 1"
    ):
        split_pairs(pairs[:1])
    with pytest.raises(ValueError, match="dev_fraction must be in"):
        split_pairs(pairs, dev_fraction=0.0)


def test_pair_correlation_takes_the_most_frequent_spelling_as_gensim_does():
    pairs = word_pairs("wordsim353")
    words = sorted({w.lower() for a, b, _ in pairs for w in (a, b)})
    capitalised = [
        w.capitalize() for w in words[::3] if w.capitalize() != w
    ]  # rarer spellings: later in the vocabulary
    kv = random_vectors(words + capitalised)
    _, (rho, _), oov = kv.evaluate_word_pairs(datapath(WORDSIM353_FILE))
    assert pair_correlation(kv, pairs) == pytest.approx((rho, oov))


def test_cut_texts_cuts_in_order_and_gives_every_text_back():
    texts = [list("abcdefg"), [], list("xy")]
    pieces = cut_texts(texts, max_words=3)
    assert pieces == [list("abc"), list("def"), ["g"], list("xy")]
    assert cut_texts(texts, max_words=7) == [list("abcdefg"), list("xy")]
    corpus = wiki_sample()
    cut = cut_texts(corpus)
    assert max(len(p) for p in cut) == 10_000
    assert [t for p in cut for t in p] == [t for doc in corpus for t in doc]
    assert (
        len(cut) == 116
    )  # 10 of the 106 articles are longer than 10,000 words


@pytest.mark.parametrize("bad", [0, -1, 2.0, True])
def test_cut_texts_refuses_a_bad_length(bad):
    with pytest.raises(ValueError, match="max_words"):
        cut_texts([["a"]], max_words=bad)


def test_cut_texts_makes_gensim_read_a_long_text_to_its_end():
    """The reason for cutting: gensim ignores a text's words after its
    10,000th.
    """
    from gensim.models import Word2Vec

    rng = np.random.default_rng(0)
    long_text = [f"w{i}" for i in rng.integers(0, 50, size=12_000)] + [
        "late",
        "word",
    ] * 20
    moved = {}
    for name, corpus in {
        "whole": [long_text],
        "cut": cut_texts([long_text]),
    }.items():
        model = Word2Vec(
            vector_size=8, min_count=1, workers=1, seed=0, sample=0
        )
        model.build_vocab(corpus)
        before = model.wv["late"].copy()
        model.train(corpus, total_examples=len(corpus), epochs=1)
        moved[name] = float(np.abs(model.wv["late"] - before).max())
    assert moved["whole"] == 0.0
    assert moved["cut"] > 0.0


def test_text_file_corpus_cuts_a_line_longer_than_gensims_limit(tmp_path):
    path = tmp_path / "long.txt"
    path.write_text(
        " ".join(["word"] * 25_000) + "\nshort line\n", encoding="utf-8"
    )
    assert [len(s) for s in TextFileCorpus(path)] == [10_000, 10_000, 5_000, 2]
