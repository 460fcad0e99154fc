"""The region-month panel: counts and fatalities by region x month x attack type (plus ``all``).

Zero-filled from each region's coverage start (the first month its country has any event in the
data) to the data cutoff. A :class:`Panel` truncated at month ``t`` is exactly the state known at
``t``: every model fits on, and predicts from, such a state.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import pandas as pd

from models.cube import CountCube
from models.taxonomy import ALL

COUNT_COLUMNS = ("region_id", "month", "attack_type", "count", "fatalities")
REGION_COLUMNS = ("country", "admin1", "latitude", "longitude", "first_month", "last_event_month")


@dataclass(frozen=True)
class Panel:
    """Long panel of monthly counts plus a region table.

    Attributes:
        counts: columns ``region_id``, ``month`` (``Period[M]``), ``attack_type`` (every type of
            :data:`models.taxonomy.PANEL_TYPES`), ``count`` and ``fatalities`` (int64); sorted by
            region, attack type and month; one row per region x type x covered month.
        regions: indexed by ``region_id``; ``country``, ``admin1``, mean ``latitude``/``longitude`` of
            its events, ``first_month`` (coverage start), ``last_event_month`` (may be NaT).
        cutoff: the last month of data.
        meta: counts of events left out of the monthly counts and why.
        targets: monthly event counts by target class (``region_id``, ``month``, ``target_class``,
            ``count``; non-zero rows only), or ``None`` when the events carry no ``target_class``.

    :attr:`cube` is the same counts as dense arrays, built on first use and kept with the panel
    (never pickled with it).
    """

    counts: pd.DataFrame
    regions: pd.DataFrame
    cutoff: pd.Period
    meta: dict[str, Any] = field(default_factory=dict)
    targets: pd.DataFrame | None = None

    @property
    def months(self) -> pd.PeriodIndex:
        """Every month from the earliest coverage start to the cutoff."""
        if self.regions.empty:
            return pd.period_range(self.cutoff, self.cutoff, freq="M")
        return pd.period_range(self.regions["first_month"].min(), self.cutoff, freq="M")

    def truncate(self, month: pd.Period | str) -> Panel:
        """The panel as known at ``month``: rows after it dropped, regions not yet covered dropped."""
        end = pd.Period(month, freq="M")
        if end > self.cutoff:
            raise ValueError(f"cannot truncate at {end}: the panel ends at {self.cutoff}")
        counts = self.counts[self.counts["month"] <= end]
        regions = self.regions[self.regions["first_month"] <= end].copy()
        counts = counts[counts["region_id"].isin(regions.index)].reset_index(drop=True)
        active = counts[(counts["attack_type"] == ALL) & (counts["count"] > 0)]
        last = active.groupby("region_id")["month"].max()
        regions["last_event_month"] = last.reindex(regions.index).astype(pd.PeriodDtype("M"))
        targets = getattr(self, "targets", None)  # panels pickled before the field have none
        if targets is not None:
            targets = targets[(targets["month"] <= end) & targets["region_id"].isin(regions.index)]
            targets = targets.reset_index(drop=True)
        return Panel(counts=counts, regions=regions, cutoff=end, meta=dict(self.meta), targets=targets)

    @cached_property
    def cube(self) -> CountCube:
        """The dense region x panel type x month count cube of :attr:`counts`."""
        return CountCube.from_panel(self)

    def wide(self, attack_type: str = ALL, value: str = "count") -> pd.DataFrame:
        """Region x month matrix of one attack type (months before a region's coverage are NaN)."""
        return self.cube.wide(attack_type, value)

    def __getstate__(self) -> dict[str, Any]:
        """The pickled state: the fields only (the cube is rebuilt on first use)."""
        state = dict(self.__dict__)
        state.pop("cube", None)
        return state


def event_months(dates: pd.Series) -> pd.Series:
    """Month periods of event dates."""
    return pd.to_datetime(dates).dt.to_period("M")


def build_panel(events: pd.DataFrame, cutoff: pd.Period | str | None = None) -> Panel:
    """Build the zero-filled panel from canonical events.

    Args:
        events: canonical events (see :mod:`models.schema`).
        cutoff: last month to include; defaults to the month of the latest event. Events after it
            are ignored.

    Events dated only to the year are kept out of the monthly counts (their month is unknown) and
    counted in ``meta["excluded_year_precision"]``.
    """
    ev = events
    months: pd.Series = event_months(ev["date"]) if len(ev) else pd.Series([], dtype=pd.PeriodDtype("M"))
    if cutoff is None:
        if len(ev) == 0:
            raise ValueError("cannot build a panel from no events without a cutoff")
        end = pd.Period(months.max(), freq="M")
    else:
        end = pd.Period(cutoff, freq="M")
    keep = (months <= end).to_numpy()
    ev = ev.loc[keep]
    months = months[keep]
    precise = (ev["date_precision"] != "year").to_numpy()
    meta = {"events_used": int(precise.sum()), "excluded_year_precision": int((~precise).sum()),
            "excluded_after_cutoff": int((~keep).sum())}

    country_start = months.groupby(ev["country"].to_numpy()).min()
    grouped = ev.groupby("region_id", sort=True)
    regions = pd.DataFrame({
        "country": grouped["country"].first(),
        "admin1": grouped["admin1"].first(),
        "latitude": grouped["latitude"].mean(),
        "longitude": grouped["longitude"].mean(),
    })
    regions.index.name = "region_id"
    regions["first_month"] = pd.PeriodIndex(
        [country_start[c] for c in regions["country"]], freq="M") if len(regions) else pd.PeriodIndex(
        [], freq="M")

    pev = ev.loc[precise]
    pmonths = months[precise]
    agg = (
        pd.DataFrame({
            "region_id": pev["region_id"].to_numpy(),
            "month": pmonths.to_numpy(),
            "attack_type": pev["attack_type"].to_numpy(),
            "count": 1,
            "fatalities": pev["fatalities"].to_numpy(),
        })
        .groupby(["region_id", "month", "attack_type"], sort=False)[["count", "fatalities"]]
        .sum()
    )
    counts = _zero_fill(agg, regions, end)
    targets = target_counts(pev, pmonths) if "target_class" in ev.columns else None
    panel = Panel(counts=counts, regions=regions, cutoff=end, meta=meta, targets=targets)
    return panel.truncate(end)


def target_counts(events: pd.DataFrame, months: pd.Series) -> pd.DataFrame:
    """Monthly event counts by region and target class (non-zero rows, sorted)."""
    frame = pd.DataFrame({"region_id": events["region_id"].to_numpy(), "month": months.to_numpy(),
                          "target_class": events["target_class"].astype(str).to_numpy()})
    out = frame.groupby(["region_id", "month", "target_class"], sort=True).size().rename("count")
    return out.reset_index().astype({"count": "int64"})


def _zero_fill(agg: pd.DataFrame, regions: pd.DataFrame, end: pd.Period) -> pd.DataFrame:
    """Dense long frame over every region x covered month x panel type, ``all`` summed over types."""
    start = regions["first_month"].min() if len(regions) else end
    months = pd.period_range(start, end, freq="M")
    return CountCube.from_rows(regions, months, agg.reset_index(), total=True).frame()
