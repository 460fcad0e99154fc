"""Training's tracking URI follows one documented order; a blank value at any step counts as unset."""

from __future__ import annotations

from pathlib import Path

import pytest

from training.settings import TrainingSettings


@pytest.mark.parametrize(("argument", "own", "mlflow", "expected"), [
    (None, "   ", "http://shared:5000", "http://shared:5000"),
    ("  ", "sqlite:///own.db", "http://shared:5000", "sqlite:///own.db"),
    ("  ", " ", "http://shared:5000", "http://shared:5000"),
    (None, "", None, None),
    (" sqlite:///arg.db ", "   ", "http://shared:5000", "sqlite:///arg.db"),
    (None, " http://own:5000 ", "http://shared:5000", "http://own:5000"),
])
def test_blank_values_fall_through_to_the_next_step(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                    argument: str | None, own: str, mlflow: str | None,
                                                    expected: str | None) -> None:
    monkeypatch.setenv("THREATCAST_TRACKING_URI", own)
    if mlflow is None:
        monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    else:
        monkeypatch.setenv("MLFLOW_TRACKING_URI", mlflow)
    kwargs = {} if argument is None else {"tracking_uri": argument}
    settings = TrainingSettings(data_dir=tmp_path, **kwargs)
    embedded = f"sqlite:///{tmp_path.resolve()}/mlflow/mlflow.db"
    assert settings.resolved_tracking_uri() == (expected or embedded)
    assert settings.is_local() == (expected is None or expected.startswith("sqlite"))
