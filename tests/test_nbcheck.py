"""The notebook check (tools/nbcheck.py): a re-run passes within its
uncertainty, drift fails.

The drift tests take a stored notebook of the book as the "fresh run", change
one glued value or one output, and check that the comparison fails exactly
when the change is beyond what the measurement's own uncertainty allows.
The end-to-end tests run nbval with the plugin on a small notebook.
"""

from __future__ import annotations

import copy
import math
import os
import textwrap

import nbformat
import pytest

from conftest import ROOT

import nbcheck

NOTEBOOKS = sorted(
    p
    for p in (ROOT / "chapters").rglob("*.ipynb")
    if ".ipynb_checkpoints" not in p.parts
)
RULES = nbcheck.load_rules()


def read(name: str) -> nbformat.NotebookNode:
    (path,) = [p for p in NOTEBOOKS if p.name == name]
    return nbformat.read(path, as_version=4)


def set_glued(
    nb: nbformat.NotebookNode, key: str, text: str
) -> nbformat.NotebookNode:
    """A copy of ``nb`` whose glued ``key`` reads ``text``."""
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            if (
                output.get("metadata", {}).get("scrapbook", {}).get("name")
                == key
            ):
                prefix = output["metadata"]["scrapbook"].get("mime_prefix", "")
                output["data"] = {f"{prefix}text/plain": text}
                return nb
    raise KeyError(key)


def glue_diff(stored, fresh) -> dict[str, nbcheck.Difference]:
    return {
        d.key: d for d in nbcheck.compare_glue("test", stored, fresh, RULES)
    }


# ---------------------------------------------------------------------------
# The tolerance file covers every glued value of the book
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_glued_value_has_a_rule_whose_keys_exist(path):
    values = nbcheck.glued(nbformat.read(path, as_version=4))
    for key in values:
        rule = RULES.rule_for(key)
        named = []
        if rule.kind in ("mean", "spread"):
            n = rule.options.get("n")
            named += [n] if isinstance(n, str) else []
        if rule.kind == "mean":
            sd = rule.options.get("sd", "{key}_sd")
            named += [sd] if isinstance(sd, str) else sd
        if rule.kind == "choice":
            named += [rule.options["margin"], rule.options["noise"]]
        for template in named:
            assert nbcheck._key(template, key) in values, (
                f"{key}: its rule names {nbcheck._key(template, key)}, "
                f"which {path.name} does not glue"
            )


def test_every_rule_matches_a_glued_value():
    """A rule that matches nothing is stale: its key was renamed or removed."""
    keys = {
        key
        for path in NOTEBOOKS
        for key in nbcheck.glued(nbformat.read(path, as_version=4))
    }
    for rule in RULES.rules:
        for pattern in rule.keys:
            assert any(
                nbcheck.Rule((pattern,), rule.kind, rule.reason).matches(k)
                and RULES.rule_for(k) is rule
                for k in keys
            ), (
                f"the pattern {pattern!r} of a {rule.kind} rule "
                "decides no glued value"
            )


def test_a_rule_needs_a_known_kind_and_a_reason(tmp_path):
    path = tmp_path / "rules.yml"
    path.write_text(
        "alpha: 0.001\nchoice_z: 2\nrules:\n"
        "  - keys: ['*']\n    kind: roughly\n    reason: because\n"
    )
    with pytest.raises(ValueError, match="unknown kind 'roughly'"):
        nbcheck.load_rules(path)
    path.write_text(
        "alpha: 0.001\nchoice_z: 2\nrules:\n  - keys: ['*']\n    kind: exact\n"
    )
    with pytest.raises(ValueError, match="gives no reason"):
        nbcheck.load_rules(path)


def test_a_key_without_a_rule_is_an_error():
    rules = nbcheck.Rules((nbcheck.Rule(("a_*",), "exact", "r"),), 0.001, 4)
    with pytest.raises(KeyError, match="no rule"):
        rules.rule_for("b")


# ---------------------------------------------------------------------------
# Glued values: within their tolerance passes, beyond it fails
# ---------------------------------------------------------------------------

SIMCLR = "04_3_simclr.ipynb"


def test_an_identical_run_has_no_difference():
    nb = read(SIMCLR)
    assert glue_diff(nb, copy.deepcopy(nb)) == {}


def tolerance_of_mean(nb, key: str) -> float:
    values = nbcheck.glued(nb)
    return nbcheck.mean_tolerance(
        RULES.rule_for(key), key, values, values, RULES
    )


def test_a_mean_moved_within_its_t_test_passes_and_is_reported():
    nb = read(SIMCLR)
    key = "simclr_probe_acc_10"
    stored = float(nbcheck.glued(nb)[key])
    fresh = set_glued(
        nb, key, f"{stored - tolerance_of_mean(nb, key) / 2:.3f}"
    )
    (difference,) = glue_diff(nb, fresh).values()
    assert difference.key == key and difference.ok


def test_a_mean_moved_beyond_its_t_test_fails():
    nb = read(SIMCLR)
    key = "simclr_probe_acc_10"
    stored = float(nbcheck.glued(nb)[key])
    fresh = set_glued(
        nb, key, f"{stored - 1.5 * tolerance_of_mean(nb, key) - 0.002:.3f}"
    )
    assert not glue_diff(nb, fresh)[key].ok


LEVELS = nbcheck.Rules((), alpha=0.01, choice_z=4)


def test_the_mean_tolerance_is_a_t_test_on_the_pooled_sd():
    from scipy.stats import t

    rule = nbcheck.Rule(
        ("m",), "mean", "r", {"sd": "{key}_sd", "n": "{key}_n"}
    )
    stored, fresh = (
        {"m": "0.5", "m_sd": "0.03", "m_n": "3"},
        {"m": "0.5", "m_sd": "0.04", "m_n": "3"},
    )
    expected = (
        t.ppf(1 - 0.01 / 2, 4)
        * math.sqrt((0.03**2 + 0.04**2) / 2)
        * math.sqrt(2 / 3)
    )
    assert nbcheck.mean_tolerance(
        rule, "m", stored, fresh, LEVELS
    ) == pytest.approx(expected)
    difference_rule = nbcheck.Rule(
        ("g",), "mean", "r", {"sd": ["a_sd", "b_sd"], "n": 3, "scale": 100}
    )
    both = {"g": "5.0", "a_sd": "0.03", "b_sd": "0.01"}
    assert nbcheck.mean_tolerance(
        difference_rule, "g", both, both, LEVELS
    ) == pytest.approx(t.ppf(1 - 0.01 / 2, 4) * 100 * 0.04 * math.sqrt(2 / 3))


def test_a_broken_run_cannot_excuse_its_mean_with_its_own_spread():
    """A run whose seeds disagree wildly widens its mean's tolerance, but fails
    the F-test on its sd.
    """
    nb = read(SIMCLR)
    values = nbcheck.glued(nb)
    mean, sd = (
        float(values["simclr_probe_acc_10"]),
        float(values["simclr_probe_acc_10_sd"]),
    )
    # 100 times the stored spread: beyond what the F-test allows with three
    # seeds (about 46 times)
    broken = set_glued(
        set_glued(nb, "simclr_probe_acc_10", "0.45"),
        "simclr_probe_acc_10_sd",
        f"{100 * sd:.3f}",
    )
    assert not glue_diff(nb, broken)["simclr_probe_acc_10_sd"].ok
    shifted = set_glued(
        nb, "simclr_probe_acc_10", f"{mean - 10 * sd:.3f}"
    )  # ten sd lower, same spread
    assert not glue_diff(nb, shifted)["simclr_probe_acc_10"].ok
    (printed,) = nbcheck.compare_printed(
        "", [stream("0.892 ± 0.022\n")], [stream("0.450 ± 1.100\n")], RULES
    )
    assert "its sd beyond" in printed


def test_a_deterministic_mean_may_move_by_one_unit_in_its_last_place():
    rule = RULES.rule_for("ch1_raw_acc_360")
    stored = {"m": "0.897", "m_sd": "0.0", "m_n": "3"}
    assert nbcheck.compare_value(
        rule, "m", stored, {**stored, "m": "0.896"}, RULES
    )[0]
    assert not nbcheck.compare_value(
        rule, "m", stored, {**stored, "m": "0.894"}, RULES
    )[0]


def test_a_nan_where_a_number_was_fails():
    rule = RULES.rule_for("ch1_raw_acc_360")
    stored = {"m": "0.897", "m_sd": "0.01", "m_n": "3"}
    assert not nbcheck.compare_value(
        rule, "m", stored, {**stored, "m": "nan"}, RULES
    )[0]


def test_a_spread_may_move_by_the_f_tests_factor_only():
    nb = read(SIMCLR)
    # 3 seeds: the F-test allows a factor of about 45
    key = "simclr_probe_acc_10_sd"
    stored = float(nbcheck.glued(nb)[key])
    assert glue_diff(nb, set_glued(nb, key, f"{stored * 3:.3f}"))[key].ok
    assert not glue_diff(nb, set_glued(nb, key, f"{stored * 100:.3f}"))[key].ok


def test_an_exact_value_may_not_change():
    nb = read(SIMCLR)
    assert not glue_diff(nb, set_glued(nb, "simclr_max_epochs", "41"))[
        "simclr_max_epochs"
    ].ok


def test_a_relative_value_may_move_by_its_rtol():
    nb = read("02_core_concepts.ipynb")
    key = "ch2_relu_he_grad_ratio"
    stored = float(nbcheck.glued(nb)[key])
    assert glue_diff(nb, set_glued(nb, key, f"{stored * 1.01:.4g}"))[key].ok
    assert not glue_diff(nb, set_glued(nb, key, f"{stored * 1.2:.4g}"))[key].ok


def test_a_reversed_call_fails_and_an_inconclusive_one_passes():
    nb = read(SIMCLR)
    key = "simclr_verdict_raw_10"
    assert nbcheck.glued(nb)[key] == "'SimCLR is ahead of raw pixels'"
    assert not glue_diff(
        nb, set_glued(nb, key, "'raw pixels is ahead of SimCLR'")
    )[key].ok
    assert glue_diff(
        nb,
        set_glued(
            nb, key, "'SimCLR against raw pixels is inconclusive with 3 seeds'"
        ),
    )[key].ok


def test_an_equivalence_fails_only_where_the_other_interval_excludes_it():
    rule = nbcheck.Rule(("v",), "call", "r", {})
    within = {
        "v": "'A and B are within ±0.02'",
        "v_lo": "-0.01",
        "v_hi": "0.015",
    }
    ahead_inside = {"v": "'A is ahead of B'", "v_lo": "0.005", "v_hi": "0.03"}
    ahead_outside = {"v": "'A is ahead of B'", "v_lo": "0.025", "v_hi": "0.06"}
    assert nbcheck.compare_value(rule, "v", within, ahead_inside, RULES)[0]
    assert not nbcheck.compare_value(rule, "v", within, ahead_outside, RULES)[
        0
    ]
    assert not nbcheck.compare_value(rule, "v", ahead_outside, within, RULES)[
        0
    ]
    unclear = {
        "v": "'A against B is inconclusive with 3 seeds'",
        "v_lo": "-0.05",
        "v_hi": "0.06",
    }
    assert nbcheck.compare_value(rule, "v", within, unclear, RULES)[0]
    below = {
        "v": "'A against B is inconclusive with 3 seeds'",
        "v_lo": "-0.08",
        "v_hi": "-0.021",
    }
    assert not nbcheck.compare_value(rule, "v", within, below, RULES)[0]


def test_calls_are_parsed_as_the_rule_words_them():
    from sslbook.evaluate import SeedScores, compare

    a, b = (
        SeedScores((0.9, 0.91, 0.93), (0, 1, 2)),
        SeedScores((0.5, 0.51, 0.52), (0, 1, 2)),
    )
    noisy = SeedScores((0.4, 0.6, 0.5), (0, 1, 2))
    assert nbcheck.parse_call(compare(a, b, "A", "B").text) == nbcheck.Call(
        "ahead", "A", "B"
    )
    assert nbcheck.parse_call(compare(b, a, "B", "A").text) == nbcheck.Call(
        "ahead", "A", "B"
    )
    assert nbcheck.parse_call(
        compare(a, a, "A", "A again").text
    ) == nbcheck.Call("within", "A", "A again", 0.02)
    assert nbcheck.parse_call(
        compare(b, noisy, "B and C", "D").text
    ) == nbcheck.Call("inconclusive", "B and C", "D")
    assert nbcheck.parse_call(
        "τ = 0.5 and τ = 0.2 are within ±0.02"
    ) == nbcheck.Call("within", "τ = 0.5", "τ = 0.2", 0.02)
    assert nbcheck.contradicts("A is ahead of B", "B is ahead of A")
    assert not nbcheck.contradicts(
        "A is ahead of B", "A against B is inconclusive with 3 seeds"
    )
    assert not nbcheck.contradicts("A is ahead of B", "A is ahead of B")
    assert not nbcheck.contradicts(
        "A and B are within ±0.02", "B is ahead of A"
    )  # no interval known
    with pytest.raises(ValueError, match="not a call"):
        nbcheck.parse_call("A wins")


def choice_notebook(
    value: str, margin: str, noise: str
) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("glue(...)")
    for key, text in (
        ("tau", value),
        ("tau_margin", margin),
        ("tau_margin_se", noise),
    ):
        cell.outputs.append(
            nbformat.v4.new_output(
                "display_data",
                data={"application/papermill.record/text/plain": text},
                metadata={
                    "scrapbook": {
                        "name": key,
                        "mime_prefix": "application/papermill.record/",
                    }
                },
            )
        )
    nb.cells.append(cell)
    return nb


CHOICE_RULES = nbcheck.Rules(
    (
        nbcheck.Rule(
            ("tau",),
            "choice",
            "r",
            {"margin": "{key}_margin", "noise": "{key}_margin_se"},
        ),
        nbcheck.Rule(("*",), "reported", "r"),
    ),
    0.001,
    RULES.choice_z,
)


@pytest.mark.parametrize(
    ("margin", "noise", "may_change"),
    [("0.03", "0.008", True), ("0.05", "0.008", False), ("0.05", "nan", True)],
    ids=["within noise", "beyond noise", "one seed chose"],
)
def test_a_choice_may_change_only_where_its_margin_was_within_noise(
    margin, noise, may_change
):
    stored = choice_notebook("0.5", margin, noise)
    fresh = choice_notebook("0.2", margin, noise)
    (found,) = [
        d
        for d in nbcheck.compare_glue("t", stored, fresh, CHOICE_RULES)
        if d.key == "tau"
    ]
    assert found.ok is may_change


def test_a_value_only_in_the_fresh_run_fails():
    nb = read(SIMCLR)
    fresh = copy.deepcopy(nb)
    cell = next(c for c in fresh.cells if c.cell_type == "code")
    cell.outputs.append(
        nbformat.v4.new_output(
            "display_data",
            data={"application/papermill.record/text/plain": "1"},
            metadata={
                "scrapbook": {
                    "name": "a_new_key",
                    "mime_prefix": "application/papermill.record/",
                }
            },
        )
    )
    assert not glue_diff(nb, fresh)["a_new_key"].ok


def test_a_value_missing_from_the_fresh_run_fails():
    nb = read(SIMCLR)
    fresh = copy.deepcopy(nb)
    for cell in fresh.cells:
        cell_outputs = cell.get("outputs", [])
        cell_outputs[:] = [
            o
            for o in cell_outputs
            if o.get("metadata", {}).get("scrapbook", {}).get("name")
            != "simclr_epochs"
        ]
    assert not glue_diff(nb, fresh)["simclr_epochs"].ok


# ---------------------------------------------------------------------------
# Printed outputs
# ---------------------------------------------------------------------------


def stream(text: str, name: str = "stdout"):
    return nbformat.v4.new_output("stream", name=name, text=text)


def test_printed_numbers_may_differ_but_not_the_words():
    old = [
        stream(
            "lr 0.03 (validation 0.884 ± 0.012), test accuracy 0.899 ± 0.006\n"
        )
    ]
    assert (
        nbcheck.compare_printed(
            "",
            old,
            [
                stream(
                    "lr 0.01 (validation 0.877 ± 0.015), "
                    "test accuracy 0.902 ± 0.017\n"
                )
            ],
        )
        == []
    )
    (problem,) = nbcheck.compare_printed(
        "",
        old,
        [
            stream(
                "lr 0.01 (training 0.877 ± 0.015), "
                "test accuracy 0.902 ± 0.017\n"
            )
        ],
    )
    assert "differs beyond its numbers" in problem and "training" in problem


def test_a_table_may_pad_its_columns_otherwise_but_not_change_its_words():
    """Chapter 2's table of activations printed -0.00 on one processor and
    0.00 on another: pandas-like padding moved, the words did not.
    """
    old = [stream("tanh, N(0, 1)     0.00 ± 0.962   -0.00 ± 0.962\n")]
    new = [stream("tanh, N(0, 1)     0.00 ± 0.962    0.00 ± 0.962\n")]
    assert nbcheck.compare_printed("", old, new) == []
    (problem,) = nbcheck.compare_printed(
        "", old, [stream("tanh, N(0, 1)     0.00 ± 0.962    0.00 ± std\n")]
    )
    assert "differs beyond its numbers" in problem
    # a line break is a word boundary that stays: only spaces and tabs fold
    (problem,) = nbcheck.compare_printed(
        "", old, [stream("tanh, N(0, 1)\n0.00 ± 0.962   -0.00 ± 0.962\n")]
    )
    assert "differs beyond its numbers" in problem


def test_a_printed_call_may_become_inconclusive_but_not_be_contradicted():
    old = [
        stream(
            "MoCo is ahead of SimCLR "
            "(difference +0.056, 95 % interval +0.030 to +0.082, 3 seeds)\n"
        )
    ]
    unclear = [
        stream(
            "MoCo against SimCLR is inconclusive with 3 seeds "
            "(difference +0.020, 95 % interval -0.010 to +0.050, 3 seeds)\n"
        )
    ]
    reversed_ = [
        stream(
            "SimCLR is ahead of MoCo "
            "(difference -0.046, 95 % interval -0.082 to -0.010, 3 seeds)\n"
        )
    ]
    within = [
        stream(
            "MoCo and SimCLR are within ±0.02 "
            "(difference +0.002, 95 % interval -0.010 to +0.014, 3 seeds)\n"
        )
    ]
    assert nbcheck.compare_printed("", old, unclear) == []
    assert any(
        "contradicted" in p
        for p in nbcheck.compare_printed("", old, reversed_)
    )
    assert any(
        "contradicted" in p for p in nbcheck.compare_printed("", old, within)
    )  # +0.030 to +0.082 lies outside ±0.02


def test_stderr_fails_a_cell():
    (problem,) = nbcheck.stderr_problem(
        [stream("UserWarning: careful\n", "stderr")]
    )
    assert "stderr" in problem and "careful" in problem
    assert nbcheck.stderr_problem([stream("fine\n")]) == []


def test_other_outputs_fail_and_images_are_compared_by_kind():
    png = nbformat.v4.new_output(
        "display_data", data={"image/png": "AAAA", "text/plain": "<Figure>"}
    )
    other_png = nbformat.v4.new_output(
        "display_data", data={"image/png": "BBBB", "text/plain": "<Figure>"}
    )
    assert nbcheck.compare_printed("", [png], [other_png]) == []
    assert nbcheck.compare_printed("", [png], [stream("x\n")])


def test_nbvals_ignore_marker_skips_the_printed_comparison():
    source = "# NBVAL_IGNORE_OUTPUT\nprint(time.time())"
    assert (
        nbcheck.compare_printed(
            source, [stream("took 3 s\n")], [stream("took a while\n")]
        )
        == []
    )
    assert nbcheck.compare_printed(
        'print("# NBVAL_IGNORE_OUTPUT")', [stream("a\n")], [stream("b\n")]
    )


def test_printed_numbers_are_compared_by_the_same_rules():
    old = [stream("SimCLR 0.892 ± 0.022 over 3 seeds, loss 4.619\n")]
    assert (
        nbcheck.compare_printed(
            "",
            old,
            [stream("SimCLR 0.880 ± 0.025 over 3 seeds, loss 4.621\n")],
            RULES,
        )
        == []
    )
    (far_mean,) = nbcheck.compare_printed(
        "",
        old,
        [stream("SimCLR 0.600 ± 0.020 over 3 seeds, loss 4.621\n")],
        RULES,
    )
    assert "0.892 ± 0.022 is now 0.600 ± 0.020" in far_mean
    (far_number,) = nbcheck.compare_printed(
        "",
        old,
        [stream("SimCLR 0.890 ± 0.022 over 3 seeds, loss 6.2\n")],
        RULES,
    )
    assert "4.619 is now 6.2" in far_number
    assert nbcheck.compare_printed(
        "",
        old,
        [stream("SimCLR 0.890 ± 0.022 over 4 seeds, loss 4.6\n")],
        RULES,
    )
    free = nbcheck.compare_printed(
        "",
        old,
        [stream("SimCLR 0.700 ± 0.020 over 3 seeds, loss 9.9\n")],
        RULES,
        free_numbers=True,
    )
    assert free == []


def test_a_spread_printed_as_zero_stands_for_less_than_half_a_unit():
    """Three seeds that tied exactly print "± 0.000"; the F-test's factor
    applies to 0.0005, not to 0.
    """
    old = [stream("(0.5, 0.3, 300) 0.923 ± 0.000\n")]
    assert (
        nbcheck.compare_printed(
            "", old, [stream("(0.5, 0.3, 300) 0.927 ± 0.017\n")], RULES
        )
        == []
    )
    (far,) = nbcheck.compare_printed(
        "", old, [stream("(0.5, 0.3, 300) 0.927 ± 0.050\n")], RULES
    )
    assert "its sd beyond [0, 0.0234]" in far


def test_a_choice_that_changed_within_noise_may_change_in_printed_text():
    old = [stream("chosen: skip-gram, window 10 (0.31)\n")]
    new = [stream("chosen: CBOW, window 5 (0.30)\n")]
    assert nbcheck.compare_printed("", old, new, RULES)
    assert (
        nbcheck.compare_printed(
            "",
            old,
            new,
            RULES,
            choices=[("skip-gram, window 10", "CBOW, window 5")],
        )
        == []
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_the_stored_notebook_passes_against_itself(path):
    nb = nbformat.read(path, as_version=4)
    assert nbcheck.compare_notebooks(
        path.name, nb, copy.deepcopy(nb), RULES
    ) == ([], [])


def test_every_free_printed_cell_names_one_cell():
    for notebook, line in RULES.printed_free:
        nb = read(notebook)
        assert (
            sum(line in c.source for c in nb.cells if c.cell_type == "code")
            == 1
        ), (notebook, line)


def test_numbers_are_masked_as_the_book_prints_them():
    assert (
        nbcheck.mask_numbers("1,000 images, 3.1e-07, -2.64, 95 %, conv2d_1 x2")
        == "# images, #, #, # %, conv2d_1 x2"
    )
    assert nbcheck.unit_in_last_place("0.537") == pytest.approx(0.001)
    assert nbcheck.unit_in_last_place("3.1e-07") == pytest.approx(1e-8)
    assert nbcheck.unit_in_last_place("14") == 1
    assert (
        math.isnan(nbcheck.literal("nan"))
        and nbcheck.literal("'a b'") == "a b"
    )


def test_the_table_lists_each_difference():
    differences = [
        nbcheck.Difference("nb", "key_a", "0.5", "0.49", "± 0.1", True),
        nbcheck.Difference("nb", "key_b", "1", "2", "exact", False),
    ]
    lines = nbcheck.table(differences).splitlines()
    assert lines[0].split() == [
        "notebook",
        "key",
        "stored",
        "now",
        "tolerance",
    ]
    assert lines[1].split()[1:] == [
        "key_a",
        "0.5",
        "0.49",
        "±",
        "0.1",
        "ok",
    ] and lines[2].endswith("FAIL")


# ---------------------------------------------------------------------------
# End to end: nbval with the plugin on a small notebook
# ---------------------------------------------------------------------------

TINY = [
    "from myst_nb import glue\nimport sys",
    'print("mean accuracy 0.75")\n'
    'glue("acc", 0.75, display=False)\n'
    'glue("acc_sd", 0.01, display=False)\n'
    'glue("acc_n", 3, display=False)',
]
TINY_RULES = textwrap.dedent(
    """\
    alpha: 0.001
    choice_z: 2
    rules:
      - keys: ["*_n"]
        kind: exact
        reason: seeds
      - keys: ["*_sd"]
        kind: spread
        n: "{base}_n"
        reason: a spread
      - keys: ["*"]
        kind: mean
        reason: a mean
    """
)


def run_tiny(
    pytester, monkeypatch, sources: list[str], stored_acc: str = "0.75"
):
    """Store the tiny notebook with ``stored_acc`` glued, then run nbval and
    the plugin on ``sources``.
    """
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.cells = [nbformat.v4.new_code_cell(s) for s in TINY]
    NotebookClient(nb, timeout=60, kernel_name="python3").execute()
    nb = set_glued(nb, "acc", stored_acc)
    for cell, source in zip(nb.cells, sources):
        cell.source = source  # what the fresh run executes
    nbformat.write(nb, pytester.path / "tiny.ipynb")
    (pytester.path / "rules.yml").write_text(TINY_RULES)
    monkeypatch.setenv(
        "PYTHONPATH",
        os.pathsep.join(
            [str(ROOT / "tools"), os.environ.get("PYTHONPATH", "")]
        ),
    )
    return pytester.runpytest_subprocess(
        "-p", "nbcheck_plugin", "--nbval-lax", "--nbval-current-env",
        "-p", "no:cacheprovider",
        "--nbcheck-tolerances", str(pytester.path / "rules.yml"),
        "tiny.ipynb",
    )  # fmt: skip


@pytest.mark.book
def test_plugin_passes_a_rerun_within_tolerance_and_prints_the_table(
    pytester, monkeypatch
):
    result = run_tiny(pytester, monkeypatch, TINY, stored_acc="0.76")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(
        [
            "*glued values that differ from the stored notebooks*",
            "*acc*0.76*0.75*ok*",
        ]
    )


@pytest.mark.book
def test_plugin_fails_a_glued_number_beyond_its_tolerance(
    pytester, monkeypatch
):
    result = run_tiny(pytester, monkeypatch, TINY, stored_acc="0.9")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        ["*glued values differ beyond their tolerance*", "*acc*0.9*0.75*FAIL*"]
    )


@pytest.mark.book
def test_plugin_fails_a_cell_that_raises(pytester, monkeypatch):
    result = run_tiny(
        pytester,
        monkeypatch,
        [TINY[0], "raise RuntimeError('broken')\n" + TINY[1]],
    )
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*RuntimeError*broken*"])


@pytest.mark.book
def test_plugin_fails_a_cell_that_writes_to_stderr(pytester, monkeypatch):
    result = run_tiny(
        pytester,
        monkeypatch,
        [TINY[0] + "\nprint('careful', file=sys.stderr)", TINY[1]],
    )
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*wrote to stderr*", "*careful*"])


@pytest.mark.book
def test_plugin_fails_printed_words_that_changed(pytester, monkeypatch):
    result = run_tiny(
        pytester,
        monkeypatch,
        [TINY[0], TINY[1].replace("mean accuracy", "median accuracy")],
    )
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*differs beyond its numbers*"])


def test_a_stream_split_into_several_outputs_compares_as_one():
    stored = [stream("epoch 1 loss 0.5\nepoch 2 loss 0.4\n")]
    assert (
        nbcheck.compare_printed(
            "",
            stored,
            [stream("epoch 1 loss 0.51\n"), stream("epoch 2 loss 0.39\n")],
        )
        == []
    )


def test_the_rounding_allowance_is_the_finer_of_the_two_printed_values():
    """Python prints 0.900 as 0.9: that is no licence for a tolerance of
    0.1.
    """
    rule = nbcheck.Rule(("m",), "mean", "r", {"sd": "{key}_sd", "n": 3})
    stored, fresh = {"m": "0.9", "m_sd": "0.01"}, {"m": "0.75", "m_sd": "0.01"}
    ok, tolerance = nbcheck.compare_value(rule, "m", stored, fresh, RULES)
    assert not ok and tolerance.startswith(
        "± 0.0803"
    )  # 8.61 · 0.01 · √(2/3) + 0.01


def test_a_call_between_other_arms_is_no_contradiction():
    """A choice changed, so the call compares another τ: that is not a
    reversal.
    """
    assert not nbcheck.contradicts(
        "τ = 0.5 is ahead of τ = 1", "τ = 0.2 is ahead of τ = 1"
    )
    assert nbcheck.contradicts(
        "τ = 0.5 is ahead of τ = 1", "τ = 1 is ahead of τ = 0.5"
    )


def test_glue_records_are_not_printed_outputs():
    glued = nbformat.v4.new_output(
        "display_data",
        data={"application/papermill.record/text/plain": "0.5"},
        metadata={
            "scrapbook": {
                "name": "x",
                "mime_prefix": "application/papermill.record/",
            }
        },
    )
    assert (
        nbcheck.compare_printed(
            "", [glued, stream("a 1\n")], [stream("a 1\n")], RULES
        )
        == []
    )


def test_a_relative_tolerance_scales_with_the_value():
    nb = read("02_core_concepts.ipynb")
    # about 1e-17: an absolute 0.02 would allow anything
    key = "ch2_sigmoid_grad_ratio"
    stored = float(nbcheck.glued(nb)[key])
    assert not glue_diff(nb, set_glued(nb, key, f"{stored * 1.5:.2g}"))[key].ok
