"""The layers of chalicelib/ hold: `lint-imports` keeps the contracts of pyproject.toml,
and breaks them when a lower layer reaches up (checked on a copy of the tree)."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

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
    assert "3 kept, 0 broken" in out.stdout


def test_a_service_importing_a_route_module_breaks_the_layers(tmp_path):
    tree = _copy(tmp_path)
    guards = tree / "chalicelib" / "services" / "guards.py"
    guards.write_text(guards.read_text() + "\nfrom chalicelib.api import projects  # noqa\n")
    out = _lint(tree)
    assert out.returncode != 0
    assert "chalicelib.services is not allowed to import chalicelib.api" in out.stdout


def test_the_domain_importing_the_aws_sdk_breaks_its_contract(tmp_path):
    tree = _copy(tmp_path)
    rules = tree / "chalicelib" / "domain" / "contact.py"
    rules.write_text(rules.read_text() + "\nimport boto3  # noqa\n")
    out = _lint(tree)
    assert out.returncode != 0
    assert "chalicelib.domain is not allowed to import boto3" in out.stdout


def test_a_new_package_must_be_given_a_layer(tmp_path):
    tree = _copy(tmp_path)
    (tree / "chalicelib" / "helpers").mkdir()
    (tree / "chalicelib" / "helpers" / "__init__.py").write_text("")
    out = _lint(tree)
    assert out.returncode != 0
    assert "chalicelib.helpers" in out.stdout
