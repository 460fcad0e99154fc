"""Regions: the list, one region's details and history, and one region's forecasts."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response

from service.deps import ServedDep, SettingsDep
from service.errors import ApiError, unknown_region
from service.metrics import Metrics
from service.routes.common import (
    ERRORS,
    AttackTypeQuery,
    CountryQuery,
    HorizonQuery,
    check_horizon,
    check_region,
    country_filter,
    json_bytes,
)
from service.schemas import RegionDetail, RegionForecast, RegionHistory, RegionList, TrackRecord
from service.table import dumps, missing

router = APIRouter(prefix="/v1/regions", tags=["regions"])

RegionPath = Annotated[str, Path(description="Region id, ISO3.slug(admin1).", examples=["MLI.tombouctou"])]
# The hot route is registered first: routing tries routes in order.
@router.get("/{region_id}/forecast", response_model=RegionForecast, responses=ERRORS,
            summary="Forecasts of one region")
async def region_forecast(served: ServedDep, request: Request, region_id: RegionPath,
                          attack_type: AttackTypeQuery = None, horizon: HorizonQuery = None) -> Response:
    """Per attack type and horizon: mean, q10/q50/q90, P(any), risk tier, change vs the last 12 months.

    Also the tactic mix (expected share of each attack type). Precomputed at load: a lookup.
    """
    rows = served.by_region.get(region_id)
    if rows is None:
        raise unknown_region(region_id, served.infos)
    check_horizon(served, horizon)
    metrics: Metrics = request.app.state.metrics  # the hot path: one dependency fewer to solve
    metrics.forecasts.labels("region").inc(rows.row_count(attack_type, horizon, served.horizon))
    return json_bytes(served.with_envelope(rows.item(attack_type, horizon)))


@router.get("", response_model=RegionList, responses=ERRORS, summary="Every region")
async def list_regions(served: ServedDep, country: CountryQuery = None) -> Response:
    """Every region with country, admin1, location, occupation status and last event month."""
    head = (b'{"model_version":' + dumps(served.version) + b',"data_cutoff":' + dumps(served.cutoff)
            + b',"stale":' + dumps(served.is_stale()) + b",")
    code = country_filter(served, country)
    if code is None:
        return json_bytes(head + served.regions_body + b"}")
    rows = [dumps(v) for v in served.infos.values() if v["country"] == code]
    count = str(len(rows)).encode()
    return json_bytes(head + b'"count":' + count + b',"regions":[' + b",".join(rows) + b"]}")


@router.get("/{region_id}", response_model=RegionDetail, responses=ERRORS, summary="One region")
async def region_detail(served: ServedDep, region_id: RegionPath) -> dict[str, Any]:
    """A region with its occupation episodes from the catalog."""
    check_region(served, region_id)
    catalog = served.bundle.catalog
    rows = catalog[catalog["region_id"] == region_id]
    episodes = [{
        "episode_id": str(r.episode_id),
        "start_month": str(r.start_month),
        "end_month": None if missing(r.end_month) else str(r.end_month),
        "groups": str(r.groups), "note": str(r.note), "source": str(r.source),
    } for r in rows.itertuples(index=False)]
    return {**served.infos[region_id], "episodes": episodes}


@router.get("/{region_id}/history", response_model=RegionHistory, responses=ERRORS,
            summary="Monthly counts of one region")
async def region_history(served: ServedDep, settings: SettingsDep, region_id: RegionPath,
                         months: Annotated[int, Query(ge=1, le=1200, description="How many months.")] = 36,
                         ) -> dict[str, Any]:
    """The last ``months`` months of counts per attack type (null before coverage starts)."""
    check_region(served, region_id)
    if months > settings.max_history_months:
        raise ApiError(422, "invalid_request",
                       f"query parameter 'months': at most {settings.max_history_months}",
                       {"errors": [{"location": "query", "parameter": "months",
                                    "message": f"must be <= {settings.max_history_months}"}]})
    return {"region_id": region_id, "model_version": served.version, "data_cutoff": served.cutoff,
            "stale": served.is_stale(), **served.history.region(region_id, months)}


@router.get("/{region_id}/track-record", response_model=TrackRecord, responses=ERRORS,
            summary="Past forecasts of one region against what happened")
async def region_track_record(served: ServedDep, region_id: RegionPath, attack_type: AttackTypeQuery = None,
                              horizon: HorizonQuery = None) -> dict[str, Any]:
    """The served model's backtest forecasts of this region (by type and horizon) with the observed counts.

    ``summary`` gives, per attack type and horizon, the mean absolute error of the mean, the share
    of counts inside [q10, q90] and the Brier score of ``p_any``. Empty when the model carries no
    track record (bundles trained before it existed).
    """
    check_region(served, region_id)
    rows = [r for r in served.track.get(region_id, [])
            if (attack_type is None or r["attack_type"] == attack_type)
            and (horizon is None or r["horizon"] == horizon)]
    groups: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for r in rows:
        groups.setdefault((r["attack_type"], r["horizon"]), []).append(r)
    summary = []
    for (atype, h), group in groups.items():
        n = len(group)
        summary.append({
            "attack_type": atype, "horizon": h, "n": n,
            "mean_abs_error": round(sum(abs(g["mean"] - g["observed"]) for g in group) / n, 4),
            "inside_q10_q90": round(sum(g["q10"] <= g["observed"] <= g["q90"] for g in group) / n, 4),
            "brier": round(sum((g["p_any"] - (g["observed"] >= 1)) ** 2 for g in group) / n, 4)})
    return {"region_id": region_id, "model_version": served.version,
            "served_model": served.loaded.provenance.get("served_model"), "count": len(rows),
            "summary": summary, "rows": rows}
