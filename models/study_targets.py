"""The episode study by target class: who was attacked before, during and after each occupation.

Beside the counts by attack type, every studied region-month gets its events by target class
(:data:`models.targets.TARGET_CLASSES`) from :attr:`models.panel.Panel.targets`. Events the
target counts do not cover count as ``unknown``: every event of a panel built from events without
a ``target_class`` column (older canonical files), and any remainder of the month's ``all`` count,
so the classes of a month always add up to its events. The target-share shift is the tactic-share
shift of :mod:`models.study_shares` over the classes: each class's share of all events after the
end against before and during, with a block-bootstrap 95% interval.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import numpy as np
import pandas as pd

from models.panel import Panel
from models.study_shares import ShareShift, share_shifts
from models.targets import TARGET_CLASSES, UNKNOWN


def class_counts(panel: Panel, rows: pd.DataFrame, total: np.ndarray) -> pd.DataFrame:
    """Monthly events by target class on ``rows`` (``region_id``, ``month``), one column per class.

    Args:
        panel: the region-month panel.
        rows: the studied rows.
        total: the count of all events on each row (the panel's ``all``); what the target counts
            leave unexplained is added to ``unknown``.

    Returns:
        A frame aligned with ``rows``, int64 columns in :data:`TARGET_CLASSES` order.
    """
    n = len(rows)
    table = np.zeros((n, len(TARGET_CLASSES)), dtype=np.int64)
    targets = getattr(panel, "targets", None)
    if targets is not None and n:
        targets = targets[targets["region_id"].isin(pd.unique(rows["region_id"]))]
    if targets is not None and len(targets) and n:
        keys = pd.MultiIndex.from_arrays([rows["region_id"].to_numpy(),
                                          pd.PeriodIndex(rows["month"], freq="M").asi8])
        wide = targets.pivot_table(index=["region_id", "month"], columns="target_class", values="count",
                                   aggfunc="sum", fill_value=0)
        months = pd.PeriodIndex(wide.index.get_level_values(1), freq="M").asi8
        wide.index = pd.MultiIndex.from_arrays([wide.index.get_level_values(0).to_numpy(), months])
        wide = wide.reindex(index=keys, columns=list(TARGET_CLASSES), fill_value=0).fillna(0)
        table = wide.to_numpy(dtype=np.int64, copy=True)
    unknown = TARGET_CLASSES.index(UNKNOWN)
    rest = np.asarray(total, dtype=np.int64) - table.sum(axis=1)
    table[:, unknown] += np.maximum(rest, 0)
    return pd.DataFrame(table, columns=list(TARGET_CLASSES), index=rows.index)


def target_shifts(timeline: pd.DataFrame, counts: pd.DataFrame, total: np.ndarray,
                  seed: int = 0) -> list[ShareShift]:
    """The share shift of every target class (see :func:`models.study_shares.share_shifts`).

    The returned :class:`ShareShift` objects name the class in their ``attack_type`` field;
    :func:`shift_record` gives them their JSON form.
    """
    return share_shifts(timeline, {k: counts[k].to_numpy() for k in TARGET_CLASSES}, total, seed=seed)


def shift_record(shift: ShareShift) -> dict[str, Any]:
    """A target-class share shift as a JSON-ready record keyed by ``target_class``."""
    record = asdict(shift)
    return {"target_class": record.pop("attack_type"), **record}


def phase_counts(group: pd.DataFrame, phases: tuple[str, ...]) -> dict[str, dict[str, int]]:
    """Phase -> target class -> events of one region's timeline rows (phases with rows only)."""
    sums = group.groupby("phase")[list(TARGET_CLASSES)].sum().to_dict("index")
    return {p: {k: int(sums[p][k]) for k in TARGET_CLASSES} for p in phases if p in sums}
