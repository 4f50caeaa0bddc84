"""pytest set-up for the whole repository (unit tests and nbval alike).

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

sys.path.insert(0, str(Path(__file__).resolve().parent / "_ext"))
from sslbook_kernels import enable_transport_encryption  # noqa: E402

enable_transport_encryption()



def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every notebook cell that nbval collects as a `book` test (pyproject.toml lists the markers)."""
    for item in items:
        if item.path.suffix == ".ipynb":
            item.add_marker(pytest.mark.book)
