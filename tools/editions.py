"""The Colab and Jupyter editions: every notebook as plain Markdown,
numbers included.

Usage, from the repository root with the venv active:

    python tools/editions.py build    # rewrite editions/en/ and editions/zh/
    python tools/editions.py check    # fail when an edition is out of date

Classic Jupyter, JupyterLab and Colab render none of MyST's roles and
directives, and none of them can read the glue that fills the website's
numbers. This tool writes, for each notebook of the English book
(``chapters/``) and of the Chinese one (``zh/chapters/``), a copy under
``editions/en/`` or ``editions/zh/`` in which:

- every ``{glue:text}`` role is the glued value, read from the stored outputs
  and formatted by myst-nb's own function, as the website formats it;
- ``{numref}`` is "Fig. 4.1" (图 4.1), citations are author-year, and
  ``{doc}``, ``{ref}``, ``{term}`` and ``{numref}`` are links to the website;
- admonitions are quotes with a bold title, exercises are headed sections and
  each solution is folded in ``<details>``; figures are images under the
  website's address with their caption below; a plot's caption is a line
  after the plot; targets and directive options are dropped;
- code cells are byte-identical to the source's; the glue-only cells (tagged
  ``remove-cell``) are collapsed, not removed, since some define variables;
- a first cell says where the numbers come from and links the website.

The Markdown is parsed with the parser the website uses (myst-parser's
markdown-it configuration), not with regular expressions; a construct the
tool does not know makes it fail. The launch buttons of every page open that
page's edition (``repository.path_to_book`` in ``_config.yml``).
"""

from __future__ import annotations

import argparse
import copy
import functools
import posixpath
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import yaml
from markdown_it.renderer import RendererHTML
from myst_nb.core.variables import format_plain_text
from myst_nb.ext.glue import extract_glue_data_cell
from myst_parser.config.main import MdParserConfig
from myst_parser.parsers.mdit import create_md_parser

ROOT = Path(__file__).resolve().parents[1]
EDITIONS = Path("editions")
#: The tag of the glue-only cells (and of the Colab set-up cell, which stays
#: open).
HIDDEN_TAG = "remove-cell"

#: What the website prints for each construct, by language (Sphinx's,
#: sphinx-exercise's and this book's own Chinese catalogues).
WORDS = {
    "en": {
        "fig": "Fig.",
        "exercise": "Exercise",
        "solution": "Solution to",
        "warning": "Warning",
    },
    "zh": {
        "fig": "图",
        "exercise": "练习",
        "solution": "解答",
        "warning": "警告",
    },
}

#: Said in the first cell when some numbers are pasted from other pages, with
#: their count.
OTHERS = {
    "en": " ({n} of them come from other pages, whose notebooks compute them)",
    "zh": "（其中 {n} 个来自其他页面，由那些页面的 notebook 算出）",
}

FIRST_CELL = {
    "en": (
        "> This is the notebook edition of [{title}]({page}), a page of "
        "[{book}]({home}), for Jupyter and Colab. Every number in its text "
        "was pasted from the book's own run, stored in the outputs of the "
        "book's notebooks{others}. A re-run on your machine gives the same "
        "numbers up to their last digits, and sometimes a little more: "
        "[how this book measures]({protocol}) says how much, and why."
    ),
    "zh": (
        "> 这是[{book}]({home})中[{title}]({page})一页的 notebook 版，"
        "供 Jupyter 和 Colab 使用。"
        "正文中的每个数字都取自本书自己的运行，"
        "存放在本书各个 notebook 的输出中{others}。"
        "在你的机器上重新运行，数字会在末位上有所不同，"
        "有时还会略多一些：差多少、为什么，见[本书的测量方法]({protocol})。"
    ),
}


class EditionError(ValueError):
    """A construct that the editions cannot render: fail loudly, never pass
    MyST through.
    """


def md_parser():
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    extensions = set(config["parse"]["myst_enable_extensions"])
    return create_md_parser(
        MdParserConfig(enable_extensions=extensions), RendererHTML
    )


MD = md_parser()
ROLE = re.compile(r"\{([a-zA-Z0-9_:+-]+)\}(`+)")
ESCAPE = re.compile(r"([\\`*_\[\]<>|$#])")


def escape(text: str) -> str:
    """``text`` as literal Markdown: no emphasis, link, HTML, maths or table
    cell.
    """
    return ESCAPE.sub(r"\\\1", text)


def find_roles(text: str) -> list[tuple[int, int, str, str]]:
    """``(start, end, name, content)`` of every MyST role in ``text``, code
    spans skipped.

    A role is ``{name}`` followed at once by a code span, the syntax that
    myst-parser's role rule reads; any other backtick run opens a code span
    whose content is left alone.
    """
    roles, runs = [], [m for m in re.finditer(r"(?<!\\)`+", text)]
    i = 0
    while i < len(runs):
        opening = runs[i]
        tick, run = opening.start(), len(opening.group())
        # a code span closes at the next run of exactly as many backticks
        j = next(
            (
                k
                for k in range(i + 1, len(runs))
                if len(runs[k].group()) == run
            ),
            None,
        )
        if j is None:
            i += 1
            continue
        close = runs[j].start()
        head = re.search(r"\{([a-zA-Z0-9_:+-]+)\}$", text[:tick])
        if head:
            content = text[tick + run : close]
            roles.append((head.start(), close + run, head.group(1), content))
        i = j + 1
    return roles


def parsed_roles(tokens) -> list[tuple[str, str]]:
    """``(name, content)`` of every role the MyST parser found in ``tokens``,
    in order.
    """
    found = []
    for token in tokens:
        for child in token.children or []:
            if child.type == "myst_role":
                found.append((child.meta["name"], child.content))
    return found


@dataclass
class Doc:
    """One page of a book: its title, figures and exercises, and the labels it
    defines.
    """

    name: str  # the docname, e.g. chapters/04_code/04_3_simclr
    title: str
    figures: list[str] = field(default_factory=list)  # names, in page order
    exercises: list[str] = field(default_factory=list)  # labels, in page order
    targets: dict[str, str] = field(
        default_factory=dict
    )  # label -> heading text


@dataclass
class Book:
    """What a page's links and numbers need from the whole book, in one
    language.
    """

    lang: str
    source: Path  # the book's root: ROOT or ROOT / "zh"
    site: str  # the website's address for this language, ending in "/"
    docs: dict[str, Doc]
    numbers: dict[str, str]  # figure name or exercise label -> "4.1"
    labels: dict[str, tuple[str, str]]  # target -> (docname, title)
    terms: dict[
        str, str
    ]  # term, lower case -> its anchor on the glossary page
    citations: dict[str, tuple[str, str]]  # bibtex key -> (authors, year)

    def url(self, docname: str, anchor: str = "") -> str:
        return f"{self.site}{docname}.html" + (f"#{anchor}" if anchor else "")


def toc_docs(root: Path) -> tuple[list[str], list[list[str]]]:
    """Every docname of ``root``'s _toc.yml, and the numbered chapters'
    docnames.
    """
    toc = yaml.safe_load((root / "_toc.yml").read_text(encoding="utf-8"))
    every, chapters = [toc["root"]], []
    for part in toc["parts"]:
        for chapter in part["chapters"]:
            names = [chapter["file"]] + [
                s["file"] for s in chapter.get("sections", [])
            ]
            every += names
            if part.get("numbered"):
                chapters.append(names)
    return every, chapters


def page_markdown(path: Path) -> list[tuple[str, dict]]:
    """``(markdown, code cell metadata)`` pieces of a page, in order."""
    if path.suffix == ".md":
        return [(path.read_text(encoding="utf-8"), {})]
    nb = nbformat.read(path, as_version=4)
    return [
        (c.source, {}) if c.cell_type == "markdown" else ("", c.metadata)
        for c in nb.cells
    ]


def directive(token) -> tuple[str, str, dict[str, str], str]:
    """``(name, argument, options, body)`` of a directive's fence token."""
    match = re.fullmatch(r"\{([\w:-]+)\}\s*(.*)", token.info.strip())
    if not match:
        raise EditionError(f"not a directive: {token.info!r}")
    lines, options = token.content.splitlines(), {}
    while lines and re.match(r":[\w-]+:", lines[0]):
        key, _, value = lines.pop(0)[1:].partition(":")
        options[key] = value.strip()
    if lines and lines[0].strip() == "---":
        raise EditionError(
            f"YAML options in {{{match.group(1)}}} are not supported"
        )
    return (
        match.group(1),
        match.group(2),
        options,
        "\n".join(lines).strip("\n"),
    )


def scan(docname: str, path: Path) -> Doc:
    """A page's title, figures, exercises and targets, from the parsed
    Markdown.
    """
    doc = Doc(docname, "")

    def walk(tokens) -> None:
        pending = None
        for i, token in enumerate(tokens):
            if token.type == "myst_target":
                pending = token.content
            elif token.type == "heading_open":
                text = tokens[i + 1].content
                if not doc.title and token.tag == "h1":
                    doc.title = text
                if pending:
                    doc.targets[pending] = text
                pending = None
            elif token.type in (
                "fence",
                "colon_fence",
            ) and token.info.startswith("{"):
                name, _, options, body = directive(token)
                if name == "figure":
                    doc.figures.append(options["name"])
                elif name == "exercise":
                    doc.exercises.append(options["label"])
                walk(MD.parse(body))

    for markdown, metadata in page_markdown(path):
        if markdown:
            walk(MD.parse(markdown))
        figure = metadata.get("mystnb", {}).get("figure")
        if figure and "name" in figure:
            doc.figures.append(figure["name"])
    return doc


def latex_text(text: str) -> str:
    from pybtex.richtext import Text

    return Text.from_latex(text).render(_text_backend())


@functools.lru_cache(maxsize=None)
def _text_backend():
    """pybtex's plain-text backend, looked up once: ``render_as`` reads every
    installed package's entry points on each call.
    """
    from pybtex.plugin import find_plugin

    return find_plugin("pybtex.backends", "text")()


def citations(root: Path) -> dict[str, tuple[str, str]]:
    """Each reference's author-year label, as sphinxcontrib-bibtex's
    author_year style writes it.
    """
    from pybtex.database import parse_file

    entries = {}
    for key, entry in parse_file(str(root / "references.bib")).entries.items():
        people = entry.persons.get("author") or entry.persons.get("editor")
        last = [
            " ".join(filter(None, [
                "\u00a0".join(map(latex_text, p.prelast_names)),
                " ".join(map(latex_text, p.last_names)),
            ]))
            for p in people
        ]  # fmt: skip
        if len(last) == 1:
            authors = last[0]
        elif len(last) == 2:
            authors = f"{last[0]} and {last[1]}"
        else:
            authors = f"{last[0]} *et al.*"
        entries[key] = (authors, entry.fields["year"])
    return entries


def glossary_terms(path: Path) -> dict[str, str]:
    """Every term of the glossary page, lower case, with its anchor (Sphinx's
    ``term-`` ids).
    """
    text = path.read_text(encoding="utf-8")
    body = re.search(r"```\{glossary\}\n(.*?)\n```", text, re.S).group(1)
    terms = {}
    for line in body.splitlines():
        if line.strip() and not line.startswith((" ", "\t", ":")):
            terms[line.strip().lower()] = "term-" + re.sub(
                r"[^\w]+", "-", line.strip()
            ).strip("-")
    return terms


def load_book(lang: str, root: Path = ROOT) -> Book:
    source = root if lang == "en" else root / lang
    config = yaml.safe_load((root / "_config.yml").read_text(encoding="utf-8"))
    site = (
        config["html"]["baseurl"].rstrip("/")
        + "/"
        + ("" if lang == "en" else f"{lang}/")
    )
    every, chapters = toc_docs(source)
    docs = {}
    for name in every:
        path = next(
            p
            for p in (source / f"{name}.ipynb", source / f"{name}.md")
            if p.exists()
        )
        docs[name] = scan(name, path)
    numbers = {}
    for number, names in enumerate(chapters, start=1):
        figures = [f for name in names for f in docs[name].figures]
        exercises = [e for name in names for e in docs[name].exercises]
        numbers.update(
            {f: f"{number}.{i}" for i, f in enumerate(figures, start=1)}
        )
        numbers.update(
            {e: f"{number}.{i}" for i, e in enumerate(exercises, start=1)}
        )
    labels = {
        label: (doc.name, title)
        for doc in docs.values()
        for label, title in doc.targets.items()
    }
    for doc in docs.values():
        labels.update({f: (doc.name, "") for f in doc.figures})
        labels.update({e: (doc.name, "") for e in doc.exercises})
    terms = glossary_terms(source / "appendix" / "glossary.md")
    return Book(
        lang, source, site, docs, numbers, labels, terms, citations(root)
    )


def glue_store(path: Path) -> dict[str, dict]:
    """The glued outputs of a stored notebook, key -> output data, as myst-nb
    extracts them.
    """
    nb = nbformat.read(path, as_version=4)
    store = {}
    for cell in nb.cells:
        if cell.cell_type == "code":
            for key, output in extract_glue_data_cell(copy.deepcopy(cell)):
                store[key] = output["data"]
    return store


class Page:
    """One notebook page turned into plain Markdown."""

    def __init__(self, book: Book, docname: str):
        self.book, self.docname = book, docname
        self.path = book.source / f"{docname}.ipynb"
        self._stores: dict[Path, dict] = {}
        #: What the website shows for each glue role and citation, in page
        #: order (for the tests).
        self.pasted: list[str] = []
        self.cited: list[str] = []
        self.from_other_pages = 0  # glued values pasted from another notebook

    # --- roles -------------------------------------------------------------
    def glue(self, content: str) -> str:
        parts = content.rsplit(
            ":", 1
        )  # myst-nb's own reading of <doc>::<key>:<format>
        key, spec = parts if len(parts) == 2 else (parts[0], "s")
        doc, name = key.split("::", 1) if "::" in key else ("", key)
        path = (self.path.parent / doc).resolve() if doc else self.path
        self.from_other_pages += bool(doc)
        if path not in self._stores:
            self._stores[path] = glue_store(path)
        store = self._stores[path]
        if name not in store or "text/plain" not in store[name]:
            raise EditionError(
                f"{self.docname}: no text/plain glued under {content!r}"
            )
        self.pasted.append(format_plain_text(store[name]["text/plain"], spec))
        return escape(self.pasted[-1])

    def resolve(self, target: str) -> str:
        """A ``{doc}`` target, relative to this page, as a docname."""
        name = posixpath.normpath(
            posixpath.join(posixpath.dirname(self.docname), target)
        )
        if name not in self.book.docs:
            raise EditionError(
                f"{self.docname}: {{doc}} to {target!r}, "
                "which is not a page of the book"
            )
        return name

    def role(self, name: str, content: str) -> str:
        book, words = self.book, WORDS[self.book.lang]
        explicit = re.fullmatch(r"(.*?)\s*<([^<>]+)>", content, re.S)
        text, target = (
            (explicit.group(1), explicit.group(2))
            if explicit
            else ("", content)
        )
        if name == "glue:text":
            return self.glue(content)
        if name == "doc":
            docname = self.resolve(target)
            return f"[{text or book.docs[docname].title}]({book.url(docname)})"
        if name in ("ref", "numref"):
            if target not in book.labels:
                raise EditionError(
                    f"{self.docname}: {{{name}}} to unknown label {target!r}"
                )
            docname, title = book.labels[target]
            number = book.numbers.get(target)
            if name == "numref" and (
                number is None or target not in book.docs[docname].figures
            ):
                raise EditionError(
                    f"{self.docname}: {{numref}} to {target!r}, "
                    "which is not a numbered figure"
                )
            if name == "numref":
                label = (
                    text.replace("%s", number)
                    if text
                    else f"{words['fig']} {number}"
                )
            else:
                is_exercise = bool(number) and (
                    target in book.docs[docname].exercises
                )
                kind = words["exercise" if is_exercise else "fig"]
                label = text or title or f"{kind} {number}"
            return f"[{label}]({book.url(docname, target)})"
        if name == "term":
            anchor = book.terms.get(target.lower())
            if anchor is None:
                raise EditionError(
                    f"{self.docname}: {{term}} {target!r} "
                    "is not in the glossary"
                )
            return (
                f"[{text or target}]({book.url('appendix/glossary', anchor)})"
            )
        if name in ("cite:p", "cite:t"):
            keys = [k.strip() for k in content.split(",")]
            # sphinxcontrib-bibtex sorts a citation's references by author and
            # year
            if name == "cite:p":
                keys.sort(
                    key=lambda k: (
                        book.citations.get(k, ("", ""))[0].lower(),
                        book.citations.get(k, ("", ""))[1],
                    )
                )
            unknown = [k for k in keys if k not in book.citations]
            if unknown:
                raise EditionError(
                    f"{self.docname}: citation of unknown references {unknown}"
                )
            bib = book.url("appendix/bibliography")
            labels = [
                (book.citations[k][0].replace("*", ""), book.citations[k][1])
                for k in keys
            ]
            if name == "cite:t":
                self.cited.append(", ".join(f"{a} [{y}]" for a, y in labels))
                return ", ".join(
                    f"{book.citations[k][0]} [[{book.citations[k][1]}]({bib})]"
                    for k in keys
                )
            self.cited.append(
                "[" + ", ".join(f"{a}, {y}" for a, y in labels) + "]"
            )
            return (
                "["
                + ", ".join(
                    f"[{book.citations[k][0]}, {book.citations[k][1]}]({bib})"
                    for k in keys
                )
                + "]"
            )
        raise EditionError(f"{self.docname}: unknown role {{{name}}}")

    def inline(self, text: str, tokens) -> str:
        """``text`` with every role replaced; the roles must be those the
        parser found.
        """
        found = find_roles(text)
        expected = parsed_roles(tokens)
        if [(n, c) for _, _, n, c in found] != expected:
            raise EditionError(
                f"{self.docname}: roles found {found} "
                f"differ from the parser's {expected}"
            )
        out, last = [], 0
        for start, end, name, content in found:
            out += [text[last:start], self.role(name, content)]
            last = end
        return "".join(out) + text[last:]

    # --- blocks ------------------------------------------------------------
    def markdown(self, source: str) -> str:
        """A MyST Markdown source as plain Markdown."""
        lines = source.splitlines()
        tokens = MD.parse(source)
        blocks, i = [], 0
        while i < len(tokens):
            token = tokens[i]
            if token.level != 0 or token.map is None:
                i += 1
                continue
            j = i
            if (
                token.nesting == 1
            ):  # an opening tag: the block runs to its closing tag
                depth = 0
                for j in range(i, len(tokens)):
                    depth += tokens[j].nesting
                    if depth == 0:
                        break
            inner = tokens[i : j + 1]
            for t in inner[1:]:
                if t.type in ("fence", "colon_fence") and t.info.startswith(
                    "{"
                ):
                    raise EditionError(
                        f"{self.docname}: a directive inside a list or quote: "
                        f"{t.info!r}"
                    )
            raw = "\n".join(lines[token.map[0] : token.map[1]]).strip("\n")
            kinds = {t.type for t in inner} | {
                c.type for t in inner for c in t.children or []
            }
            if any(kind.startswith("substitution") for kind in kinds):
                raise EditionError(
                    f"{self.docname}: a MyST substitution {{{{ }}}}, "
                    "which the editions do not render"
                )
            blocks.append(self.block(token, inner, raw))
            i = j + 1
        return "\n\n".join(b for b in blocks if b)

    def block(self, token, inner, raw: str) -> str:
        kind = token.type
        if kind in (
            "myst_target",
            "myst_line_comment",
            "myst_block_break",
            "front_matter",
        ):
            return ""
        if kind in ("fence", "colon_fence") and token.info.startswith("{"):
            return self.directive(token)
        if kind in ("fence", "code_block", "math_block", "hr", "html_block"):
            if kind == "html_block" and find_roles(raw):
                raise EditionError(f"{self.docname}: a role inside HTML")
            return raw
        if kind in (
            "paragraph_open",
            "heading_open",
            "bullet_list_open",
            "ordered_list_open",
            "blockquote_open",
            "table_open",
        ):
            return self.inline(raw, inner)
        raise EditionError(f"{self.docname}: unknown block {kind!r}")

    def directive(self, token) -> str:
        words, book = WORDS[self.book.lang], self.book
        name, argument, options, body = directive(token)
        if name in ("warning", "admonition", "note", "tip"):
            title = (
                argument
                if name == "admonition"
                else words.get(name, name.title())
            )
            title = (
                self.inline(title, MD.parseInline(title)) if title else title
            )
            text = f"**{title}**\n\n{self.markdown(body)}"
            return "\n".join(
                "> " + line if line else ">" for line in text.splitlines()
            )
        if name == "figure":
            src = posixpath.normpath(
                posixpath.join(posixpath.dirname(self.docname), argument)
            )
            url = f"{book.site}_images/{posixpath.basename(src)}"
            number = book.numbers[options["name"]]
            caption = self.markdown(body)
            alt = (
                options.get("alt", "").replace("]", "\\]").replace("[", "\\[")
            )
            return f"![{alt}]({url})\n\n**{words['fig']} {number}.** {caption}"
        if name == "exercise":
            number = book.numbers[options["label"]]
            title = f" ({argument})" if argument else ""
            title = (
                self.inline(title, MD.parseInline(title)) if title else title
            )
            return (
                f"### {words['exercise']} {number}{title}\n\n"
                f"{self.markdown(body)}"
            )
        if name == "solution":
            number = book.numbers.get(argument)
            if number is None:
                raise EditionError(
                    f"{self.docname}: a solution to unknown exercise "
                    f"{argument!r}"
                )
            summary = f"{words['solution']} {words['exercise']} {number}"
            return (
                f"<details>\n<summary>{summary}</summary>\n\n"
                f"{self.markdown(body)}\n\n</details>"
            )
        raise EditionError(f"{self.docname}: unknown directive {{{name}}}")

    # --- the notebook ------------------------------------------------------
    def notebook(self) -> nbformat.NotebookNode:
        nb = nbformat.read(self.path, as_version=4)
        out = copy.deepcopy(nb)
        cells = []
        first_code = next(
            i for i, c in enumerate(nb.cells) if c.cell_type == "code"
        )
        for index, cell in enumerate(nb.cells):
            cell = copy.deepcopy(cell)
            if cell.cell_type == "markdown":
                cell.source = self.markdown(cell.source)
                cells.append(cell)
                continue
            if (
                HIDDEN_TAG in cell.metadata.get("tags", [])
                and index != first_code
            ):
                cell.metadata["cellView"] = "form"  # Colab: the code folded
                cell.metadata.setdefault("jupyter", {})["source_hidden"] = (
                    True  # JupyterLab
                )
            cells.append(cell)
            figure = cell.metadata.get("mystnb", {}).get("figure")
            if figure and "caption" in figure:
                number = self.book.numbers[figure["name"]]
                caption = self.markdown(figure["caption"])
                cells.append(
                    nbformat.v4.new_markdown_cell(
                        f"**{WORDS[self.book.lang]['fig']} {number}.** "
                        f"{caption}"
                    )
                )
        doc = self.book.docs[self.docname]
        title = doc.title
        first = FIRST_CELL[self.book.lang].format(
            title=escape(title),
            page=self.book.url(self.docname),
            book=escape(book_title(self.book)),
            home=self.book.site + "intro.html",
            protocol=self.book.url("appendix/protocol"),
            others=(
                OTHERS[self.book.lang].format(n=self.from_other_pages)
                if self.from_other_pages
                else ""
            ),
        )
        out.cells = [nbformat.v4.new_markdown_cell(first), *cells]
        for cell in out.cells:
            cell.pop("id", None)
        return out


def book_title(book: Book) -> str:
    return yaml.safe_load(
        (book.source / "_config.yml").read_text(encoding="utf-8")
    )["title"]


def notebook_docs(book: Book) -> list[str]:
    return [
        name for name in book.docs if (book.source / f"{name}.ipynb").exists()
    ]


def render(nb: nbformat.NotebookNode) -> str:
    for index, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{index}"  # stable ids: a rebuild changes nothing
    return (
        nbformat.writes(nb) + "\n"
    )  # nbformat's own layout, as Jupyter saves it


def editions(root: Path = ROOT) -> dict[Path, str]:
    """Every edition file, path relative to ``root`` -> its text."""
    files = {}
    for lang in WORDS:
        book = load_book(lang, root)
        for docname in notebook_docs(book):
            files[EDITIONS / lang / f"{docname}.ipynb"] = render(
                Page(book, docname).notebook()
            )
    return files


def build(root: Path = ROOT) -> list[Path]:
    written = []
    files = editions(root)
    for path in (
        sorted((root / EDITIONS).rglob("*.ipynb"))
        if (root / EDITIONS).exists()
        else []
    ):
        if path.relative_to(root) not in files:
            path.unlink()
            written.append(path)
    for rel, text in files.items():
        path = root / rel
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            written.append(path)
    return written


def stale(root: Path = ROOT) -> list[Path]:
    """Edition files that differ from a fresh build, are missing, or are left
    over.
    """
    files = editions(root)
    out = [
        rel
        for rel, text in files.items()
        if not (root / rel).exists()
        or (root / rel).read_text(encoding="utf-8") != text
    ]
    if (root / EDITIONS).exists():
        out += [
            p.relative_to(root)
            for p in (root / EDITIONS).rglob("*.ipynb")
            if p.relative_to(root) not in files
        ]
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("command", choices=("build", "check"))
    args = parser.parse_args(argv)
    if args.command == "build":
        for path in build():
            print(f"wrote {path.relative_to(ROOT)}")
        return 0
    out = stale()
    for path in out:
        print(f"out of date: {path} (run: python tools/editions.py build)")
    return 1 if out else 0


if __name__ == "__main__":
    sys.exit(main())
