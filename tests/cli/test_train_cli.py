from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
from trainkit import synthetic_events
from typer.testing import CliRunner

from cli import app

runner = CliRunner()
COMMON = ["--horizon", "3", "--origins", "2021-06:2021-09", "--executor", "serial", "--no-classifier"]


@pytest.fixture
def events_csv(tmp_path: Path) -> Path:
    path = tmp_path / "events.csv"
    synthetic_events().to_csv(path, index=False)
    return path


@pytest.mark.slow
def test_train_models_and_promote(mlflow_store, events_csv: Path) -> None:
    done = runner.invoke(app, ["train", "--events", str(events_csv), *COMMON, "--models", "zero", "--json"])
    assert done.exit_code == 0, done.output
    first = json.loads(done.stdout)
    assert first["version"] == "1" and first["alias"] == "champion" and first["promoted"] is True
    assert first["origins"] == ["2021-06", "2021-07", "2021-08", "2021-09"]
    assert first["headline"]["brier"] == pytest.approx(1.0)  # zero forecaster, events every month

    done = runner.invoke(app, ["train", "-e", str(events_csv), *COMMON, "--models", "mean12", "--json",
                               "--model-name", "threatcast", "--experiment", "threatcast"])
    second = json.loads(done.stdout)
    assert second["promoted"] is True and second["decision"]["champion_version"] == "1"

    listed = runner.invoke(app, ["models", "--json"])
    assert listed.exit_code == 0, listed.output
    rows = {r["version"]: r for r in json.loads(listed.stdout)["versions"]}
    assert rows["2"]["aliases"] == ["champion"] and rows["1"]["aliases"] == []
    assert rows["1"]["crps"] > rows["2"]["crps"] and rows["2"]["complete"] is True

    moved = runner.invoke(app, ["promote", "1", "--json"])
    assert moved.exit_code == 0, moved.output
    assert json.loads(moved.stdout) == {"model_name": "threatcast", "alias": "champion", "version": "1",
                                        "previous": "2"}
    table = runner.invoke(app, ["models"])
    assert table.exit_code == 0 and "champion" in table.stdout


def test_models_on_an_empty_registry(mlflow_store) -> None:
    done = runner.invoke(app, ["models"])
    assert done.exit_code == 0 and "no versions" in done.stdout
    assert json.loads(runner.invoke(app, ["models", "--json"]).stdout)["versions"] == []


@pytest.mark.parametrize("args, message", [
    (["promote", "99"], "MLflow refused"),
    (["promote", "latest"], "version must be a number"),
    (["train", "--events", "/no/such.csv", "--executor", "serial"], "not found"),
    (["train", "--events", "/no/such.csv", "--format", "xml"], "unknown format"),
])
def test_user_errors_exit_2_with_one_line(mlflow_store, args: list[str], message: str) -> None:
    done = runner.invoke(app, args)
    assert done.exit_code == 2
    assert message in done.stderr and "Traceback" not in done.output
    assert len(done.stderr.strip().splitlines()) == 1


def test_unreachable_server_exit_2(monkeypatch: pytest.MonkeyPatch, events_csv: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("THREATCAST_CHECK_TIMEOUT", "2")
    for args in (["train", "--events", str(events_csv), "--json"], ["models"]):
        done = runner.invoke(app, args)
        assert done.exit_code == 2 and "unreachable" in done.stderr and "Traceback" not in done.output
