"""ruff's linter and formatter over sslbook/, tests/ and tools/, with the
settings of pyproject.toml.
"""

import shutil
import subprocess
import sys

from conftest import ROOT


def ruff(*arguments: str) -> subprocess.CompletedProcess:
    found = shutil.which(
        "ruff", path=str(ROOT / ".venv" / "bin")
    ) or shutil.which("ruff")
    command = [found] if found else [sys.executable, "-m", "ruff"]
    return subprocess.run(
        [*command, *arguments, "--no-cache", "sslbook", "tests", "tools"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )


def test_ruff_finds_nothing():
    """Unused imports, undefined names, bugbear's traps, unsorted imports and
    lines over 79 columns fail here; `make format` fixes most.
    """
    result = ruff("check")
    assert result.returncode == 0, result.stdout + result.stderr


def test_code_is_formatted():
    """`ruff format` at the book's 79 columns would change nothing;
    `make format` applies it.
    """
    result = ruff("format", "--check")
    assert result.returncode == 0, result.stdout + result.stderr
