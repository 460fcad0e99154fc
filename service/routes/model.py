"""Provenance of the served model, and the admin reload."""

from __future__ import annotations

import math
from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from service.deps import HolderDep, MetricsDep, ServedDep, require_admin
from service.routes.common import ERRORS
from service.schemas import ErrorBody, ModelInfo, ReloadResult

router = APIRouter(tags=["model"])

_OPTIONAL = ("alias", "run_id", "trained_at", "data_fingerprint", "served_model", "taxonomy_version",
             "catalog_version")


@router.get("/v1/model", response_model=ModelInfo, responses={503: ERRORS[503]}, summary="Model provenance")
async def model_info(served: ServedDep) -> dict[str, Any]:
    """Name, version, alias, run id, data cutoff, trained at, data fingerprint, backtest scores."""
    prov = served.loaded.provenance
    backtest = prov.get("backtest")
    return {
        "model_name": str(prov.get("model_name", "threatcast")),
        "model_version": served.version,
        **{k: (None if prov.get(k) in (None, "") else str(prov[k])) for k in _OPTIONAL},
        "model_uri": served.loaded.uri,
        "data_cutoff": served.cutoff,
        "stale": served.is_stale(),
        "horizon": served.horizon,
        "quantiles": [0.1, 0.5, 0.9],
        "regions": len(served.infos),
        "loaded_at": served.loaded.loaded_at,
        "backtest": backtest if isinstance(backtest, dict) else {},
        **_skills(backtest if isinstance(backtest, dict) else {}),
    }


def _finite(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _skills(backtest: dict[str, Any]) -> dict[str, Any]:
    """The headline scores and the skills with intervals recorded in the bundle's provenance."""
    headline = {str(k): _finite(v) for k, v in dict(backtest.get("headline") or {}).items()}
    skill: dict[str, dict[str, Any]] = {}
    for attack_type, metrics in dict(backtest.get("skill") or {}).items():
        skill[str(attack_type)] = {
            str(m): {"skill": _finite(e.get("skill")), "lower": _finite(e.get("lower")),
                     "upper": _finite(e.get("upper")), "baseline": str(e.get("baseline", "")),
                     "level": _finite(e.get("level")), "n": None if e.get("n") is None else int(e["n"])}
            for m, e in dict(metrics).items() if isinstance(e, dict)}
    return {"headline": headline, "skill": skill}


@router.post("/v1/admin/reload", response_model=ReloadResult, dependencies=[Depends(require_admin)],
             summary="Load the current champion",
             responses={401: {"model": ErrorBody, "description": "No X-API-Key header."},
                        403: {"model": ErrorBody, "description": "Wrong X-API-Key."},
                        429: {"model": ErrorBody,
                              "description": "Too many refused admin calls from this client "
                                             "(THREATCAST_ADMIN_MAX_FAILURES per window); see Retry-After."},
                        409: {"model": ErrorBody,
                              "description": "The load failed; the previous model keeps serving."}})
async def reload(holder: HolderDep, metrics: MetricsDep) -> JSONResponse:
    """Load the configured model URI again (e.g. the alias now names a new version) and swap atomically.

    A failed load changes nothing: the previous model (if any) keeps serving and the reply is 409
    with the reason.
    """
    outcome = await holder.load()
    metrics.reloads.labels("ok" if outcome.ok else "failed").inc()
    if not outcome.ok or outcome.served is None:
        serving = outcome.served.version if outcome.served else None
        return JSONResponse(status_code=409, content={
            "error": "reload_failed",
            "message": f"{outcome.reason}; " + (f"still serving version {serving}" if serving
                                                  else "no model is being served"),
            "details": {"reason": outcome.reason, "serving_version": serving}})
    return JSONResponse(ReloadResult(reloaded=True, previous_version=outcome.previous_version,
                                     model_version=outcome.served.version,
                                     data_cutoff=outcome.served.cutoff).model_dump())
