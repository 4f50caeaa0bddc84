import math

import pytest
import torch

from sslbook.mlm import (
    IGNORE,
    MASK_ID,
    SPECIAL_TOKENS,
    UNK_ID,
    TinyBERT,
    Vocabulary,
    chunk,
    mask_tokens,
    mlm_loss,
    mlm_loss_fn,
)
from sslbook.mlm_eval import (
    masked_accuracy,
    masked_loss,
    unigram_accuracy,
    unigram_guess,
    unigram_loss,
)


def test_vocabulary_keeps_the_most_frequent_words_after_the_special_tokens():
    vocab = Vocabulary.build(
        [["b", "a", "c", "a"], ["b", "a", "d"]], max_size=2
    )
    assert vocab.words == SPECIAL_TOKENS + ("a", "b")
    assert len(vocab) == 5
    assert vocab.encode(["a", "b", "zzz", "c"]) == [3, 4, UNK_ID, UNK_ID]
    with pytest.raises(ValueError, match="max_size must be an int >= 1"):
        Vocabulary.build([["a"]], max_size=0)


def test_chunk_cuts_each_list_into_whole_windows():
    windows = chunk(
        [list(range(7)), list(range(10, 13)), list(range(20, 24))], length=3
    )
    assert windows.tolist() == [
        [0, 1, 2],
        [3, 4, 5],
        [10, 11, 12],
        [20, 21, 22],
    ]
    assert windows.dtype == torch.long
    with pytest.raises(ValueError, match="no list holds 5 ids"):
        chunk([[1, 2]], length=5)


def test_each_sequence_gets_exactly_its_share_of_chosen_positions():
    ids = torch.randint(3, 50, (40, 20))
    inputs, targets = mask_tokens(
        ids,
        vocab_size=50,
        rate=0.15,
        generator=torch.Generator().manual_seed(0),
    )
    chosen = targets != IGNORE
    assert chosen.sum(dim=1).tolist() == [3] * 40
    _, short = mask_tokens(
        ids[:, :10],
        vocab_size=50,
        rate=0.15,
        generator=torch.Generator().manual_seed(0),
    )
    assert (short != IGNORE).sum(dim=1).tolist() == [2] * 40  # round(1.5) = 2
    assert torch.equal(targets[chosen], ids[chosen])
    assert torch.equal(
        inputs[~chosen], ids[~chosen]
    )  # positions not chosen are left alone


def test_special_tokens_are_never_chosen_and_a_short_sequence_gives_all_its_words():  # noqa: E501
    ids = torch.randint(3, 50, (300, 20))
    ids[:, ::4] = UNK_ID  # 5 unknown words in every row
    ids[0] = UNK_ID
    ids[1, :18] = torch.tensor(
        [0, 1, 2] * 6
    )  # [PAD], [UNK], [MASK]: two words left in row 1
    ids[2] = 3  # the first word id is a word like any other
    inputs, targets = mask_tokens(
        ids,
        vocab_size=50,
        rate=0.25,
        generator=torch.Generator().manual_seed(4),
    )
    chosen = targets != IGNORE
    assert not chosen[ids < len(SPECIAL_TOKENS)].any()
    assert chosen.sum(dim=1).tolist() == [0, 2] + [5] * 298
    assert torch.equal(inputs[0], ids[0])
    # the words of a row are chosen uniformly, whatever sits at the special
    # positions
    share = chosen[3:, 1::4].float().mean().item()
    assert share == pytest.approx(5 / 15, abs=0.03)


def test_chosen_positions_are_uniform_and_differ_between_sequences():
    ids = torch.full((6000, 10), 5)
    _, targets = mask_tokens(
        ids,
        vocab_size=20,
        rate=0.2,
        generator=torch.Generator().manual_seed(1),
    )
    chosen = targets != IGNORE
    assert chosen.float().mean(dim=0).tolist() == pytest.approx(
        [0.2] * 10, abs=0.02
    )
    assert len({tuple(row.tolist()) for row in chosen[:100]}) > 30


def test_chosen_positions_are_masked_80_replaced_10_and_kept_10_percent():
    ids = torch.full((20000, 10), 7)
    inputs, targets = mask_tokens(
        ids,
        vocab_size=1000,
        rate=0.1,
        generator=torch.Generator().manual_seed(2),
    )
    chosen = inputs[targets != IGNORE]
    assert (chosen == MASK_ID).float().mean().item() == pytest.approx(
        0.8, abs=0.01
    )
    assert (chosen == 7).float().mean().item() == pytest.approx(
        0.1 + 0.1 / 997, abs=0.01
    )
    replaced = chosen[(chosen != MASK_ID) & (chosen != 7)]
    assert (
        int(replaced.min()) >= len(SPECIAL_TOKENS)
        and int(replaced.max()) < 1000
    )
    assert len(replaced) / len(chosen) == pytest.approx(0.1, abs=0.01)


def test_masking_is_seeded_leaves_the_global_rng_alone_and_checks_its_input():
    ids = torch.randint(3, 30, (4, 12))
    state = torch.get_rng_state()
    a = mask_tokens(
        ids, vocab_size=30, generator=torch.Generator().manual_seed(3)
    )
    assert torch.equal(state, torch.get_rng_state())
    b = mask_tokens(
        ids, vocab_size=30, generator=torch.Generator().manual_seed(3)
    )
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    g = torch.Generator()
    with pytest.raises(ValueError, match=r"rate must be in \(0, 1\)"):
        mask_tokens(ids, vocab_size=30, rate=0.0, generator=g)
    with pytest.raises(ValueError, match="ids must be"):
        mask_tokens(ids[0], vocab_size=30, generator=g)
    with pytest.raises(ValueError, match="must exceed the 3 special tokens"):
        mask_tokens(ids, vocab_size=3, generator=g)


def test_tinybert_shapes_weight_tying_and_checks():
    torch.manual_seed(0)
    model = TinyBERT(vocab_size=40, length=16, dim=8, depth=1, heads=2)
    logits = model(torch.randint(0, 40, (3, 10)))
    assert logits.shape == (3, 10, 40)
    assert model.word_vectors.shape == (40, 8)
    with torch.no_grad():
        model.embedding.weight[5].zero_()
        model.output_bias[5] = 1.5
    assert torch.allclose(
        model(torch.zeros(1, 4, dtype=torch.long))[..., 5],
        torch.full((1, 4), 1.5),
    )
    same_word = model(
        torch.full((1, 6), 9)
    )  # without positions every place would give the same logits
    assert not torch.allclose(same_word[0, 0], same_word[0, 1])
    with pytest.raises(ValueError, match="length <= 16"):
        model(torch.zeros(1, 17, dtype=torch.long))
    with pytest.raises(ValueError, match="multiple of heads=3"):
        TinyBERT(40, 16, dim=8, heads=3)


def test_encode_then_predict_is_forward_and_the_fast_loss_equals_the_full_one():  # noqa: E501
    torch.manual_seed(0)
    model = TinyBERT(vocab_size=60, length=12, dim=16, depth=1, heads=2)
    ids = torch.randint(3, 60, (8, 12))
    assert torch.allclose(model.predict(model.encode(ids)), model(ids))
    fast = mlm_loss_fn(vocab_size=60, rate=0.3, seed=5)(model, (ids,))
    inputs, targets = mask_tokens(
        ids,
        vocab_size=60,
        rate=0.3,
        generator=torch.Generator().manual_seed(5),
    )
    assert fast.item() == pytest.approx(
        mlm_loss(model(inputs), targets).item(), rel=1e-6
    )


def test_masked_accuracy_scores_the_masked_positions_and_the_unigram_guess_sees_the_same_ones():  # noqa: E501
    torch.manual_seed(0)
    model = TinyBERT(vocab_size=30, length=10, dim=8, depth=1, heads=2)
    ids = torch.randint(3, 30, (700, 10))
    ids[:, 0] = 7  # word 7 is the most frequent
    inputs, targets = mask_tokens(
        ids,
        vocab_size=30,
        rate=0.3,
        generator=torch.Generator().manual_seed(6),
    )
    # the words are ids 3..29, never a special token, so the [MASK] tokens of
    # the inputs mark exactly the positions the scores must use
    chosen = inputs == MASK_ID
    assert 0 < int(chosen.sum()) < int((targets != IGNORE).sum())
    with torch.no_grad():
        expected = (
            (model(inputs).argmax(dim=-1)[chosen] == targets[chosen])
            .float()
            .mean()
            .item()
        )
    assert masked_accuracy(
        model, ids, vocab_size=30, rate=0.3, seed=6, batch_size=64
    ) == pytest.approx(expected)
    assert unigram_guess(ids, 30) == 7
    unigram = unigram_accuracy(ids, ids, vocab_size=30, rate=0.3, seed=6)
    assert unigram == pytest.approx(
        (targets[chosen] == 7).float().mean().item()
    )
    with torch.no_grad():  # a model that always says 7 is the unigram guess
        model.embedding.weight.zero_()
        model.output_bias.zero_()
        model.output_bias[7] = 1.0
    assert masked_accuracy(
        model, ids, vocab_size=30, rate=0.3, seed=6
    ) == pytest.approx(unigram)
    many_pads = torch.cat(
        [ids, torch.zeros(700, 10, dtype=torch.long)]
    )  # special tokens are never the guess
    assert unigram_accuracy(
        many_pads, ids, vocab_size=30, rate=0.3, seed=6
    ) == pytest.approx(unigram)
    assert unigram_guess(many_pads, 30) == 7
    nines = torch.full(
        (100, 10), 9
    )  # the guess comes from the training ids, not from the scored ones
    assert unigram_accuracy(
        nines, ids, vocab_size=30, rate=0.3, seed=6
    ) == pytest.approx((targets[chosen] == 9).float().mean().item())


def test_an_untrained_model_predicts_nearly_uniformly():
    """With the tied output layer, the initial loss is close to
    log(vocabulary size).
    """
    torch.manual_seed(0)
    model = TinyBERT(vocab_size=500, length=16, dim=32, depth=1, heads=2)
    ids = torch.randint(3, 500, (8, 16))
    inputs, targets = mask_tokens(
        ids, vocab_size=500, generator=torch.Generator().manual_seed(0)
    )
    assert mlm_loss(model(inputs), targets).item() == pytest.approx(
        torch.log(torch.tensor(500.0)).item(), rel=0.05
    )


def test_the_loss_counts_the_chosen_positions_only():
    logits = torch.randn(2, 5, 7, requires_grad=True)
    targets = torch.full((2, 5), IGNORE)
    targets[0, 1], targets[1, 4] = 3, 6
    loss = mlm_loss(logits, targets)
    expected = (
        torch.nn.functional.cross_entropy(logits[0, 1:2], targets[0, 1:2])
        + torch.nn.functional.cross_entropy(logits[1, 4:5], targets[1, 4:5])
    ) / 2
    assert loss.item() == pytest.approx(expected.item(), rel=1e-6)
    loss.backward()
    assert (
        logits.grad[0, 0].abs().sum() == 0
        and logits.grad[0, 1].abs().sum() > 0
    )
    with pytest.raises(ValueError, match=r"logits must be \(B, L, V\)"):
        mlm_loss(logits[0], targets)


@pytest.mark.slow  # make unit skips it; make test runs it
def test_training_learns_a_predictable_language_better_than_the_unigram_guess():  # noqa: E501
    """Sequences count up by one modulo 10: every masked word follows from its
    neighbours.
    """
    torch.manual_seed(0)
    starts = torch.randint(0, 10, (512, 1))
    ids = (
        3 + (starts + torch.arange(12)) % 10
    )  # ids 3..12, all equally frequent: the unigram guess gets 10 %
    model = TinyBERT(vocab_size=13, length=12, dim=64, depth=2, heads=2)
    loss_fn = mlm_loss_fn(vocab_size=13, rate=0.15, seed=0)
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    for step in range(400):
        optimizer.zero_grad()
        loss_fn(model, (ids[(step * 64) % 512 :][:64],)).backward()
        optimizer.step()
    assert masked_accuracy(model, ids, vocab_size=13, seed=1) > 0.5
    assert model.training  # masked_accuracy restores the mode


class _Copier(torch.nn.Module):
    """A "model" that predicts the word in its input at every position."""

    def encode(self, ids):
        return torch.nn.functional.one_hot(ids, 30).float()

    def predict(self, hidden):
        return hidden


def test_a_model_that_copies_its_input_scores_nothing_at_the_masked_positions():  # noqa: E501
    ids = torch.randint(3, 30, (500, 10))
    inputs, targets = mask_tokens(
        ids,
        vocab_size=30,
        rate=0.3,
        generator=torch.Generator().manual_seed(7),
    )
    chosen = targets != IGNORE
    assert (
        inputs[chosen] == targets[chosen]
    ).float().mean() > 0.05  # right at the unchanged ones...
    assert (
        masked_accuracy(_Copier(), ids, vocab_size=30, rate=0.3, seed=7) == 0.0
    )  # ...which are not scored


def test_masked_loss_is_the_cross_entropy_at_the_masked_positions_and_the_unigram_model_sets_its_bar():  # noqa: E501
    torch.manual_seed(0)
    model = TinyBERT(vocab_size=30, length=10, dim=8, depth=1, heads=2)
    ids = torch.randint(3, 30, (400, 10))
    ids[:, ::2] = 7
    inputs, targets = mask_tokens(
        ids,
        vocab_size=30,
        rate=0.3,
        generator=torch.Generator().manual_seed(8),
    )
    scored = inputs == MASK_ID  # no word is a special token
    with torch.no_grad():
        expected = torch.nn.functional.cross_entropy(
            model(inputs)[scored], targets[scored]
        ).item()
    assert masked_loss(
        model, ids, vocab_size=30, rate=0.3, seed=8, batch_size=64
    ) == pytest.approx(expected, rel=1e-5)
    # add-one smoothing by hand: ten 3s and no 4 in a vocabulary of the 3
    # special tokens and the words 3 and 4 give p(3) = 11/12, p(4) = 1/12
    tens = torch.full((1, 10), 3)
    for word, p_word in ((3, 11 / 12), (4, 1 / 12)):
        assert unigram_loss(
            tens, torch.full((50, 10), word), vocab_size=5, rate=0.3, seed=1
        ) == pytest.approx(-math.log(p_word))
    # a model whose output is a fixed distribution scores its cross-entropy
    # at the [MASK] positions; the unigram one scores the unigram loss
    frequency = torch.bincount(ids.flatten(), minlength=30).double()
    assert frequency[:3].sum() == 0 and (frequency[3:] > 0).all()
    with torch.no_grad():
        model.embedding.weight.zero_()  # the logits are the output bias
        # the softmax normalises: the log of each word's count plus one, and
        # nothing for the special tokens, is the smoothed unigram model
        model.output_bias.copy_(
            torch.cat([torch.full((3,), -1e9), (frequency[3:] + 1).log()])
        )
    assert masked_loss(
        model, ids, vocab_size=30, rate=0.3, seed=8
    ) == pytest.approx(
        unigram_loss(ids, ids, vocab_size=30, rate=0.3, seed=8), rel=1e-4
    )
    assert (
        unigram_loss(ids, ids, vocab_size=30, rate=0.3, seed=8)
        < torch.log(torch.tensor(27.0)).item()
    )  # frequencies help
    pads = torch.cat(
        [ids, torch.zeros(400, 10, dtype=torch.long)]
    )  # special tokens get no probability
    assert unigram_loss(
        pads, ids, vocab_size=30, rate=0.3, seed=8
    ) == pytest.approx(unigram_loss(ids, ids, vocab_size=30, rate=0.3, seed=8))
