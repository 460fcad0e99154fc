"""The forecast bundle as one MLflow pyfunc model.

Training pickles a :class:`~models.bundle.ForecastBundle` into a file and logs it as the artifact
``bundle`` of a :class:`BundleModel`; whoever loads the model (``mlflow.pyfunc.load_model``) gets it
back as ``model.unwrap_python_model().bundle``. ``predict`` answers a frame of requests with the
forecast frame (provenance columns included):

=========== ========= ==============================================================
column      required  meaning
=========== ========= ==============================================================
region_id   yes       region to forecast (an empty frame means every region)
attack_type no        one attack type or ``all``; missing/empty means every type
horizon     no        months ahead, 1..N: rows for horizons 1..N; missing means the bundle's
=========== ========= ==============================================================

Only :mod:`mlflow.pyfunc` is used here: logging and registering live in :mod:`training`.
"""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd
from mlflow.pyfunc import PythonModel

from models.bundle import ForecastBundle
from models.taxonomy import PANEL_TYPES

BUNDLE_ARTIFACT: Final = "bundle"
"""Name of the pickled-bundle artifact of a :class:`BundleModel`."""

BUNDLE_FILE: Final = "bundle.pkl"
REQUEST_COLUMNS: Final[tuple[str, ...]] = ("region_id", "attack_type", "horizon")
MAX_HORIZON: Final = 36


class RequestError(ValueError):
    """A forecast request that cannot be answered (unknown region or attack type, bad horizon)."""


def save_bundle(bundle: ForecastBundle, directory: str | Path) -> Path:
    """Pickle ``bundle`` into ``directory`` and return the file's path."""
    path = Path(directory) / BUNDLE_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fh:
        pickle.dump(bundle, fh, protocol=pickle.HIGHEST_PROTOCOL)
    return path


def load_bundle(path: str | Path) -> ForecastBundle:
    """Read a bundle written by :func:`save_bundle`.

    Raises:
        TypeError: when the file holds something other than a :class:`ForecastBundle`.
    """
    with Path(path).open("rb") as fh:
        bundle = pickle.load(fh)  # our own artifact
    if not isinstance(bundle, ForecastBundle):
        raise TypeError(f"{path} holds a {type(bundle).__name__}, not a ForecastBundle")
    return bundle


def normalise_requests(requests: pd.DataFrame | None, bundle: ForecastBundle) -> pd.DataFrame:
    """Validate requests and fill the optional columns.

    Returns:
        A frame with ``region_id``, ``attack_type`` (``""`` for every type) and ``horizon`` (int),
        one row per request; every region at the bundle's horizon when ``requests`` is empty.

    Raises:
        RequestError: on a missing ``region_id`` column, an unknown region or attack type, or a
            horizon outside 1..36.
    """
    if requests is None or len(requests) == 0:
        regions = bundle.state.regions.index.to_numpy(dtype=object)
        return pd.DataFrame({"region_id": regions, "attack_type": "",
                             "horizon": np.full(len(regions), bundle.horizon, dtype="int64")})
    if "region_id" not in requests.columns:
        raise RequestError("requests need a region_id column")
    out = pd.DataFrame({"region_id": requests["region_id"].astype(str).to_numpy(dtype=object)})
    types = requests["attack_type"] if "attack_type" in requests.columns else pd.Series([""] * len(out))
    out["attack_type"] = [("" if _missing(t) else str(t)) for t in types]
    horizons = requests["horizon"] if "horizon" in requests.columns else pd.Series([None] * len(out))
    out["horizon"] = [_horizon(h, bundle.horizon) for h in horizons]
    unknown = sorted(set(out["region_id"]) - set(bundle.state.regions.index))
    if unknown:
        raise RequestError(f"unknown region_id: {', '.join(unknown[:5])}")
    bad_types = sorted(set(out["attack_type"]) - {"", *PANEL_TYPES})
    if bad_types:
        raise RequestError(f"unknown attack_type: {', '.join(bad_types)} (expected one of {PANEL_TYPES})")
    return out


def answer(bundle: ForecastBundle, requests: pd.DataFrame | None = None) -> pd.DataFrame:
    """The forecast frame rows matching ``requests`` (see the module docstring), in forecast order."""
    wanted = normalise_requests(requests, bundle)
    frame = bundle.forecast(horizon=int(wanted["horizon"].max()))
    keep = np.zeros(len(frame), dtype=bool)
    region = frame["region_id"].to_numpy()
    atype = frame["attack_type"].to_numpy()
    horizon = frame["horizon"].to_numpy()
    for req in wanted.drop_duplicates().itertuples(index=False):
        match = (region == req.region_id) & (horizon <= req.horizon)
        if req.attack_type:
            match &= atype == req.attack_type
        keep |= match
    return frame.loc[keep].reset_index(drop=True)


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA or value == ""


def _horizon(value: Any, default: int) -> int:
    if _missing(value):
        return int(default)
    try:
        h = int(value)
    except (TypeError, ValueError) as exc:
        raise RequestError(f"horizon must be an integer, got {value!r}") from exc
    if not 1 <= h <= MAX_HORIZON or h != float(value):
        raise RequestError(f"horizon must be an integer in 1..{MAX_HORIZON}, got {value!r}")
    return h


class BundleModel(PythonModel):  # type: ignore[misc]
    """A pyfunc model serving a :class:`ForecastBundle` stored as the artifact ``bundle``.

    Attributes:
        bundle: the loaded bundle (``None`` until :meth:`load_context` ran, unless given directly).
    """

    _skip_type_hint_validation = True  # requests are validated by :func:`normalise_requests`

    def __init__(self, bundle: ForecastBundle | None = None) -> None:
        self.bundle = bundle

    def load_context(self, context: Any) -> None:
        """Load the pickled bundle from the model's artifacts."""
        self.bundle = load_bundle(context.artifacts[BUNDLE_ARTIFACT])

    def __getstate__(self) -> dict[str, Any]:
        # The bundle travels as an artifact, never inside the pickled model object.
        return {"bundle": None}

    def predict(self, context: Any, model_input, params: dict[str, Any] | None = None) -> pd.DataFrame:  # type: ignore[no-untyped-def]
        """Answer a frame of requests with the forecast frame (every region for an empty frame).

        Raises:
            RuntimeError: when no bundle is loaded.
            RequestError: on an invalid request.
        """
        if self.bundle is None:
            raise RuntimeError("BundleModel has no bundle: load it with mlflow.pyfunc.load_model")
        requests = model_input if isinstance(model_input, pd.DataFrame) else pd.DataFrame(model_input)
        return answer(self.bundle, requests)
