"""The Chinese edition: a translation store, and the Chinese book
generated from it.

The English pages are the source. Each page of ``_toc.yml`` is cut into
*units*: a notebook's markdown cells, one unit each, and a Markdown page's
blocks (the paragraphs, lists, tables and fenced blocks between blank lines).
The store, ``i18n/zh/<page>.yml``, holds one entry per unit, the English it
was translated from and its Chinese::

    - en: |-
        The English text, exactly as on the page.
      zh: |-
        中文译文。

A unit whose English changed has no entry with its new text: it is
*untranslated*, and the old entry, whose English is no longer on the page, is
*stale*. ``python tools/i18n.py check`` lists both, and the test suite fails
on either, so the two editions cannot drift apart unnoticed.

``python tools/i18n.py extract`` adds an empty entry for every unit that has
none, keeps the others, and moves stale entries to the end of their file
(their Chinese is a starting point for the new translation).

``python tools/i18n.py build`` writes the Chinese book to ``zh/``: the same
``_toc.yml``, a ``_config.yml`` for Chinese, the Chinese diagrams
(``i18n/zh/figures/``, drawn by ``tools/diagrams.py``), the same
bibliography, and every page with its units replaced by their Chinese. A
notebook keeps its code cells and their stored outputs byte for byte, so no
number can differ between the editions, and glued numbers appear in the
Chinese sentences through the same glue. ``zh/`` is committed, like the
notebook editions written from it (``tools/editions.py``); the test suite
checks that it is what ``build`` writes.

Usage::

    python tools/i18n.py extract   # add entries for new English units
    python tools/i18n.py check     # list untranslated and stale units
    python tools/i18n.py build     # write zh/ from the store
"""

from __future__ import annotations

import copy
import json
import re
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
STORE = ROOT / "i18n" / "zh"
OUT = ROOT / "zh"
#: Files and folders copied unchanged into the Chinese book.
COPIED = ("references.bib", "_static", "chapters/figures")
#: The book's own texts outside its pages: the title, and the captions of
#: _toc.yml.
BOOK_FILES = (Path("_config.yml"), Path("_toc.yml"))
FENCE = re.compile(r"^(`{3,}|~{3,}|:{3,})")


# ---------------------------------------------------------------------------
# Pages and their units
# ---------------------------------------------------------------------------


def toc_pages(root: Path = ROOT) -> list[Path]:
    """Every page of ``_toc.yml``, as a path relative to the book's root."""
    toc = yaml.safe_load((root / "_toc.yml").read_text(encoding="utf-8"))

    def files(entries):
        for entry in entries:
            if "file" in entry:
                yield entry["file"]
            yield from files(entry.get("sections", []))

    stems = [toc["root"]] + [
        stem
        for part in toc.get("parts", [])
        for stem in files(part["chapters"])
    ]
    pages = []
    for stem in stems:
        hits = [
            root / f"{stem}{suffix}"
            for suffix in (".ipynb", ".md")
            if (root / f"{stem}{suffix}").exists()
        ]
        if not hits:
            raise FileNotFoundError(
                f"_toc.yml names {stem}, "
                "which is neither a .ipynb nor a .md file"
            )
        pages.append(hits[0].relative_to(root))
    return pages


def markdown_blocks(text: str) -> list[str]:
    """A Markdown page cut at blank lines, keeping each fenced block whole.

    A fence opened by ``` or ~~~ or ::: closes at the next line made of the
    same characters, at least as many; blank lines inside it do not cut it.
    """
    blocks: list[str] = []
    current: list[str] = []
    fence: str | None = None
    for line in text.splitlines():
        if fence is None:
            if not line.strip():
                if current:
                    blocks.append("\n".join(current))
                    current = []
                continue
            match = FENCE.match(line)
            if match:
                fence = match.group(1)
            current.append(line)
        else:
            current.append(line)
            stripped = line.strip()
            if (
                stripped
                and set(stripped) == {fence[0]}
                and len(stripped) >= len(fence)
            ):
                fence = None
    if current:
        blocks.append("\n".join(current))
    return blocks


def sources(root: Path = ROOT) -> list[Path]:
    """Everything translated: the pages, then the title and author, and the
    table of contents' captions.
    """
    return toc_pages(root) + list(BOOK_FILES)


def units(page: Path, root: Path = ROOT) -> list[str]:
    """The page's translatable units, in order."""
    path = root / page
    if page == Path("_config.yml"):
        config = yaml.safe_load(path.read_text(encoding="utf-8"))
        return [config["title"], config["author"]]
    if page == Path("_toc.yml"):
        toc = yaml.safe_load(path.read_text(encoding="utf-8"))
        return [
            part["caption"]
            for part in toc.get("parts", [])
            if "caption" in part
        ]
    if path.suffix == ".ipynb":
        notebook = json.loads(path.read_text(encoding="utf-8"))
        found = []
        for cell in notebook["cells"]:
            if cell["cell_type"] == "markdown":
                found.append(_source(cell))
            elif _caption(cell) is not None:
                found.append(_caption(cell))
        return found
    return markdown_blocks(path.read_text(encoding="utf-8"))


def _caption(cell: dict) -> str | None:
    """A result plot's caption, which myst-nb reads from the code cell's
    metadata.
    """
    return (
        cell.get("metadata", {})
        .get("mystnb", {})
        .get("figure", {})
        .get("caption")
    )


def _source(cell: dict) -> str:
    source = cell["source"]
    return source if isinstance(source, str) else "".join(source)


# ---------------------------------------------------------------------------
# The store
# ---------------------------------------------------------------------------


def store_path(page: Path) -> Path:
    return STORE / page.with_suffix(".yml")


def load_store(page: Path) -> list[dict]:
    path = store_path(page)
    if not path.exists():
        return []
    entries = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    for entry in entries:
        if set(entry) - {"en", "zh"} or "en" not in entry:
            raise ValueError(
                f"{path}: every entry has the keys en and zh, "
                f"got {sorted(entry)}"
            )
        entry.setdefault("zh", "")
        entry["zh"] = entry["zh"] or ""
    return entries


class _Dumper(yaml.SafeDumper):
    pass


def _str(dumper: yaml.SafeDumper, text: str):
    block = (
        "\n" in text or len(text) > 60
    )  # keys ("en", "zh") and short units stay plain
    return dumper.represent_scalar(
        "tag:yaml.org,2002:str", text, style="|" if block else None
    )


_Dumper.add_representer(str, _str)


def save_store(page: Path, entries: list[dict]) -> None:
    path = store_path(page)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = yaml.dump(
        entries,
        Dumper=_Dumper,
        allow_unicode=True,
        sort_keys=False,
        width=10_000,
    )
    path.write_text(text, encoding="utf-8")


@dataclass
class PageStatus:
    page: Path
    untranslated: list[str]
    stale: list[str]


def status(page: Path) -> PageStatus:
    """The page's units without a translation, and the store's entries no unit
    uses.
    """
    current = units(page)
    entries = load_store(page)
    translated = {entry["en"] for entry in entries if entry["zh"].strip()}
    wanted = set(current)
    return PageStatus(
        page,
        untranslated=[unit for unit in current if unit not in translated],
        stale=[entry["en"] for entry in entries if entry["en"] not in wanted],
    )


def extract() -> None:
    """Give every unit of every page an entry; move stale entries to the
    end.
    """
    for page in sources():
        entries = load_store(page)
        by_en = {entry["en"]: entry for entry in entries}
        current = units(page)
        kept = [
            by_en.get(unit, {"en": unit, "zh": ""})
            for unit in dict.fromkeys(current)
        ]
        stale = [entry for entry in entries if entry["en"] not in set(current)]
        save_store(page, kept + stale)


# ---------------------------------------------------------------------------
# The Chinese book
# ---------------------------------------------------------------------------


def translation(page: Path) -> dict[str, str]:
    return {
        entry["en"]: entry["zh"]
        for entry in load_store(page)
        if entry["zh"].strip()
    }


def translate_page(page: Path, root: Path = ROOT) -> str:
    """The Chinese page's file content; a unit without a translation stays in
    English.
    """
    zh = translation(page)
    path = root / page
    if path.suffix == ".ipynb":
        notebook = json.loads(path.read_text(encoding="utf-8"))
        for cell in notebook["cells"]:
            if cell["cell_type"] == "markdown":
                english = _source(cell)
                cell["source"] = _split_lines(zh.get(english, english))
            elif (
                _caption(cell) is not None
            ):  # the plot's caption; code and outputs stay the English ones
                english = _caption(cell)
                cell["metadata"]["mystnb"]["figure"]["caption"] = zh.get(
                    english, english
                )
        return json.dumps(notebook, ensure_ascii=False, indent=1) + "\n"
    text = path.read_text(encoding="utf-8")
    out = "\n\n".join(zh.get(block, block) for block in markdown_blocks(text))
    return out + "\n"


def _split_lines(text: str) -> list[str]:
    lines = text.splitlines(keepends=True)
    return lines


def zh_config(root: Path = ROOT) -> dict:
    """The English ``_config.yml``, adapted: Chinese title and language, links
    to ``zh/``.
    """
    config = yaml.safe_load((root / "_config.yml").read_text(encoding="utf-8"))
    config = copy.deepcopy(config)
    book = translation(Path("_config.yml"))
    config["title"] = book.get(config["title"], config["title"])
    config["author"] = book.get(config["author"], config["author"])
    # Launch buttons open the Chinese notebook editions (tools/editions.py).
    config["repository"] = {
        **config["repository"],
        "path_to_book": "editions/zh",
    }
    config["html"] = {
        **config["html"],
        "baseurl": config["html"]["baseurl"].rstrip("/") + "/zh/",
    }
    sphinx = config["sphinx"]
    sphinx["local_extensions"] = {
        name: f"../{path}"
        for name, path in sphinx.get("local_extensions", {}).items()
    }
    sphinx["config"] = {**sphinx.get("config", {}), "language": "zh_CN"}
    # The search field's placeholder is a theme option, which Sphinx's Chinese
    # catalog does not cover.
    theme_options = sphinx["config"].get("html_theme_options", {})
    sphinx["config"]["html_theme_options"] = {
        **theme_options,
        "search_bar_text": "搜索本书……",
    }
    # sphinx-togglebutton looks its hints up for "zh_CN", but keeps its Chinese
    # under "zh-cn", so the folded solutions would say "Click to show".
    sphinx["config"]["togglebutton_hint"] = "点击显示"
    sphinx["config"]["togglebutton_hint_hide"] = "点击隐藏"
    # The notebooks' outputs are the English book's, which nbval checks: the
    # Chinese book never executes them.
    config["execute"] = {
        **config.get("execute", {}),
        "execute_notebooks": "off",
    }
    return config


HEADER = (
    "# Generated by `python tools/i18n.py build` from the English book and\n"
    "# i18n/zh/: do not edit; "
    "edit the English pages or the translation store.\n"
)


def build(out: Path = OUT, root: Path = ROOT) -> None:
    """Write the Chinese book to ``out``, replacing what was there."""
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    for name in COPIED:
        source = root / name
        if source.is_dir():
            shutil.copytree(source, out / name)
        else:
            shutil.copy2(source, out / name)
    # The Chinese diagrams (tools/diagrams.py) replace the English ones.
    for figure in sorted((root / "i18n" / "zh" / "figures").glob("*.svg")):
        shutil.copy2(figure, out / "chapters" / "figures" / figure.name)
    (out / "_config.yml").write_text(
        HEADER
        + yaml.safe_dump(zh_config(root), allow_unicode=True, sort_keys=False),
        encoding="utf-8",
    )
    toc = yaml.safe_load((root / "_toc.yml").read_text(encoding="utf-8"))
    captions = translation(Path("_toc.yml"))
    for part in toc.get("parts", []):
        if "caption" in part:
            part["caption"] = captions.get(part["caption"], part["caption"])
    (out / "_toc.yml").write_text(
        HEADER + yaml.safe_dump(toc, allow_unicode=True, sort_keys=False),
        encoding="utf-8",
    )
    for page in toc_pages(root):
        target = out / page
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(translate_page(page, root), encoding="utf-8")


def check() -> int:
    """Print every untranslated and stale unit; return how many there are."""
    problems = 0
    for page in sources():
        s = status(page)
        for unit in s.untranslated:
            print(f"untranslated  {page}: {unit[:70]!r}")
        for unit in s.stale:
            print(f"stale         {page}: {unit[:70]!r}")
        problems += len(s.untranslated) + len(s.stale)
    print(f"{problems} untranslated or stale units")
    return problems


def main(argv: list[str]) -> int:
    commands = {"extract": extract, "build": build, "check": check}
    if len(argv) != 1 or argv[0] not in commands:
        print(__doc__)
        return 2
    result = commands[argv[0]]()
    return 1 if argv[0] == "check" and result else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
