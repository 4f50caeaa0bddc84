import math

import numpy as np
import pytest
import torch

from sslbook.train import fit, make_loader
from sslbook.word2vec import (
    SkipGramNS,
    noise_distribution,
    sgns_loss,
    sgns_loss_fn,
    skipgram_pairs,
)


def test_skipgram_pairs_lists_every_pair_in_the_window():
    vocab, centres, contexts, counts = skipgram_pairs(
        [["a", "b", "c"], ["a"]], window=1
    )
    assert vocab == ["a", "b", "c"]
    pairs = sorted(
        zip(
            (vocab[i] for i in centres.tolist()),
            (vocab[i] for i in contexts.tolist()),
        )
    )
    assert pairs == [("a", "b"), ("b", "a"), ("b", "c"), ("c", "b")]
    assert counts.tolist() == [2, 1, 1]


def test_skipgram_pairs_drops_rare_words_and_checks_arguments():
    vocab, centres, _, _ = skipgram_pairs(
        [["a", "a", "b"]], window=2, min_count=2
    )
    assert vocab == ["a"] and len(centres) == 2
    with pytest.raises(ValueError, match="window must be an int >= 1, got 0"):
        skipgram_pairs([["a"]], window=0)
    with pytest.raises(TypeError, match="not a raw str"):
        skipgram_pairs("a raw string", window=2)


def test_skipgram_pairs_are_integer_indices_and_a_corpus_without_pairs_is_refused():  # noqa: E501
    _, centres, contexts, _ = skipgram_pairs([["a", "b"]], window=1)
    assert centres.dtype == contexts.dtype == torch.long
    with pytest.raises(ValueError, match="no \\(centre, context\\) pair"):
        skipgram_pairs(
            [["a"], ["b"], ["c"]], window=2
        )  # one word per sentence, as characters of a raw string would be
    with pytest.raises(ValueError, match="no \\(centre, context\\) pair"):
        skipgram_pairs([["a", "rare"], ["a"]], window=2, min_count=2)


def test_noise_distribution_is_unigram_to_the_three_quarters():
    noise = noise_distribution(torch.tensor([16.0, 1.0]))
    assert noise.tolist() == pytest.approx([8 / 9, 1 / 9])


def test_loss_is_the_sgns_objective():
    torch.manual_seed(0)
    model = SkipGramNS(4, 3)
    torch.nn.init.normal_(model.context.weight)
    v, u = model.centre.weight.detach(), model.context.weight.detach()
    sigmoid = lambda t: 1 / (1 + math.exp(-t))  # noqa: E731
    expected = -(
        math.log(sigmoid(u[1] @ v[0]))
        + math.log(sigmoid(-u[2] @ v[0]))
        + math.log(sigmoid(-u[3] @ v[0]))
    )
    loss = model(torch.tensor([0]), torch.tensor([1]), torch.tensor([[2, 3]]))
    assert loss.item() == pytest.approx(expected, rel=1e-5)


def planted_corpus(seed=0):
    """'cat' and 'dog' share their contexts; 'car' and 'bus' share other
    ones.
    """
    rng = np.random.default_rng(seed)
    sentences = []
    for _ in range(400):
        pet = ["cat", "dog"][rng.integers(2)]
        vehicle = ["car", "bus"][rng.integers(2)]
        sentences.append(["the", pet, "purrs", "and", "eats", "fish"])
        sentences.append(["a", vehicle, "drives", "on", "the", "road"])
    return sentences


def test_sgns_loss_decreases_and_learns_the_planted_similarity():
    vocab, centres, contexts, counts = skipgram_pairs(
        planted_corpus(), window=2
    )
    torch.manual_seed(0)
    model = SkipGramNS(len(vocab), dim=16)
    history = fit(
        model,
        sgns_loss_fn(noise_distribution(counts), negatives=3),
        make_loader(centres, contexts, batch_size=256, seed=0),
        torch.optim.Adam(model.parameters(), lr=0.05),
        epochs=5,
        seed=0,
        progress=False,
    )
    assert history.losses[0] == pytest.approx(
        4 * math.log(2)
    )  # u = 0 at init: every σ(·) is 1/2
    assert history.epoch_losses[-1] < 0.6 * history.losses[0]
    assert history.epoch_losses[-1] < history.epoch_losses[0]
    vectors = torch.nn.functional.normalize(model.embeddings(), dim=1)
    sim = lambda a, b: (
        vectors[vocab.index(a)] @ vectors[vocab.index(b)]
    ).item()  # noqa: E731
    assert sim("cat", "dog") > sim("cat", "car") + 0.3
    assert sim("car", "bus") > sim("bus", "dog") + 0.3


def test_bad_sizes_are_rejected():
    with pytest.raises(
        ValueError, match="vocab_size must be an int >= 1, got 0"
    ):
        SkipGramNS(0, 3)
    with pytest.raises(
        ValueError, match="negatives must be an int >= 1, got 0"
    ):
        sgns_loss_fn(torch.ones(2), negatives=0)


# --- added by mutation testing -----------------------------------------------


def test_min_count_vocabulary_and_dim_are_checked():
    with pytest.raises(
        ValueError, match="min_count must be an int >= 1, got 0"
    ):
        skipgram_pairs([["a", "b"]], window=1, min_count=0)
    with pytest.raises(
        ValueError, match="no word occurs at least min_count=3 times"
    ):
        skipgram_pairs([["a", "b", "a"]], window=1, min_count=3)
    with pytest.raises(ValueError, match="dim must be an int >= 1, got 0"):
        SkipGramNS(3, 0)


def test_sgns_loss_of_known_scores():
    v = torch.tensor([[1.0, 0.0]])
    u_context = torch.tensor([[2.0, 0.0]])  # score 2
    u_negatives = torch.tensor([[[0.0, 1.0], [-1.0, 0.0]]])  # scores 0 and -1
    expected = -(
        math.log(torch.sigmoid(torch.tensor(2.0)).item())
        + math.log(0.5)
        + math.log(torch.sigmoid(torch.tensor(1.0)).item())
    )
    assert sgns_loss(v, u_context, u_negatives).item() == pytest.approx(
        expected
    )


def test_sgns_loss_rejects_shapes_that_do_not_fit():
    with pytest.raises(ValueError, match="u_negatives of shape"):
        sgns_loss(torch.zeros(4, 3), torch.zeros(4, 3), torch.zeros(4, 3))
    with pytest.raises(ValueError, match="u_negatives of shape"):
        sgns_loss(torch.zeros(4, 3), torch.zeros(4, 2), torch.zeros(4, 5, 3))


def test_sgns_noise_words_come_from_the_loss_functions_own_generator():
    torch.manual_seed(0)
    model = SkipGramNS(50, dim=4)
    with torch.no_grad():  # u = 0 at init would make every negative alike
        model.context.weight.normal_()
    batch = (torch.arange(20), torch.arange(20).flip(0))
    noise = torch.ones(50) / 50
    state = torch.random.get_rng_state()
    first = sgns_loss_fn(noise, negatives=3, seed=7)(model, batch)
    assert torch.equal(torch.random.get_rng_state(), state)  # untouched
    torch.manual_seed(123)  # another global state: the same noise words
    assert torch.equal(first, sgns_loss_fn(noise, 3, seed=7)(model, batch))
    assert not torch.equal(first, sgns_loss_fn(noise, 3, seed=8)(model, batch))
