"""Compare a fresh run of a notebook with its stored outputs by what the
book claims.

The same seeds give other last digits on another processor or another torch,
so a digit-for-digit comparison fails on every machine but the one that stored
the outputs. This module compares what the text relies on, within each
measurement's own uncertainty:

- **glued values** (myst-nb ``glue``), each under the rule that
  ``tests/notebook_tolerances.yml`` declares for its key: a mean over seeds
  within a t-test's reach of the stored one, a spread (standard deviation)
  within an F-test's, a deterministic quantity exactly or to a stated
  relative tolerance, a call (verdict) that must not contradict the stored
  one, a choice that may change only where its stored validation margin was
  within noise;
- **printed outputs**: the words, the layout and the number of values must
  match with every number masked; then the numbers are compared under the
  file's ``printed`` rules (a "mean ± sd" as a mean, an integer exactly, any
  other number relatively), never digit for digit;
- **stderr and errors**: a fresh run writes nothing to stderr and raises
  nothing (nbval fails a cell that raises).

``conftest.py`` runs these checks under nbval's lax mode (every notebook
executed in a fresh kernel, one pytest item per cell); this file also works
alone, on two copies of the notebooks::

    python tools/nbcheck.py compare STORED.ipynb FRESH.ipynb [...]
    python tools/nbcheck.py compare --stored chapters \\
        --fresh /tmp/rerun/chapters

which prints every problem and every glued value that differs (key, stored,
now, tolerance), and exits 1 when anything exceeds its tolerance.
"""

from __future__ import annotations

import argparse
import ast
import copy
import fnmatch
import math
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import nbformat
import yaml

ROOT = Path(__file__).resolve().parents[1]
#: The one reviewed place that says how each glued key is compared.
TOLERANCES = ROOT / "tests" / "notebook_tolerances.yml"
#: nbval's own marker for a cell whose output is not compared (timings).
IGNORE_MARKER = re.compile(r"^\s*#\s*NBVAL_IGNORE_OUTPUT\b", re.MULTILINE)

# A number as the book prints it: 12, -0.5, 3.1e-07, 1,000 (the thousands
# separator is part of the number), 95 (before a %).
NUMBER = re.compile(
    r"(?<![\w.])[-+−]?(?:\d{1,3}(?:,\d{3})+(?!\d)|\d+)(?:\.\d+)?(?:[eE][-+]?\d+)?|(?<![\w.])[-+−]?\.\d+"
)


# ---------------------------------------------------------------------------
# Reading notebooks
# ---------------------------------------------------------------------------


def glued(nb: nbformat.NotebookNode) -> dict[str, str]:
    """``{key: text/plain}`` of every glued value, extracted by myst-nb
    itself.
    """
    from myst_nb.ext.glue import extract_glue_data_cell

    values: dict[str, str] = {}
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for key, output in extract_glue_data_cell(copy.deepcopy(cell)):
            values[key] = output["data"].get("text/plain", "")
    return values


def literal(text: str) -> Any:
    """The Python value of a glued ``text/plain`` repr (a float, an int, a
    str), or the text itself.
    """
    if (
        text.strip() == "nan"
    ):  # glue prints a float nan so; literal_eval cannot read it
        return float("nan")
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def unit_in_last_place(text: str) -> float:
    """The rounding step of a number as printed: 0.001 for ``0.537``, 1e-08 for
    ``3.1e-07``, 1 for ``14``.
    """
    mantissa, _, exponent = (
        text.strip().lower().replace("−", "-").partition("e")
    )
    whole, _, fraction = mantissa.partition(".")
    shift = int(exponent) if exponent else 0
    if fraction.strip("0") or not fraction:  # 0.537, 14
        return 10.0 ** (-len(fraction) + shift)
    # 46000000.0: a float rounded to significant digits; its trailing zeros
    # are rounding
    digits = whole.lstrip("-+")
    return (
        10.0 ** (len(digits) - len(digits.rstrip("0")) + shift)
        if digits.strip("0")
        else 1.0
    )


# ---------------------------------------------------------------------------
# The rules
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """How the keys that match ``keys`` (fnmatch patterns) are compared; see
    tests/notebook_tolerances.yml.
    """

    keys: tuple[str, ...]
    kind: str
    reason: str
    options: dict = field(default_factory=dict)

    def matches(self, key: str) -> bool:
        return any(fnmatch.fnmatchcase(key, pattern) for pattern in self.keys)


KINDS = ("exact", "relative", "mean", "spread", "call", "choice", "reported")


@dataclass(frozen=True)
class Rules:
    """The rules in order (the first that matches a key applies), and the
    test's levels.
    """

    rules: tuple[Rule, ...]
    alpha: float
    choice_z: float
    printed_n: int = 3
    printed_rtol: float = 0.1
    #: ``(notebook, a line of the cell's source)`` of cells whose printed
    #: numbers are free.
    printed_free: tuple[tuple[str, str], ...] = ()

    def numbers_free(self, notebook: str, source: str) -> bool:
        """Whether the cell of ``notebook`` with this source prints numbers
        that are not compared.
        """
        return any(
            name == notebook and line in source
            for name, line in self.printed_free
        )

    def rule_for(self, key: str) -> Rule:
        for rule in self.rules:
            if rule.matches(key):
                return rule
        raise KeyError(
            f"no rule in {TOLERANCES.name} matches the glued key {key!r}: "
            "declare how to compare it"
        )


def load_rules(path: Path = TOLERANCES) -> Rules:
    """Read and validate the tolerance file."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    rules = []
    for entry in data["rules"]:
        entry = dict(entry)
        keys = entry.pop("keys")
        keys = (keys,) if isinstance(keys, str) else tuple(keys)
        kind, reason = entry.pop("kind"), entry.pop("reason", "")
        if kind not in KINDS:
            raise ValueError(
                f"{path.name}: unknown kind {kind!r} for {keys}; "
                f"known: {', '.join(KINDS)}"
            )
        if not reason.strip():
            raise ValueError(
                f"{path.name}: the rule for {keys} gives no reason"
            )
        rules.append(Rule(keys, kind, reason, entry))
    printed = data.get("printed", {})
    free = []
    for entry in printed.get("free", []):
        if not str(entry.get("reason", "")).strip():
            raise ValueError(
                f"{path.name}: the printed.free entry for "
                f"{entry.get('notebook')} gives no reason"
            )
        free.append((entry["notebook"], entry["cell"]))
    return Rules(
        tuple(rules), float(data["alpha"]), float(data["choice_z"]),
        int(printed.get("n", 3)), float(printed.get("rtol", 0.1)), tuple(free),
    )  # fmt: skip


# ---------------------------------------------------------------------------
# Comparing glued values
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Difference:
    """One glued value that differs between the stored and the fresh run."""

    notebook: str
    key: str
    stored: str
    now: str
    tolerance: str
    ok: bool


def _number(values: dict[str, str], key: str, side: str) -> float:
    value = literal(values[key]) if key in values else None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(
            f"{key!r} must be a glued number in the {side} run, "
            f"got {values.get(key)!r}"
        )
    return float(value)


def _key(template: str, key: str) -> str:
    """A key named by a rule: ``{key}`` is the glued key, ``{base}`` the key
    without its ``_sd``.
    """
    return template.replace("{key}", key).replace(
        "{base}", key.removesuffix("_sd")
    )


def _seeds(rule: Rule, key: str, stored: dict[str, str]) -> int:
    """The number of seeds: an int in the rule, or a glued key (by default
    ``{key}_n``, ``{base}_n`` for a spread).
    """
    n = rule.options.get(
        "n", "{base}_n" if rule.kind == "spread" else "{key}_n"
    )
    if isinstance(n, str):
        n = int(_number(stored, _key(n, key), "stored"))
    if not isinstance(n, int) or n < 2:
        raise ValueError(
            f"the rule for {rule.keys} needs n, "
            f"the number of seeds (at least 2), got {n!r}"
        )
    return n


def mean_tolerance(
    rule: Rule,
    key: str,
    stored: dict[str, str],
    fresh: dict[str, str],
    rules: Rules,
) -> float:
    """How far a mean over ``n`` seeds may move: Student's t-test on the
    pooled sd, at level ``rules.alpha``.

    |now − stored| ≤ t(1 − α/2, 2(n − 1)) · sd · √(2/n). The sd is pooled
    over the stored and the fresh run (each glues its own), so that a stored
    run whose few seeds happened to agree closely does not make every re-run
    look far off. A broken run cannot excuse its mean with its own large
    spread: its sd is checked too, by the F-test (:func:`spread_ratio`). A
    mean that is a difference of two means (a gain in points) names both
    standard deviations; their sum bounds the standard deviation of the
    difference.
    """
    from scipy.stats import t as student_t

    n = _seeds(rule, key, stored)
    names = rule.options.get("sd", "{key}_sd")
    names = [names] if isinstance(names, str) else list(names)
    sd = 0.0
    for name in names:
        name = _key(name, key)
        s_old, s_new = (
            _number(stored, name, "stored"),
            _number(fresh, name, "fresh"),
        )
        sd += math.sqrt((s_old**2 + s_new**2) / 2)
    sd *= float(rule.options.get("scale", 1))
    quantile = student_t.ppf(1 - rules.alpha / 2, 2 * (n - 1))
    return quantile * sd * math.sqrt(2 / n)


def spread_ratio(
    rule: Rule, key: str, stored: dict[str, str], alpha: float
) -> float:
    """How far a standard deviation over ``n`` seeds may move, as a factor: the
    two-sided F-test at ``alpha``.
    """
    from scipy.stats import f

    n = _seeds(rule, key, stored)
    return math.sqrt(f.ppf(1 - alpha / 2, n - 1, n - 1))


#: Slack for float arithmetic: 0.897 − 0.896 is a little more than 0.001 in
#: floats.
EPS = 1e-9


def _within(a: float, b: float, tol: float) -> bool:
    return abs(a - b) <= tol * (1 + EPS) + EPS * max(abs(a), abs(b))


def compare_value(
    rule: Rule,
    key: str,
    stored: dict[str, str],
    fresh: dict[str, str],
    rules: Rules,
) -> tuple[bool, str]:
    """``(within tolerance, the tolerance in words)`` for one glued key present
    in both runs.
    """
    old, new = stored[key], fresh[key]
    kind = rule.kind
    if kind == "exact":
        return old == new, "exact"
    if (
        kind == "reported"
    ):  # shown beside a call or a mean that is checked; see the rule's reason
        return True, "not compared: " + rule.options.get(
            "covered_by", "see its rule"
        )
    if kind == "call":
        return compare_calls(rule, key, stored, fresh)
    if kind == "choice":
        return compare_choice(rule, key, stored, fresh, rules)
    a, b = _number(stored, key, "stored"), _number(fresh, key, "fresh")
    # Python prints 0.900 as 0.9, so the run that shows more digits tells the
    # rounding.
    rounding = min(unit_in_last_place(old), unit_in_last_place(new))
    if kind == "relative":
        tol = (
            float(rule.options["rtol"]) * abs(a)
            + float(rule.options.get("atol", 0))
            + rounding
        )
        return _within(
            a, b, tol
        ), f"± {tol:.3g} (relative {rule.options['rtol']:g})"
    if kind == "mean":
        tol = mean_tolerance(rule, key, stored, fresh, rules) + rounding
        return _within(a, b, tol), f"± {tol:.3g} (t-test, α = {rules.alpha:g})"
    if kind == "spread":
        # The stored sd, rounded, stands for any value within half a unit of
        # it: a printed 0.000 (three seeds that tied exactly, as a score on 91
        # items can) is below 0.0005, not zero, and the F-test allows a factor
        # of that.
        ratio = spread_ratio(rule, key, stored, rules.alpha)
        low = max(a - rounding / 2, 0) / ratio - rounding * (1 + EPS)
        high = (a + rounding / 2) * ratio + rounding * (1 + EPS)
        return (
            low <= b <= high,
            f"[{max(low, 0):.3g}, {high:.3g}] (F-test, α = {rules.alpha:g})",
        )
    raise AssertionError(kind)


# Calls. The book's rule (sslbook.evaluate.Comparison.text) words a call in
# one of four ways: "A is ahead of B", "B is ahead of A", "A and B are within
# ±m", "A against B is inconclusive with n seeds". Two calls of one pair
# contradict when one says A is ahead and the other B, or when one says
# "within ±m" and the other's interval of the difference lies wholly outside
# ±m. An inconclusive call contradicts nothing: it says "not shown here".
AHEAD = re.compile(r"(?P<a>.+?) is ahead of (?P<b>.+)")
WITHIN = re.compile(r"(?P<a>.+?) and (?P<b>.+) are within ±(?P<m>[0-9.e-]+)")
INCONCLUSIVE = re.compile(
    r"(?P<a>.+?) against (?P<b>.+) is inconclusive with (?P<n>\d+) seeds"
)


@dataclass(frozen=True)
class Call:
    """A parsed call: ``kind`` is ``"ahead"`` (``a`` ahead of ``b``),
    ``"within"`` or ``"inconclusive"``.
    """

    kind: str
    a: str
    b: str
    margin: float | None = None


def parse_call(text: str) -> Call:
    """The :class:`Call` that ``text`` words; ``ValueError`` if it is not a
    call of the book's rule.
    """
    for kind, pattern in (
        ("within", WITHIN),
        ("inconclusive", INCONCLUSIVE),
        ("ahead", AHEAD),
    ):
        match = pattern.fullmatch(text)
        if match:
            margin = float(match.group("m")) if kind == "within" else None
            return Call(kind, match.group("a"), match.group("b"), margin)
    raise ValueError(f"not a call of the book's rule: {text!r}")


def _outside(interval: tuple[float, float] | None, margin: float) -> bool:
    return interval is not None and (
        interval[0] > margin or interval[1] < -margin
    )


def contradicts(
    stored: str,
    fresh: str,
    stored_interval: tuple[float, float] | None = None,
    fresh_interval: tuple[float, float] | None = None,
) -> bool:
    """Whether two calls of the same pair contradict (see the comment above).

    The intervals are ``(low, high)`` of each run's difference, where known;
    without them a "within" call contradicts nothing.
    """
    old, new = parse_call(stored), parse_call(fresh)
    if old.kind == new.kind == "ahead":
        return (old.a, old.b) == (new.b, new.a)
    if old.kind == "within":
        return _outside(fresh_interval, old.margin)
    if new.kind == "within":
        return _outside(stored_interval, new.margin)
    return False


def _interval(values: dict[str, str], key: str) -> tuple[float, float] | None:
    if f"{key}_lo" not in values or f"{key}_hi" not in values:
        return None
    return float(literal(values[f"{key}_lo"])), float(
        literal(values[f"{key}_hi"])
    )


def compare_calls(
    rule: Rule, key: str, stored: dict[str, str], fresh: dict[str, str]
) -> tuple[bool, str]:
    old, new = (str(literal(v[key])) for v in (stored, fresh))
    if contradicts(old, new, _interval(stored, key), _interval(fresh, key)):
        return (
            False,
            "contradiction: the opposite call, "
            "or an equivalence that the other interval excludes",
        )
    if {parse_call(old).a, parse_call(old).b} != {
        parse_call(new).a,
        parse_call(new).b,
    }:
        return True, "other arms (a choice changed)"
    return True, "no contradiction"


def compare_choice(
    rule: Rule,
    key: str,
    stored: dict[str, str],
    fresh: dict[str, str],
    rules: Rules,
) -> tuple[bool, str]:
    """A choice may change only where its stored validation margin was within
    noise.

    The rule names two glued keys: ``margin``, the chosen setting's mean
    validation score minus the runner-up's, and ``noise``, the standard error
    of that difference over the selection seeds (nan when one seed chose: its
    noise is then unknown, and the margin is not shown to exceed it).
    """
    if stored[key] == fresh[key]:
        return True, "same choice"
    margin = _number(stored, _key(rule.options["margin"], key), "stored")
    noise = _number(stored, _key(rule.options["noise"], key), "stored")
    within = math.isnan(noise) or margin <= rules.choice_z * noise
    words = (
        "one selection seed"
        if math.isnan(noise)
        else f"{margin:g} vs noise {noise:g}"
    )
    return (
        within,
        "may change only if the stored margin "
        f"is within {rules.choice_z:g} × noise ({words})",
    )


def compare_glue(
    notebook: str, stored_nb, fresh_nb, rules: Rules
) -> list[Difference]:
    """Every glued value of ``stored_nb`` that differs in ``fresh_nb``; ``ok``
    is False beyond its tolerance.
    """
    stored, fresh = glued(stored_nb), glued(fresh_nb)
    differences = []
    for key in sorted(set(stored) | set(fresh)):
        if key not in fresh or key not in stored:
            where = (
                "the fresh run" if key not in fresh else "the stored notebook"
            )
            differences.append(
                Difference(
                    notebook,
                    key,
                    stored.get(key, "—"),
                    fresh.get(key, "—"),
                    f"missing in {where}",
                    False,
                )
            )
            continue
        if stored[key] == fresh[key]:
            continue
        try:
            ok, tolerance = compare_value(
                rules.rule_for(key), key, stored, fresh, rules
            )
        except (KeyError, ValueError) as error:
            ok, tolerance = False, f"cannot compare: {error}"
        differences.append(
            Difference(notebook, key, stored[key], fresh[key], tolerance, ok)
        )
    return differences


# ---------------------------------------------------------------------------
# Comparing printed outputs
# ---------------------------------------------------------------------------


# A call printed with its numbers (sslbook.evaluate.Comparison.__str__):
# "A is ahead of B (difference +0.012, 95 % interval +0.004 to +0.020,
# 3 seeds)".
PRINTED_CALL = re.compile(
    r"(?P<call>[^;:\n]*?(?: is ahead of [^;:\n(]*?"
    r"| are within ±[0-9.e-]+"
    r"| is inconclusive with \d+ seeds))"
    r" \(difference (?P<d>[-+0-9.e]+),"
    r" [0-9.]+ % interval (?P<lo>[-+0-9.e]+) to (?P<hi>[-+0-9.e]+),"
    r" \d+ seeds\)"
)


def mask_numbers(text: str) -> str:
    """The text with every number replaced by ``#``."""
    return NUMBER.sub("#", text)


def printed_words(text: str) -> str:
    """What must match between runs: the text with every number masked and
    each run of spaces or tabs made one space. A table pads its columns to
    the widest number, so a number that gains a digit or a sign (-0.00 for
    0.00) on another processor moves the padding, not the words.
    """
    return re.sub(r"[ \t]+", " ", mask_numbers(text))


def printed_calls(
    text: str,
) -> tuple[str, list[tuple[str, tuple[float, float]]]]:
    """The text with each printed call replaced by ``<call>``, and the calls
    with their intervals, in order.
    """
    calls = [
        (m.group("call").strip(), (float(m.group("lo")), float(m.group("hi"))))
        for m in PRINTED_CALL.finditer(text)
    ]
    return PRINTED_CALL.sub("<call>", text), calls


def _text_of(output) -> tuple[str, str]:
    """``(what it is, its text)`` of one output; images are compared by kind
    only.
    """
    if output.output_type == "stream":
        return f"stream:{output.name}", output.text
    if output.output_type == "error":
        return "error", f"{output.ename}: {output.evalue}"
    data = output.get("data", {})
    images = sorted(k for k in data if k.startswith("image/"))
    if images:
        return "image:" + ",".join(images), ""
    for mime in ("text/html", "text/markdown", "text/latex", "text/plain"):
        if mime in data:
            return mime, data[mime] if isinstance(
                data[mime], str
            ) else "".join(data[mime])
    return ",".join(sorted(data)), ""


def visible_outputs(outputs) -> list:
    """The outputs a reader sees: glue records dropped, consecutive streams of
    one name joined.
    """
    shown = []
    for output in outputs:
        if "scrapbook" in output.get("metadata", {}):
            continue
        last = shown[-1] if shown else None
        if (
            output.output_type == "stream"
            and last is not None
            and last.output_type == "stream"
            and last.name == output.name
        ):
            shown[-1] = nbformat.NotebookNode(
                output_type="stream",
                name=output.name,
                text=last.text + output.text,
            )
        else:
            shown.append(output)
    return shown


def stderr_of(outputs) -> str:
    """Everything written to stderr."""
    return "".join(
        o.text
        for o in outputs
        if o.output_type == "stream" and o.name == "stderr"
    )


INTEGER = re.compile(r"[-+−]?\d{1,3}(?:,\d{3})*|[-+−]?\d+")
# A mean ± sd as SeedScores.format prints it.
MEAN_SD = re.compile(r"(?<![\w.])(-?\d+(?:\.\d+)?) ± (\d+(?:\.\d+)?)")


def printed_numbers(text: str) -> list[tuple[str, str | None]]:
    """Every printed number in order, as ``(number, None)``, or ``(mean, sd)``
    for a "mean ± sd".
    """
    found, position = [], 0
    for match in MEAN_SD.finditer(text):
        found += [
            (m.group(), None)
            for m in NUMBER.finditer(text, position, match.start())
        ]
        found.append((match.group(1), match.group(2)))
        position = match.end()
    return found + [(m.group(), None) for m in NUMBER.finditer(text, position)]


def _as_float(text: str) -> float:
    return float(text.replace(",", "").replace("−", "-"))


def compare_printed_numbers(a: str, b: str, rules: Rules) -> list[str]:
    """Printed numbers beyond the printed rules: a "mean ± sd" as a mean over
    ``printed_n`` seeds, an integer exactly, others relatively.
    """
    rule = Rule(
        ("printed",), "mean", "printed", {"sd": "m_sd", "n": rules.printed_n}
    )
    spread = Rule(("printed",), "spread", "printed", {"n": rules.printed_n})
    problems = []
    for (x, sx), (y, sy) in zip(printed_numbers(a), printed_numbers(b)):
        if sx is not None and sy is not None:
            stored, fresh = {"m": x, "m_sd": sx}, {"m": y, "m_sd": sy}
            ok, tolerance = compare_value(rule, "m", stored, fresh, rules)
            spread_ok, spread_tolerance = compare_value(
                spread, "m_sd", stored, fresh, rules
            )
            if ok and not spread_ok:
                ok, tolerance = False, f"its sd beyond {spread_tolerance}"
        elif INTEGER.fullmatch(x) and INTEGER.fullmatch(
            y
        ):  # a count, a size, an epoch: exact
            ok, tolerance = x == y, "exact (an integer)"
        else:
            u, v = _as_float(x), _as_float(y)
            tol = rules.printed_rtol * abs(u) + min(
                unit_in_last_place(x), unit_in_last_place(y)
            )
            ok, tolerance = (
                _within(u, v, tol),
                f"± {tol:.3g} (relative {rules.printed_rtol:g})",
            )
        if not ok:
            problems.append(
                f"{x}{' ± ' + sx if sx else ''} is now "
                f"{y}{' ± ' + sy if sy else ''}, beyond {tolerance}"
            )
    return problems


def compare_printed(
    source: str, stored_outputs, fresh_outputs, rules: Rules | None = None, *,
    choices: Sequence[tuple[str, str]] = (), free_numbers: bool = False,
) -> list[str]:  # fmt: skip
    """Problems with one cell's printed outputs: text that differs beyond its
    numbers, and numbers beyond their rules.

    Args:
        source: the cell's code; a cell marked ``# NBVAL_IGNORE_OUTPUT``
            (timings) is not compared.
        stored_outputs, fresh_outputs: the two runs' outputs of the cell.
        rules: the printed-number rules; without them numbers are not compared.
        choices: ``(stored, fresh)`` texts of settings that changed within
            noise; they may differ in printed text too.
        free_numbers: the cell's numbers are not compared (see the rules file's
            ``printed.free``), only its words.
    """
    problems: list[str] = []
    if IGNORE_MARKER.search(source):
        return problems
    old = [
        _text_of(o)
        for o in visible_outputs(stored_outputs)
        if not (o.output_type == "stream" and o.name == "stderr")
    ]
    new = [
        _text_of(o)
        for o in visible_outputs(fresh_outputs)
        if not (o.output_type == "stream" and o.name == "stderr")
    ]
    if [kind for kind, _ in old] != [kind for kind, _ in new]:
        problems.append(
            f"the cell shows other outputs: stored {[k for k, _ in old]}, "
            f"now {[k for k, _ in new]}"
        )
        return problems
    for (kind, a), (_, b) in zip(old, new):
        for was, now in choices:
            a, b = a.replace(was, "<choice>"), b.replace(now, "<choice>")
        (a, calls_a), (b, calls_b) = printed_calls(a), printed_calls(b)
        if printed_words(a) != printed_words(b):
            problems.append(
                f"the {kind} output differs beyond its numbers:\n"
                f"{_diff(printed_words(a), printed_words(b))}"
            )
            continue
        for (call_a, interval_a), (call_b, interval_b) in zip(
            calls_a, calls_b
        ):
            if contradicts(call_a, call_b, interval_a, interval_b):
                problems.append(
                    f"a printed call is contradicted: stored {call_a!r}, "
                    f"now {call_b!r}"
                )
        if rules is not None and not free_numbers:
            beyond = compare_printed_numbers(a, b, rules)
            if beyond:
                problems.append(
                    f"{len(beyond)} printed numbers of the {kind} output "
                    "moved too far: " + "; ".join(beyond[:5])
                )
    return problems


def _diff(a: str, b: str) -> str:
    import difflib

    lines = difflib.unified_diff(
        a.splitlines(), b.splitlines(), "stored", "now", lineterm="", n=1
    )
    return "\n".join(list(lines)[:40])


def changed_choices(
    differences: list[Difference], rules: Rules
) -> list[tuple[str, str]]:
    """``(stored, fresh)`` texts of the string choices that changed within
    their noise.
    """
    found = []
    for d in differences:
        if d.ok and rules.rule_for(d.key).kind == "choice":
            was, now = literal(d.stored), literal(d.now)
            if isinstance(was, str) and isinstance(now, str):
                found.append((was, now))
    return found


def stderr_problem(outputs) -> list[str]:
    """A problem if the outputs hold anything written to stderr."""
    err = stderr_of(outputs)
    return [f"the cell wrote to stderr:\n{err[:2000]}"] if err else []


def compare_notebooks(
    notebook: str, stored_nb, fresh_nb, rules: Rules, *, stderr: bool = True
) -> tuple[list[Difference], list[str]]:
    """The glue differences and the problems (printed outputs, errors, stderr)
    of a fresh run against the stored notebook.
    """
    problems = []
    stored_cells = [c for c in stored_nb.cells if c.cell_type == "code"]
    fresh_cells = [c for c in fresh_nb.cells if c.cell_type == "code"]
    if [c.source for c in stored_cells] != [c.source for c in fresh_cells]:
        return [], ["the two notebooks do not hold the same code cells"]
    differences = compare_glue(notebook, stored_nb, fresh_nb, rules)
    choices = changed_choices(differences, rules)
    for index, (old, new) in enumerate(zip(stored_cells, fresh_cells)):
        free = rules.numbers_free(notebook, old.source)
        found = compare_printed(
            old.source,
            old.outputs,
            new.outputs,
            rules,
            choices=choices,
            free_numbers=free,
        )
        found += stderr_problem(new.outputs) if stderr else []
        problems += [f"cell {index}: {p}" for p in found]
        problems += [
            f"cell {index}: raised {o.ename}: {o.evalue}"
            for o in new.outputs
            if o.output_type == "error"
        ]
    return differences, problems


# ---------------------------------------------------------------------------
# Reporting
# ---------------------------------------------------------------------------


def table(differences: list[Difference]) -> str:
    """A plain-text table: notebook, key, stored, now, tolerance, and whether
    it is within.
    """
    rows = [("notebook", "key", "stored", "now", "tolerance", "")]
    rows += [
        (
            d.notebook,
            d.key,
            d.stored,
            d.now,
            d.tolerance,
            "ok" if d.ok else "FAIL",
        )
        for d in differences
    ]
    widths = [
        min(max(len(r[i]) for r in rows), 60) for i in range(len(rows[0]))
    ]
    return "\n".join(
        "  ".join(cell[:60].ljust(w) for cell, w in zip(row, widths)).rstrip()
        for row in rows
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser(
        "compare",
        help="compare fresh copies of notebooks with the stored ones",
    )
    p.add_argument(
        "pairs", nargs="*", type=Path, help="STORED FRESH pairs of notebooks"
    )
    p.add_argument(
        "--stored",
        type=Path,
        help="a folder of stored notebooks (with --fresh)",
    )
    p.add_argument(
        "--fresh", type=Path, help="the same folder re-executed elsewhere"
    )
    args = parser.parse_args(argv)
    pairs = list(zip(args.pairs[::2], args.pairs[1::2]))
    if args.stored and args.fresh:
        stored = sorted(
            p
            for p in args.stored.rglob("*.ipynb")
            if ".ipynb_checkpoints" not in p.parts
        )
        pairs += [(p, args.fresh / p.relative_to(args.stored)) for p in stored]
    if not pairs:
        parser.error(
            "name STORED FRESH pairs, or --stored and --fresh folders"
        )
    rules = load_rules()
    differences, failed = [], False
    for stored, fresh in pairs:
        found, problems = compare_notebooks(
            stored.name,
            nbformat.read(stored, 4),
            nbformat.read(fresh, 4),
            rules,
        )
        differences += found
        for problem in problems:
            print(f"{stored}: {problem}")
        failed |= bool(problems) or any(not d.ok for d in found)
    print(table(differences) if differences else "no glued value differs")
    print(
        f"{sum(d.ok for d in differences)} within tolerance, "
        f"{sum(not d.ok for d in differences)} beyond it"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
