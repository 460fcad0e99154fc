"""Load a forecast bundle from MLflow by URI (``models:/threatcast@champion``, ``runs:/...``, a path).

The registered pyfunc model wraps the bundle (see :mod:`models.pyfunc`); loading unwraps it. For a
registry URI the model version, alias and run id are read from the registry so the provenance of
what is served is exact even when the bundle was logged before it got a version.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from models.bundle import ForecastBundle

_REGISTRY_URI = re.compile(r"^models:/(?P<name>[^/@]+)(?:@(?P<alias>[^/]+)|/(?P<version>\d+))$")


class ModelLoadError(RuntimeError):
    """The model at a URI could not be loaded or is not a forecast bundle; the message says why."""


@dataclass(frozen=True)
class LoadedModel:
    """A loaded bundle and where it came from."""

    bundle: ForecastBundle
    uri: str
    provenance: dict[str, Any]
    loaded_at: str


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


def load_model(model_uri: str, tracking_uri: str) -> LoadedModel:
    """Load the bundle at ``model_uri`` from the MLflow store at ``tracking_uri``.

    Raises:
        ModelLoadError: naming the URI and the reason (missing model or alias, unreadable
            artifacts, not a threatcast bundle).
    """
    import mlflow

    try:
        mlflow.set_tracking_uri(tracking_uri)
        mlflow.set_registry_uri(tracking_uri)
        facts = _registry_facts(model_uri, tracking_uri)
        python_model = mlflow.pyfunc.load_model(model_uri).unwrap_python_model()
    except Exception as exc:  # mlflow raises many types; every one is a failed load
        raise ModelLoadError(f"cannot load {model_uri}: {type(exc).__name__}: {_first_line(exc)}") from exc
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
