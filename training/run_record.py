"""What a training run records: backtest scores as MLflow metrics, params, versions, the pyfunc signature.

Pure functions from backtest frames and estimators to flat ``{name: value}`` dicts; the pipeline
hands them to :class:`training.tracking.Tracker`. Metric names:

* ``<metric>`` and ``<metric>_skill``: all attack types, every origin and horizon, region level;
* ``by_horizon/<metric>`` (and ``_skill``), logged once per horizon with ``step = horizon``;
* ``type/<attack_type>/<metric>`` (and ``_skill``): per attack type;
* ``post_occupation/<yes|no>/<metric>``: inside/outside the 24 months after an occupation ended.

Skill is against the best baseline of the same slice (see :mod:`models.scores`).
"""

from __future__ import annotations

import platform
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd
from mlflow.models import ModelSignature
from mlflow.types import ColSpec, Schema

from models.estimators.base import Forecaster
from models.taxonomy import ALL
from training.backtest import SLICE_COLUMNS
from training.registry import OriginScores

LOGGED_METRICS: Final[tuple[str, ...]] = ("crps", "brier", "mae", "rmse", "coverage80", "log_loss",
                                          "auroc", "ece")
SKILL_METRICS: Final[tuple[str, ...]] = ("crps", "brier", "mae", "log_loss", "auroc")
SLICE_METRICS: Final[tuple[str, ...]] = ("crps", "brier", "mae")
PACKAGES: Final[tuple[str, ...]] = ("threatcast", "numpy", "pandas", "scipy", "statsmodels", "scikit-learn",
                                    "mlflow", "dask")
_REPO: Final = Path(__file__).resolve().parent.parent


def _pooled(scores: pd.DataFrame, model: str, free: str | None = None) -> pd.DataFrame:
    rows = scores[scores["model"] == model]
    if free != "attack_type":
        rows = rows[rows["attack_type"] == ALL]
    for column in SLICE_COLUMNS:
        if column != free:
            rows = rows[rows[column] == "all"]
    if free is not None:
        rows = rows[rows[free] != "all"] if free != "attack_type" else rows[rows[free] != ALL]
    return rows


def _values(rows: pd.DataFrame, prefix: str, metrics: tuple[str, ...]) -> dict[str, float]:
    out: dict[str, float] = {}
    values = rows["value"].to_numpy(dtype=float)
    skills = rows["skill"].to_numpy(dtype=float)
    for metric, value, skill in zip(rows["metric"].astype(str), values, skills, strict=True):
        if metric in metrics and np.isfinite(value):
            out[f"{prefix}{metric}"] = float(value)
        if metric in SKILL_METRICS and metric in metrics and np.isfinite(skill):
            out[f"{prefix}{metric}_skill"] = float(skill)
    return out


def model_metrics(scores: pd.DataFrame, model: str) -> list[tuple[dict[str, float], int]]:
    """Metric batches of one model, each with its step (see the module docstring for the names)."""
    batches: list[tuple[dict[str, float], int]] = []
    overall = _values(_pooled(scores, model), "", LOGGED_METRICS)
    n = _pooled(scores, model)
    rows = n[n["metric"] == "n"]["value"]
    if len(rows):
        overall["scored_rows"] = float(rows.iloc[0])
    slices: dict[str, float] = {}
    for attack_type, group in _pooled(scores, model, "attack_type").groupby("attack_type", sort=True):
        slices.update(_values(group, f"type/{attack_type}/", SLICE_METRICS))
    for flag, group in _pooled(scores, model, "post_occupation").groupby("post_occupation", sort=True):
        slices.update(_values(group, f"post_occupation/{flag}/", SLICE_METRICS))
    batches.append(({**overall, **slices}, 0))
    by_h = _pooled(scores, model, "horizon")
    for h, group in by_h.groupby(by_h["horizon"].astype(int), sort=True):
        batches.append((_values(group, "by_horizon/", LOGGED_METRICS), int(h)))
    return batches


def origin_scores(predictions: pd.DataFrame, model: str) -> OriginScores:
    """Per-origin mean CRPS and Brier of ``model``'s all-attack-type rows (what the gate compares).

    Raises:
        ValueError: when the model has no scored rows.
    """
    rows = predictions[(predictions["model"] == model) & (predictions["attack_type"] == ALL)]
    if rows.empty:
        raise ValueError(f"model {model!r} has no scored backtest rows")
    event = (rows["y"].to_numpy(dtype=float) >= 1).astype(float)
    frame = pd.DataFrame({"origin": rows["origin"].astype(str).to_numpy(),
                          "crps": rows["crps"].to_numpy(dtype=float),
                          "brier": (rows["p_any"].to_numpy(dtype=float) - event) ** 2})
    grouped = frame.groupby("origin", sort=True)
    out = {str(o): {"crps": float(g["crps"].mean()), "brier": float(g["brier"].mean()), "n": float(len(g))}
           for o, g in grouped}
    return OriginScores(out)


def hyper_params(estimator: Any, prefix: str = "") -> dict[str, str]:
    """The estimator's ``get_params(deep=False)`` as text, without the episode catalog frame."""
    if not hasattr(estimator, "get_params"):
        return {}
    params = estimator.get_params(deep=False)
    return {f"{prefix}{k}": _short(v) for k, v in sorted(params.items())
            if k != "catalog" and not isinstance(v, pd.DataFrame | Forecaster | dict)}


def _short(value: Any) -> str:
    return str(value) if not isinstance(value, float) else f"{value:g}"


def package_versions() -> dict[str, str]:
    """Installed versions of the packages that shape the results, plus Python's."""
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "absent"
    return out


def git_commit(repo: Path = _REPO) -> str | None:
    """The checked-out commit of the project's repository, or ``None`` when unknown."""
    try:
        done = subprocess.run(["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True,
                              text=True, timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    sha = done.stdout.strip()
    return sha if done.returncode == 0 and len(sha) == 40 else None


def request_signature(output: pd.DataFrame) -> ModelSignature:
    """The pyfunc signature: optional ``region_id``/``attack_type``/``horizon`` in, the forecast frame out.

    Every input column is optional so that an empty frame (every region) is a valid request;
    ``horizon`` is a double so a batch may leave some horizons missing.
    """
    inputs = Schema([ColSpec("string", "region_id", required=False),
                     ColSpec("string", "attack_type", required=False),
                     ColSpec("double", "horizon", required=False)])
    kinds = {"i": "long", "f": "double", "b": "boolean"}
    outputs = Schema([ColSpec(kinds.get(output[c].dtype.kind, "string"), str(c)) for c in output.columns])
    return ModelSignature(inputs=inputs, outputs=outputs)


def requirements() -> list[str]:
    """Pinned pip requirements of the bundle (declared, so MLflow does not infer them)."""
    versions = package_versions()
    return [f"{name}=={versions[name]}" for name in PACKAGES if versions[name] != "absent"
            and name != "threatcast"]
