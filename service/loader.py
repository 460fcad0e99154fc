"""Load a forecast bundle from MLflow by URI (``models:/threatcast@champion``, ``runs:/...``, a path).

The registered pyfunc model wraps the bundle (see :mod:`models.pyfunc`); loading unwraps it. For a
registry URI the model version, alias and run id are read from the registry so the provenance of
what is served is exact even when the bundle was logged before it got a version.

Every MLflow call is bounded: :func:`limit_mlflow_http` caps MLflow's HTTP timeout and retries
(its defaults retry for about four minutes against a closed port), a tracking server is asked
``/health`` with a short timeout before anything else, and a tracking URI naming a local store
that does not exist is refused instead of being silently created empty (:func:`store_problem`).
A failed load carries two messages: the full one for logs and admin replies, and a public one,
without the tracking URI or any internal address, for unauthenticated replies.
"""

from __future__ import annotations

import os
import re
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final
from urllib.parse import unquote, urlparse

from models.bundle import ForecastBundle

_REGISTRY_URI = re.compile(r"^models:/(?P<name>[^/@]+)(?:@(?P<alias>[^/]+)|/(?P<version>\d+))$")
_ADDRESS = re.compile(r"\b[a-z][a-z0-9+.-]*://\S+|\b\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?\b", re.IGNORECASE)
_PUBLIC_SCHEMES: Final = ("models:/", "runs:/")


class ModelLoadError(RuntimeError):
    """The model at a URI could not be loaded or is not a forecast bundle; the message says why.

    Attributes:
        public: the reason without the tracking URI or any internal address (for replies to
            unauthenticated clients).
    """

    def __init__(self, message: str, public: str | None = None) -> None:
        super().__init__(message)
        self.public = public if public is not None else redact(message)


@dataclass(frozen=True)
class LoadedModel:
    """A loaded bundle and where it came from."""

    bundle: ForecastBundle
    uri: str
    provenance: dict[str, Any]
    loaded_at: str


def redact(text: str, *secrets: str) -> str:
    """``text`` with every URL (but model URIs), IP address and each of ``secrets`` replaced."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "<tracking store>")

    def hide(match: re.Match[str]) -> str:
        return match[0] if match[0].startswith(_PUBLIC_SCHEMES) else "<address>"

    return _ADDRESS.sub(hide, text)


def limit_mlflow_http(timeout_seconds: int, max_retries: int) -> None:
    """Bound every HTTP call MLflow makes from this process (timeout, retries, back-off)."""
    os.environ["MLFLOW_HTTP_REQUEST_TIMEOUT"] = str(int(timeout_seconds))
    os.environ["MLFLOW_HTTP_REQUEST_MAX_RETRIES"] = str(int(max_retries))
    os.environ["MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR"] = "1"
    os.environ["MLFLOW_HTTP_REQUEST_BACKOFF_JITTER"] = "0.5"


def _scheme(uri: str) -> str:
    head = uri.split("://", 1)[0].lower() if "://" in uri else ""
    return head.split("+", 1)[0]


def _sqlite_file(uri: str) -> Path | None:
    path = uri.split(":///", 1)[1] if ":///" in uri else ""
    if not path or path.startswith(":memory:"):
        return None
    path = path.split("?", 1)[0]
    return Path("/" + path.lstrip("/")) if uri.startswith("sqlite:////") else Path(path)


def store_problem(tracking_uri: str) -> str | None:
    """Why ``tracking_uri`` cannot be a store to serve from (a local store that does not exist), else None.

    MLflow creates a missing SQLite database (or file-store folder) on first use: a typo in the
    URI would serve from an empty store, never finding a model.
    """
    scheme = _scheme(tracking_uri)
    if scheme == "sqlite":
        db = _sqlite_file(tracking_uri)
        if db is not None and not db.is_file():
            return f"the MLflow store {db} does not exist (no such SQLite file)"
    elif scheme == "file" or (scheme == "" and ("/" in tracking_uri or tracking_uri.startswith("."))):
        folder = Path(unquote(urlparse(tracking_uri).path)) if scheme == "file" else Path(tracking_uri)
        if not folder.is_dir():
            return f"the MLflow store {folder} does not exist (no such folder)"
    return None


def check_reachable(tracking_uri: str, timeout_seconds: float) -> None:
    """GET ``<tracking_uri>/health`` of an HTTP tracking server once, with a short timeout.

    Raises:
        ModelLoadError: when the server does not answer 200 in time.
    """
    if _scheme(tracking_uri) not in ("http", "https"):
        return
    url = tracking_uri.rstrip("/") + "/health"
    try:
        with urllib.request.urlopen(url, timeout=timeout_seconds) as response:
            status = response.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise ModelLoadError(f"the MLflow tracking server {tracking_uri} is unreachable: {reason}",
                             "the MLflow tracking server is unreachable") from exc
    if status != 200:
        raise ModelLoadError(f"the MLflow tracking server {tracking_uri} answered {status} on /health",
                             f"the MLflow tracking server answered {status}")


def _registry_facts(model_uri: str, tracking_uri: str) -> dict[str, Any]:
    match = _REGISTRY_URI.match(model_uri)
    if not match:
        return {}
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)
    name, alias = match["name"], match["alias"]
    if alias:
        mv = client.get_model_version_by_alias(name, alias)
    else:
        mv = client.get_model_version(name, match["version"])
    return {"model_name": name, "model_version": str(mv.version), "alias": alias or "",
            "run_id": mv.run_id or ""}


def _public_failure(model_uri: str, exc: Exception, tracking_uri: str) -> str:
    code = str(getattr(exc, "error_code", ""))
    if code == "RESOURCE_DOES_NOT_EXIST":
        return f"cannot load {model_uri}: no such model, version or alias"
    text = str(exc)
    if "Max retries exceeded" in text or "ConnectionError" in text or "timed out" in text.lower():
        return f"cannot load {model_uri}: the MLflow tracking server is unreachable"
    return redact(f"cannot load {model_uri}: {type(exc).__name__}: {_first_line(exc)}", tracking_uri)


def load_model(model_uri: str, tracking_uri: str) -> LoadedModel:
    """Load the bundle at ``model_uri`` from the MLflow store at ``tracking_uri``.

    Raises:
        ModelLoadError: naming the URI and the reason (missing store, unreachable server, missing
            model or alias, unreadable artifacts, not a threatcast bundle).
    """
    problem = store_problem(tracking_uri) if model_uri.startswith(_PUBLIC_SCHEMES) else None
    if problem is not None:
        raise ModelLoadError(f"cannot load {model_uri}: {problem}",
                             f"cannot load {model_uri}: the MLflow store does not exist")
    if model_uri.startswith(_PUBLIC_SCHEMES):
        timeout = float(os.environ.get("MLFLOW_HTTP_REQUEST_TIMEOUT", "10"))
        check_reachable(tracking_uri, min(timeout, 5.0))
    import mlflow

    try:
        saved = {k: os.environ.get(k) for k in ("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI")}
        mlflow.set_tracking_uri(tracking_uri)
        mlflow.set_registry_uri(tracking_uri)
        for key, value in saved.items():  # MLflow also exports them: keep the process's settings
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        facts = _registry_facts(model_uri, tracking_uri)
        python_model = mlflow.pyfunc.load_model(model_uri).unwrap_python_model()
    except Exception as exc:  # mlflow raises many types; every one is a failed load
        raise ModelLoadError(f"cannot load {model_uri}: {type(exc).__name__}: {_first_line(exc)}",
                             _public_failure(model_uri, exc, tracking_uri)) from exc
    bundle = getattr(python_model, "bundle", None)
    if not isinstance(bundle, ForecastBundle):
        raise ModelLoadError(f"{model_uri} is not a threatcast forecast bundle "
                             f"(got {type(python_model).__name__})")
    provenance = {**bundle.provenance, **{k: v for k, v in facts.items() if v}}
    provenance.setdefault("model_name", "threatcast")
    provenance["data_cutoff"] = bundle.cutoff
    return LoadedModel(bundle=bundle, uri=model_uri, provenance=provenance,
                       loaded_at=datetime.now(UTC).isoformat(timespec="seconds"))


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:300] if text else "no detail"
