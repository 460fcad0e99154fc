"""Nowcasting: extend a fitted bundle's panel state with events reported after its data cutoff.

The submitted events are taken as the complete record of the months from ``cutoff + 1`` to the
month of the latest submitted event: every region of the state gets those months, zero-filled
where no event was submitted. A state that carries target-class counts gets the submitted events'
target classes too, so a bundle's target-mix model answers from the extended record. The
already-fitted forecaster then predicts from the new origin; nothing is re-estimated, so a
nowcast is as cheap as one prediction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from models.bundle import ForecastBundle
from models.panel import Panel, event_months, target_counts
from models.taxonomy import ATTACK_TYPES, PANEL_TYPES


class NowcastError(ValueError):
    """A submitted event cannot extend the state; ``index`` and ``field`` say which and where."""

    def __init__(self, index: int, field: str, message: str) -> None:
        super().__init__(f"event {index}: {field}: {message}")
        self.index = index
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Nowcast:
    """The result of a nowcast.

    Attributes:
        state: the extended panel state (origin = the latest submitted event month).
        forecast: the forecast frame of the touched regions from that origin.
        regions: the touched region ids, in the state's order.
    """

    state: Panel
    forecast: pd.DataFrame
    regions: tuple[str, ...]


def check_events(state: Panel, events: pd.DataFrame) -> None:
    """Check that canonical ``events`` can extend ``state``.

    Raises:
        NowcastError: naming the first offending event (by position) and field: an unknown region,
            a date at or before the cutoff, a year-precision date, an unknown attack type or
            negative fatalities.
    """
    if len(events) == 0:
        raise NowcastError(0, "events", "no events given")
    known = state.regions.index
    months = event_months(events["date"])
    for i, (region, month, precision, attack, deaths) in enumerate(zip(
            events["region_id"], months, events["date_precision"], events["attack_type"],
            events["fatalities"], strict=True)):
        if region not in known:
            raise NowcastError(i, "region_id", f"region {region!r} is not in the model's panel")
        if month <= state.cutoff:
            raise NowcastError(i, "date", f"month {month} is not after the data cutoff {state.cutoff}")
        if precision == "year":
            raise NowcastError(i, "date_precision", "year-precision events have no month")
        if attack not in ATTACK_TYPES:
            raise NowcastError(i, "attack_type", f"unknown attack type {attack!r}")
        if int(deaths) < 0:
            raise NowcastError(i, "fatalities", "must be >= 0")


def extend_state(state: Panel, events: pd.DataFrame) -> Panel:
    """The panel state extended to the month of the latest event with ``events`` as its record.

    Args:
        state: a panel state (a bundle's latest state).
        events: canonical events dated after ``state.cutoff`` in regions of ``state``.

    Returns:
        A new :class:`Panel` whose cutoff is the latest event month; earlier months are unchanged.

    Raises:
        NowcastError: when an event cannot extend the state (see :func:`check_events`).
    """
    check_events(state, events)
    months = event_months(events["date"])
    end = months.max()
    new_months = pd.period_range(state.cutoff + 1, end, freq="M")
    region_ids = state.regions.index.to_numpy()
    n_r, n_t, n_m = len(region_ids), len(ATTACK_TYPES), len(new_months)
    cube_c = np.zeros((n_r, n_t, n_m), dtype=np.int64)
    cube_f = np.zeros_like(cube_c)
    r = state.regions.index.get_indexer(pd.Index(events["region_id"]))
    t = pd.Index(ATTACK_TYPES).get_indexer(pd.Index(events["attack_type"]))
    m = new_months.get_indexer(pd.PeriodIndex(months, freq="M"))
    np.add.at(cube_c, (r, t, m), 1)
    np.add.at(cube_f, (r, t, m), events["fatalities"].to_numpy(dtype=np.int64))
    cube_c = np.concatenate([cube_c, cube_c.sum(axis=1, keepdims=True)], axis=1)
    cube_f = np.concatenate([cube_f, cube_f.sum(axis=1, keepdims=True)], axis=1)
    added = pd.DataFrame({
        "region_id": np.repeat(region_ids, (n_t + 1) * n_m),
        "month": pd.PeriodIndex(np.tile(new_months, n_r * (n_t + 1)), freq="M"),
        "attack_type": np.tile(np.repeat(np.asarray(PANEL_TYPES, dtype=object), n_m), n_r),
        "count": cube_c.ravel(),
        "fatalities": cube_f.ravel(),
    })
    counts = pd.concat([state.counts, added], ignore_index=True)
    region_code = state.regions.index.get_indexer(pd.Index(counts["region_id"]))
    type_code = pd.Index(PANEL_TYPES).get_indexer(pd.Index(counts["attack_type"]))
    month_code = pd.PeriodIndex(counts["month"], freq="M").asi8
    order = np.lexsort((month_code, type_code, region_code))
    counts = counts.iloc[order].reset_index(drop=True)
    extended = Panel(counts=counts, regions=state.regions.copy(), cutoff=end, meta=dict(state.meta),
                     targets=_extend_targets(state, events, months))
    extended.meta["nowcast_events"] = len(events)
    return extended.truncate(end)


def _extend_targets(state: Panel, events: pd.DataFrame, months: pd.Series) -> pd.DataFrame | None:
    """The state's target-class counts with those of ``events`` added (``None`` when it has none)."""
    targets = getattr(state, "targets", None)  # states pickled before the field have none
    if targets is None:
        return None
    if "target_class" not in events.columns:
        events = events.assign(target_class="unknown")
    added = target_counts(events, months)
    return pd.concat([targets, added], ignore_index=True).sort_values(
        ["region_id", "month", "target_class"], kind="stable").reset_index(drop=True)


def nowcast(bundle: ForecastBundle, events: pd.DataFrame, horizon: int | None = None,
            quantiles: Sequence[float] | None = None) -> Nowcast:
    """Forecast the regions touched by ``events`` from the state they extend, without refitting.

    Args:
        bundle: a fitted forecast bundle.
        events: canonical events dated after the bundle's cutoff.
        horizon: forecast horizons 1..``horizon`` (the bundle's horizon by default).
        quantiles: quantile levels (the bundle's by default).

    Raises:
        NowcastError: when an event cannot extend the bundle's state.
    """
    state = extend_state(bundle.state, events)
    touched = set(events["region_id"])
    ordered = tuple(r for r in state.regions.index if r in touched)
    frame = bundle.forecast(state, horizon=horizon, quantiles=quantiles)
    frame = frame[frame["region_id"].isin(touched)].reset_index(drop=True)
    return Nowcast(state=state, forecast=frame, regions=ordered)

