"""MLflow tracking behind one small adapter: preflight checks, runs, params, metrics, artifacts.

Every call into MLflow goes through :class:`Tracker`, which times it (``Tracker.timer``) so the
share of a training spent in tracking can be measured. :func:`preflight` runs before any heavy
work and turns an unreachable tracking server or an unwritable artifact folder into one
:class:`TrackingError` with a readable message.
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final
from urllib.parse import unquote, urlparse

import httpx
import mlflow
from mlflow.entities import Metric, Param, RunTag
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient

from training.settings import TrainingSettings, uri_scheme

PARENT_TAG: Final = "mlflow.parentRunId"
MAX_PARAM_LENGTH: Final = 6000
_BATCH: Final = 100


class TrackingError(RuntimeError):
    """Tracking cannot work (server unreachable, artifact folder unwritable, MLflow refused a call)."""


@dataclass
class CallTimer:
    """Accumulated wall-clock seconds and call counts per kind of MLflow call."""

    seconds: dict[str, float] = field(default_factory=dict)
    calls: dict[str, int] = field(default_factory=dict)

    @contextmanager
    def time(self, kind: str) -> Iterator[None]:
        """Add the duration of the ``with`` block to ``kind``."""
        start = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[kind] = self.seconds.get(kind, 0.0) + time.perf_counter() - start
            self.calls[kind] = self.calls.get(kind, 0) + 1

    def total(self) -> float:
        """Seconds over every kind."""
        return float(sum(self.seconds.values()))


def preflight(settings: TrainingSettings) -> None:
    """Check, within a few seconds, that training will be able to track and store artifacts.

    Raises:
        TrackingError: with one readable message naming the problem and what to do.
    """
    uri = settings.resolved_tracking_uri()
    scheme = uri_scheme(uri)
    if scheme in ("http", "https"):
        check_server(uri, settings.check_timeout)
    elif scheme == "sqlite":
        db = _sqlite_path(uri)
        if db is not None:
            check_writable(db.parent, "MLflow tracking database folder")
    elif scheme in ("file", ""):
        check_writable(_local_path(uri), "MLflow tracking folder")
    root = settings.resolved_artifact_root()
    if root is not None:
        check_writable(root, "artifact folder")


def check_server(uri: str, timeout: float) -> None:
    """GET ``<uri>/health`` with a short timeout and no retries.

    Raises:
        TrackingError: when the server does not answer 200 in time.
    """
    url = uri.rstrip("/") + "/health"
    try:
        response = httpx.get(url, timeout=timeout)
    except httpx.HTTPError as exc:
        raise TrackingError(
            f"MLflow tracking server {uri} is unreachable ({type(exc).__name__}: {exc}); start it or "
            "unset MLFLOW_TRACKING_URI to use the local store") from exc
    if response.status_code != 200:
        raise TrackingError(f"MLflow tracking server {uri} answered {response.status_code} on /health; "
                            "check the address or the server's logs")


def check_writable(folder: Path, what: str) -> None:
    """Create ``folder`` if needed and write (then remove) a probe file in it.

    Raises:
        TrackingError: when the folder cannot be created or written.
    """
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".write-probe-"):
            pass
    except OSError as exc:
        raise TrackingError(f"{what} {folder} is not writable: {exc.strerror or exc}") from exc


def _sqlite_path(uri: str) -> Path | None:
    path = uri.split(":///", 1)[1] if ":///" in uri else ""
    if not path or path == ":memory:":
        return None
    return Path("/" + path.lstrip("/")) if uri.startswith("sqlite:////") else Path(path)


def _local_path(uri: str) -> Path:
    return Path(unquote(urlparse(uri).path)) if uri.startswith("file:") else Path(uri)


class Tracker:
    """Runs, params, metrics, tags and artifacts of one MLflow experiment, every call timed."""

    def __init__(self, settings: TrainingSettings, timer: CallTimer | None = None) -> None:
        self.settings = settings
        self.timer = timer or CallTimer()
        self.uri = settings.resolved_tracking_uri()
        self.registry_uri = os.environ.get("MLFLOW_REGISTRY_URI") or self.uri
        self._point_mlflow_here()
        self.client = MlflowClient(tracking_uri=self.uri, registry_uri=self.registry_uri)
        self._experiment_id: str | None = None
        self._open: dict[str, None] = {}  # runs started and not yet ended, oldest first

    def _point_mlflow_here(self) -> None:
        """Point MLflow's process-wide URIs (used by the fluent calls of :meth:`log_pyfunc`) here.

        Done again before every fluent call: another component of the process (a model load in a
        worker thread) may have pointed them elsewhere since. MLflow also exports them to the
        environment; the process's own settings are kept as they were.
        """
        saved = {k: os.environ.get(k) for k in ("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI")}
        mlflow.set_tracking_uri(self.uri)
        mlflow.set_registry_uri(self.registry_uri)
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value

    @contextmanager
    def call(self, what: str, kind: str = "tracking") -> Iterator[None]:
        """Time an MLflow call and turn MLflow failures into :class:`TrackingError`."""
        with self.timer.time(kind):
            try:
                yield
            except MlflowException as exc:
                raise TrackingError(f"MLflow refused to {what}: {exc.message}") from exc

    def experiment_id(self) -> str:
        """The experiment's id, creating it (with the local artifact root) when missing.

        Raises:
            TrackingError: when the experiment is deleted or its local artifact folder is unwritable.
        """
        if self._experiment_id is not None:
            return self._experiment_id
        name = self.settings.experiment_name
        with self.call(f"open experiment {name!r}"):
            exp = self.client.get_experiment_by_name(name)
            if exp is None:
                root = self.settings.resolved_artifact_root()
                location = root.as_uri() if root is not None else None
                exp_id = self.client.create_experiment(name, artifact_location=location)
            elif exp.lifecycle_stage != "active":
                raise TrackingError(f"experiment {name!r} is deleted; restore it or choose another name")
            else:
                exp_id = exp.experiment_id
                location = exp.artifact_location
        if location and uri_scheme(location) in ("file", ""):
            check_writable(_local_path(location), "artifact folder")
        self._experiment_id = exp_id
        return exp_id

    def start_run(self, name: str, parent_id: str | None = None,
                  tags: Mapping[str, str] | None = None) -> str:
        """Create a run (a child of ``parent_id`` if given) and return its id."""
        all_tags = dict(tags or {})
        if parent_id:
            all_tags[PARENT_TAG] = parent_id
        exp_id = self.experiment_id()
        with self.call(f"start run {name!r}"):
            run = self.client.create_run(exp_id, run_name=name, tags=all_tags)
        self._open[str(run.info.run_id)] = None
        return str(run.info.run_id)

    def end_run(self, run_id: str, status: str = "FINISHED") -> None:
        """Mark a run ``FINISHED``, ``FAILED`` or ``KILLED``."""
        with self.call("end run"):
            self.client.set_terminated(run_id, status=status)
        self._open.pop(run_id, None)

    @property
    def open_runs(self) -> list[str]:
        """Ids of the runs started by this tracker and not yet ended, oldest first."""
        return list(self._open)

    def end_open_runs(self, status: str) -> list[str]:
        """End every run still open with ``status``, newest (children) first; the ids ended.

        Each run is ended on its own: one that MLflow refuses does not keep the others open.
        """
        ended = []
        for run_id in reversed(self.open_runs):
            try:
                self.end_run(run_id, status=status)
            except (TrackingError, OSError):
                continue
            ended.append(run_id)
        return ended

    def log_params(self, run_id: str, params: Mapping[str, Any]) -> None:
        """Log params (values as text, cut to MLflow's length limit), in batches."""
        items = [Param(str(k), _text(v)) for k, v in params.items()]
        for i in range(0, len(items), _BATCH):
            with self.call("log params"):
                self.client.log_batch(run_id, params=items[i:i + _BATCH])

    def log_metrics(self, run_id: str, metrics: Mapping[str, float], step: int = 0) -> None:
        """Log finite metrics at ``step`` (NaN and infinite values are skipped), in batches."""
        stamp = int(time.time() * 1000)
        items = [Metric(str(k), float(v), stamp, int(step)) for k, v in metrics.items()
                 if v is not None and _finite(float(v))]
        for i in range(0, len(items), 10 * _BATCH):
            with self.call("log metrics"):
                self.client.log_batch(run_id, metrics=items[i:i + 10 * _BATCH])

    def set_tags(self, run_id: str, tags: Mapping[str, Any]) -> None:
        """Set run tags."""
        items = [RunTag(str(k), _text(v)) for k, v in tags.items()]
        with self.call("set tags"):
            self.client.log_batch(run_id, tags=items)

    def log_artifacts(self, run_id: str, folder: Path, artifact_path: str | None = None) -> None:
        """Upload every file of ``folder`` under ``artifact_path``."""
        with self.call("log artifacts"):
            self.client.log_artifacts(run_id, str(folder), artifact_path)

    def log_dict(self, run_id: str, payload: Mapping[str, Any], name: str) -> None:
        """Store ``payload`` as the JSON artifact ``name``."""
        with self.call(f"log {name}"):
            self.client.log_dict(run_id, dict(payload), name)

    def log_pyfunc(self, run_id: str, **kwargs: Any) -> str:
        """Log a pyfunc model into ``run_id`` (``mlflow.pyfunc.log_model`` arguments); return its URI."""
        self._point_mlflow_here()
        with self.call("log the model bundle"), _quiet("mlflow.pyfunc", "mlflow.models"), \
                mlflow.start_run(run_id=run_id, nested=True):
            info = mlflow.pyfunc.log_model(**kwargs)
        return str(info.model_uri)


@contextmanager
def _quiet(*loggers: str) -> Iterator[None]:
    """Silence MLflow's informational chatter (and its pickling advice) around a call."""
    saved = {name: logging.getLogger(name).level for name in loggers}
    for name in loggers:
        logging.getLogger(name).setLevel(logging.ERROR)
    try:
        yield
    finally:
        for name, level in saved.items():
            logging.getLogger(name).setLevel(level)


def _text(value: Any) -> str:
    text = value if isinstance(value, str) else str(value)
    return text[:MAX_PARAM_LENGTH]


def _finite(value: float) -> bool:
    return value == value and value not in (float("inf"), float("-inf"))
