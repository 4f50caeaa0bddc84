"""Shared fixtures: the repository root, its config and table of contents, and
one site build.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(
    0, str(ROOT / "tools")
)  # tools/nbtools.py: the notebook template


@pytest.fixture(scope="session")
def book_config() -> dict:
    return yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))


def read_toc_files() -> list[str]:
    """Every file named in _toc.yml, without suffix, in reading order."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    files = [toc["root"]]

    def walk(entries: list[dict]) -> None:
        for entry in entries:
            files.append(entry["file"])
            walk(entry.get("sections", []))

    for part in toc["parts"]:
        walk(part["chapters"])
    return files


@pytest.fixture(scope="session")
def toc_files() -> list[str]:
    return read_toc_files()


@dataclass(frozen=True)
class SiteBuild:
    """The English site in ``html``, and the Chinese one in ``html / "zh"``."""

    returncode: int
    log: str
    html: Path
    zh_returncode: int
    zh_log: str


@pytest.fixture(scope="session")
def site(
    book_config: dict, tmp_path_factory: pytest.TempPathFactory
) -> SiteBuild:
    """The website, built with warnings as errors from the notebooks' stored
    outputs.

    The notebook check (run in the same session) compares the stored outputs
    with a fresh execution, so the build does not execute the notebooks again:
    it uses a copy of _config.yml with ``execute_notebooks: off`` (and the
    local extensions' folder made absolute, since the copy lives elsewhere).
    """
    out = tmp_path_factory.mktemp("site")
    config = dict(book_config)
    config["execute"] = {
        **config.get("execute", {}),
        "execute_notebooks": "off",
    }
    # jupyter-book resolves local extensions relative to the config file's
    # folder.
    sphinx = config["sphinx"] = dict(config.get("sphinx", {}))
    sphinx["local_extensions"] = {
        name: str(ROOT / path)
        for name, path in sphinx.get("local_extensions", {}).items()
    }
    config_path = out / "_config.yml"
    config_path.write_text(
        yaml.safe_dump(config, allow_unicode=True), encoding="utf-8"
    )
    jupyter_book = Path(sys.executable).with_name(
        "jupyter-book"
    )  # the venv's command
    cmd = [
        str(jupyter_book), "build", str(ROOT),
        "--config", str(config_path), "--path-output", str(out),
        "--warningiserror", "--nitpick", "--keep-going", "--all",
    ]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    html = out / "_build" / "html"
    # The Chinese edition, zh/ (tools/i18n.py writes it; tests/test_i18n.py
    # checks that it is up to date): its own _config.yml never executes, and it
    # lands in html/zh, where make book puts it, so that the language switch's
    # relative links work.
    zh_out = tmp_path_factory.mktemp("site_zh")
    zh_cmd = [
        str(jupyter_book), "build", str(ROOT / "zh"),
        "--path-output", str(zh_out),
        "--warningiserror", "--nitpick", "--keep-going", "--all",
    ]  # fmt: skip
    zh_proc = subprocess.run(zh_cmd, capture_output=True, text=True, cwd=ROOT)
    if zh_proc.returncode == 0 and html.is_dir():
        shutil.copytree(zh_out / "_build" / "html", html / "zh")
    return SiteBuild(
        proc.returncode,
        proc.stdout + proc.stderr,
        html,
        zh_proc.returncode,
        zh_proc.stdout + zh_proc.stderr,
    )
