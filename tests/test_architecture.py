"""The layers of chalicelib/ hold: `lint-imports` keeps the contracts of pyproject.toml,
and breaks them when a lower layer reaches up, a route or handler past its services, or
anything above the repositories to PynamoDB (checked on a copy of the tree). Every import is one the tools read: no module of
chalicelib/ is imported by name but the request models' (`api/schemas/__init__.py`)."""
from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT = Path(sys.executable).parent / "lint-imports"


def _lint(where: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT), "--config", str(where / "pyproject.toml"), "--no-cache"], cwd=where,
        capture_output=True, text=True, timeout=120, env={"PYTHONPATH": str(where), "PATH": str(LINT.parent)},
    )


def _copy(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "chalicelib", tmp_path / "chalicelib", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_the_tree_keeps_every_contract():
    out = _lint(ROOT)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "5 kept, 0 broken" in out.stdout


@pytest.mark.parametrize("module, line, complaint", [
    ("services/guards.py", "from chalicelib.api import projects", "chalicelib.services is not allowed to import chalicelib.api"),
    ("domain/contact.py", "import boto3", "chalicelib.domain is not allowed to import boto3"),
    ("services/projects.py", "import botocore.exceptions", "chalicelib.services is not allowed to import botocore"),
    # a condition or its error outside a repository (money's own imports are the contract's only exception, for now)
    ("services/projects.py", "from pynamodb.exceptions import UpdateError", "chalicelib.services is not allowed to import pynamodb"),
    # an import inside a view, as the Blueprints import their services, is seen as well
    ("api/money.py", "def _balance(user_id: str) -> object:\n    from chalicelib.repos import ledger\n\n    return ledger.payout_method_key(user_id)",
     "chalicelib.api is not allowed to import chalicelib.repos"),
    ("handlers/fanout.py", "from chalicelib.adapters import queues", "chalicelib.handlers is not allowed to import chalicelib.adapters"),
])
def test_an_import_against_the_grain_breaks_a_contract(tmp_path, module, line, complaint):
    tree = _copy(tmp_path)
    source = tree / "chalicelib" / module
    source.write_text(source.read_text() + f"\n{line}  # noqa\n")
    out = _lint(tree)
    assert out.returncode != 0
    assert complaint in out.stdout


def test_a_new_package_must_be_given_a_layer(tmp_path):
    tree = _copy(tmp_path)
    (tree / "chalicelib" / "helpers").mkdir()
    (tree / "chalicelib" / "helpers" / "__init__.py").write_text("")
    out = _lint(tree)
    assert out.returncode != 0
    assert "chalicelib.helpers" in out.stdout


def test_no_module_of_ours_is_imported_by_name():
    """`importlib.import_module` or `__import__` would hide an edge from mypy and import-linter;
    only the request models' package imports its areas by name, each of them also imported
    under `TYPE_CHECKING` by the Blueprint that names it (else mypy fails)."""
    by_name = []
    for path in sorted((ROOT / "chalicelib").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            called = node.func if isinstance(node, ast.Call) else None
            name = called.attr if isinstance(called, ast.Attribute) else called.id if isinstance(called, ast.Name) else None
            if name in ("import_module", "__import__"):
                by_name.append(str(path.relative_to(ROOT)))
    assert by_name == ["chalicelib/api/schemas/__init__.py"]


def _untyped_item_bags(source: str, where: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source, where)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for arg in [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs]:
                annotation = ast.unparse(arg.annotation) if arg.annotation is not None else ""
                if arg.arg == "items" and (annotation == "" or annotation.split("[")[0] in ("dict", "Dict", "Any")):
                    found.append(f"{where}:{node.lineno} {node.name}({arg.arg}: {annotation or '?'})")
    return found


def test_no_service_function_takes_an_untyped_bag_of_items():
    """What a route read comes to a service as that service's typed load (`ProjectLoad`,
    ...), never as a dict of items to fish out by their keys (`services.loads`)."""
    found = [bag for path in sorted((ROOT / "chalicelib" / "services").rglob("*.py"))
             for bag in _untyped_item_bags(path.read_text(), str(path.relative_to(ROOT)))]
    assert found == []
    assert _untyped_item_bags("def visible(caller, items: dict, project_id: str): ...", "example.py") == [
        "example.py:1 visible(items: dict)"]
