"""Forecasts across regions: a risk ranking and a bounded batch."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from service.deps import MetricsDep, ServedDep, limit_batch, require_json
from service.errors import unknown_regions
from service.routes.common import (
    BODY_ERRORS,
    ERRORS,
    CountryQuery,
    check_horizon,
    country_filter,
    json_bytes,
)
from service.schemas import AttackType, BatchForecast, BatchRequest, Ranking
from service.table import dumps

router = APIRouter(prefix="/v1/forecasts", tags=["forecasts"])


@router.get("", response_model=Ranking, responses=ERRORS, summary="Regions ranked by risk")
async def ranking(served: ServedDep, metrics: MetricsDep, country: CountryQuery = None,
                  attack_type: Annotated[AttackType, Query(description="Attack type ranked on.")] = "all",
                  horizon: Annotated[int, Query(ge=1, le=120, description="Horizon ranked on.")] = 1,
                  top: Annotated[int, Query(ge=1, le=1000, description="How many regions.")] = 20,
                  ) -> dict[str, Any]:
    """Regions ordered by P(at least one attack), then expected count, at one horizon.

    Regions whose sources cannot observe the attack type are left out (counted in ``unobserved``).
    """
    check_horizon(served, horizon)
    code = country_filter(served, country)
    ranked = served.rankings.get((attack_type, horizon), ())
    unranked = served.unranked.get((attack_type, horizon), ())
    if code is not None:
        ranked = tuple(r for r in ranked if r["country"] == code)
        unranked = tuple(r for r in unranked if r["country"] == code)
    items = [{**row, "rank": i} for i, row in enumerate(ranked[:top], start=1)]
    metrics.forecasts.labels("ranking").inc(len(items))
    return {**served.served(), "attack_type": attack_type, "horizon": horizon, "total": len(ranked),
            "unobserved": len(unranked), "items": items}


@router.post("", response_model=BatchForecast, summary="Forecasts of several regions",
             dependencies=[Depends(require_json), Depends(limit_batch)],
             responses={**ERRORS, **BODY_ERRORS})
async def batch(served: ServedDep, metrics: MetricsDep, request: BatchRequest) -> Response:
    """Forecasts of up to ``THREATCAST_MAX_BATCH_REGIONS`` regions; unknown ids are a 404 naming them.

    The 404 lists at most 20 unknown ids (each cut to 200 characters) and counts them all.
    """
    check_horizon(served, request.horizon, location="body")
    ids = list(dict.fromkeys(request.region_ids))
    unknown = [r for r in ids if r not in served.by_region]
    if unknown:
        raise unknown_regions(unknown, served.infos)
    found = [served.by_region[r] for r in ids]
    items = [r.item(request.attack_type, request.horizon) for r in found]
    rows = sum(r.row_count(request.attack_type, request.horizon, served.horizon) for r in found)
    metrics.forecasts.labels("batch").inc(rows)
    head = dumps(served.served())[:-1]
    return json_bytes(head + b',"results":[' + b",".join(items) + b"]}")
