"""ruff's linter over sslbook/, tests/ and tools/, with the rules of pyproject.toml."""

import shutil
import subprocess
import sys

from conftest import ROOT


def test_ruff_finds_nothing():
    """Unused imports, undefined names, bugbear's traps and unsorted imports fail here; `make format` fixes most."""
    ruff = shutil.which("ruff", path=str(ROOT / ".venv" / "bin")) or shutil.which("ruff")
    command = [ruff] if ruff else [sys.executable, "-m", "ruff"]
    result = subprocess.run(
        [*command, "check", "--no-cache", "sslbook", "tests", "tools"], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
