"""Service settings from the environment, the staleness rule and the drivers shown per forecast row."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from models.config import embedded_tracking_uri
from service.settings import Settings
from service.table import driver_lists, stale_deadline
from training.settings import TrainingSettings

DEFAULT_TRACKING_URI = embedded_tracking_uri()


def test_defaults(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("MLFLOW_TRACKING_URI", "THREATCAST_TRACKING_URI", "THREATCAST_DATA_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    s = Settings()
    assert s.model_uri == "models:/threatcast@champion"
    assert s.tracking_uri == f"sqlite:///{tmp_path.resolve()}/data/mlflow/mlflow.db"
    assert s.admin_api_keys == ()


def test_the_data_dir_points_the_service_at_the_store_training_writes(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("MLFLOW_TRACKING_URI", "THREATCAST_TRACKING_URI"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("THREATCAST_DATA_DIR", str(tmp_path / "store"))
    expected = f"sqlite:///{(tmp_path / 'store').resolve()}/mlflow/mlflow.db"
    assert Settings().tracking_uri == expected
    assert TrainingSettings().resolved_tracking_uri() == expected
    assert Settings(data_dir=tmp_path).tracking_uri == f"sqlite:///{tmp_path.resolve()}/mlflow/mlflow.db"
    # a tracking URI, when set, wins over the data directory
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://mlflow:5000")
    assert Settings().tracking_uri == "http://mlflow:5000"


def test_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://mlflow:5000")
    monkeypatch.setenv("THREATCAST_ADMIN_API_KEYS", " one, two ,,")
    monkeypatch.setenv("THREATCAST_MAX_BATCH_REGIONS", "7")
    s = Settings()
    assert s.tracking_uri == "http://mlflow:5000"
    assert s.admin_api_keys == ("one", "two")
    assert s.max_batch_regions == 7
    monkeypatch.setenv("THREATCAST_TRACKING_URI", "sqlite:///x.db")
    assert Settings().tracking_uri == "sqlite:///x.db"



def test_a_blank_tracking_variable_counts_as_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("THREATCAST_TRACKING_URI", "  ")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://mlflow:5000")
    assert Settings().tracking_uri == "http://mlflow:5000"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "")
    monkeypatch.delenv("THREATCAST_DATA_DIR", raising=False)
    assert Settings().tracking_uri == DEFAULT_TRACKING_URI
    assert Settings(tracking_uri=" ").tracking_uri == DEFAULT_TRACKING_URI

@pytest.mark.parametrize(("name", "value"), [("THREATCAST_MAX_BATCH_REGIONS", "0"),
                                             ("THREATCAST_STALE_AFTER_DAYS", "-1"),
                                             ("THREATCAST_MAX_HORIZON", "many")])
def test_invalid_values_are_refused(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError):
        Settings()


def test_settings_are_frozen() -> None:
    with pytest.raises(ValidationError):
        Settings().model_uri = "x"  # type: ignore[misc]


def test_stale_deadline_counts_from_the_end_of_the_cutoff_month() -> None:
    assert stale_deadline("2023-12", 75) == dt.date(2023, 12, 31) + dt.timedelta(days=75)
    assert stale_deadline("2024-02", 0) == dt.date(2024, 2, 29)


def test_driver_lists_keep_the_three_largest_terms_of_each_row() -> None:
    explained = pd.DataFrame({
        "region_id": ["MLI.gao"] * 5 + ["MLI.kidal"] * 2,
        "attack_type": ["all"] * 5 + ["bombing"] * 2,
        "horizon": [1] * 5 + [2] * 2,
        "driver": ["recent trend", "season", "occupation phase", "rest of the served model",
                   "region age", "season", "country activity"],
        "effect": [0.30, -0.05, -0.45, 0.80, 0.0, 0.0, 0.00001],
    })
    out = driver_lists(explained)
    gao = out[("MLI.gao", "all", 1)]
    assert [d["driver"] for d in gao] == ["rest of the served model", "occupation phase", "recent trend"]
    assert gao[1]["effect"] == -0.45 and gao[1]["factor"] == round(float(np.exp(-0.45)), 4)  # 4 decimals
    # terms that move nothing are not drivers: a row without any has no entry
    assert ("MLI.kidal", "bombing", 2) not in out
    assert driver_lists(explained.iloc[0:0]) == {}
