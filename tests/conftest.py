"""Shared test fixtures: a private temporary MLflow store per test."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from source_fixtures import write_source_fixtures

if TYPE_CHECKING:
    from mlflow.tracking import MlflowClient


@dataclass(frozen=True)
class MlflowStore:
    """A temporary MLflow store: sqlite tracking database plus a local artifact folder."""

    tracking_uri: str
    artifact_root: Path
    root: Path

    def client(self) -> MlflowClient:
        """A client of this store by its own URI (never MLflow's process-wide one, which a model
        load in another thread of the test process may have pointed elsewhere)."""
        from mlflow.tracking import MlflowClient

        return MlflowClient(tracking_uri=self.tracking_uri, registry_uri=self.tracking_uri)


@pytest.fixture(scope="session")
def _mlflow_template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty, fully migrated MLflow sqlite database (creating one costs seconds; copying it, nothing)."""
    from mlflow.tracking import MlflowClient

    folder = tmp_path_factory.mktemp("mlflow-template")
    db = folder / "mlflow.db"
    MlflowClient(tracking_uri=f"sqlite:///{db}").search_experiments()
    return db


@pytest.fixture
def mlflow_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                 _mlflow_template_db: Path) -> Iterator[MlflowStore]:
    """Point MLflow at a fresh sqlite store in ``tmp_path`` for the duration of one test.

    Sets ``MLFLOW_TRACKING_URI`` (and the registry URI) via ``monkeypatch``, plus
    ``THREATCAST_DATA_DIR`` and ``THREATCAST_ARTIFACT_ROOT`` inside ``tmp_path``, and resets MLflow's
    process-wide state afterwards, so tests never share runs, experiments or registered models.
    """
    import mlflow

    root = tmp_path / "mlflow"
    artifacts = root / "artifacts"
    artifacts.mkdir(parents=True)
    db = root / "mlflow.db"
    shutil.copy(_mlflow_template_db, db)
    con = sqlite3.connect(db)
    with con:
        con.execute("UPDATE experiments SET artifact_location = ? WHERE experiment_id = 0",
                    ((artifacts / "0").as_uri(),))
    con.close()
    uri = f"sqlite:///{db}"
    monkeypatch.delenv("THREATCAST_TRACKING_URI", raising=False)  # it would come before MLflow's own
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


@pytest.fixture(scope="session")
def fixtures(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Folder holding the hand-written source-reader fixture files (see ``source_fixtures``)."""
    return write_source_fixtures(tmp_path_factory.mktemp("source-fixtures"))
