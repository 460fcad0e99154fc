"""Service settings from the environment, and the staleness rule."""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import ValidationError

from service.settings import DEFAULT_TRACKING_URI, Settings
from service.table import stale_deadline


def test_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    s = Settings()
    assert s.model_uri == "models:/threatcast@champion"
    assert s.tracking_uri == DEFAULT_TRACKING_URI
    assert s.admin_api_keys == ()


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
