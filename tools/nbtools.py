"""Authoring tools for the book's notebooks (not part of the sslbook package).

Usage, from the repository root with the venv active:

    python tools/nbtools.py new chapters/02_core_concepts.ipynb "Core concepts"
    python tools/nbtools.py execute chapters/01_background.ipynb [...]
    python tools/nbtools.py times /tmp/rob/chapters/*/*.ipynb [...]
    python tools/nbtools.py set-repo https://github.com/OWNER/NAME \\
        --ref v0.1.0 [--site URL]

``new`` writes a notebook that starts with the Colab set-up cell, which every
notebook must have (tests/test_book.py checks it). ``execute`` runs notebooks
top to bottom in a fresh kernel, in their own folder, and stores the outputs
that the notebook check compares a fresh run with; run it after every edit
of a notebook. ``times`` prints each notebook's total and slowest cells, from
copies executed with timing (``tools/robustness.py run --out DIR`` keeps
them). ``set-repo`` points the whole book at another repository, release and
website, and rewrites ``zh/`` and the notebook editions (see README,
"Publishing the book").
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parents[1]
#: Tag that hides the Colab set-up cell on the website (myst-nb).
SETUP_TAG = "remove-cell"


def repository(root: Path = ROOT) -> tuple[str, str]:
    """``(url, ref)`` of the repository, from ``_config.yml``: the one place
    that holds them.

    ``ref`` is ``repository.branch``: the release (a tag or a commit) that the
    launch buttons open and that every set-up cell installs, so that Colab
    runs a notebook with the package it was run with.
    """
    config = yaml.safe_load((root / "_config.yml").read_text(encoding="utf-8"))
    repo = config["repository"]
    return repo["url"].rstrip("/"), str(repo.get("branch", "main"))


def website(root: Path = ROOT) -> str:
    """The website's address, ``html.baseurl`` in ``_config.yml``, where the
    editions link.
    """
    config = yaml.safe_load((root / "_config.yml").read_text(encoding="utf-8"))
    return config["html"]["baseurl"]


def colab_setup_source(url: str, ref: str) -> str:
    """The source of the first code cell of every notebook."""
    requirement = f"sslbook[notebooks] @ git+{url}@{ref}"
    return (
        "# Set-up for Google Colab: install the book's package, "
        "at the release\n"
        "# this notebook was run with. Elsewhere this cell does nothing.\n"
        "import subprocess\n"
        "import sys\n"
        "\n"
        "try:\n"
        "    import google.colab  # noqa: F401  "
        "(importable only inside Colab)\n"
        "except ImportError:\n"
        "    pass\n"
        "else:\n"
        "    requirement = (\n"
        f'        "{requirement}"\n'
        "    )\n"
        "    pip = subprocess.run(\n"
        '        [sys.executable, "-m", "pip", "install", "--quiet", '
        "requirement],\n"
        "        capture_output=True,\n"
        "        text=True,\n"
        "    )\n"
        "    if pip.returncode != 0:\n"
        "        raise RuntimeError(\n"
        '            f"pip could not install {requirement}:'
        '\\n{pip.stderr[-3000:]}\\n"\n'
        '            "Check that the repository and the release named in "\n'
        '            "`requirement` above exist and are public."\n'
        "        )"
    )


def colab_setup_cell() -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell(colab_setup_source(*repository()))
    cell.metadata["tags"] = [SETUP_TAG]
    return cell


def new_notebook(path: Path, title: str) -> None:
    """Write a notebook skeleton: the Colab cell, a title, and the profile
    cell.
    """
    if path.exists():
        raise FileExistsError(f"{path} exists; edit it instead")
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.metadata["language_info"] = {"name": "python"}
    nb.cells = [
        colab_setup_cell(),
        nbformat.v4.new_markdown_cell(
            f"# {title}\n\nIn this chapter you will learn ..."
        ),
        nbformat.v4.new_code_cell(
            "from sslbook.profile import get_profile\n"
            "from sslbook.repro import seed_everything\n\n"
            "seed_everything(0)\n"
            "profile = get_profile()\n"
            "print(profile)"
        ),
    ]
    nbformat.write(nb, path)


def execute_notebook(
    path: Path, timeout: int = 300, record_timing: bool = False
) -> None:
    """Execute ``path`` in place in a fresh python3 kernel, in the notebook's
    folder.

    ``record_timing`` keeps each cell's start and end in its metadata (for
    ``times``, on copies: the stored notebooks hold no timestamps).
    """
    from nbclient import NotebookClient

    sys.path.insert(0, str(ROOT / "_ext"))
    from sslbook_kernels import enable_transport_encryption

    # encrypted kernel sockets: no "without encryption" warning
    enable_transport_encryption()
    # stored outputs hold no progress bar (see sslbook.train)
    os.environ["SSLBOOK_PROGRESS"] = "0"
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
        # by default no timestamps in the stored notebook
        record_timing=record_timing,
    )
    client.execute()
    nbformat.write(nb, path)


def cell_times(path: Path) -> list[tuple[int, float, str]]:
    """``(cell index, seconds, first line)`` of every code cell executed with
    ``record_timing``.
    """
    from datetime import datetime

    nb = nbformat.read(path, as_version=4)
    found = []
    for index, cell in enumerate(nb.cells):
        timing = cell.metadata.get("execution", {})
        if cell.cell_type == "code" and "shell.execute_reply" in timing:
            start = datetime.fromisoformat(
                timing["iopub.execute_input"].replace("Z", "+00:00")
            )
            end = datetime.fromisoformat(
                timing["shell.execute_reply"].replace("Z", "+00:00")
            )
            first = next(
                (
                    line
                    for line in cell.source.splitlines()
                    if line.strip() and not line.startswith("#")
                ),
                "",
            )
            found.append((index, (end - start).total_seconds(), first[:60]))
    return found


def times_table(paths: list[Path], top: int = 5) -> str:
    """A Markdown table: each notebook's total and its slowest cells."""
    lines = [
        "| notebook | total (s) "
        "| slowest cells (index: seconds, first line) |",
        "|---|---|---|",
    ]
    for path in paths:
        cells = cell_times(path)
        if not cells:
            raise ValueError(
                f"{path} holds no cell timing: "
                "execute it with record_timing=True"
            )
        slow = sorted(cells, key=lambda c: -c[1])[:top]
        detail = "; ".join(
            f"{i}: {t:.1f} `{first.replace('|', '/')}`" for i, t, first in slow
        )
        lines.append(
            f"| {path.name} | {sum(t for _, t, _ in cells):.1f} | {detail} |"
        )
    return "\n".join(lines)


GITHUB = re.compile(r"https://github\.com/[\w.-]+/[\w.-]+")


def pages_address(url: str) -> str:
    """The GitHub Pages address of a GitHub repository:
    https://OWNER.github.io/NAME/.
    """
    owner, name = url.rstrip("/").split("/")[-2:]
    if (
        name.lower() == f"{owner.lower()}.github.io"
    ):  # a user's or organisation's own site
        return f"https://{owner.lower()}.github.io/"
    return f"https://{owner.lower()}.github.io/{name}/"


def set_repository(
    url: str, ref: str, root: Path = ROOT, site: str | None = None
) -> list[Path]:
    """Point the book at another repository, release and website; return the
    files changed.

    Rewrites ``repository.url`` and ``repository.branch`` in ``_config.yml``
    (the launch buttons and the repository button follow them), the website's
    address ``html.baseurl`` (``site``; by default kept, or, when the
    repository changes, the new repository's GitHub Pages address), every
    notebook's set-up cell under ``chapters/``, and the repository's address
    in README. ``main`` then rewrites ``zh/`` and the notebook editions, which
    follow these files.
    """
    if not GITHUB.fullmatch(url.rstrip("/")):
        raise ValueError(
            "url must be a GitHub repository's address, "
            f"https://github.com/OWNER/NAME; got {url!r}"
        )
    if not re.fullmatch(r"[\w./-]+", ref) or ref.startswith("-"):
        raise ValueError(
            f"ref must be a tag, a branch or a commit, got {ref!r}"
        )
    url = url.rstrip("/")
    old_url, _ = repository(root)
    if site is None:  # keep the website unless the repository moves
        site = website(root) if url == old_url else pages_address(url)
    if not re.fullmatch(r"https?://[\w.-]+(:\d+)?(/[\w./~-]*)?", site):
        raise ValueError(
            "site must be the website's address, "
            f"https://HOST/PATH/; got {site!r}"
        )
    site = site.rstrip("/") + "/"
    changed = []
    config = root / "_config.yml"
    text = config.read_text(encoding="utf-8")
    text = re.sub(
        r"(?m)^(repository:\n(?:  .*\n|\s*#.*\n)*?  url: ).*$",
        lambda m: m.group(1) + url,
        text,
        count=1,
    )
    text = re.sub(
        r"(?m)^(repository:\n(?:  .*\n|\s*#.*\n)*?  branch: ).*$",
        lambda m: m.group(1) + ref,
        text,
        count=1,
    )
    text = re.sub(
        r"(?m)^(html:\n(?:  .*\n|\s*#.*\n)*?  baseurl: ).*$",
        lambda m: m.group(1) + site,
        text,
        count=1,
    )
    config.write_text(text, encoding="utf-8")
    changed.append(config)
    if website(root) != site:
        raise RuntimeError(
            f"{config} still names the website {website(root)}: "
            "edit html.baseurl by hand"
        )
    if repository(root) != (url, ref):
        raise RuntimeError(
            f"{config} still names {repository(root)}: "
            "edit its repository section by hand"
        )
    source = colab_setup_source(url, ref)
    for path in sorted((root / "chapters").rglob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        first = next(cell for cell in nb.cells if cell.cell_type == "code")
        if first.source != source:
            first.source = source
            nbformat.write(nb, path)
            changed.append(path)
    readme = root / "README.md"
    if readme.exists():
        text = readme.read_text(encoding="utf-8")
        if old_url in text and old_url != url:
            readme.write_text(text.replace(old_url, url), encoding="utf-8")
            changed.append(readme)
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p_new = sub.add_parser("new", help="create a notebook from the template")
    p_new.add_argument("path", type=Path)
    p_new.add_argument("title")
    p_exec = sub.add_parser("execute", help="execute notebooks in place")
    p_exec.add_argument("paths", type=Path, nargs="+")
    p_times = sub.add_parser(
        "times",
        help=(
            "per-cell times of notebooks executed with timing "
            "(robustness --out copies)"
        ),
    )
    p_times.add_argument("paths", type=Path, nargs="+")
    p_repo = sub.add_parser(
        "set-repo", help="point the book at another repository and release"
    )
    p_repo.add_argument("url", help="https://github.com/OWNER/NAME")
    p_repo.add_argument(
        "--ref",
        required=True,
        help="the release the set-up cells install: a tag or a commit",
    )
    p_repo.add_argument(
        "--site",
        help=(
            "the website's address "
            "(default: the repository's GitHub Pages address)"
        ),
    )
    args = parser.parse_args(argv)
    if args.command == "new":
        new_notebook(args.path, args.title)
    elif args.command == "times":
        print(times_table(args.paths))
    elif args.command == "set-repo":
        for path in set_repository(args.url, args.ref, site=args.site):
            print(f"rewrote {path.relative_to(ROOT)}")
        # The Chinese book and the notebook editions follow the English files.
        for tool in ("i18n.py", "editions.py"):
            subprocess.run(
                [sys.executable, str(ROOT / "tools" / tool), "build"],
                check=True,
            )
    else:
        for path in args.paths:
            print(f"executing {path}", flush=True)
            execute_notebook(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
