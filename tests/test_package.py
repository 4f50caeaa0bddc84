"""The package as a whole: every module says what it exports."""

import ast
import importlib
from pathlib import Path

import pytest

MODULES = sorted(p.stem for p in (Path(__file__).resolve().parents[1] / "sslbook").glob("*.py") if p.stem != "__init__")


@pytest.mark.parametrize("name", MODULES)
def test_every_module_exports_exactly_its_public_definitions(name):
    module = importlib.import_module(f"sslbook.{name}")
    tree = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
    defined = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            defined.add(node.name)
        elif isinstance(node, ast.Assign):
            defined |= {t.id for t in node.targets if isinstance(t, ast.Name)}
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            defined.add(node.target.id)
    public = {n for n in defined if not n.startswith("_") and n != "T"}  # T: a type variable, not an export
    assert set(module.__all__) == public, f"sslbook.{name}.__all__ differs from its public definitions"
    assert len(module.__all__) == len(set(module.__all__))


def test_the_package_docstring_lists_every_module():
    import sslbook

    missing = [name for name in MODULES if f"sslbook.{name}" not in sslbook.__doc__]
    assert not missing, f"sslbook/__init__.py does not list {missing}"
