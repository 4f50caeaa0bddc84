"""pytest plugin: nbval executes every notebook; this checks what the book
claims.

nbval runs in lax mode (``--nbval-lax``): each notebook runs top to bottom in a
fresh kernel, one pytest item per code cell, and a cell that raises fails.
Instead of nbval's digit-for-digit comparison, after each cell this plugin
applies ``tools/nbcheck.py``:

- the cell must write nothing to stderr;
- after the notebook's last cell, every glued value is compared with the
  stored one under its rule in ``tests/notebook_tolerances.yml``, and every
  cell's printed outputs with the stored ones (words exactly, numbers under
  the file's ``printed`` rules); a difference beyond its tolerance fails
  that last cell, naming the cell it comes from;
- a notebook that runs longer than ``--nbcheck-notebook-timeout`` seconds
  fails (nbval's ``--nbval-cell-timeout`` bounds each cell).

At the end of the run, a table lists every glued value that differs from the
stored one, within tolerance or not: how this machine differs from the one
that stored the outputs; and a second the seconds each notebook ran.
"""

from __future__ import annotations

import copy
import time
from pathlib import Path

import nbformat
import pytest

import nbcheck

#: Seconds a whole notebook may take: the book's budget is 120 s on an idle
#: 2-core CPU; this leaves room for a machine several times slower.
NOTEBOOK_TIMEOUT = 900

_runs: dict[str, dict] = {}
_differences: list[nbcheck.Difference] = []
_rules: list[nbcheck.Rules] = []


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--nbcheck-notebook-timeout",
        type=float,
        default=NOTEBOOK_TIMEOUT,
        help=(
            "seconds a notebook may run before its next cell fails "
            f"(default {NOTEBOOK_TIMEOUT})"
        ),
    )
    parser.addoption(
        "--nbcheck-tolerances",
        default=str(nbcheck.TOLERANCES),
        help=(
            "the file of rules for glued values "
            "(default tests/notebook_tolerances.yml)"
        ),
    )


def _is_notebook_cell(item: pytest.Item) -> bool:
    return type(item).__name__ == "IPyNbCell" and hasattr(item, "cell_num")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item):
    if not _is_notebook_cell(item):
        return (yield)
    notebook = item.parent
    run = _runs.setdefault(
        notebook.nodeid, {"start": time.monotonic(), "outputs": {}}
    )
    result = yield  # nbval executes the cell; a cell that raises fails there
    fresh = [nbformat.from_dict(dict(o)) for o in (item.test_outputs or [])]
    run["outputs"][item.cell_num] = fresh
    problems = nbcheck.stderr_problem(fresh)
    elapsed = time.monotonic() - run["start"]
    limit = item.config.getoption("--nbcheck-notebook-timeout")
    if elapsed > limit:
        problems.append(
            f"the notebook has run {elapsed:.0f} s, "
            f"more than its {limit:.0f} s"
        )
    code_cells = [c for c in notebook.nb.cells if c.cell_type == "code"]
    if item.cell_num == len(code_cells) - 1:
        run["seconds"] = elapsed
        problems += _check_notebook(
            notebook,
            run["outputs"],
            item.config.getoption("--nbcheck-tolerances"),
        )
        run["checked"] = True
    if problems:
        pytest.fail("\n\n".join(problems), pytrace=False)
    return result


def _check_notebook(
    notebook, outputs: dict[int, list], tolerances: str
) -> list[str]:
    """Compare the fresh run's glued values and printed outputs with the stored
    notebook's.
    """
    if not _rules:
        _rules.append(nbcheck.load_rules(Path(tolerances)))
    stored = notebook.nb
    fresh = copy.deepcopy(stored)
    for index, cell in enumerate(
        c for c in fresh.cells if c.cell_type == "code"
    ):
        cell.outputs = outputs.get(index, [])
    found, problems = nbcheck.compare_notebooks(
        notebook.path.name, stored, fresh, _rules[0], stderr=False
    )
    _differences.extend(found)
    failing = [d for d in found if not d.ok]
    if failing:
        problems.append(
            f"{len(failing)} glued values differ beyond their tolerance "
            f"({Path(tolerances).name}):\n" + nbcheck.table(failing)
        )
    return problems


def pytest_terminal_summary(terminalreporter) -> None:
    timed = {
        name: run["seconds"] for name, run in _runs.items() if "seconds" in run
    }
    if timed:
        terminalreporter.write_sep(
            "-",
            "seconds each notebook ran "
            "(the budget: 120 on an idle 2-core CPU)",
        )
        for name, seconds in timed.items():
            terminalreporter.write_line(f"{seconds:6.0f}  {name}")
        terminalreporter.write_line(f"{sum(timed.values()):6.0f}  in all")
    unchecked = sorted(
        name for name, run in _runs.items() if not run.get("checked")
    )
    if unchecked:
        terminalreporter.write_sep(
            "-",
            "notebooks whose last cell did not run: glued values not compared",
        )
        for name in unchecked:
            terminalreporter.write_line(name)
    if not _differences:
        return
    terminalreporter.write_sep(
        "-", "glued values that differ from the stored notebooks"
    )
    terminalreporter.write_line(nbcheck.table(_differences))
    within = sum(d.ok for d in _differences)
    terminalreporter.write_line(
        f"{within} within their tolerance, "
        f"{len(_differences) - within} beyond it"
    )
