"""Dependency direction, checked on the source: ``models`` < ``training``, ``service`` < ``cli``.

* ``models`` is the pure core: it imports neither ``training``, ``service`` nor ``cli``, nor
  ``fastapi``/``starlette``/``uvicorn``, and never mlflow, except ``mlflow.pyfunc`` in
  ``models/pyfunc.py``.
* ``training`` never imports ``service`` or ``cli``; ``service`` never imports ``training`` or ``cli``.
* ``cli`` (the commands and the jobs) is the only package that may import both ``training`` and
  ``service``.

Relative imports count: ``from ..training import x`` in ``service/a.py`` names ``training.x``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("models", "training", "service", "cli")
"""Every top-level package of the distribution, lowest layer first."""

FORBIDDEN = {
    "models": {"training", "service", "cli", "fastapi", "starlette", "uvicorn", "mlflow"},
    "training": {"service", "cli", "fastapi", "starlette", "uvicorn"},
    "service": {"training", "cli"},
    "cli": set(),
}
"""Top-level modules each package must not import."""

ALLOWED = {("models/pyfunc.py", "mlflow.pyfunc")}
"""(file, module) exceptions: the bundle's pyfunc wrapper is the one place ``models`` meets mlflow."""


def module_of(rel: str) -> list[str]:
    """Package parts a file's relative imports start from (``service/routes/a.py`` -> service.routes)."""
    return rel.removesuffix(".py").split("/")[:-1]


def imported_modules(path: Path, rel: str) -> list[tuple[int, str]]:
    """Every module an ``import`` / ``from ... import`` statement of ``path`` names, made absolute."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module_of(rel)
                base = base[:len(base) - (node.level - 1)] if node.level > 1 else base
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            if module:
                found.append((node.lineno, module))
            found += [(node.lineno, f"{module}.{alias.name}".lstrip(".")) for alias in node.names]
    return found


def top(module: str) -> str:
    return module.split(".")[0]


def is_violation(rel: str, name: str) -> bool:
    package = rel.split("/")[0]
    if top(name) not in FORBIDDEN[package]:
        return False
    return not any(rel == file and (name == mod or name.startswith(mod + ".")) for file, mod in ALLOWED)


def sources(package: str) -> list[tuple[Path, str]]:
    return [(p, p.relative_to(ROOT).as_posix()) for p in sorted((ROOT / package).rglob("*.py"))]


def violations(package: str) -> list[str]:
    return [f"{rel}:{line} imports {name}" for path, rel in sources(package)
            for line, name in imported_modules(path, rel) if is_violation(rel, name)]


@pytest.mark.parametrize("package", PACKAGES)
def test_each_package_imports_only_what_sits_below_it(package: str) -> None:
    assert violations(package) == []


def test_only_the_composition_layer_imports_both_training_and_service() -> None:
    both = {package for package in PACKAGES
            if {"training", "service"} <= {top(name) for path, rel in sources(package)
                                           for _, name in imported_modules(path, rel)}}
    assert both == {"cli"}


def test_the_distribution_holds_exactly_these_packages() -> None:
    found = {p.parent.name for p in ROOT.glob("*/__init__.py")}
    assert found == set(PACKAGES)  # a new package needs its place in FORBIDDEN


@pytest.mark.parametrize(("rel", "source", "bad"), [
    ("models/x.py", "import mlflow", True),
    ("models/x.py", "from mlflow import MlflowClient", True),
    ("models/pyfunc.py", "from mlflow.pyfunc import PythonModel", False),
    ("models/pyfunc.py", "import mlflow.pyfunc", False),
    ("models/pyfunc.py", "from mlflow import tracking", True),
    ("models/pyfunc.py", "import mlflow.pyfunctional", True),
    ("models/x.py", "def f():\n    from cli import app", True),
    ("models/x.py", "from fastapi import FastAPI", True),
    ("models/x.py", "from models.panel import Panel", False),
    ("models/x.py", "from . import panel", False),
    ("models/estimators/x.py", "from .. import training", False),  # that is models.training
    ("models/estimators/x.py", "from ... import training", True),
    ("models/estimators/x.py", "from ...service.app import create_app", True),
    ("training/x.py", "from service.settings import Settings", True),
    ("training/x.py", "from ..service import settings", True),
    ("training/x.py", "import cli.jobs.train", True),
    ("training/sources/x.py", "from ..ingest import ingest", False),
    ("service/x.py", "from training.settings import TrainingSettings", True),
    ("service/routes/x.py", "from ...training import dataset", True),
    ("service/routes/x.py", "from ..state import State", False),
    ("cli/x.py", "from training import dataset\nfrom service.server import run", False),
])
def test_the_rule_catches_what_it_should(tmp_path: Path, rel: str, source: str, bad: bool) -> None:
    path = tmp_path / "m.py"
    path.write_text(source + "\n")
    hits = [name for _, name in imported_modules(path, rel) if is_violation(rel, name)]
    assert bool(hits) is bad, hits
