"""The notebook editions for Colab and Jupyter (tools/editions.py): current,
free of MyST, their code the book's, and every number, figure, citation and
link the website's.
"""

from __future__ import annotations

import html
import re
from pathlib import Path
from urllib.parse import urlsplit

import nbformat
import pytest

import editions
from editions import MD, EditionError, Page, load_book, notebook_docs

ROOT = Path(__file__).resolve().parents[1]
LANGS = ("en", "zh")


@pytest.fixture(scope="module")
def books():
    return {lang: load_book(lang) for lang in LANGS}


def edition_paths() -> list[Path]:
    return sorted((ROOT / "editions").rglob("*.ipynb"))


def test_editions_are_up_to_date():
    assert editions.stale() == [], "run: python tools/editions.py build"


def test_every_notebook_of_both_books_has_an_edition(books):
    for lang, book in books.items():
        docs = notebook_docs(book)
        assert len(docs) == 16
        for docname in docs:
            assert (ROOT / "editions" / lang / f"{docname}.ipynb").is_file()


def myst_left(source: str) -> list[str]:
    """MyST constructs in a Markdown source, found by the parser and by their
    line syntax.
    """
    found = []
    for token in MD.parse(source):
        if token.type in (
            "myst_target",
            "myst_line_comment",
            "myst_block_break",
        ):
            found.append(token.type)
        if token.type in ("fence", "colon_fence") and token.info.startswith(
            "{"
        ):
            found.append(token.info)
        found += [
            f"{{{c.meta['name']}}}"
            for c in token.children or []
            if c.type == "myst_role"
        ]
    found += re.findall(
        r"(?m)^:[\w-]+:.*$|^\(.+\)=\s*$|^(?:```|:::)\{.*$", source
    )
    return found


def test_the_myst_check_finds_each_construct():
    for source in (
        "{glue:text}`x`",
        "```{note}\nhi\n```",
        "(target)=\n# T",
        ":label: x",
        ":::{exercise}\nx\n:::",
    ):
        assert myst_left(source), source
    assert myst_left("Plain *text* with `code` and $x$.") == []


@pytest.mark.parametrize(
    "path",
    edition_paths(),
    ids=lambda p: str(p.relative_to(ROOT / "editions")),
)
def test_no_myst_survives_in_an_edition(path):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            assert myst_left(cell.source) == [], cell.source[:300]


@pytest.mark.parametrize(
    "path",
    edition_paths(),
    ids=lambda p: str(p.relative_to(ROOT / "editions")),
)
def test_code_cells_are_the_books_cell_for_cell(path):
    lang, rel = (
        path.relative_to(ROOT / "editions").parts[0],
        Path(*path.relative_to(ROOT / "editions").parts[1:]),
    )
    source = nbformat.read(
        (ROOT if lang == "en" else ROOT / lang) / rel, as_version=4
    )
    edition = nbformat.read(path, as_version=4)
    book_code = [c for c in source.cells if c.cell_type == "code"]
    edition_code = [c for c in edition.cells if c.cell_type == "code"]
    assert [c.source for c in edition_code] == [c.source for c in book_code]
    assert [c.outputs for c in edition_code] == [c.outputs for c in book_code]
    hidden = [
        c
        for c in edition_code[1:]
        if "remove-cell" in c.metadata.get("tags", [])
    ]
    for cell in (
        hidden
    ):  # glue-only cells folded, not removed; the set-up cell stays open
        assert (
            cell.metadata["cellView"] == "form"
            and cell.metadata["jupyter"]["source_hidden"]
        )
    assert "cellView" not in edition_code[0].metadata


def test_an_edition_starts_with_where_its_numbers_come_from():
    nb = nbformat.read(
        ROOT / "editions/en/chapters/01_background.ipynb", as_version=4
    )
    first = nb.cells[0].source
    assert (
        nb.cells[0].cell_type == "markdown"
        and "book's own run" in first
        and "appendix/protocol.html" in first
    )


def convert(
    book, source: str, docname: str = "chapters/04_code/04_3_simclr"
) -> str:
    return Page(book, docname).markdown(source)


def test_unknown_constructs_fail_loudly(books):
    book = books["en"]
    for source in (
        "{unknownrole}`x`",
        "```{mystery}\nx\n```",
        "{doc}`no/such/page`",
        "{numref}`no-such-figure`",
        "{cite:p}`nosuchkey2020`",
        "{term}`no such term`",
        "{glue:text}`no_such_key`",
        "- item\n\n  ```{note}\n  nested\n  ```",
        "{numref}`sgns-gradient`",
        "Term\n: a definition",
        "Hello {{ name }}.",
    ):
        with pytest.raises(EditionError):
            convert(book, source)


def test_the_role_scanner_reads_backtick_runs_whole():
    def roles(text):
        return [
            (text[start:end], name, content)
            for start, end, name, content in editions.find_roles(text)
        ]

    assert roles("``a ` {doc}`b` c`` then {doc}`x`") == [
        ("{doc}`x`", "doc", "x")
    ]
    assert roles(r"an escaped \` then {term}`y`") == [
        ("{term}`y`", "term", "y")
    ]
    assert roles("{doc}``a`b``") == [("{doc}``a`b``", "doc", "a`b")]


def test_a_ref_to_a_figure_or_an_exercise_is_named_by_its_number(books):
    book = books["en"]
    assert convert(book, "{ref}`fig-simclr-loss`").startswith(
        f"[Fig. {book.numbers['fig-simclr-loss']}]("
    )
    assert convert(book, "{ref}`ex-4-3-significance`").startswith(
        f"[Exercise {book.numbers['ex-4-3-significance']}]("
    )


def test_roles_in_code_spans_and_fences_stay_as_written(books):
    source = (
        "Write `{glue:text}` then a key.\n\n```python\nx = '{doc}`a`'\n```"
    )
    assert convert(books["en"], source) == source


def test_each_construct_becomes_plain_markdown(books):
    book = books["en"]
    out = convert(
        book,
        "See {numref}`fig-simclr-loss` and {doc}`04_2_autoencoder`, "
        "after {cite:t}`chen2020simple`.",
    )
    site = book.site
    assert (
        f"[Fig. {book.numbers['fig-simclr-loss']}]"
        f"({site}chapters/04_code/04_3_simclr.html#fig-simclr-loss)"
    ) in out
    assert (
        "[A convolutional autoencoder]"
        f"({site}chapters/04_code/04_2_autoencoder.html)"
    ) in out
    assert f"Chen *et al.* [[2020]({site}appendix/bibliography.html)]" in out
    warning = convert(book, "```{warning}\nBe careful with $x$.\n```")
    assert warning == "> **Warning**\n>\n> Be careful with $x$."
    solution = convert(
        book,
        "```{solution} ex-4-3-significance\n:class: dropdown\n\nBecause.\n```",
    )
    assert solution.startswith(
        "<details>\n<summary>Solution to Exercise 4."
    ) and solution.endswith("Because.\n\n</details>")


def test_a_glued_value_is_pasted_with_its_format_and_escaped(books):
    page = Page(books["en"], "chapters/04_code/04_3_simclr")
    store = editions.glue_store(page.path)
    key = next(
        k
        for k, v in store.items()
        if re.fullmatch(r"0\.\d{4,}", v.get("text/plain", ""))
    )
    assert (
        page.markdown(f"{{glue:text}}`{key}:.2f`")
        == f"{float(store[key]['text/plain']):.2f}"
    )
    assert editions.escape("a*b_c <d> |e|") == r"a\*b\_c \<d\> \|e\|"


def test_a_pasted_text_with_markdown_characters_stays_literal(
    books, monkeypatch
):
    monkeypatch.setattr(
        editions,
        "glue_store",
        lambda path: {"k": {"text/plain": "'p < 0.05 *or* [a](b)'"}},
    )
    page = Page(books["en"], "chapters/04_code/04_3_simclr")
    assert (
        page.markdown("It says {glue:text}`k`.")
        == r"It says p \< 0.05 \*or\* \[a\](b)."
    )
    assert page.pasted == ["p < 0.05 *or* [a](b)"]


# --- against the built website -----------------------------------------------


def site_page(site, lang: str, docname: str) -> str:
    html_root = site.html if lang == "en" else site.html / "zh"
    return (html_root / f"{docname}.html").read_text(encoding="utf-8")


def plain(fragment: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", fragment))


@pytest.mark.book
@pytest.mark.parametrize("lang", LANGS)
def test_pasted_numbers_and_citations_are_the_websites(site, books, lang):
    book = books[lang]
    for docname in notebook_docs(book):
        page = Page(book, docname)
        page.notebook()
        text = site_page(site, lang, docname)
        pasted = [
            html.unescape(v)
            for v in re.findall(
                r'<span class="pasted-text">([^<]*)</span>', text
            )
        ]
        # Sphinx curls every straight quote of a page, prose and pasted text
        # alike; an edition leaves them all as written.
        assert page.pasted == [v.replace("\u2019", "'") for v in pasted], (
            docname
        )
        cited = [
            plain(m)
            for m in re.findall(
                r'<span class="bibtex-citation"[^>]*>(.*?)</span>', text, re.S
            )
        ]
        assert page.cited == cited, docname


@pytest.mark.book
@pytest.mark.parametrize("lang", LANGS)
def test_figure_and_exercise_numbers_are_the_websites(site, books, lang):
    book = books[lang]
    words = editions.WORDS[lang]
    for docname, doc in book.docs.items():
        if not doc.figures and not doc.exercises:
            continue
        text = site_page(site, lang, docname)
        for name in doc.figures:
            match = re.search(
                rf'id="{re.escape(name)}"[\s\S]*?'
                r'<span class="caption-number">([^<]*)</span>',
                text,
            )
            assert (
                match
                and match.group(1).strip()
                == f"{words['fig']} {book.numbers[name]}"
            ), (docname, name)
        for label in doc.exercises:
            match = re.search(
                rf'id="{re.escape(label)}"[\s\S]*?'
                r'<span class="caption-number">([^<]*)</span>',
                text,
            )
            assert (
                match
                and match.group(1).strip()
                == f"{words['exercise']} {book.numbers[label]}"
            ), (docname, label)


LINK = re.compile(r"!?\[(?:[^\[\]]|\\\[|\\\]|\[[^\]]*\])*\]\(([^)\s]+)\)")


@pytest.mark.book
def test_every_link_and_image_of_an_edition_is_on_the_website(site, books):
    checked = 0
    for path in edition_paths():
        lang = path.relative_to(ROOT / "editions").parts[0]
        base = books[lang].site
        html_root = site.html if lang == "en" else site.html / "zh"
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type != "markdown":
                continue
            for url in LINK.findall(cell.source):
                if not url.startswith(base):
                    continue  # an outside link, written in the book's prose
                rel, anchor = (
                    urlsplit(url).path[len(urlsplit(base).path) :],
                    urlsplit(url).fragment,
                )
                target = html_root / rel
                assert target.is_file(), (path.name, url)
                if anchor:
                    assert f'id="{anchor}"' in target.read_text(
                        encoding="utf-8"
                    ), (path.name, url)
                checked += 1
    assert checked > 500


def test_launch_buttons_open_the_editions(book_config):
    from i18n import zh_config

    assert book_config["repository"]["path_to_book"] == "editions/en"
    assert zh_config()["repository"]["path_to_book"] == "editions/zh"
