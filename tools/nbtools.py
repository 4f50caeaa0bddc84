"""Authoring tools for the book's notebooks (not part of the sslbook package).

Usage, from the repository root with the venv active:

    python tools/nbtools.py new chapters/02_core_concepts.ipynb "Core concepts"
    python tools/nbtools.py execute chapters/01_background.ipynb [...]

``new`` writes a notebook that starts with the Colab set-up cell, which every
notebook must have (tests/test_book.py checks it). ``execute`` runs notebooks
top to bottom in a fresh kernel, in their own folder, and stores the outputs
that nbval will compare against; run it after every edit of a notebook.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parents[1]
#: Tag that hides the Colab set-up cell on the website (myst-nb).
SETUP_TAG = "remove-cell"


def repository() -> tuple[str, str]:
    """``(url, branch)`` of the repository, from ``_config.yml``: the one place that holds them."""
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    repo = config["repository"]
    return repo["url"].rstrip("/"), repo.get("branch", "main")


def colab_setup_source(url: str, branch: str) -> str:
    """The source of the first code cell of every notebook."""
    requirement = f"sslbook @ git+{url}@{branch}"
    return (
        "# Set-up for Google Colab: install the book's package.\n"
        "# Elsewhere this cell does nothing.\n"
        "import subprocess\n"
        "import sys\n"
        "\n"
        "try:\n"
        "    import google.colab  # noqa: F401  (importable only inside Colab)\n"
        "except ImportError:\n"
        "    pass\n"
        "else:\n"
        f'    requirement = "{requirement}"\n'
        "    subprocess.run(\n"
        '        [sys.executable, "-m", "pip", "install", "--quiet", requirement],\n'
        "        check=True,\n"
        "    )"
    )


def colab_setup_cell() -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell(colab_setup_source(*repository()))
    cell.metadata["tags"] = [SETUP_TAG]
    return cell


def new_notebook(path: Path, title: str) -> None:
    """Write a notebook skeleton: the Colab cell, a title, and the profile cell."""
    if path.exists():
        raise FileExistsError(f"{path} exists; edit it instead")
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    nb.cells = [
        colab_setup_cell(),
        nbformat.v4.new_markdown_cell(f"# {title}\n\nIn this chapter you will learn ..."),
        nbformat.v4.new_code_cell(
            "from sslbook.profile import get_profile\n"
            "from sslbook.repro import seed_everything\n\n"
            "seed_everything(0)\n"
            "profile = get_profile()\n"
            "print(profile)"
        ),
    ]
    nbformat.write(nb, path)


def execute_notebook(path: Path, timeout: int = 300) -> None:
    """Execute ``path`` in place in a fresh python3 kernel, in the notebook's folder."""
    from nbclient import NotebookClient

    sys.path.insert(0, str(ROOT / "_ext"))
    from sslbook_kernels import enable_transport_encryption

    enable_transport_encryption()  # encrypted kernel sockets: no "without encryption" warning
    os.environ["SSLBOOK_PROGRESS"] = "0"  # stored outputs hold no progress bar (see sslbook.train)
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
        record_timing=False,  # no timestamps in the stored notebook
    )
    client.execute()
    nbformat.write(nb, path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p_new = sub.add_parser("new", help="create a notebook from the template")
    p_new.add_argument("path", type=Path)
    p_new.add_argument("title")
    p_exec = sub.add_parser("execute", help="execute notebooks in place")
    p_exec.add_argument("paths", type=Path, nargs="+")
    args = parser.parse_args(argv)
    if args.command == "new":
        new_notebook(args.path, args.title)
    else:
        for path in args.paths:
            print(f"executing {path}", flush=True)
            execute_notebook(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
