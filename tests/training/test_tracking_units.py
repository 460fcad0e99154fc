from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest
from trainkit import synthetic_events

from training.fingerprint import events_fingerprint
from training.run_record import hyper_params, origin_scores, request_signature
from training.settings import TrainingSettings, uri_scheme
from training.tracking import CallTimer, Tracker, TrackingError, check_server, check_writable, preflight


def test_fingerprint_ignores_row_order_but_not_values() -> None:
    events = synthetic_events(months=6)
    base = events_fingerprint(events)
    assert len(base) == 64
    assert events_fingerprint(events.sample(frac=1.0, random_state=1)) == base
    changed = events.copy()
    changed.loc[3, "fatalities"] += 1
    assert events_fingerprint(changed) != base
    moved = events.copy()
    moved.loc[0, "latitude"] = np.nan
    assert events_fingerprint(moved) != base
    with pytest.raises(ValueError, match="lack canonical columns"):
        events_fingerprint(events.drop(columns=["suicide"]))


def test_settings_resolve_the_tracking_uri(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.delenv("THREATCAST_TRACKING_URI", raising=False)
    monkeypatch.delenv("THREATCAST_ARTIFACT_ROOT", raising=False)
    monkeypatch.setenv("THREATCAST_DATA_DIR", str(tmp_path))
    s = TrainingSettings()
    assert s.resolved_tracking_uri() == f"sqlite:///{tmp_path.resolve()}/mlflow/mlflow.db"
    assert s.resolved_artifact_root() == tmp_path.resolve() / "mlflow" / "artifacts" and s.is_local()
    assert (s.experiment_name, s.registered_model_name) == ("threatcast", "threatcast")
    monkeypatch.setenv("THREATCAST_TRACKING_URI", "http://tracking:5000")
    assert TrainingSettings().resolved_tracking_uri() == "http://tracking:5000"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "https://shared:443")
    assert TrainingSettings().resolved_tracking_uri() == "http://tracking:5000"  # the own variable first
    monkeypatch.delenv("THREATCAST_TRACKING_URI")
    shared = TrainingSettings()
    assert shared.resolved_tracking_uri() == "https://shared:443"
    assert not shared.is_local() and shared.resolved_artifact_root() is None
    named = shared.override(experiment_name="exp", registered_model_name=None)
    assert (named.experiment_name, named.registered_model_name) == ("exp", "threatcast")
    with pytest.raises(ValueError, match="must not be empty"):
        shared.override(registered_model_name=" ")
    assert [uri_scheme(u) for u in ("sqlite:///x.db", "postgresql+psycopg://h/db", "/tmp/x")] == [
        "sqlite", "postgresql", ""]


def test_call_timer_accumulates() -> None:
    timer = CallTimer()
    for _ in range(3):
        with timer.time("tracking"):
            pass
    with pytest.raises(KeyError), timer.time("registry"):
        raise KeyError("still timed")
    assert timer.calls == {"tracking": 3, "registry": 1}
    assert 0 <= timer.total() < 1


class _Unhealthy(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(503)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def unhealthy_server() -> Iterator[str]:
    server = HTTPServer(("127.0.0.1", 0), _Unhealthy)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_unhealthy_server_is_reported_with_its_status(unhealthy_server: str) -> None:
    with pytest.raises(TrackingError, match="answered 503"):
        check_server(unhealthy_server, timeout=2)


def test_unwritable_folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(TrackingError, match="is not writable"):
        check_writable(blocker / "sub", "artifact folder")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{blocker}/db/mlflow.db")
    with pytest.raises(TrackingError, match="tracking database folder"):
        preflight(TrainingSettings())
    check_writable(tmp_path / "new" / "deep", "artifact folder")
    assert (tmp_path / "new" / "deep").is_dir() and list((tmp_path / "new" / "deep").iterdir()) == []


def test_tracker_logs_batches_truncates_and_skips_nan(mlflow_store) -> None:
    tracker = Tracker(TrainingSettings())
    run = tracker.start_run("unit")
    tracker.log_params(run, {f"p{i}": i for i in range(250)} | {"long": "x" * 9000})
    tracker.log_metrics(run, {"ok": 1.5, "nan": float("nan"), "inf": float("inf")}, step=2)
    tracker.end_run(run)
    data = mlflow_store.client().get_run(run).data
    assert len(data.params) == 251 and len(data.params["long"]) == 6000 and data.params["p249"] == "249"
    assert data.metrics == {"ok": 1.5}
    exp = mlflow_store.client().get_experiment(tracker.experiment_id())
    assert exp.artifact_location == mlflow_store.artifact_root.resolve().as_uri()
    assert tracker.timer.calls["tracking"] >= 5


def test_origin_scores_and_signature() -> None:
    preds = pd.DataFrame({
        "model": ["selected"] * 4 + ["zero"], "attack_type": ["all", "all", "all", "bombing", "all"],
        "origin": ["2020-01", "2020-01", "2020-02", "2020-01", "2020-01"],
        "y": [0, 3, 1, 5, 2], "crps": [0.2, 1.0, 0.4, 9.0, 2.0], "p_any": [0.5, 1.0, 0.25, 0.9, 0.0]})
    scores = origin_scores(preds, "selected")
    assert scores.by_origin["2020-01"] == pytest.approx({"crps": 0.6, "brier": 0.125, "n": 2})
    assert scores.by_origin["2020-02"] == pytest.approx({"crps": 0.4, "brier": 0.5625, "n": 1})
    with pytest.raises(ValueError, match="no scored backtest rows"):
        origin_scores(preds, "pooled_negbin")
    sig = request_signature(pd.DataFrame({"region_id": ["a"], "horizon": [1], "mean": [0.5]}))
    assert [c.name for c in sig.inputs.inputs] == ["region_id", "attack_type", "horizon"]
    assert all(not c.required for c in sig.inputs.inputs)
    assert [c.type.name for c in sig.outputs.inputs] == ["string", "long", "double"]


def test_hyper_params_leave_the_catalog_out() -> None:
    from models.episodes import load_catalog
    from models.estimators.count import PooledNegBin

    params = hyper_params(PooledNegBin(catalog=load_catalog(), random_state=4, l2=0.001))
    assert params["random_state"] == "4" and params["l2"] == "0.001" and "catalog" not in params
    assert hyper_params(object()) == {}


def test_a_tracker_leaves_the_environment_as_it_was(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    import mlflow

    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.delenv("MLFLOW_REGISTRY_URI", raising=False)
    try:
        first = Tracker(TrainingSettings(data_dir=tmp_path / "a"))
        assert "MLFLOW_TRACKING_URI" not in os.environ
        second = TrainingSettings(data_dir=tmp_path / "b")
        assert second.resolved_tracking_uri() != first.uri  # a second training in the process goes elsewhere
    finally:
        mlflow.set_tracking_uri(None)
        mlflow.set_registry_uri(None)  # type: ignore[arg-type]


class _Constant(mlflow.pyfunc.PythonModel):  # type: ignore[misc]
    def predict(self, context, model_input, params=None):
        return model_input


def test_the_model_is_logged_to_the_trackers_store_when_mlflow_was_pointed_elsewhere(
        mlflow_store, tmp_path: Path) -> None:
    """A model load in another thread may move MLflow's process-wide URI; the bundle still lands here."""
    tracker = Tracker(TrainingSettings())
    run = tracker.start_run("unit")
    elsewhere = f"sqlite:///{tmp_path / 'elsewhere.db'}"
    mlflow.set_tracking_uri(elsewhere)
    mlflow.set_registry_uri(elsewhere)
    uri = tracker.log_pyfunc(run, name="bundle", python_model=_Constant())
    tracker.end_run(run)
    assert mlflow.get_tracking_uri() == mlflow_store.tracking_uri
    logged = mlflow_store.client().get_logged_model(uri.removeprefix("models:/"))
    assert logged.source_run_id == run
    assert not (tmp_path / "elsewhere.db").exists()
