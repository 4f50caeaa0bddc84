"""tools/robustness.py and its report, the appendix page
"Do the calls hold?".
"""

import re

import pytest

from conftest import ROOT

import robustness
from robustness import Row, Setting

PAGE = ROOT / "appendix" / "robustness.md"


def row(
    stored, fresh, stored_interval=(0.01, 0.05), fresh_interval=(0.01, 0.05)
):
    return Row(
        "x.ipynb", "v", stored, "", stored_interval, fresh, "", fresh_interval
    )


def test_a_row_knows_a_contradiction_from_a_change_of_category():
    assert not row("A is ahead of B", "A is ahead of B").changed
    assert row(
        "A is ahead of B", "B is ahead of A", fresh_interval=(-0.05, -0.01)
    ).contradiction
    assert row(
        "A is ahead of B", "B is ahead of A", fresh_interval=(-0.05, -0.01)
    ).changed
    unclear = row(
        "A is ahead of B",
        "A against B is inconclusive with 3 seeds",
        fresh_interval=(-0.01, 0.05),
    )
    assert unclear.changed and not unclear.contradiction
    outside = row(
        "A and B are within ±0.02",
        "A is ahead of B",
        (-0.01, 0.01),
        (0.03, 0.06),
    )
    assert outside.contradiction and outside.changed
    inside = row(
        "A and B are within ±0.02",
        "A is ahead of B",
        (-0.01, 0.01),
        (0.005, 0.015),
    )
    assert inside.changed and not inside.contradiction


def test_a_call_is_settled_when_it_takes_a_side_or_a_margin_and_repeats():
    def call(text, repeat):
        return Row(
            "x.ipynb",
            "v",
            text,
            "",
            (0.01, 0.05),
            text,
            "",
            (0.01, 0.05),
            repeat,
        )

    assert (
        call("A is ahead of B", 0.95).settled
        and call("A and B are within ±0.02", 0.9).settled
    )
    assert not call("A is ahead of B", 0.89).settled
    assert not call("A against B is inconclusive with 3 seeds", 0.99).settled
    assert not row(
        "A is ahead of B", "A is ahead of B"
    ).settled  # no repeat chance known
    moved = Row(
        "x.ipynb",
        "v",
        "A is ahead of B",
        "",
        (0.01, 0.05),
        "A against B is inconclusive with 3 seeds",
        "",
        (-0.01, 0.05),
        0.97,
    )
    assert (
        moved.reaches_the_estimate and not moved.settled
    )  # the re-run must agree too


def test_the_report_pairs_each_english_block_with_its_chinese(
    tmp_path, monkeypatch
):
    saved = {}
    monkeypatch.setattr(
        robustness,
        "HEADLINE",
        {
            "simclr_verdict_raw_10": (
                "SimCLR against raw pixels",
                "SimCLR 对原始像素",
            )
        },
    )
    monkeypatch.setattr(
        robustness.i18n,
        "save_store",
        lambda page, entries: saved.update({str(page): entries}),
    )
    table = [
        Row(
            "04_3_simclr.ipynb",
            "simclr_verdict_raw_10",
            "SimCLR is ahead of raw pixels",
            "SimCLR 领先于原始像素",
            (0.07, 0.2),
            "SimCLR is ahead of raw pixels",
            "SimCLR 领先于原始像素",
            (0.05, 0.18),
            0.8,
            0.25,
        )
    ]
    settings = [
        Setting(
            "04_3_simclr.ipynb",
            "supervised_choice_10",
            "learning rate 0.001, 400 steps",
            "学习率 0.001，400 步",
            "learning rate 0.01, 200 steps",
            "学习率 0.01，200 步",
            0.0042,
            float("nan"),  # chosen on one seed
        ),
        Setting(
            "04_3_simclr.ipynb",
            "simclr_epochs",
            "30",
            "30",
            "30",
            "30",
            0.01,
            0.004,
        ),
    ]
    (tmp_path / "appendix").mkdir()
    robustness.write_report(
        table,
        1000,
        "2026-12-04",
        "a test stack",
        root=tmp_path,
        settings=settings,
    )
    text = (tmp_path / "appendix" / "robustness.md").read_text(
        encoding="utf-8"
    )
    assert (
        "SSLBOOK_SEED_OFFSET=1000" in text
        and "**0 contradictions**" in text
        and "0.07 to 0.2" in text
    )
    assert "is expected to change 0.2 of them (25%; give or take 0.4" in text
    entries = saved["appendix/robustness.md"]
    assert [e["en"] for e in entries] == robustness.i18n.markdown_blocks(text)
    assert all(re.search(r"[\u4e00-\u9fff]", e["zh"]) for e in entries)
    assert "SimCLR 领先于原始像素" in entries[-1]["zh"]
    # the settings the fresh seeds chose differently, and only those
    assert "1 of the 2 settings glued with their validation margin" in text
    assert (
        "| 04_3_simclr.ipynb | `supervised_choice_10` "
        "| learning rate 0.001, 400 steps | 0.0042 (one seed) "
        "| learning rate 0.01, 200 steps |"
    ) in text
    assert "`simclr_epochs`" not in text
    assert any("学习率 0.01，200 步" in e["zh"] for e in entries)
    assert (
        "Not settled with the seeds this book runs: SimCLR against raw pixels."
        in text
    )  # repeats only 0.8


def test_the_expected_changes_sum_the_chances_and_need_every_one():
    def call(change):
        return Row(
            "x.ipynb", "v", "A is ahead of B", "", (0.01, 0.05),
            "A is ahead of B", "", (0.01, 0.05), 0.9, change,
        )  # fmt: skip

    expected, spread = robustness.expected_changes(
        [call(0.5), call(0.1), call(0.0)]
    )
    assert expected == 0.6
    assert abs(spread - (0.25 + 0.09) ** 0.5) < 1e-12
    with pytest.raises(ValueError, match="_change"):
        robustness.expected_changes([call(0.5), row("A", "A")])
    with pytest.raises(ValueError, match="_change"):
        robustness.expected_changes([])


def test_the_stored_notebooks_against_themselves_give_every_call_unchanged():
    """rows() takes the two repository roots (the stored one and the copy), and
    finds every call in both.
    """
    table = robustness.rows(ROOT, ROOT)
    assert len(table) >= 60
    assert len({(r.notebook, r.key) for r in table}) == len(table)
    assert not any(r.changed or r.contradiction for r in table)
    assert all(
        r.stored_zh and r.stored_interval[0] <= r.stored_interval[1]
        for r in table
    )


def page_rows() -> list[tuple[str, str, str]]:
    """(notebook, key, stored call) of every row of the committed report."""
    found = re.findall(
        r"^\| (\S+\.ipynb) \| `([^`]+)` \| ([^|]+) \|",
        PAGE.read_text(encoding="utf-8").split("## Every call", 1)[1],
        re.MULTILINE,
    )
    return [(nb, key, call.strip()) for nb, key, call in found]


def test_the_reports_stored_column_is_the_notebooks_glue():
    """The report was made from the stored notebooks as they are: every call,
    with its current words.
    """
    import nbformat

    from nbcheck import glued, literal

    expected = []
    for path in robustness.notebooks_with_calls():
        values = glued(nbformat.read(path, as_version=4))
        expected += [
            (path.name, key, str(literal(values[key])))
            for key in robustness.call_keys(values)
        ]
    assert page_rows() == expected


def test_the_reports_expected_changes_are_the_notebooks_glue():
    """The page's expected number of changed calls is the sum of the glued
    chances to change, read here from the notebooks, not through rows().
    """
    import nbformat

    from nbcheck import glued, literal

    chances = []
    for path in robustness.notebooks_with_calls():
        values = glued(nbformat.read(path, as_version=4))
        chances += [
            float(literal(values[f"{key}_change"]))
            for key in robustness.call_keys(values)
        ]
    expected = sum(chances)
    assert 0 < expected < len(chances)
    table = robustness.rows(ROOT, ROOT)
    assert [r.stored_change for r in table] == chances
    text = PAGE.read_text(encoding="utf-8")
    assert f"is expected to change {expected:.1f} of them" in text


def test_the_report_shows_no_contradiction():
    text = PAGE.read_text(encoding="utf-8")
    assert "**0 contradictions**" in text and "| **yes** |" not in text


def headline_rows() -> list[tuple[str, ...]]:
    """(comparison, stored call, chance to repeat, re-run call, settled) of the
    committed page's headline table.
    """
    text = (
        PAGE.read_text(encoding="utf-8")
        .split("## The headline comparisons", 1)[1]
        .split("\n## ")[0]
    )
    found = re.findall(
        r"^\| ([^|]+) \| ([^|]+) \| [^|]+ \| "
        r"([0-9.]+) \| ([^|]+) \| ([^|]+) \|$",
        text,
        re.MULTILINE,
    )
    return [
        tuple(cell.strip() for cell in r)
        for r in found
        if r[0] != "comparison"
    ]


def test_every_headline_comparison_is_a_call_of_the_book():
    keys = {r.key for r in robustness.rows(ROOT, ROOT)}
    assert set(robustness.HEADLINE) <= keys


def test_the_report_says_which_headline_calls_are_settled_as_the_notebooks_glue_them():  # noqa: E501
    table = {r.key: r for r in robustness.rows(ROOT, ROOT)}
    page = headline_rows()
    assert [(name, stored, repeat) for name, stored, repeat, _, _ in page] == [
        (name, table[key].stored, f"{table[key].stored_repeat:.2f}")
        for key, (name, _) in robustness.HEADLINE.items()
    ]
    settled = {}
    for (key, (name, _)), (_, _, _, rerun, said) in zip(
        robustness.HEADLINE.items(), page
    ):
        stored = table[key]
        settled[name] = Row(
            stored.notebook,
            key,
            stored.stored,
            "",
            stored.stored_interval,
            rerun,
            "",
            stored.stored_interval,
            stored.stored_repeat,
        ).settled
        assert said == ("yes" if settled[name] else "**no**"), name
    unsettled = [name for name, ok in settled.items() if not ok]
    text = PAGE.read_text(encoding="utf-8")
    assert (
        not unsettled
        or (
            "Not settled with the seeds this book runs: "
            f"{'; '.join(unsettled)}."
        )
        in text
    )


def test_a_setting_is_a_key_glued_with_its_margin_and_may_come_in_parts():
    from nbcheck import literal

    values = {
        "lr": "0.1",
        "lr_margin": "0.02",
        "lr_margin_se": "0.01",
        "choice": "'learning rate 0.01, 200 steps'",
        "choice_zh": "'学习率 0.01，200 步'",
        "choice_margin": "0.004",
        "choice_margin_se": "0.003",
        "table_chosen_tau": "0.5",
        "table_chosen_rate": "0.3",
        "table_chosen_margin": "0.01",
        "table_chosen_margin_se": "0.02",
        "gap_margin": "0.3",  # no noise glued: a quantity, not a choice
    }
    assert robustness.setting_keys(values) == ["choice", "lr", "table_chosen"]
    assert robustness._setting(values, "lr") == "0.1"
    assert robustness._setting(values, "choice", zh=True) == str(
        literal(values["choice_zh"])
    )
    assert robustness._setting(values, "table_chosen") == (
        "corruption rate 0.3, τ 0.5"
    )
    assert robustness._setting(values, "table_chosen", zh=True) == (
        "损坏率 0.3，τ 0.5"
    )


def test_the_stored_notebooks_against_themselves_choose_every_setting_alike():
    settings = robustness.setting_rows(ROOT, ROOT)
    keys = {s.key for s in settings}
    assert {"supervised_choice_10", "tabular_chosen", "faq_lr_relu_he"} <= keys
    assert len(settings) >= 25 and not any(s.changed for s in settings)
    assert all(
        not s.margin_se < 0 and s.stored and s.stored_zh for s in settings
    )


def test_the_reports_settings_are_the_notebooks_glue():
    """The committed page counts every glued setting, and each setting it
    lists as chosen differently has the stored value the notebooks glue.
    """
    text = PAGE.read_text(encoding="utf-8")
    section = text.split("## Settings chosen again", 1)[1].split("\n## ")[0]
    stored = {
        (s.notebook, s.key): s.stored
        for s in robustness.setting_rows(ROOT, ROOT)
    }
    assert f"of the {len(stored)} settings glued" in section
    listed = re.findall(
        r"^\| (\S+\.ipynb) \| `([^`]+)` \| ([^|]+) \|", section, re.MULTILINE
    )
    assert listed
    for notebook, key, value in listed:
        assert stored[notebook, key] == value.strip()
