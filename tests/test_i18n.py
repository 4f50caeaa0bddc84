"""The Chinese edition: the translation store, the generated book in zh/, and
its site.

``tools/i18n.py`` cuts every English page into units (a notebook's markdown
cells, a Markdown page's blocks), keeps their Chinese in ``i18n/zh/``, and
writes the Chinese book to ``zh/``. These tests fail when the English changes
and its Chinese does not follow, when ``zh/`` is not what the store gives, when
a Chinese notebook's code or outputs differ from the English one's, and when a
page leaves the glossary's terms.
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path

import pytest
import yaml

from conftest import ROOT, read_toc_files
from sslbook.glue import CALL_COMPANIONS

import i18n

PAGES = i18n.sources()
NOTEBOOKS = [page for page in PAGES if page.suffix == ".ipynb"]


def test_markdown_blocks_cut_at_blank_lines_and_keep_fenced_blocks_whole():
    text = (
        "# Title\n\nOne\nparagraph.\n\n"
        "```{exercise} A\n:label: a\n\nBody.\n```\n\n\n"
        "| a |\n|---|\n"
    )
    assert i18n.markdown_blocks(text) == [
        "# Title",
        "One\nparagraph.",
        "```{exercise} A\n:label: a\n\nBody.\n```",
        "| a |\n|---|",
    ]
    nested = "````{solution} a\n```python\nx = 1\n\ny = 2\n```\n````\n\nAfter."
    assert i18n.markdown_blocks(nested) == [
        "````{solution} a\n```python\nx = 1\n\ny = 2\n```\n````",
        "After.",
    ]


def test_a_changed_english_unit_is_untranslated_and_its_old_entry_stale(
    tmp_path, monkeypatch
):
    (tmp_path / "page.md").write_text(
        "# Title\n\nOld sentence.\n", encoding="utf-8"
    )
    monkeypatch.setattr(i18n, "STORE", tmp_path / "store")
    page = i18n.Path("page.md")
    monkeypatch.setattr(
        i18n,
        "units",
        lambda p: i18n.markdown_blocks(
            (tmp_path / p).read_text(encoding="utf-8")
        ),
    )
    i18n.save_store(
        page,
        [
            {"en": "# Title", "zh": "# 标题"},
            {"en": "Old sentence.", "zh": "旧句子。"},
        ],
    )
    assert (
        i18n.status(page).untranslated == [] and i18n.status(page).stale == []
    )
    (tmp_path / "page.md").write_text(
        "# Title\n\nNew sentence.\n", encoding="utf-8"
    )
    status = i18n.status(page)
    assert status.untranslated == ["New sentence."] and status.stale == [
        "Old sentence."
    ]
    assert (
        i18n.translate_page(page, tmp_path) == "# 标题\n\nNew sentence.\n"
    )  # English until translated


def test_every_english_unit_is_translated_and_no_translation_is_stale():
    problems = []
    for page in PAGES:
        status = i18n.status(page)
        problems += [
            f"untranslated {page}: {unit[:60]!r}"
            for unit in status.untranslated
        ]
        problems += [f"stale {page}: {unit[:60]!r}" for unit in status.stale]
    assert problems == [], (
        f"{len(problems)} units: run `python tools/i18n.py extract`, "
        "translate the empty `zh` entries in i18n/zh/, delete the stale "
        "ones, then `python tools/i18n.py build`\n" + "\n".join(problems[:20])
    )


def test_zh_is_what_the_store_builds(tmp_path):
    out = tmp_path / "zh"
    i18n.build(out)
    built = sorted(p.relative_to(out) for p in out.rglob("*") if p.is_file())
    committed = sorted(
        p.relative_to(ROOT / "zh")
        for p in (ROOT / "zh").rglob("*")
        if p.is_file()
    )
    assert built == committed, "run `python tools/i18n.py build`"
    different = [
        str(p)
        for p in built
        if (out / p).read_bytes() != (ROOT / "zh" / p).read_bytes()
    ]
    assert different == [], (
        "run `python tools/i18n.py build`; out of date: "
        + ", ".join(different)
    )


@pytest.mark.parametrize("page", NOTEBOOKS, ids=str)
def test_a_chinese_notebook_has_the_english_code_and_outputs(page):
    english = json.loads((ROOT / page).read_text(encoding="utf-8"))
    chinese = json.loads((ROOT / "zh" / page).read_text(encoding="utf-8"))
    assert chinese["metadata"] == english["metadata"]
    assert [c["cell_type"] for c in chinese["cells"]] == [
        c["cell_type"] for c in english["cells"]
    ]
    for en_cell, zh_cell in zip(english["cells"], chinese["cells"]):
        if en_cell["cell_type"] == "code":
            caption = (
                en_cell["metadata"]
                .get("mystnb", {})
                .get("figure", {})
                .get("caption")
            )
            if (
                caption is not None
            ):  # a plot's caption is translated, like the text
                assert (
                    zh_cell["metadata"]["mystnb"]["figure"]["caption"]
                    != caption
                )
                zh_cell = json.loads(json.dumps(zh_cell))
                zh_cell["metadata"]["mystnb"]["figure"]["caption"] = caption
            assert zh_cell == en_cell
        else:
            assert {k: v for k, v in zh_cell.items() if k != "source"} == {
                k: v for k, v in en_cell.items() if k != "source"}  # fmt: skip


def test_the_chinese_book_links_colab_to_its_own_notebook_editions():
    config = yaml.safe_load(
        (ROOT / "zh" / "_config.yml").read_text(encoding="utf-8")
    )
    assert (
        config["repository"]["path_to_book"] == "editions/zh"
    )  # tools/editions.py
    assert config["html"]["baseurl"].endswith("/zh/")
    assert config["sphinx"]["config"]["language"] == "zh_CN"
    assert config["execute"]["execute_notebooks"] == "off"


def test_the_chinese_book_has_a_chinese_author_and_solution_hints():
    config = yaml.safe_load(
        (ROOT / "zh" / "_config.yml").read_text(encoding="utf-8")
    )
    assert re.search(r"[\u4e00-\u9fff]", config["author"]), config["author"]
    assert (
        config["sphinx"]["config"]["togglebutton_hint"],
        config["sphinx"]["config"]["togglebutton_hint_hide"],
    ) == ("点击显示", "点击隐藏")


def glossary_terms() -> dict[str, str]:
    """English term -> its Chinese, from the English glossary."""
    text = (ROOT / "appendix" / "glossary.md").read_text(encoding="utf-8")
    terms = re.findall(
        r"^([A-Z][^\n]*)\n  ([^.\n(]+?)\s*(?:\([^)]*\))?\.", text, flags=re.M
    )
    return {en: zh.strip() for en, zh in terms}


TERMS = yaml.safe_load(
    (ROOT / "i18n" / "zh" / "terms.yml").read_text(encoding="utf-8")
)


def test_the_terminology_table_is_the_glossarys():
    glossary = glossary_terms()
    assert len(glossary) >= 25 and all(
        re.search(r"[\u4e00-\u9fff]", zh) for zh in glossary.values()
    )
    assert {en: entry["zh"] for en, entry in TERMS.items()} == glossary


def test_chinese_units_use_the_terminology_table():
    """Where an English unit uses a term, its Chinese uses the table's Chinese
    (or an accepted form).

    Text in double quotes, such as a quoted paper title, is not prose, and
    is left out.
    """
    misses = []
    for page in PAGES:
        for entry in i18n.load_store(page):
            if not entry["zh"].strip() or entry["zh"] == entry["en"]:
                continue
            prose = re.sub(r'"[^"\n]*"', "", entry["en"]).lower()
            for en, term in TERMS.items():
                pattern = (
                    r"\b"
                    + re.escape(en.lower()).replace(r"\-", "[- ]")
                    + r"(?:s|es)?\b"
                )
                forms = [term["zh"], *term.get("also", [])]
                if re.search(pattern, prose) and not any(
                    form in entry["zh"] for form in forms
                ):
                    misses.append(
                        f"{page}: {en} -> {term['zh']} in {entry['zh'][:50]!r}"
                    )
    assert misses == [], "\n".join(misses[:30])


# A glued call pasted into Chinese prose: its English text (key) instead of its
# Chinese twin (key_zh).
GLUED_CALL = re.compile(
    r"\{glue:text\}`(?:[^`:]*::)?([a-z0-9_]*verdict[a-z0-9_]*?)(?::[^`]*)?`"
)


def english_calls(zh: str) -> list[str]:
    """The verdict keys that a Chinese unit pastes in English (without the
    ``_zh`` twin).
    """
    return [
        k for k in GLUED_CALL.findall(zh) if not k.endswith(CALL_COMPANIONS)
    ]


def test_the_english_call_check_finds_one():
    assert english_calls("结论是 {glue:text}`simclr_verdict_raw_10`。") == [
        "simclr_verdict_raw_10"
    ]
    assert english_calls(
        "{glue:text}`04_code/04_3_simclr.ipynb::simclr_verdict_supervised_10:s`"
    ) == ["simclr_verdict_supervised_10"]
    assert (
        english_calls(
            "结论是 {glue:text}`simclr_verdict_raw_10_zh`，"
            "区间 {glue:text}`simclr_verdict_raw_10_lo:.3f`。"
        )
        == []
    )


def test_chinese_pages_paste_the_chinese_calls():
    """A call in Chinese prose is the _zh twin that the same run glued
    (sslbook.glue.glue_call), not English.
    """
    found = [
        f"{page}: {key}"
        for page in PAGES
        for entry in i18n.load_store(page)
        for key in english_calls(entry["zh"] or "")
    ]
    assert found == [], "\n".join(found)


GLUED = re.compile(r"\{glue:text\}`(?:([^`:]*)::)?([a-z0-9_]+)(?::[^`]*)?`")


def glued_in(notebook: Path) -> dict:
    """The values glued in ``notebook``, read once per version of the file:
    the checks below paste thousands of references to a few notebooks.
    """
    return _glued_in(notebook.resolve(), notebook.stat().st_mtime_ns)


@functools.lru_cache(maxsize=None)
def _glued_in(notebook: Path, mtime_ns: int) -> dict:
    import nbformat

    from nbcheck import glued

    return glued(nbformat.read(notebook, as_version=4))


def english_twins(page, zh: str) -> list[str]:
    """The keys that a Chinese unit of ``page`` pastes in English although the
    same run glued a ``_zh`` twin.
    """
    found = []
    for other, key in GLUED.findall(zh):
        source = (ROOT / page).parent / other if other else ROOT / page
        if source.suffix == ".ipynb" and f"{key}_zh" in glued_in(source):
            found.append(key)
    return found


def test_chinese_pages_paste_every_chinese_twin():
    """Settings chosen on validation, like calls, are pasted in Chinese where
    the run glued a _zh twin.
    """
    assert english_twins(NOTEBOOKS[0], "") == []
    assert english_twins(
        "chapters/05_future/05_3_masked_language.ipynb",
        "（{glue:text}`../04_code/04_1_word2vec.ipynb::w2v_chosen_settings`）",
    ) == ["w2v_chosen_settings"]
    found = [
        f"{page}: {key}"
        for page in NOTEBOOKS
        for entry in i18n.load_store(page)
        for key in english_twins(page, entry["zh"] or "")
    ]
    assert found == [], "\n".join(found)


ENGLISH_RUN = re.compile(
    r"[A-Za-z][A-Za-z'’-]*(?:[ ,]+[A-Za-z][A-Za-z'’-]*){2,}"
)
# English kept in Chinese prose on purpose, each with its reason.
ENGLISH_ALLOWED = {
    "bag of words": "the English term, glossed after its Chinese name",
    "term frequency, inverse document frequency": (
        "the English of TF-IDF, glossed"
    ),
    "skip-gram with negative sampling": "the English of SGNS, glossed",
    "normalised temperature-scaled cross-entropy": (
        "the English of NT-Xent, glossed"
    ),
    "principal component analysis": "the English of PCA, glossed",
    "out of vocabulary": "the English of OOV, glossed",
    "the capital of France is": (
        "an English example sentence for a masked language model"
    ),
    "a photo of a dog": "CLIP's English prompt, quoted",
    "a handwritten seven": "an English prompt, quoted",
    "Change runtime type": (
        "the name of Colab's menu item, which Colab shows in English"
    ),
    "Imagenet Classification with Deep Convolutional Neural Networks": (
        "a paper's title in the bibliography"
    ),
    "dog bites man": "an English example sentence about word order",
    "man bites dog": "an English example sentence about word order",
    "Bag of words": "an English glossary headword beside its Chinese",
    "Masked language modelling": (
        "an English glossary headword beside its Chinese"
    ),
    "Online and target networks": (
        "an English glossary headword beside its Chinese"
    ),
    "Principal component analysis": (
        "an English glossary headword beside its Chinese"
    ),
}
# The corrections page quotes the titles that the source article cites, as it
# cites them.
for title in (
    "Simple and Scalable Pretraining with Contrastive Learning "
    "for Image Recognition",
    "Language Models are Unsupervised Multitask Learners",
    "No-Rehearsal Siamese Neural Networks for Few-Shot Learning",
    "Simple, Scalable, and Robust Contrastive Learning "
    "for Large-Scale Deep Metric Learning",
    "A Decade of Progress",
    "A Fast Learning Algorithm for Deep Convolutional Networks",
    "Beyond Empirical Risk Minimization",
    "Trust Region Policy Optimization",
):
    ENGLISH_ALLOWED[title] = (
        "a title that the source article cites, quoted on the corrections page"
    )


def prose_of(unit: str) -> str:
    """A unit's prose: without code blocks (directives such as exercises stay),
    inline code, maths, roles and links.
    """
    kept, code, directives = [], None, []
    for line in unit.splitlines():
        fence = re.match(r"^\s*(`{3,}|~{3,})\s*(.*)$", line)
        if code is not None:
            if fence and fence.group(1) == code and not fence.group(2):
                code = None
            continue
        if (
            fence
            and not fence.group(2)
            and directives
            and directives[-1] == fence.group(1)
        ):
            directives.pop()
        elif fence and fence.group(2).startswith("{"):
            directives.append(fence.group(1))
        elif fence:
            code = fence.group(1)
        elif not re.match(r"^\s*:[a-z-]+:", line):  # a directive's option
            kept.append(line)
    text = "\n".join(kept)
    for pattern in (
        r"\$\$.*?\$\$",
        r"\$[^$]*\$",
        r"\{[a-z:-]+\}`[^`]*`",
        r"`[^`]*`",
        r"\]\([^)]*\)",
        r"https?://\S+",
    ):
        text = re.sub(pattern, " ", text, flags=re.S)
    return text


def english_runs(page, zh: str) -> list[str]:
    """The runs of three or more English words in a Chinese unit of ``page``,
    glued values pasted, allowed ones left out.
    """
    from nbcheck import literal

    def value(match: re.Match) -> str:
        other, key = match.groups()
        source = (ROOT / page).parent / other if other else ROOT / page
        if source.suffix != ".ipynb":
            return ""
        found = glued_in(source).get(key)
        return "" if found is None else f"（{literal(found)}）"

    text = prose_of(GLUED.sub(value, zh))
    return [
        run for run in ENGLISH_RUN.findall(text) if run not in ENGLISH_ALLOWED
    ]


def test_the_english_run_check_finds_one():
    page = "chapters/04_code/04_3_simclr.ipynb"
    assert english_runs(
        page,
        "结论是 SimCLR beats the supervised CNN（Welch 检验 p = 0.042）。",
    ) == ["SimCLR beats the supervised CNN"]
    assert english_runs(
        page, "按本书的规则，{glue:text}`simclr_verdict_raw_10`。"
    )  # an English call, pasted
    assert (
        english_runs(
            page, "按本书的规则，{glue:text}`simclr_verdict_raw_10_zh`。"
        )
        == []
    )
    assert (
        english_runs(
            page,
            "```python\nfrom torch import nn\n```\n"
            "用 `from torch import nn` 导入，$a and b$。",
        )
        == []
    )
    assert english_runs(
        page,
        "```{exercise} 标题\n:label: ex-one-two-three\n"
        "这是 the English words here。\n```",
    ) == ["the English words here"]


def test_chinese_prose_has_no_english_sentences():
    """No Chinese unit, with every glued value pasted, holds three English
    words in a row outside code, maths and the allowed list.
    """
    found = [
        f"{page}: {run!r}"
        for page in PAGES
        for entry in i18n.load_store(page)
        for run in english_runs(page, entry["zh"] or "")
    ]
    assert found == [], "\n".join(found)


@pytest.mark.book
def test_every_toc_page_is_in_the_chinese_site(site):
    assert site.zh_returncode == 0, site.zh_log[-3000:]
    missing = [
        stem
        for stem in read_toc_files()
        if not (site.html / "zh" / f"{stem}.html").is_file()
    ]
    assert missing == []


@pytest.mark.book
def test_chinese_site_builds_without_warnings(site):
    warnings = [
        line
        for line in site.zh_log.splitlines()
        if "WARNING" in line or "ERROR" in line
    ]
    assert site.zh_returncode == 0 and not warnings, (
        "\n".join(warnings) or site.zh_log[-3000:]
    )


@pytest.mark.book
def test_chinese_pages_say_they_are_chinese(site):
    page = (site.html / "zh" / "chapters" / "06_faq.html").read_text(
        encoding="utf-8"
    )
    assert '<html lang="zh-CN"' in page
    assert re.search(r"[\u4e00-\u9fff]{20}", page)
    assert (
        "let toggleHintShow = '点击显示';" in page
        and "Click to show" not in page
    )
    assert (
        "打印为 PDF" in page and "列印" not in page
    )  # mainland wording over the theme's Taiwanese
    english = (site.html / "chapters" / "06_faq.html").read_text(
        encoding="utf-8"
    )
    assert (
        "Print to PDF" in english
    )  # the English site keeps the theme's own words
