"""The Chinese words of the book's calls (sslbook.zh, Comparison.text_zh)."""

import pytest

from sslbook.evaluate import SeedScores, compare
from sslbook.zh import NAMES, call_text_zh, has_name_zh, name_zh

SEEDS = (0, 1, 2)


def test_names_are_translated_kept_or_left_as_the_reader_wrote_them():
    assert name_zh("the supervised CNN") == "监督训练的 CNN"
    assert name_zh("SimCLR") == "SimCLR" and name_zh("τ = 0.5") == "τ = 0.5"
    assert name_zh("CBOW with 30 epochs") == "训练 30 轮的 CBOW"
    assert name_zh("skip-gram with 12 epochs") == "训练 12 轮的跳字模型"
    assert name_zh("my own method") == "my own method"
    assert (
        has_name_zh("the raw-feature probe")
        and has_name_zh("MoCo")
        and has_name_zh("CBOW with 5 epochs")
    )
    assert not has_name_zh("my own method") and not has_name_zh("SimCLR v2")


def test_every_chinese_name_is_chinese():
    assert all(
        any("\u4e00" <= ch <= "\u9fff" for ch in zh) for zh in NAMES.values()
    )


def test_the_three_calls_in_chinese_with_spaces_only_between_latin_and_chinese():  # noqa: E501
    assert (
        call_text_zh("ahead", "SimCLR", "raw pixels")
        == "SimCLR 领先于原始像素"
    )
    assert (
        call_text_zh("ahead", "raw pixels", "the supervised CNN")
        == "原始像素领先于监督训练的 CNN"
    )
    assert (
        call_text_zh("within", "MoCo", "SimCLR", margin=0.02)
        == "MoCo 与 SimCLR 相差在 ±0.02 以内"
    )
    assert (
        call_text_zh("inconclusive", "the tiny BERT", "Word2Vec", n=5)
        == "微型 BERT 与 Word2Vec 的比较在 5 个随机种子下尚无定论"
    )
    with pytest.raises(ValueError, match="call must be"):
        call_text_zh("beats", "MoCo", "SimCLR")


def test_a_comparison_words_its_call_in_both_languages():
    high, low = (
        SeedScores((0.90, 0.91, 0.93), SEEDS),
        SeedScores((0.70, 0.72, 0.71), SEEDS),
    )
    assert (
        compare(high, low, "SimCLR", "raw pixels").text_zh
        == "SimCLR 领先于原始像素"
    )
    assert (
        compare(low, high, "raw pixels", "SimCLR").text_zh
        == "SimCLR 领先于原始像素"
    )  # the other side is ahead
    same = SeedScores((0.5, 0.5, 0.5), SEEDS)
    assert (
        compare(same, same, "MoCo", "SimCLR", metric="spearman").text_zh
        == "MoCo 与 SimCLR 相差在 ±0.05 以内"
    )
    noisy = SeedScores((0.4, 0.6, 0.5), SEEDS)
    assert (
        compare(noisy, same, "MoCo", "SimCLR").text_zh
        == "MoCo 与 SimCLR 的比较在 3 个随机种子下尚无定论"
    )
