"""Occupation episodes: the catalog with each episode's status now, and one episode's study."""

from __future__ import annotations

import json
from typing import Annotated, Any

import pandas as pd
from fastapi import APIRouter, Path
from pydantic import BaseModel, Field

from models.study_design import POST_MONTHS, PRE_MONTHS, first_month, months_between
from models.taxonomy import PANEL_TYPES
from service.deps import ServedDep
from service.errors import ApiError
from service.routes.common import ERRORS
from service.table import missing

router = APIRouter(prefix="/v1/episodes", tags=["episodes"])

EpisodePath = Annotated[str, Path(max_length=200, description="Episode id from the catalog.",
                                  examples=["mli-2012-tombouctou"])]


class EpisodeItem(BaseModel):
    """One catalog episode with its status at the data cutoff and whether the study used it."""

    episode_id: str
    region_id: str
    country: str
    admin1: str
    start_month: str
    end_month: str | None
    groups: str
    source: str
    phase: str = Field(description="At the data cutoff: before, during or after.")
    months_since_end: int | None
    region_in_data: bool
    used_in_study: bool
    study_reason: str


class EpisodeList(BaseModel):
    """The catalog episodes."""

    model_version: str
    data_cutoff: str
    count: int
    episodes: list[EpisodeItem]


class EpisodeDetail(BaseModel):
    """One episode: its region's monthly counts around it, the pooled study effects, the forecast."""

    episode: EpisodeItem
    months: list[str]
    months_since_end: list[int]
    counts: dict[str, list[int]] = Field(description="Monthly counts by attack type, aligned with months.")
    effects: list[dict[str, Any]] = Field(description="Pooled rate ratios per type and phase (training).")
    placebo: list[dict[str, Any]]
    shares: list[dict[str, Any]]
    forecast: dict[str, Any] | None = Field(
        description="The region's current forecast (as /v1/regions/{id}/forecast).")


def _since(cutoff: pd.Period, end: pd.Period | None) -> int | None:
    return None if end is None else months_between(cutoff, end)


def _study(served: ServedDep) -> dict[str, Any]:
    study = served.bundle.provenance.get("study")
    return study if isinstance(study, dict) else {}


def _items(served: ServedDep) -> list[dict[str, Any]]:
    cutoff = pd.Period(served.cutoff, freq="M")
    used = {e["episode_id"]: e for e in _study(served).get("episodes", [])}
    out = []
    for row in served.bundle.catalog.itertuples(index=False):
        start = pd.Period(str(row.start_month), freq="M")
        end = None if missing(row.end_month) else pd.Period(str(row.end_month), freq="M")
        if cutoff < start:
            phase = "before"
        elif end is None or cutoff <= end:
            phase = "during"
        else:
            phase = "after"
        study = used.get(str(row.episode_id), {})
        out.append({"episode_id": str(row.episode_id), "region_id": str(row.region_id),
                    "country": str(row.country), "admin1": str(row.admin1), "start_month": str(start),
                    "end_month": None if end is None else str(end), "groups": str(row.groups),
                    "source": str(row.source), "phase": phase,
                    "months_since_end": _since(cutoff, end) if phase == "after" else None,
                    "region_in_data": str(row.region_id) in served.infos,
                    "used_in_study": bool(study.get("used", False)),
                    "study_reason": str(study.get("reason", "not in the study of this model"))})
    return out


@router.get("", response_model=EpisodeList, responses={503: ERRORS[503]}, summary="Occupation episodes")
async def list_episodes(served: ServedDep) -> dict[str, Any]:
    """Every catalog episode with its phase and months since its end at the data cutoff."""
    items = _items(served)
    return {"model_version": served.version, "data_cutoff": served.cutoff, "count": len(items),
            "episodes": items}


@router.get("/{episode_id}", response_model=EpisodeDetail, responses=ERRORS, summary="One episode")
async def episode_detail(served: ServedDep, episode_id: EpisodePath) -> dict[str, Any]:
    """The region's monthly counts around the episode, the pooled effects and the region's forecast.

    Counts by attack type run from 24 months before the start to 36 after the end (or the cutoff).
    """
    item = next((e for e in _items(served) if e["episode_id"] == episode_id), None)
    if item is None:
        shown = episode_id if len(episode_id) <= 80 else episode_id[:80] + "..."
        raise ApiError(404, "unknown_episode", f"no episode {shown!r} in the catalog",
                       {"known": len(served.bundle.catalog)})
    state = served.bundle.state
    months: list[pd.Period] = []
    counts: dict[str, list[int]] = {}
    since: list[int] = []
    if item["region_in_data"]:
        start = pd.Period(item["start_month"], freq="M")
        end = pd.Period(item["end_month"], freq="M") if item["end_month"] else state.cutoff
        first = max(start - PRE_MONTHS, first_month(state, item["region_id"]))
        window = pd.period_range(first, min(end + POST_MONTHS, state.cutoff), freq="M")
        months = list(window)
        since = [int(m.ordinal - end.ordinal) for m in window]
        for name in PANEL_TYPES:
            row = state.wide(name).loc[item["region_id"]].reindex(window)
            counts[name] = [int(v) for v in row.fillna(0).to_numpy()]
    rows = served.by_region.get(item["region_id"])
    study = _study(served)
    return {"episode": item, "months": [str(m) for m in months], "months_since_end": since,
            "counts": counts, "effects": study.get("effects", []), "placebo": study.get("placebo", []),
            "shares": study.get("shares", []),
            "forecast": json.loads(served.with_envelope(rows.item())) if rows is not None else None}
