"""Service test support: a small real panel, a real bundle and a real registered MLflow model."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import mlflow
import pandas as pd
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from mlflow import MlflowClient

from models.bundle import ForecastBundle
from models.episodes import load_catalog
from models.estimators.baselines import Mean12Poisson
from models.panel import build_panel
from models.pyfunc import BUNDLE_ARTIFACT, BundleModel, save_bundle
from models.schema import conform_events
from service.settings import Settings

API_KEY = "test-admin-key"
CUTOFF = "2023-12"


def make_events() -> pd.DataFrame:
    """36 months (2021-01..2023-12) of events in three regions with known counts.

    MLI.tombouctou: 1 armed assault every month, plus 2 bombings a month in 2023.
    MLI.gao: 1 kidnapping in every even month.
    BFA.sahel: a single armed clash in 2021-01 (then nothing).
    """
    rows = []
    for month in pd.period_range("2021-01", CUTOFF, freq="M"):
        day = month.start_time + pd.Timedelta(days=9)
        rows.append(("MLI", "Tombouctou", day, "armed_assault", 16.77, -3.0, 1))
        if month.year == 2023:
            rows += [("MLI", "Tombouctou", day, "bombing", 16.77, -3.0, 2)] * 2
        if month.month % 2 == 0:
            rows.append(("MLI", "Gao", day, "kidnapping", 16.27, -0.04, 0))
    rows.append(("BFA", "Sahel", pd.Timestamp("2021-01-05"), "armed_clash", 14.0, -0.5, 3))
    frame = pd.DataFrame(rows, columns=["country", "admin1", "date", "attack_type", "latitude",
                                        "longitude", "fatalities"])
    frame["event_id"] = [f"test:{i}" for i in range(len(frame))]
    frame["source"] = "test"
    frame["date_precision"] = "day"
    frame["region_id"] = [f"{c}.{a.lower()}" for c, a in zip(frame["country"], frame["admin1"], strict=True)]
    frame["perpetrator"] = ""
    frame["target"] = ""
    frame["suicide"] = False
    return conform_events(frame)


def make_bundle(version_note: str = "v1", cutoff: str = CUTOFF) -> ForecastBundle:
    """A fitted Mean12Poisson bundle on :func:`make_events` truncated at ``cutoff``."""
    panel = build_panel(make_events(), cutoff=cutoff)
    forecaster = Mean12Poisson().fit(panel)
    return ForecastBundle(
        forecaster=forecaster, state=panel, catalog=load_catalog(), horizon=6,
        provenance={"model_name": "threatcast", "trained_at": "2024-01-05T10:00:00+00:00",
                    "data_fingerprint": f"sha256:test-{version_note}", "served_model": "mean12_poisson",
                    "taxonomy_version": "1.0", "catalog_version": "1.1",
                    "backtest": {"crps_all_h1": 0.42, "skill_vs_mean12": 0.0}})


@dataclass(frozen=True)
class Store:
    """A temporary MLflow store with a registered model."""

    tracking_uri: str
    artifacts: Path
    workdir: Path

    def register(self, bundle: ForecastBundle, alias: str | None = "champion",
                 name: str = "threatcast") -> str:
        """Log ``bundle`` as a pyfunc model, register it and point ``alias`` at it; return the version."""
        saved = {k: os.environ.get(k) for k in ("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI")}
        mlflow.set_tracking_uri(self.tracking_uri)
        mlflow.set_registry_uri(self.tracking_uri)
        for key, value in saved.items():  # MLflow exports them: later trainings must not inherit this store
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        client = MlflowClient(self.tracking_uri)
        exp = client.get_experiment_by_name("service-tests")
        exp_id = exp.experiment_id if exp else client.create_experiment(
            "service-tests", artifact_location=self.artifacts.as_uri())
        folder = self.workdir / f"bundle-{len(list(self.workdir.glob('bundle-*')))}"
        path = save_bundle(bundle, folder)
        with mlflow.start_run(experiment_id=exp_id):
            info = mlflow.pyfunc.log_model(name="model", python_model=BundleModel(),
                                           artifacts={BUNDLE_ARTIFACT: str(path)},
                                           registered_model_name=name, pip_requirements=["threatcast"])
        version = str(info.registered_model_version)
        if alias:
            client.set_registered_model_alias(name, alias, version)
        return version

    def settings(self, **overrides: object) -> Settings:
        """Service settings pointing at this store."""
        values: dict[str, object] = {"model_uri": "models:/threatcast@champion",
                                     "tracking_uri": self.tracking_uri, "admin_api_keys": (API_KEY,),
                                     "load_attempts": 1}
        values.update(overrides)
        return Settings(**values)  # type: ignore[arg-type]


def new_store(root: Path) -> Store:
    """An empty store under ``root``."""
    (root / "artifacts").mkdir(parents=True)
    (root / "work").mkdir()
    return Store(tracking_uri=f"sqlite:///{root / 'mlflow.db'}", artifacts=root / "artifacts",
                 workdir=root / "work")


def wait_started(app: FastAPI, timeout: float = 60.0) -> None:
    """Block until the app's background start-up load has ended (successfully or not)."""
    deadline = time.monotonic() + timeout
    while not app.state.startup.done():
        if time.monotonic() > deadline:
            raise TimeoutError("the start-up load did not end")
        time.sleep(0.01)


@contextmanager
def ready_client(app: FastAPI, **kwargs: Any) -> Iterator[TestClient]:
    """A TestClient on ``app`` entered once the start-up load has ended."""
    with TestClient(app, **kwargs) as client:
        wait_started(app)
        yield client


STUDY_CATALOG_ROWS = (
    ("mli-test-tombouctou", "MLI", "Tombouctou", "2022-01", "2022-06"),
    ("mli-test-gao-open", "MLI", "Gao", "2023-03", ""),
    ("ner-test", "NER", "Tillaberi", "2022-01", "2022-03"),
)


def study_bundle() -> ForecastBundle:
    """:func:`make_bundle` with a catalog of episodes inside the data and its episode study."""
    from cli.jobs.train import _json_ready
    from models.episodes import parse_catalog
    from models.study import run_study

    catalog = parse_catalog(pd.DataFrame(list(STUDY_CATALOG_ROWS), columns=[
        "episode_id", "country", "admin1", "start_month", "end_month"]))
    bundle = make_bundle()
    study = run_study(build_panel(make_events(), cutoff=CUTOFF), catalog, placebo_draws=0)
    return ForecastBundle(forecaster=bundle.forecaster, state=bundle.state, catalog=catalog,
                          provenance={**bundle.provenance, "study": _json_ready(study.to_dict())},
                          horizon=bundle.horizon)


TARGET_OF = {"armed_assault": "security_forces", "bombing": "civilians", "kidnapping": "international",
             "armed_clash": "non_state"}
"""Target class of each attack type in :func:`target_events`."""


def target_events() -> pd.DataFrame:
    """:func:`make_events` with a target class per attack type (:data:`TARGET_OF`)."""
    events = make_events()
    events["target_class"] = events["attack_type"].map(TARGET_OF).astype(str)
    return events


def target_bundle() -> ForecastBundle:
    """:func:`make_bundle` on :func:`target_events` with a fitted target-mix model."""
    from models.estimators.target_mix import TargetMix

    panel = build_panel(target_events(), cutoff=CUTOFF)
    bundle = make_bundle()
    return ForecastBundle(forecaster=Mean12Poisson().fit(panel), state=panel, catalog=bundle.catalog,
                          provenance=bundle.provenance, horizon=bundle.horizon,
                          target_model=TargetMix().fit(panel))


@contextmanager
def real_server(app: FastAPI) -> Iterator[httpx.Client]:
    """``app`` under a real uvicorn server on a loopback port, with an HTTP client on it."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning",
                                           lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not server.started:
            assert time.monotonic() < deadline, "uvicorn did not start"
            assert thread.is_alive(), "uvicorn exited"
            time.sleep(0.05)
        while not app.state.startup.done():
            assert time.monotonic() < deadline, "the model did not load"
            time.sleep(0.05)
        port = server.servers[0].sockets[0].getsockname()[1]
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=20) as http:
            yield http
    finally:
        server.should_exit = True
        thread.join(timeout=10)
