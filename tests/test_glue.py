"""sslbook.glue: the spread and the margin glued beside a value, for the
notebook check.
"""

import math

import pytest

from sslbook import glue
from sslbook.evaluate import Margin, SeedScores


def test_the_spread_record_holds_the_sd_to_two_digits_and_the_seed_count():
    scores = SeedScores((1.0e-9, 3.0e-9, 2.0e-9), (0, 1, 2))
    assert glue.spread_record("std", scores) == {"std_sd": 1e-09, "std_n": 3}
    assert glue.spread_record("acc", SeedScores((0.5, 0.5), (0, 1))) == {
        "acc_sd": 0.0,
        "acc_n": 2,
    }


def test_the_margin_record_keeps_a_nan_noise():
    record = glue.margin_record("tau", Margin(0.5, 0.2, 0.01234, float("nan")))
    assert record["tau_margin"] == 0.012 and math.isnan(
        record["tau_margin_se"]
    )
    assert glue.margin_record("lr", Margin(1, 2, 0.1, 0.0456)) == {
        "lr_margin": 0.1,
        "lr_margin_se": 0.046,
    }


def test_bad_input_names_what_was_expected():
    with pytest.raises(TypeError, match="SeedScores"):
        glue.spread_record("x", [0.5, 0.6])
    with pytest.raises(TypeError, match="Margin"):
        glue.margin_record("x", (0.1, 0.01))


def test_glue_spread_and_glue_margin_glue_each_value_hidden(monkeypatch):
    import myst_nb

    glued = []
    monkeypatch.setattr(
        myst_nb,
        "glue",
        lambda name, value, display=True: glued.append((name, value, display)),
    )
    glue.glue_spread("acc", SeedScores((0.8, 0.9), (0, 1)))
    glue.glue_margin("tau", Margin(0.5, 0.2, 0.03, 0.01))
    assert glued == [
        ("acc_sd", 0.071, False),
        ("acc_n", 2, False),
        ("tau_margin", 0.03, False),
        ("tau_margin_se", 0.01, False),
    ]


def test_the_call_record_holds_both_languages_the_interval_the_seeds_and_the_repeat_chance():  # noqa: E501
    from sslbook.evaluate import compare

    seeds = (0, 1, 2, 3)
    call = compare(
        SeedScores((0.81, 0.84, 0.83, 0.80), seeds),
        SeedScores((0.75, 0.77, 0.76, 0.79), seeds),
        "SimCLR",
        "raw pixels",
    )
    record = glue.call_record("v", call)
    assert (
        record["v"] == "SimCLR is ahead of raw pixels"
        and record["v_zh"] == "SimCLR 领先于原始像素"
    )
    assert record["v_lo"] == float(f"{call.low:.3g}") and record[
        "v_hi"
    ] == float(f"{call.high:.3g}")
    assert record["v_lo"] != record["v_hi"] and record["v_n"] == 4
    assert record["v_repeat"] == round(call.repeat_probability(), 2)
    assert record["v_change"] == round(call.change_probability(), 2)
    assert set(record) == {
        "v",
        *("v" + suffix for suffix in glue.CALL_COMPANIONS),
    }  # the suffixes' one home
    with pytest.raises(TypeError, match="Comparison"):
        glue.call_record("v", "SimCLR is ahead of raw pixels")


def test_the_settings_record_words_a_choice_in_both_languages(monkeypatch):
    record = glue.settings_record("choice", (0.001, 0.0005, 400))
    assert record == {
        "choice": "learning rate 0.001, weight decay 0.0005, 400 steps",
        "choice_zh": "学习率 0.001，权重衰减 0.0005，400 步",
    }
    assert (
        glue.settings_record("c", (0.01, 0.0, 100))["c"]
        == "learning rate 0.01, weight decay 0, 100 steps"
    )
    # a weight decay the grid did not search is not named, in either language
    assert glue.settings_record(
        "c", (0.01, 0.0, 100), with_weight_decay=False
    ) == {
        "c": "learning rate 0.01, 100 steps",
        "c_zh": "学习率 0.01，100 步",
    }
    with pytest.raises(ValueError, match="lr, weight_decay, steps"):
        glue.settings_record("c", (0.01, 100))
    import myst_nb

    glued = []
    monkeypatch.setattr(
        myst_nb,
        "glue",
        lambda name, value, display=True: glued.append((name, display)),
    )
    glue.glue_settings("c", (0.01, 0.0, 100))
    assert glued == [("c", False), ("c_zh", False)]
    values = []
    monkeypatch.setattr(
        myst_nb, "glue", lambda name, value, display=True: values.append(value)
    )
    glue.glue_settings("c", (0.01, 0.0005, 100), with_weight_decay=False)
    assert values == ["learning rate 0.01, 100 steps", "学习率 0.01，100 步"]


def test_gluing_without_myst_nb_says_what_to_install(monkeypatch):
    monkeypatch.setitem(
        __import__("sys").modules, "myst_nb", None
    )  # as if myst-nb were not installed
    with pytest.raises(
        ImportError, match=r"needs myst-nb: pip install 'sslbook\[notebooks\]'"
    ):
        glue.glue_spread("acc", SeedScores((0.8, 0.9), (0, 1)))
