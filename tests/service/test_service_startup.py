"""Start-up and loads: /health at once, bounded MLflow calls, no internal address, bundle validation."""

from __future__ import annotations

import dataclasses
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from svc_support import API_KEY, CUTOFF, Store, make_bundle, ready_client, wait_started

from models.panel import Panel
from service.app import create_app
from service.loader import LoadedModel, ModelLoadError, redact, store_problem
from service.state import validate_served
from service.table import build_served

KEY = {"X-API-Key": API_KEY}


def loaded(bundle_note: str = "v1", version: str = "7") -> LoadedModel:
    bundle = make_bundle(bundle_note)
    return LoadedModel(bundle=bundle, uri="models:/threatcast@champion",
                       provenance={**bundle.provenance, "model_version": version, "data_cutoff": CUTOFF},
                       loaded_at="2024-01-06T00:00:00+00:00")


@pytest.fixture
def closed_port() -> Iterator[int]:
    """A loopback port bound but not listening: every connection to it is refused."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    try:
        yield sock.getsockname()[1]
    finally:
        sock.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_closed_tracking_port_health_at_once_and_no_internal_url(tmp_path: Path, closed_port: int) -> None:
    port = _free_port()
    tracking = f"http://127.0.0.1:{closed_port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("THREATCAST_", "MLFLOW_"))}
    env.update({"MLFLOW_TRACKING_URI": tracking, "THREATCAST_ADMIN_API_KEYS": API_KEY})
    started = time.monotonic()
    server = subprocess.Popen([sys.executable, "-m", "service", "--port", str(port)], cwd=tmp_path, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as http:
            while True:  # imports take a few seconds; then the port opens at once, the load runs behind
                assert server.poll() is None, server.stderr.read().decode() if server.stderr else ""
                assert time.monotonic() - started < 60, "the service did not start listening"
                try:
                    asked = time.monotonic()
                    health = http.get("/health")
                    break
                except httpx.TransportError:
                    time.sleep(0.05)
            assert health.status_code == 200 and time.monotonic() - asked < 2.0
            deadline = time.monotonic() + 20
            while (ready := http.get("/ready")).json()["reason"] == "the model is loading":
                assert time.monotonic() < deadline, "the load against a closed port did not end"
                time.sleep(0.1)
            assert ready.status_code == 503
            assert "the MLflow tracking server is unreachable" in ready.json()["reason"]
            forecast = http.get("/v1/regions/MLI.gao/forecast")
            assert forecast.status_code == 503
            for body in (ready.text, forecast.text):
                assert str(closed_port) not in body and "127.0.0.1" not in body and "http" not in body
            asked = time.monotonic()
            reload = http.post("/v1/admin/reload", headers=KEY)
            assert reload.status_code == 409 and time.monotonic() - asked < 10.0
            assert "unreachable" in reload.json()["message"]
            assert http.get("/health").status_code == 200
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=20)  # uvicorn shuts down, then re-raises the signal: exit status -15
        assert server.stderr is not None
        log = server.stderr.read().decode()
        assert "Application shutdown complete" in log and "Traceback" not in log
    finally:
        if server.poll() is None:
            server.kill()
            server.wait(timeout=10)


def test_missing_sqlite_store_is_refused_not_created(tmp_path: Path) -> None:
    db = tmp_path / "typo" / "mlflow.db"
    uri = f"sqlite:///{db}"
    assert store_problem(uri) == f"the MLflow store {db} does not exist (no such SQLite file)"
    app = create_app(Store(uri, tmp_path, tmp_path).settings(), static_dir=None)
    with ready_client(app) as client:
        reason = client.get("/ready").json()["reason"]
    assert reason == "cannot load models:/threatcast@champion: the MLflow store does not exist"
    assert str(tmp_path) not in reason
    assert not db.exists() and not db.parent.exists()


def test_store_problem_of_other_uris(tmp_path: Path) -> None:
    assert store_problem(f"sqlite:///{tmp_path / 'absent.db'}") is not None
    (tmp_path / "there.db").write_bytes(b"")
    assert store_problem(f"sqlite:///{tmp_path / 'there.db'}") is None
    assert store_problem((tmp_path / "no-folder").as_uri()) is not None
    assert store_problem(tmp_path.as_uri()) is None
    assert store_problem("http://mlflow:5000") is None and store_problem("databricks") is None


def test_redact_hides_addresses_but_keeps_model_uris() -> None:
    text = ("cannot load models:/threatcast@champion: API request to http://mlflow.internal:5000/api/2.0 "
            "failed; 10.0.3.7:5000 refused; see sqlite:////srv/mlflow.db")
    shown = redact(text, "sqlite:////srv/mlflow.db")
    assert shown == ("cannot load models:/threatcast@champion: API request to <address> failed; "
                     "<address> refused; see <tracking store>")


def test_health_answers_while_the_load_runs(store: Store) -> None:
    release = threading.Event()

    def slow_loader(model_uri: str, tracking_uri: str) -> LoadedModel:
        release.wait(30)
        return loaded()

    app = create_app(store.settings(), loader=slow_loader, static_dir=None)
    with TestClient(app) as client:
        asked = time.monotonic()
        assert client.get("/health").status_code == 200
        assert time.monotonic() - asked < 2.0
        ready = client.get("/ready")
        assert ready.status_code == 503 and ready.headers["retry-after"] == "5"
        assert ready.json()["reason"] == "the model is loading"
        busy = client.get("/v1/regions/MLI.gao/forecast")
        assert busy.status_code == 503 and busy.json()["details"]["reason"] == "the model is loading"
        release.set()
        wait_started(app)
        assert client.get("/ready").json()["model_version"] == "7"


def test_a_hung_load_is_abandoned_and_blocks_nothing(store: Store) -> None:
    release = threading.Event()

    def hung_loader(model_uri: str, tracking_uri: str) -> LoadedModel:
        release.wait(30)
        raise ModelLoadError("never")

    app = create_app(store.settings(load_timeout_seconds=0.3), loader=hung_loader, static_dir=None)
    try:
        with ready_client(app) as client:
            assert client.get("/ready").json()["reason"] == (
                "cannot load models:/threatcast@champion: no answer within 0.3 s")
            for _ in range(2):  # each reload gives up after 0.3 s, the next one is not held up
                asked = time.monotonic()
                failed = client.post("/v1/admin/reload", headers=KEY)
                assert failed.status_code == 409 and time.monotonic() - asked < 3.0
                assert "no answer within 0.3 s" in failed.json()["message"]
    finally:
        release.set()


def test_start_up_retries_a_bounded_number_of_times(store: Store) -> None:
    calls: list[float] = []

    def flaky_loader(model_uri: str, tracking_uri: str) -> LoadedModel:
        calls.append(time.monotonic())
        if len(calls) < 3:
            raise ModelLoadError(f"cannot load {model_uri}: server at http://10.1.2.3:5000 is starting",
                                 "the MLflow tracking server is unreachable")
        return loaded()

    app = create_app(store.settings(load_attempts=3, load_retry_seconds=0.1), loader=flaky_loader,
                     static_dir=None)
    with ready_client(app) as client:
        assert client.get("/ready").json()["ready"] is True
        metrics = client.get("/metrics").text
    assert len(calls) == 3 and calls[2] - calls[1] >= 0.19  # the wait doubles: 0.1 s, then 0.2 s
    assert 'threatcast_model_reloads_total{outcome="failed"} 2.0' in metrics
    assert 'threatcast_model_reloads_total{outcome="ok"} 1.0' in metrics

    never: list[int] = []

    def dead_loader(model_uri: str, tracking_uri: str) -> LoadedModel:
        never.append(1)
        raise ModelLoadError("down", "the MLflow tracking server is unreachable")

    app = create_app(store.settings(load_attempts=2, load_retry_seconds=0.05), loader=dead_loader,
                     static_dir=None)
    with ready_client(app) as client:
        assert client.get("/ready").json()["reason"] == "the MLflow tracking server is unreachable"
    assert len(never) == 2


def _empty_history() -> LoadedModel:
    good = loaded("v9", version="9")
    state = good.bundle.state
    empty = Panel(counts=state.counts.iloc[0:0], regions=state.regions, cutoff=state.cutoff,
                  meta=dict(state.meta))
    return dataclasses.replace(good, bundle=dataclasses.replace(good.bundle, state=empty))


def test_a_bundle_with_an_empty_history_is_not_swapped_in(store: Store) -> None:
    models = [loaded(), _empty_history()]

    def next_model(model_uri: str, tracking_uri: str) -> LoadedModel:
        return models.pop(0)

    app = create_app(store.settings(), loader=next_model, static_dir=None)
    with ready_client(app) as client:
        before = client.get("/v1/regions/MLI.tombouctou/forecast", params={"horizon": 1}).json()
        refused = client.post("/v1/admin/reload", headers=KEY)
        assert refused.status_code == 409
        assert "the bundle's history is empty" in refused.json()["message"]
        after = client.get("/v1/regions/MLI.tombouctou/forecast", params={"horizon": 1}).json()
        assert after == before and after["model_version"] == "7"
        tiers = {row["risk_tier"] for row in after["forecasts"]}
        assert tiers != {"minimal"}


def test_every_region_must_have_every_forecast() -> None:
    served = build_served(loaded(), max_horizon=6, stale_after_days=75)
    validate_served(served)  # the real bundle passes
    region = "MLI.gao"
    rows = served.by_region[region]
    partial = dataclasses.replace(rows, rows={k: v for k, v in rows.rows.items() if k != ("bombing", 3)})
    broken = dataclasses.replace(served, by_region={**served.by_region, region: partial})
    with pytest.raises(ValueError, match=r"region MLI\.gao has no forecast for 1 attack type x horizon"):
        validate_served(broken)
    kept = {k: v for k, v in served.by_region.items() if k != region}
    missing = dataclasses.replace(served, by_region=kept)
    with pytest.raises(ValueError, match=r"region MLI\.gao has no forecast"):
        validate_served(missing)
