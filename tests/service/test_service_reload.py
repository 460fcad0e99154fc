"""Reloads: to a new champion, and failed reloads that keep the old model serving."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from mlflow import MlflowClient
from svc_support import API_KEY, Store, make_bundle, ready_client

from service.app import create_app

KEY = {"X-API-Key": API_KEY}
NAME = "reloadable"


def newest_model_folder(store: Store) -> Path:
    """Local folder of the most recently logged model's artifacts."""
    models = [p.parent for p in Path(store.artifacts).rglob("MLmodel")]
    assert models, "no model artifacts in the store"
    return max(models, key=lambda p: p.stat().st_mtime_ns)


def cutoff_of(client: TestClient) -> tuple[str, str]:
    body = client.get("/v1/regions/MLI.gao/forecast", params={"attack_type": "all", "horizon": 1}).json()
    return body["model_version"], body["data_cutoff"]


def test_reload_swaps_to_new_champion_and_survives_bad_releases(store: Store) -> None:
    store.register(make_bundle("v1"), name=NAME)
    app = create_app(store.settings(model_uri=f"models:/{NAME}@champion"), static_dir=None)
    with ready_client(app) as client:
        assert cutoff_of(client) == ("1", "2023-12")

        # a new champion: trained on data to 2023-06
        store.register(make_bundle("v2", cutoff="2023-06"), name=NAME)
        r = client.post("/v1/admin/reload", headers=KEY)
        assert r.status_code == 200
        assert r.json() == {"reloaded": True, "previous_version": "1", "model_version": "2",
                            "data_cutoff": "2023-06"}
        assert cutoff_of(client) == ("2", "2023-06")
        model = client.get("/v1/model").json()
        assert (model["model_version"], model["data_fingerprint"]) == ("2", "sha256:test-v2")
        assert 'model_version="2"' in client.get("/metrics").text
        assert 'model_version="1"' not in client.get("/metrics").text

        # a corrupt release: the champion's pickled bundle is garbage
        store.register(make_bundle("v3", cutoff="2023-09"), name=NAME)
        folder = newest_model_folder(store)
        for pkl in folder.rglob("bundle.pkl"):
            pkl.write_bytes(b"not a pickle")
        answers: list[tuple[str, str]] = []
        done = threading.Event()

        def keep_asking() -> None:
            while not done.is_set():
                answers.append(cutoff_of(client))

        reader = threading.Thread(target=keep_asking)
        reader.start()
        try:
            failed = client.post("/v1/admin/reload", headers=KEY)
        finally:
            done.set()
            reader.join()
        assert failed.status_code == 409
        body = failed.json()
        assert body["error"] == "reload_failed" and body["details"]["serving_version"] == "2"
        assert f"models:/{NAME}@champion" in body["details"]["reason"]
        assert answers and set(answers) == {("2", "2023-06")}
        assert cutoff_of(client) == ("2", "2023-06")
        assert client.get("/ready").json()["model_version"] == "2"

        # a missing release: the champion's artifacts are gone
        shutil.rmtree(folder)
        assert client.post("/v1/admin/reload", headers=KEY).status_code == 409
        # the alias removed altogether
        MlflowClient(store.tracking_uri).delete_registered_model_alias(NAME, "champion")
        gone = client.post("/v1/admin/reload", headers=KEY)
        assert gone.status_code == 409 and "champion" in gone.json()["message"]
        assert cutoff_of(client) == ("2", "2023-06")
        text = client.get("/metrics").text
        assert 'threatcast_model_reloads_total{outcome="failed"} 3.0' in text
        assert 'threatcast_model_reloads_total{outcome="ok"} 2.0' in text


def test_reload_makes_a_modelless_service_ready(store: Store) -> None:
    store.register(make_bundle("v1"), alias=None, name="late")
    app = create_app(store.settings(model_uri="models:/late@champion"), static_dir=None)
    with ready_client(app) as client:
        assert client.get("/ready").status_code == 503
        failed = client.post("/v1/admin/reload", headers=KEY)
        assert failed.status_code == 409 and failed.json()["details"]["serving_version"] is None
        MlflowClient(store.tracking_uri).set_registered_model_alias("late", "champion", "1")
        ok = client.post("/v1/admin/reload", headers=KEY)
        assert ok.status_code == 200 and ok.json()["previous_version"] is None
        assert client.get("/ready").json() == {"ready": True, "model_version": "1", "data_cutoff": "2023-12",
                                               "reason": None}


def test_not_a_bundle_is_refused(store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import mlflow

    # mlflow.set_tracking_uri exports MLFLOW_TRACKING_URI: undo it when the test ends
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.delenv("MLFLOW_REGISTRY_URI", raising=False)

    class Plain(mlflow.pyfunc.PythonModel):  # type: ignore[misc]
        def predict(self, context, model_input, params=None):  # type: ignore[no-untyped-def]
            return model_input

    mlflow.set_tracking_uri(store.tracking_uri)
    path = tmp_path / "plain"
    mlflow.pyfunc.save_model(str(path), python_model=Plain(), pip_requirements=["threatcast"])
    app = create_app(store.settings(model_uri=str(path)), static_dir=None)
    with ready_client(app) as client:
        ready = client.get("/ready")
        assert ready.status_code == 503 and "not a threatcast forecast bundle" in ready.json()["reason"]
