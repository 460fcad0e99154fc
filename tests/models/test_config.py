"""One order for the tracking URI in both processes: argument, THREATCAST_, MLFLOW_, embedded default."""

from __future__ import annotations

from pathlib import Path

import pytest

from models.config import embedded_tracking_uri, tracking_uri
from service.settings import Settings
from training.settings import TrainingSettings


@pytest.mark.parametrize(("own", "mlflow", "expected"), [
    ("sqlite:///own.db", "http://shared:5000", "sqlite:///own.db"),
    (None, "http://shared:5000", "http://shared:5000"),
    (None, "  http://shared:5000 ", "http://shared:5000"),
    ("sqlite:///own.db", None, "sqlite:///own.db"),
    (None, "   ", None),
    (None, None, None),
])
def test_training_and_the_service_resolve_the_tracking_uri_alike(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, own: str | None, mlflow: str | None,
        expected: str | None) -> None:
    monkeypatch.delenv("THREATCAST_DATA_DIR", raising=False)
    for name, value in (("THREATCAST_TRACKING_URI", own), ("MLFLOW_TRACKING_URI", mlflow)):
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    training = TrainingSettings(data_dir=tmp_path)
    service = Settings()
    assert training.resolved_tracking_uri() == (expected or f"sqlite:///{tmp_path.resolve()}/mlflow/mlflow.db")
    assert service.tracking_uri == (expected or embedded_tracking_uri())
    # an explicit value beats both variables
    assert TrainingSettings(tracking_uri="sqlite:///arg.db").resolved_tracking_uri() == "sqlite:///arg.db"
    assert Settings(tracking_uri="sqlite:///arg.db").tracking_uri == "sqlite:///arg.db"


@pytest.mark.parametrize(("argument", "own", "mlflow", "expected"), [
    (None, "", "http://shared:5000", "http://shared:5000"),
    (None, "   ", "http://shared:5000", "http://shared:5000"),
    (None, "   ", "  ", None),
    ("  ", "sqlite:///own.db", "http://shared:5000", "sqlite:///own.db"),
    ("", " ", "http://shared:5000", "http://shared:5000"),
    ("\t", None, None, None),
    (" sqlite:///arg.db ", "   ", "http://shared:5000", "sqlite:///arg.db"),
    (None, " http://own:5000 ", "", "http://own:5000"),
])
def test_a_blank_value_counts_as_unset_in_both_processes(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, argument: str | None, own: str | None,
        mlflow: str | None, expected: str | None) -> None:
    monkeypatch.delenv("THREATCAST_DATA_DIR", raising=False)
    for name, value in (("THREATCAST_TRACKING_URI", own), ("MLFLOW_TRACKING_URI", mlflow)):
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    kwargs = {} if argument is None else {"tracking_uri": argument}
    assert tracking_uri(argument) == expected
    training = TrainingSettings(data_dir=tmp_path, **kwargs)
    assert training.resolved_tracking_uri() == (expected or f"sqlite:///{tmp_path.resolve()}/mlflow/mlflow.db")
    assert Settings(**kwargs).tracking_uri == (expected or embedded_tracking_uri())
