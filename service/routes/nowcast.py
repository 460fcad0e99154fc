"""Nowcast: forecasts updated with events reported after the model's data cutoff, without refitting."""

from __future__ import annotations

import dataclasses

import anyio.to_thread
import pandas as pd
from fastapi import APIRouter, Depends
from fastapi.responses import Response

from models.nowcast import NowcastError, nowcast
from models.regions import region_id as make_region_id
from models.schema import conform_events
from service.deps import MetricsDep, ServedDep, SettingsDep, limit_nowcast, require_json
from service.errors import ApiError, clip
from service.routes.common import BODY_ERRORS, ERRORS, check_horizon, json_bytes
from service.schemas import EventIn, NowcastRequest, NowcastResponse
from service.table import (
    SERVED_QUANTILES,
    RegionRows,
    ServedModel,
    check_finite,
    dumps,
    region_infos,
    region_rows,
)

router = APIRouter(prefix="/v1/nowcast", tags=["forecasts"])


def _invalid_event(index: int, field: str, message: str) -> ApiError:
    message = clip(message, 400)
    return ApiError(422, "invalid_request", f"event {index} field {field}: {message}",
                    {"errors": [{"location": "body", "parameter": "events", "event_index": index,
                                 "field": field, "message": message}]})


def events_frame(events: list[EventIn], cutoff: str, max_months: int) -> pd.DataFrame:
    """Canonical events frame of the submitted events (``region_id`` derived when absent).

    Raises:
        ApiError: 422 naming the event when it is dated outside the ``max_months`` months after
            ``cutoff``, its region id disagrees with its country and admin1, or its id repeats.
    """
    rows = []
    seen: set[str] = set()
    first = pd.Period(cutoff, freq="M") + 1
    last = first + (max_months - 1)
    for i, ev in enumerate(events):
        month = (ev.date.year, ev.date.month)
        if not (first.year, first.month) <= month <= (last.year, last.month):
            raise _invalid_event(i, "date", f"must fall in {first}..{last} (after the data cutoff "
                                            f"{cutoff}, at most {max_months} months later)")
        try:
            derived = make_region_id(ev.country, ev.admin1)
        except ValueError as exc:
            raise _invalid_event(i, "admin1", str(exc)) from exc
        if ev.region_id is not None and ev.region_id != derived:
            raise _invalid_event(i, "region_id", f"{clip(ev.region_id)!r} does not match country and admin1 "
                                                 f"({derived!r})")
        if ev.event_id in seen:
            raise _invalid_event(i, "event_id", f"duplicate event id {clip(ev.event_id)!r}")
        seen.add(ev.event_id)
        row = ev.model_dump()
        row["region_id"] = derived
        row["date"] = pd.Timestamp(ev.date)
        rows.append(row)
    return conform_events(pd.DataFrame(rows))


def _compute(served: ServedModel, events: pd.DataFrame,
             horizon: int) -> tuple[str, dict[str, RegionRows]]:
    levels = tuple(sorted(set(served.bundle.quantiles) | set(SERVED_QUANTILES)))
    result = nowcast(served.bundle, events, horizon=horizon, quantiles=levels)
    check_finite(result.forecast)
    moved = dataclasses.replace(served.bundle, state=result.state)
    infos = region_infos(moved)
    rows = region_rows(moved, result.state, result.forecast, horizon, infos)
    return str(result.state.cutoff), {r: rows[r] for r in result.regions}


@router.post("", response_model=NowcastResponse, summary="Update forecasts with new events",
             dependencies=[Depends(require_json), Depends(limit_nowcast)],
             responses={**ERRORS, **BODY_ERRORS})
async def post_nowcast(served: ServedDep, metrics: MetricsDep, settings: SettingsDep,
                       request: NowcastRequest) -> Response:
    """Forecasts of the regions the events touch, from the month of the latest event.

    The events must be dated after the model's data cutoff, in regions the model covers; they are
    taken as the complete record of the months from the cutoff to the latest event. The fitted
    model is not re-estimated.
    """
    check_horizon(served, request.horizon, location="body")
    events = events_frame(request.events, served.cutoff, settings.max_nowcast_months)
    try:
        origin, rows = await anyio.to_thread.run_sync(_compute, served, events, served.horizon)
    except NowcastError as exc:
        raise _invalid_event(exc.index, exc.field, exc.message) from exc
    items = [r.item(request.attack_type, request.horizon) for r in rows.values()]
    metrics.forecasts.labels("nowcast").inc(
        sum(r.row_count(request.attack_type, request.horizon, served.horizon) for r in rows.values()))
    head = dumps({**served.served(origin=origin), "events_used": len(events)})[:-1]
    return json_bytes(head + b',"results":[' + b",".join(items) + b"]}")
