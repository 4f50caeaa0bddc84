"""Do the book's calls hold with other seeds? Re-run and report.

Every call of the book's rule (``sslbook.evaluate.compare``) is glued with its
interval. This tool re-executes, in a temporary copy, every notebook that glues
a call, with ``SSLBOOK_SEED_OFFSET`` set so that every experiment draws a
fresh, disjoint set of seeds (the data splits stay the same), and compares
each call with the stored one::

    python tools/robustness.py run --offset 4500  # about 20 minutes on 2 cores
    python tools/robustness.py report --fresh DIR --offset 4500

``run`` executes the copies and then writes the report; ``report`` writes it
from copies already executed. The report is the appendix page
``appendix/robustness.md`` (with its Chinese twin in the translation store):
each call, stored and re-run, its interval, and whether the two contradict.
Two calls contradict when one says A is ahead and the other B, or when one
says "within ±m" and the other's interval lies wholly outside ±m
(``tools/nbcheck.py``'s rule). Beside the number of calls that changed, the
page gives the number that the seeds' noise alone was expected to change (the
sum of the stored ``<key>_change``). The page opens with the headline
comparisons (``HEADLINE``): each call's estimated chance to repeat, and
whether it is settled (it reaches the estimate and the re-run agrees). The
copies keep each cell's timing: ``python tools/nbtools.py times
DIR/chapters/...`` prints where the time goes. It is not part of ``make
test``, for time.
"""

from __future__ import annotations

import argparse
import datetime
import math
import os
import platform
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import nbformat

from sslbook.glue import CALL_COMPANIONS

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

import i18n  # noqa: E402
from nbcheck import contradicts, glued, literal, parse_call  # noqa: E402

PAGE = ROOT / "appendix" / "robustness.md"
#: The chance of repeating above which a call counts as settled.
SETTLED = 0.9
#: The comparisons the book's argument rests on, in book order: each must end
#: settled, or this page says plainly that it does not.
HEADLINE = {
    "simclr_verdict_raw_1": (
        "4.3, SimCLR against raw pixels, 1 label per class",
        "4.3，SimCLR 对原始像素，每类 1 个标签",
    ),
    "simclr_verdict_raw_10": (
        "4.3, SimCLR against raw pixels, 10 labels per class",
        "4.3，SimCLR 对原始像素，每类 10 个标签",
    ),
    "simclr_verdict_raw_100": (
        "4.3, SimCLR against raw pixels, 100 labels per class",
        "4.3，SimCLR 对原始像素，每类 100 个标签",
    ),
    "simclr_verdict_supervised_1": (
        "4.3, SimCLR against the supervised CNN, 1 label per class",
        "4.3，SimCLR 对监督训练的 CNN，每类 1 个标签",
    ),
    "simclr_verdict_supervised_10": (
        "4.3, SimCLR against the supervised CNN, 10 labels per class",
        "4.3，SimCLR 对监督训练的 CNN，每类 10 个标签",
    ),
    "simclr_verdict_supervised_100": (
        "4.3, SimCLR against the supervised CNN, 100 labels per class",
        "4.3，SimCLR 对监督训练的 CNN，每类 100 个标签",
    ),
    "ae_verdict_ae_pca_10": (
        "4.2, the autoencoder against PCA, 10 labels per class",
        "4.2，自编码器对 PCA，每类 10 个标签",
    ),
    "future_moco_verdict": (
        (
            "5.1, MoCo against SimCLR with 62 in-batch negatives, "
            "10 labels per class"
        ),
        "5.1，MoCo 对批内有 62 个负样本的 SimCLR，每类 10 个标签",
    ),
    "byol_verdict_simclr": (
        "5.4, BYOL against SimCLR, 10 labels per class",
        "5.4，BYOL 对 SimCLR，每类 10 个标签",
    ),
    "mae_verdict_finetune_scratch": (
        (
            "5.2, MAE fine-tuned against the same Transformer from scratch, "
            "10 labels per class"
        ),
        "5.2，微调的 MAE 对从头训练的同一个 Transformer，每类 10 个标签",
    ),
    "faq_verdict_pretrained_relu": (
        (
            "FAQ, the pre-trained sigmoid network against ReLU "
            "with He initialisation"
        ),
        "常见问题，预训练的 sigmoid 网络对 ReLU 加 He 初始化",
    ),
}


@dataclass(frozen=True)
class Row:
    """One call, stored and re-run."""

    notebook: str
    key: str
    stored: str
    stored_zh: str
    stored_interval: tuple[float, float]
    fresh: str
    fresh_zh: str
    fresh_interval: tuple[float, float]
    #: The estimated chance that fresh seeds repeat the stored call
    #: (``<key>_repeat``).
    stored_repeat: float = float("nan")
    #: The estimated chance that a re-run with fresh seeds gives another call,
    #: with the stored difference and spread uncertain (``<key>_change``).
    stored_change: float = float("nan")

    @property
    def reaches_the_estimate(self) -> bool:
        """ "Ahead" or "within ±m", with the book's estimated chance of
        repeating at least ``SETTLED``.
        """
        return (
            parse_call(self.stored).kind in ("ahead", "within")
            and self.stored_repeat >= SETTLED
        )

    @property
    def settled(self) -> bool:
        """A call a reader can rely on: it reaches the estimate, and the re-run
        with fresh seeds gave the same call.

        The estimate alone is optimistic with few seeds (it takes the
        observed mean difference and spread as the truth), so the re-run must
        agree too.
        """
        return self.reaches_the_estimate and not self.changed

    @property
    def contradiction(self) -> bool:
        return contradicts(
            self.stored, self.fresh, self.stored_interval, self.fresh_interval
        )

    @property
    def changed(self) -> bool:
        """Whether the call moved to another category (another side ahead
        counts).
        """
        old, new = parse_call(self.stored), parse_call(self.fresh)
        if old.kind != new.kind:
            return True
        return (
            old.kind == "ahead"
            and {old.a, old.b} == {new.a, new.b}
            and old.a != new.a
        )


def call_keys(values: dict[str, str]) -> list[str]:
    """The glued keys that hold a call (not its companions)."""
    return sorted(
        k for k in values if "verdict" in k and not k.endswith(CALL_COMPANIONS)
    )


def notebooks_with_calls(root: Path = ROOT) -> list[Path]:
    """The English notebooks that glue at least one call, in book order."""
    found = []
    for path in sorted((root / "chapters").rglob("*.ipynb")):
        if ".ipynb_checkpoints" not in path.parts and call_keys(
            glued(nbformat.read(path, as_version=4))
        ):
            found.append(path)
    return found


def _interval(values: dict[str, str], key: str) -> tuple[float, float]:
    return float(literal(values[f"{key}_lo"])), float(
        literal(values[f"{key}_hi"])
    )


def _glued_pairs(stored_root: Path, fresh_root: Path):
    """For every notebook that glues calls: its path under the root, its
    stored glue and its fresh glue.
    """
    for path in notebooks_with_calls(stored_root):
        rel = path.relative_to(stored_root)
        yield (
            rel,
            glued(nbformat.read(path, as_version=4)),
            glued(nbformat.read(fresh_root / rel, as_version=4)),
        )


def rows(stored_root: Path, fresh_root: Path) -> list[Row]:
    """One row per call of every notebook that glues calls, stored against
    fresh.
    """
    result = []
    for rel, old, new in _glued_pairs(stored_root, fresh_root):
        for key in call_keys(old):
            result.append(
                Row(
                    rel.name,
                    key,
                    str(literal(old[key])),
                    str(literal(old[f"{key}_zh"])),
                    _interval(old, key),
                    str(literal(new[key])),
                    str(literal(new[f"{key}_zh"])),
                    _interval(new, key),
                    float(literal(old[f"{key}_repeat"])),
                    float(literal(old[f"{key}_change"])),
                )
            )
    return result


@dataclass(frozen=True)
class Setting:
    """One setting chosen on validation, stored and re-run."""

    notebook: str
    key: str
    stored: str
    stored_zh: str
    fresh: str
    fresh_zh: str
    #: The stored choice's validation margin over the runner-up, and the
    #: margin's noise (``<key>_margin``, ``<key>_margin_se``).
    margin: float
    margin_se: float

    @property
    def changed(self) -> bool:
        """The fresh seeds chose another value."""
        return self.stored != self.fresh


def setting_keys(values: dict[str, str]) -> list[str]:
    """The glued settings chosen on validation: the keys glued with their
    validation margin (``sslbook.glue.glue_margin``).
    """
    return sorted(
        k.removesuffix("_margin")
        for k in values
        if k.endswith("_margin") and f"{k}_se" in values
    )


#: How the parts of a setting glued in parts (``key_part``) are named.
PART_NAMES = {
    "tau": ("τ", "τ"),
    "rate": ("corruption rate", "损坏率"),
    "epochs": ("epochs", "轮数"),
}


def _setting(values: dict[str, str], key: str, zh: bool = False) -> str:
    """A setting's value as text. A setting glued in parts (``key_part``,
    such as 5.6's temperature, corruption rate and length) lists them.
    """
    if zh and f"{key}_zh" in values:
        return str(literal(values[f"{key}_zh"]))
    if key in values:
        return str(literal(values[key]))
    parts = sorted(
        k
        for k in values
        if k.startswith(f"{key}_")
        and not k.startswith(f"{key}_margin")
        and not k.endswith("_zh")
    )
    named = []
    for k in parts:
        part = k.removeprefix(key + "_")
        name = PART_NAMES.get(part, (part, part))[zh]
        named.append(f"{name} {literal(values[k])}")
    return ("，" if zh else ", ").join(named)


def setting_rows(stored_root: Path, fresh_root: Path) -> list[Setting]:
    """One row per glued setting of every notebook that glues calls, stored
    against fresh.
    """
    result = []
    for rel, old, new in _glued_pairs(stored_root, fresh_root):
        for key in setting_keys(old):
            result.append(
                Setting(
                    rel.name,
                    key,
                    _setting(old, key),
                    _setting(old, key, zh=True),
                    _setting(new, key),
                    _setting(new, key, zh=True),
                    float(literal(old[f"{key}_margin"])),
                    float(literal(old[f"{key}_margin_se"])),
                )
            )
    return result


def _noise(se: float, zh: bool) -> str:
    """A margin's noise, or where it has none: a choice made on one seed."""
    if not math.isnan(se):
        return f"{se:.2g}"
    return "仅一个随机种子，无噪声估计" if zh else "one seed"


def settings_section(
    settings: list[Setting], table: list[Row], zh: bool
) -> str:
    """Which settings the fresh seeds chose differently, and how many of the
    changed calls sit on a page where one did.
    """
    moved = [s for s in settings if s.changed]
    pages = {s.notebook for s in moved}
    changed_calls = [r for r in table if r.changed]
    near = sum(r.notebook in pages for r in changed_calls)
    if zh:
        lines = [
            "## 重新选择的设置",
            "",
            "notebook 在验证图像上选择的每个设置，所用的随机种子同样随偏移量"
            "改变，所以重新运行时这些设置都重新选择了一次。"
            f"在通过 glue 给出验证集优势的 {len(settings)} 个设置中，"
            f"有 {len(moved)} 个选出了不同的值。如果一个结论的某一方用到了"
            "这样的设置，那么措辞虽然相同，这一方却已按不同的设置训练，"
            "与存储的结论不同；它的变化因此还包含了选择本身的噪声，"
            "而结论的区间并不涵盖这部分噪声（见 {doc}`protocol`）。"
            f"在改变了类别的 {len(changed_calls)} 个结论中，有 {near} 个"
            "所在页面有设置选出了不同的值；但页面上重新选了设置，"
            "并不意味着这个结论用到了它。",
            "",
            "优势是存储的选择在平均验证得分上领先次优者的幅度；括号中是它在"
            "用于选择的随机种子上的标准误，如果只用一个随机种子做选择，"
            "就没有噪声估计。优势为 0 表示两者持平，按网格顺序取前者；"
            "持平或优势小于其噪声时，验证集都无法有把握地做出这一选择。",
        ]
        head = (
            "| notebook | 键 | 存储的选择 | 验证集上领先次优者的幅度（标准误）"
            " | 重新运行的选择 |"
        )
    else:
        lines = [
            "## Settings chosen again",
            "",
            "Every setting a notebook chooses on the validation images is "
            "chosen by seeds that the offset moves too, so the re-run chose "
            f"each one again. {len(moved)} of the {len(settings)} settings "
            "glued with their validation margin came out differently. A call "
            "whose arm uses such a setting compares, under the same words, "
            "an arm trained differently from the stored one; its change then "
            "includes the noise of the choice itself, which the call's "
            "interval does not cover ({doc}`protocol`). Of the "
            f"{len(changed_calls)} calls that changed category, {near} are "
            "on a page where a setting came out differently; a page that "
            "chose a setting again does not mean that the call uses it.",
            "",
            "The margin is the stored choice's lead in mean validation score "
            "over the runner-up; in brackets, its standard error over the "
            'seeds that made the choice, or "one seed" where a single seed '
            "made it and there is no estimate of its noise. A margin of 0 is "
            "a tie, broken by the grid's order; a tie, or a margin below its "
            "noise, is a choice that validation could not make with "
            "confidence.",
        ]
        head = (
            "| notebook | key | stored choice | its validation margin "
            "(noise) | re-run choice |"
        )
    if moved:
        lines += ["", head, "|---|---|---|---|---|"]
        for s in moved:
            old, new = (s.stored_zh, s.fresh_zh) if zh else (s.stored, s.fresh)
            noise = _noise(s.margin_se, zh)
            margin = (
                f"{s.margin:.2g}（{noise}）"
                if zh
                else f"{s.margin:.2g} ({noise})"
            )
            lines.append(
                f"| {s.notebook} | `{s.key}` | {old} | {margin} | {new} |"
            )
    return "\n".join(lines)


def stack() -> str:
    """The software and processor the re-run used, in one line."""
    import numpy
    import sklearn
    import torch

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    threads = os.environ.get("SSLBOOK_THREADS", "2")
    return (
        f"Python {platform.python_version()}, torch {torch.__version__}, "
        f"numpy {numpy.__version__}, scikit-learn {sklearn.__version__}; "
        f"{cpu}, {os.cpu_count()} cores, {threads} torch threads"
    )


def _fmt(interval: tuple[float, float], zh: bool = False) -> str:
    return f"{interval[0]:.3g} {'至' if zh else 'to'} {interval[1]:.3g}"


INTRO = """# Do the calls hold?

Every call in this book comes from the rule on {doc}`protocol`, and is glued \
beside the 95 % interval it rests on. A reader who re-runs a notebook uses \
other seeds or another machine, and should not find the text wrong. This page \
is the check: every notebook that makes a call was re-executed with \
`SSLBOOK_SEED_OFFSET={offset}`, so that every experiment drew a fresh, \
disjoint set of seeds (the same data splits and test images), and each call \
was compared with the stored one. Two calls *contradict* when one says A is \
ahead and the other says B is, or when one says "within ±m" and the other's \
interval lies wholly outside ±m. A call that moves between "ahead", \
"within ±m" and "inconclusive" without a contradiction is a call that these \
seeds could not settle, or, where a setting was chosen again, one whose arm \
changed (see "Settings chosen again" below).

`python tools/robustness.py run --offset {offset}` makes this page again \
(about 20 minutes on two cores); it is not part of `make test`."""

INTRO_ZH = """# 结论站得住吗？

本书的每个结论都来自 {doc}`protocol` 中的规则，并在旁边通过 glue 给出\
它所依据的 95% 区间。读者重新运行 notebook 时，用的是别的随机种子或别的机器，\
不应发现正文有误。本页就是这项检查：每个给出结论的 notebook 都以 \
`SSLBOOK_SEED_OFFSET={offset}` 重新执行，使每个实验都抽取一组全新的、\
互不重叠的随机种子（数据划分和测试图像不变），再把每个结论与存储的结论比较。\
两个结论*相互矛盾*，是指一个说 A 领先而另一个说 B 领先，或者一个说\
“相差在 ±m 以内”而另一个的区间完全落在 ±m 之外。结论在“领先”“相差在 ±m 以内”\
和“尚无定论”之间变动而不构成矛盾，说明这些随机种子不足以确定它；\
如果某个设置被重新选择，也可能是结论的一方已经改变（见下文“重新选择的设置”）。

`python tools/robustness.py run --offset {offset}` 会重新生成本页（在两个核上\
约需 20 分钟）；它不属于 `make test`。"""


def summary(
    table: list[Row], offset: int, when: str, where: str
) -> tuple[str, str]:
    """The run's counts, in English and in Chinese, and how many changed
    calls the seeds' noise alone would make (``expected_changes``).
    """
    n = len(table)
    contradictions = sum(r.contradiction for r in table)
    changed = sum(r.changed for r in table)
    expected, spread = expected_changes(table)
    en = (
        f"**Run on {when}**, on {where}, with seed offset {offset}: "
        f"{n} calls, **{contradictions} contradictions**, "
        f"{changed} changed category ({changed / n:.0%}). "
        "The seeds' noise alone, with every setting as stored, is expected "
        f"to change {expected:.1f} of them ({expected / n:.0%}; give or take "
        f"{spread:.1f} if the calls were independent, which they are not: "
        "calls on one page share their runs): the sum of each call's "
        "estimated chance that a re-run gives another call "
        "(`sslbook.evaluate.Comparison.change_probability`, which, unlike "
        "the chance to repeat below, does not take the stored difference "
        "and spread as the truth). Settings chosen again add to that (see "
        "below)."
    )
    zh = (
        f"**运行于 {when}**，环境为 {where}，随机种子偏移量为 {offset}："
        f"共 {n} 个结论，**{contradictions} 个相互矛盾**，"
        f"{changed} 个改变了类别（{changed / n:.0%}）。"
        "即使所有设置都保持存储时的值，仅随机种子的噪声预计也会使其中 "
        f"{expected:.1f} 个改变类别（{expected / n:.0%}；若各结论相互独立，"
        f"上下浮动约 {spread:.1f} 个；但它们并不独立：同一页的结论共用"
        "训练结果）：这是每个结论在重新运行后给出另一结论的估计概率"
        "之和（`sslbook.evaluate.Comparison.change_probability`；与下文的"
        "重复概率不同，它不把存储的差值和离散程度当作真值）。重新选择的设置还会使这个"
        "数增加（见下文）。"
    )
    return en, zh


def expected_changes(table: list[Row]) -> tuple[float, float]:
    """The number of calls that a re-run with fresh seeds is expected to
    change, and its standard deviation, treating the calls as independent:
    the sum of the stored chances to change, and the root of the sum of
    p(1 − p).

    Raises:
        ValueError: if a row has no stored chance to change.
    """
    chances = [r.stored_change for r in table]
    if not chances or any(math.isnan(p) for p in chances):
        raise ValueError(
            "every call needs its stored chance to change (<key>_change); "
            "execute the stored notebooks again"
        )
    expected = sum(chances)
    return expected, math.sqrt(sum(p * (1 - p) for p in chances))


def table_markdown(table: list[Row], zh: bool) -> str:
    if zh:
        head = (
            "| notebook | 键 | 存储的结论 | 区间 "
            "| 重新运行的结论 | 区间 | 矛盾 |"
        )
    else:
        head = (
            "| notebook | key | stored call | interval "
            "| re-run call | interval | contradiction |"
        )
    lines = [head, "|---|---|---|---|---|---|---|"]
    for r in table:
        old, new = (r.stored_zh, r.fresh_zh) if zh else (r.stored, r.fresh)
        flag = (
            ("**是**" if zh else "**yes**")
            if r.contradiction
            else ("否" if zh else "no")
        )
        lines.append(
            f"| {r.notebook} | `{r.key}` "
            f"| {old} | {_fmt(r.stored_interval, zh)} "
            f"| {new} | {_fmt(r.fresh_interval, zh)} | {flag} |"
        )
    return "\n".join(lines)


def headline(table: list[Row], zh: bool) -> str:
    """The headline comparisons: each stored call, its chance of repeating, and
    whether it is settled.
    """
    rows_by_key = {r.key: r for r in table}
    missing = [key for key in HEADLINE if key not in rows_by_key]
    if missing:
        raise KeyError(f"headline calls not glued by any notebook: {missing}")
    chosen = [rows_by_key[key] for key in HEADLINE]
    unsettled = [r for r in chosen if not r.settled]
    moved = [
        r for r in chosen if r.reaches_the_estimate and r.changed
    ]  # the estimate said yes, the re-run no
    if zh:
        names = {key: zh_name for key, (_, zh_name) in HEADLINE.items()}
        lines = [
            "## 核心比较",
            "",
            f"本书的论证依赖下面 {len(chosen)} 个比较。"
            "一个结论若是“领先”或“相差在 ±m 以内”，"
            "本书对它换一组全新的随机种子时重复出现的概率的估计"
            "（`sslbook.evaluate.Comparison.repeat_probability`，"
            "把观测到的平均差和离散程度当作真值，在随机种子很少时偏乐观）"
            f"至少为 {SETTLED}，"
            "并且本页用全新随机种子重新运行时得到了同样的结论，"
            "本书就认为它已经确定。"
            f"其中 {len(chosen) - len(unsettled)} 个已经确定。",
            "",
            "| 比较 | 存储的结论 | 区间 | 重复出现的概率 "
            "| 重新运行的结论 | 已确定 |",
            "|---|---|---|---|---|---|",
        ]
        for r in chosen:
            lines.append(
                f"| {names[r.key]} | {r.stored_zh} "
                f"| {_fmt(r.stored_interval, True)} | {r.stored_repeat:.2f} "
                f"| {r.fresh_zh} | {'是' if r.settled else '**否**'} |"
            )
        if unsettled:
            lines += [
                "",
                "以本书所用的随机种子数，以下比较尚未确定："
                + "；".join(names[r.key] for r in unsettled)
                + "。它们的区间见上表，请把它们当作悬而未决的问题来读。",
            ]
        if moved:
            lines += [
                "",
                "其中，"
                + "；".join(names[r.key] for r in moved)
                + "：估计的重复概率达到了要求，"
                "但本页的重新运行改变了结论的类别（没有相互矛盾）。"
                "重复概率本身也只是由同样少的几个随机种子估计出来的，"
                "只能作为参考。",
            ]
    else:
        names = {key: en_name for key, (en_name, _) in HEADLINE.items()}
        lines = [
            "## The headline comparisons",
            "",
            f"The book's argument rests on the {len(chosen)} comparisons "
            'below. A call counts as settled when it is "ahead" or '
            '"within ±m", the book\'s estimate of the chance that fresh '
            f"seeds repeat it is at least {SETTLED} "
            "(`sslbook.evaluate.Comparison.repeat_probability`, which takes "
            "the observed mean difference and spread as the truth, so it is "
            "optimistic with few seeds), and this page's re-run with "
            "fresh seeds gave the same call. "
            f"{len(chosen) - len(unsettled)} of them are settled.",
            "",
            "| comparison | stored call | interval | chance to repeat "
            "| re-run call | settled |",
            "|---|---|---|---|---|---|",
        ]
        for r in chosen:
            lines.append(
                f"| {names[r.key]} | {r.stored} | {_fmt(r.stored_interval)} "
                f"| {r.stored_repeat:.2f} | {r.fresh} "
                f"| {'yes' if r.settled else '**no**'} |"
            )
        if unsettled:
            lines += [
                "",
                "Not settled with the seeds this book runs: "
                + "; ".join(names[r.key] for r in unsettled)
                + ". Their intervals are in the table above; "
                "read them as open questions.",
            ]
        if moved:
            lines += [
                "",
                "Of these, "
                + "; ".join(names[r.key] for r in moved)
                + ": the estimated chance to repeat "
                "reached the bar, but this page's re-run changed the call's "
                "category (without a contradiction). "
                "The estimate comes from the same few seeds; "
                "it is a guide, not a guarantee.",
            ]
    return "\n".join(lines)


def write_report(
    table: list[Row],
    offset: int,
    when: str,
    where: str,
    root: Path = ROOT,
    settings: list[Setting] = (),
) -> None:
    """Write the appendix page and its Chinese twin in the translation
    store.
    """
    blocks_en = [
        INTRO.replace("{offset}", str(offset)),
        *summary(table, offset, when, where)[:1],
        headline(table, zh=False),
        settings_section(list(settings), table, zh=False),
        "## Every call",
        table_markdown(table, zh=False),
    ]
    blocks_zh = [
        INTRO_ZH.replace("{offset}", str(offset)),
        *summary(table, offset, when, where)[1:],
        headline(table, zh=True),
        settings_section(list(settings), table, zh=True),
        "## 全部结论",
        table_markdown(table, zh=True),
    ]
    page = root / "appendix" / "robustness.md"
    text = "\n\n".join(blocks_en) + "\n"
    page.write_text(text, encoding="utf-8")
    units = i18n.markdown_blocks(text)
    # The intro is several blocks; pair them with the Chinese intro's blocks,
    # then the summary and the table.
    zh_units = i18n.markdown_blocks("\n\n".join(blocks_zh) + "\n")
    if len(units) != len(zh_units):
        raise AssertionError(
            f"the English page has {len(units)} blocks "
            f"and its Chinese {len(zh_units)}"
        )
    i18n.save_store(
        Path("appendix/robustness.md"),
        [{"en": en, "zh": zh} for en, zh in zip(units, zh_units)],
    )


def execute_copies(offset: int, out: Path) -> Path:
    """Copy the chapters to ``out`` and execute every notebook that makes a
    call there, with the offset.
    """
    import nbtools

    fresh = out / "chapters"
    if fresh.exists():
        shutil.rmtree(fresh)
    shutil.copytree(
        ROOT / "chapters",
        fresh,
        ignore=shutil.ignore_patterns(".ipynb_checkpoints", "runs"),
    )
    os.environ["SSLBOOK_SEED_OFFSET"] = str(offset)  # the kernels inherit it
    for path in notebooks_with_calls(ROOT):
        target = fresh / path.relative_to(ROOT / "chapters")
        print(
            f"executing {target.relative_to(out)} with seed offset {offset}",
            flush=True,
        )
        nbtools.execute_notebook(
            target, timeout=900, record_timing=True
        )  # per-cell times: nbtools.py times
    return out


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser(
        "run", help="re-execute copies with the offset, then write the report"
    )
    run.add_argument("--offset", type=int, default=4500)
    run.add_argument(
        "--out",
        type=Path,
        default=None,
        help="where the copies go (default: a temporary folder)",
    )
    report = sub.add_parser(
        "report", help="write the report from copies already executed"
    )
    report.add_argument(
        "--fresh",
        type=Path,
        required=True,
        help="the folder holding the executed chapters/",
    )
    report.add_argument("--offset", type=int, required=True)
    args = parser.parse_args(argv)
    if args.offset <= 0:
        parser.error("--offset must be positive: 0 gives the stored seeds")
    if args.command == "run":
        out = args.out or Path(tempfile.mkdtemp(prefix="sslbook-robustness-"))
        execute_copies(args.offset, out)
        fresh = out
    else:
        fresh = args.fresh
    table = rows(ROOT, fresh)
    if not table:
        parser.error(
            f"no calls found: is {fresh / 'chapters'} "
            "a copy of the executed chapters?"
        )
    when = datetime.date.today().isoformat()
    write_report(
        table,
        args.offset,
        when,
        stack(),
        settings=setting_rows(ROOT, fresh),
    )
    contradictions = sum(r.contradiction for r in table)
    print(
        f"{len(table)} calls, {contradictions} contradictions, "
        f"{sum(r.changed for r in table)} changed category; "
        f"wrote {PAGE.relative_to(ROOT)}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
