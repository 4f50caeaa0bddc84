"""pytest set-up for the whole repository (unit tests and the notebooks alike).

nbval executes every notebook in lax mode (pyproject.toml), and the plugin
tools/nbcheck_plugin.py checks each fresh run against the stored notebook by
what the book claims, within each measurement's uncertainty
(tests/notebook_tolerances.yml), not digit for digit.

The kernels that nbval starts inherit this process's environment. With
SSLBOOK_PROGRESS=0 they draw no progress bar, whose timings would differ from
the stored outputs on every run (see sslbook/train.py).

nbval starts them through jupyter_client KernelManagers in this process;
_ext/sslbook_kernels.py makes those provision CurveZMQ keys, so the kernels talk
over encrypted TCP, as under ``jupyter-book build`` and tools/nbtools.py.
"""

import os
import sys
from pathlib import Path

import pytest

os.environ["SSLBOOK_PROGRESS"] = "0"

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT / "_ext"))
sys.path.insert(0, str(ROOT / "tools"))
from sslbook_kernels import enable_transport_encryption  # noqa: E402

enable_transport_encryption()

pytest_plugins = ["nbcheck_plugin", "pytester"]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every notebook cell that nbval collects as a `book` test (pyproject.toml lists the markers)."""
    for item in items:
        if item.path.suffix == ".ipynb":
            item.add_marker(pytest.mark.book)
