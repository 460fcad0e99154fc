"""Dependency direction, checked on the source: models is the pure core; service never imports training.

* ``models`` imports neither ``training`` nor ``service`` nor ``fastapi``/``starlette``/``uvicorn``,
  and never mlflow, except ``mlflow.pyfunc`` in ``models/pyfunc.py``.
* ``service`` never imports ``training``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """Every absolute module an ``import`` / ``from ... import`` statement of ``path`` names."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found += [(node.lineno, node.module)]
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
    return found


def top(module: str) -> str:
    return module.split(".")[0]


def violations(package: str, rule) -> list[str]:  # type: ignore[no-untyped-def]
    out = []
    for path in sorted((ROOT / package).rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        out += [f"{rel}:{line} imports {name}" for line, name in imported_modules(path) if rule(rel, name)]
    return out


def models_rule(rel: str, name: str) -> bool:
    if top(name) in {"training", "service", "fastapi", "starlette", "uvicorn"}:
        return True
    if top(name) == "mlflow":
        allowed = rel == "models/pyfunc.py" and (name == "mlflow.pyfunc" or name.startswith("mlflow.pyfunc."))
        return not allowed
    return False


def service_rule(rel: str, name: str) -> bool:
    return top(name) == "training"


def test_models_is_the_pure_core() -> None:
    assert violations("models", models_rule) == []


def test_service_never_imports_training() -> None:
    assert violations("service", service_rule) == []


@pytest.mark.parametrize(("rel", "source", "bad"), [
    ("models/x.py", "import mlflow", True),
    ("models/x.py", "from mlflow import MlflowClient", True),
    ("models/pyfunc.py", "from mlflow.pyfunc import PythonModel", False),
    ("models/pyfunc.py", "import mlflow.pyfunc", False),
    ("models/pyfunc.py", "from mlflow import tracking", True),
    ("models/x.py", "def f():\n    from training.cli import app", True),
    ("models/x.py", "from fastapi import FastAPI", True),
    ("models/x.py", "from models.panel import Panel", False),
    ("models/x.py", "from . import panel", False),
])
def test_the_rule_catches_what_it_should(tmp_path: Path, rel: str, source: str, bad: bool) -> None:
    path = tmp_path / "m.py"
    path.write_text(source + "\n")
    hits = [name for _, name in imported_modules(path) if models_rule(rel, name)]
    assert bool(hits) is bad
