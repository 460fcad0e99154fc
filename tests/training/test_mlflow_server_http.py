"""Train against a real `mlflow server` on loopback, over HTTP, then load the champion from it."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import mlflow
import pandas as pd
import pytest
from mlflow.tracking import MlflowClient
from trainkit import synthetic_events

from cli.jobs.train import TrainOptions, train
from models.forecast import check_forecast_frame

MLFLOW = Path(sys.executable).with_name("mlflow")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def mlflow_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                  _mlflow_template_db: Path) -> Iterator[str]:
    if not MLFLOW.exists():
        pytest.skip("the mlflow command is not installed")
    db = tmp_path / "server.db"
    shutil.copy(_mlflow_template_db, db)  # already migrated: the server starts in seconds
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = (tmp_path / "server.log").open("w")
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    proc = subprocess.Popen(
        [str(MLFLOW), "server", "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
         "--backend-store-uri", f"sqlite:///{db}", "--artifacts-destination", str(tmp_path / "artifacts"),
         "--serve-artifacts"],
        stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail("mlflow server did not start:\n" + (tmp_path / "server.log").read_text()[-3000:])
            time.sleep(0.5)
        monkeypatch.setenv("MLFLOW_TRACKING_URI", url)
        monkeypatch.delenv("MLFLOW_REGISTRY_URI", raising=False)
        monkeypatch.setenv("THREATCAST_DATA_DIR", str(tmp_path / "client-data"))
        yield url
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()
        mlflow.set_tracking_uri(None)
        mlflow.set_registry_uri(None)  # type: ignore[arg-type]


@pytest.mark.slow
def test_train_against_a_tracking_server_and_load_the_champion(mlflow_server: str, tmp_path: Path) -> None:
    options = TrainOptions(horizon=3, n_origins=4, executor="serial", models="zero,mean12",
                           classifier=False, progress=False)
    result = train(synthetic_events(), options)
    assert result.version == "1" and result.decision.alias == "champion"
    assert not (tmp_path / "client-data").exists()  # nothing stored locally: the server holds it all

    client = MlflowClient(mlflow_server)
    run = client.get_run(result.run_id)
    assert run.data.params["data_cutoff"] == "2021-12" and run.info.status == "FINISHED"
    assert run.info.artifact_uri.startswith("mlflow-artifacts:")
    assert any(a.path == "forecast" for a in client.list_artifacts(result.run_id))
    assert (tmp_path / "artifacts").exists()  # where the server put them

    model = mlflow.pyfunc.load_model("models:/threatcast@champion")
    frame = model.predict(pd.DataFrame({"region_id": ["BFA.sahel", "MLI.mopti"]}))
    check_forecast_frame(frame)
    assert set(frame["region_id"]) == {"BFA.sahel", "MLI.mopti"} and len(frame) == 2 * 11 * 3
    assert model.unwrap_python_model().bundle.provenance["run_id"] == result.run_id
