"""Shared test fixtures: a private temporary MLflow store per test."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest


@dataclass(frozen=True)
class MlflowStore:
    """A temporary MLflow store: sqlite tracking database plus a local artifact folder."""

    tracking_uri: str
    artifact_root: Path
    root: Path


@pytest.fixture
def mlflow_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[MlflowStore]:
    """Point MLflow at a fresh sqlite store in ``tmp_path`` for the duration of one test.

    Sets ``MLFLOW_TRACKING_URI`` (and the registry URI) via ``monkeypatch`` and resets MLflow's
    process-wide state afterwards, so tests never share runs, experiments or registered models.
    """
    import mlflow

    root = tmp_path / "mlflow"
    artifacts = root / "artifacts"
    artifacts.mkdir(parents=True)
    uri = f"sqlite:///{root / 'mlflow.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    monkeypatch.setenv("MLFLOW_REGISTRY_URI", uri)
    monkeypatch.setenv("THREATCAST_ARTIFACT_ROOT", str(artifacts))
    monkeypatch.setenv("THREATCAST_DATA_DIR", str(tmp_path / "data"))
    try:
        yield MlflowStore(tracking_uri=uri, artifact_root=artifacts, root=root)
    finally:
        while mlflow.active_run() is not None:
            mlflow.end_run()
        mlflow.set_tracking_uri(None)
        mlflow.set_registry_uri(None)  # type: ignore[arg-type]
