"""The package as a whole: every module says what it exports, and it depends on
what it imports.
"""

import ast
import importlib
import re
import subprocess
import sys
from pathlib import Path

import pytest
import tomllib
from packaging.requirements import Requirement

MODULES = sorted(
    p.stem
    for p in (Path(__file__).resolve().parents[1] / "sslbook").glob("*.py")
    if p.stem != "__init__"
)
#: Modules that define nothing and re-export other modules' names, for one
#: import.
FACADES = {
    "evaluate": (
        "stats",
        "selection",
        "probes",
        "knn",
        "baselines",
        "geometry",
    ),
    "exercises": (
        "exercise_checks",
        "exercises_training",
        "exercises_data",
    ),
}


@pytest.mark.parametrize("name", sorted(FACADES))
def test_a_facade_re_exports_exactly_its_modules_exports(name):
    module = importlib.import_module(f"sslbook.{name}")
    parts = [
        importlib.import_module(f"sslbook.{part}") for part in FACADES[name]
    ]
    exported = [n for part in parts for n in part.__all__]
    assert sorted(module.__all__) == sorted(exported)
    tree = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
    defined = [
        node
        for node in tree.body
        if isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.AnnAssign))
        or isinstance(node, ast.Assign)
        and [t.id for t in node.targets if isinstance(t, ast.Name)]
        != ["__all__"]
    ]
    assert not defined, (
        f"sslbook.{name} defines something itself instead of re-exporting it"
    )
    for part in parts:
        for n in part.__all__:
            assert getattr(module, n) is getattr(part, n), (
                f"sslbook.{name}.{n} is not sslbook.{part.__name__}.{n}"
            )


@pytest.mark.parametrize("name", [m for m in MODULES if m not in FACADES])
def test_every_module_exports_exactly_its_public_definitions(name):
    module = importlib.import_module(f"sslbook.{name}")
    tree = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
    defined = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            defined.add(node.name)
        elif isinstance(node, ast.Assign):
            defined |= {t.id for t in node.targets if isinstance(t, ast.Name)}
        elif isinstance(node, ast.AnnAssign) and isinstance(
            node.target, ast.Name
        ):
            defined.add(node.target.id)
    public = {
        n for n in defined if not n.startswith("_") and n != "T"
    }  # T: a type variable, not an export
    assert set(module.__all__) == public, (
        f"sslbook.{name}.__all__ differs from its public definitions"
    )
    assert len(module.__all__) == len(set(module.__all__))


def test_the_package_docstring_lists_every_module():
    import sslbook

    missing = [
        name for name in MODULES if f"sslbook.{name}" not in sslbook.__doc__
    ]
    assert not missing, f"sslbook/__init__.py does not list {missing}"


ROOT = Path(__file__).resolve().parents[1]
#: Import names that differ from the distribution's name on PyPI.
DISTRIBUTION_OF = {"sklearn": "scikit-learn", "myst_nb": "myst-nb"}


def third_party_imports() -> set[str]:
    """The distributions that sslbook's modules import, at the top or inside a
    function.
    """
    found = set()
    for path in (ROOT / "sslbook").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top not in sys.stdlib_module_names and top != "sslbook":
                    found.add(DISTRIBUTION_OF.get(top, top))
    return found


def declared(requirements: list[str]) -> set[str]:
    """The distributions that requirement strings name (PEP 508), without
    versions, extras or markers.
    """
    return {Requirement(r).name for r in requirements}


def test_the_dependencies_are_what_the_package_imports():
    project = tomllib.loads(
        (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    )["project"]
    core = declared(project["dependencies"])
    notebooks = declared(project["optional-dependencies"]["notebooks"])
    imported = third_party_imports()
    assert {
        "torch",
        "gensim",
        "myst-nb",
    } <= imported  # the scan sees top-level and function-level imports
    assert core <= imported, (
        f"declared but never imported by sslbook: {sorted(core - imported)}"
    )
    # the one import from the notebooks extra: myst_nb, inside sslbook.glue,
    # which only notebooks call
    assert imported - core == {"myst-nb"} <= notebooks, (
        f"imported but not a dependency: {sorted(imported - core)}"
    )
    assert not core & notebooks


def test_the_colab_cell_and_requirements_install_the_notebooks_extra():
    sys.path.insert(0, str(ROOT / "tools"))
    from nbtools import colab_setup_source

    assert '"sslbook[notebooks] @ git+' in colab_setup_source(
        "https://github.com/o/n", "v1"
    )
    assert (
        "-e .[notebooks]"
        in (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines()
    )


def test_word2vec_and_the_checks_do_not_import_gensim():
    """gensim is imported where it is used (sslbook.text), not by the models
    that take a corpus.
    """
    code = (
        "import sys, sslbook.word2vec, sslbook.checks; "
        "print('gensim' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out.strip() == "False"


def printed_objects() -> dict[str, object]:
    """The package's functions and methods that the notebooks print with
    inspect.getsource.
    """
    import nbformat

    found = {}
    for path in sorted((ROOT / "chapters").rglob("*.ipynb")):
        cells = nbformat.read(path, as_version=4).cells
        code = "\n".join(c.source for c in cells if c.cell_type == "code")
        modules = {
            alias.asname or alias.name: node.module
            for node in ast.walk(ast.parse(code))
            if isinstance(node, ast.ImportFrom)
            and (node.module or "").startswith("sslbook")
            for alias in node.names
        }
        for target in re.findall(r"getsource\(([\w.]+)\)", code):
            head, *rest = target.split(".")
            obj = importlib.import_module(modules[head])
            for part in (head, *rest):
                obj = getattr(obj, part)
            found[f"{path.stem}: {target}"] = obj
    return found


def test_the_printed_source_fits_the_page():
    """The notebooks print these functions; like the notebooks' own code, they
    keep to 79 columns.
    """
    import inspect

    printed = printed_objects()
    assert len(printed) >= 11
    wide = {
        name: [
            line
            for line in inspect.getsource(obj).splitlines()
            if len(line) > 79
        ]
        for name, obj in printed.items()
    }
    assert not {name: lines for name, lines in wide.items() if lines}
