"""Tactic-share shift: the share of each attack type after an occupation against before and during.

Pooled over the studied regions: the share of type ``k`` among all attacks in the months of the
window up to the end (before and during) against the months after it. The 95% interval of the
shift comes from a block bootstrap: each region's months of each period are cut into blocks of
:data:`BLOCK_MONTHS` consecutive months, resampled with replacement within the region and period.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import pandas as pd

BLOCK_MONTHS: Final = 6
DRAWS: Final = 1000


@dataclass(frozen=True)
class ShareShift:
    """One attack type's share of all attacks before/during and after the occupations.

    Attributes:
        attack_type: the type.
        share_before: share in the months up to the end (before and during).
        share_after: share in the months after the end.
        shift: ``share_after - share_before``.
        ci_low: lower 95% bootstrap bound of the shift.
        ci_high: upper 95% bootstrap bound of the shift.
        n_before: events of the type before and during.
        n_after: events of the type after.
    """

    attack_type: str
    share_before: float | None
    share_after: float | None
    shift: float | None
    ci_low: float | None
    ci_high: float | None
    n_before: int
    n_after: int


def share_shifts(rows: pd.DataFrame, counts: dict[str, np.ndarray], total: np.ndarray,
                 seed: int = 0, draws: int = DRAWS) -> list[ShareShift]:
    """Share shift of every type in ``counts``.

    Args:
        rows: the treated rows of the study design (``region_id``, ``month``, ``phase``).
        counts: each type's monthly count on those rows.
        total: the count of all attacks on those rows.
        seed: the bootstrap's random seed.
        draws: bootstrap replicates.

    Returns:
        One :class:`ShareShift` per type, in ``counts`` order.
    """
    after = rows["phase"].astype(str).str.startswith("after").to_numpy()
    period = np.where(after, 1, 0)
    order = rows.groupby(["region_id", period]).cumcount().to_numpy()
    block_key = pd.DataFrame({"r": rows["region_id"].to_numpy(), "p": period, "b": order // BLOCK_MONTHS})
    block = block_key.groupby(["r", "p", "b"], sort=True).ngroup().to_numpy()
    names = list(counts)
    table = np.column_stack([*(np.asarray(counts[n], dtype=float) for n in names),
                             np.asarray(total, dtype=float)]) if len(rows) else np.zeros((0, len(names) + 1))
    n_blocks = int(block.max()) + 1 if len(block) else 0
    sums = np.zeros((n_blocks, table.shape[1]))
    np.add.at(sums, block, table)
    meta = block_key.drop_duplicates(["r", "p", "b"]).sort_values(["r", "p", "b"])
    block_period = meta["p"].to_numpy()
    strata = [np.flatnonzero((meta["r"] == r).to_numpy() & (block_period == p))
              for r, p in meta[["r", "p"]].drop_duplicates().itertuples(index=False)]
    rng = np.random.default_rng(seed)
    boot = np.zeros((draws, 2, table.shape[1]))
    for stratum in strata:
        picks = stratum[rng.integers(0, len(stratum), size=(draws, len(stratum)))]
        p = int(block_period[stratum[0]])
        boot[:, p, :] += sums[picks].sum(axis=1)
    point = np.stack([sums[block_period == 0].sum(axis=0), sums[block_period == 1].sum(axis=0)])
    out: list[ShareShift] = []
    for k, name in enumerate(names):
        before, aft = _share(point[0, k], point[0, -1]), _share(point[1, k], point[1, -1])
        shift = None if before is None or aft is None else aft - before
        with np.errstate(invalid="ignore", divide="ignore"):
            sample = boot[:, 1, k] / boot[:, 1, -1] - boot[:, 0, k] / boot[:, 0, -1]
        sample = sample[np.isfinite(sample)]
        low, high = (float(np.quantile(sample, 0.025)), float(np.quantile(sample, 0.975))) \
            if shift is not None and len(sample) else (None, None)
        out.append(ShareShift(name, before, aft, shift, low, high, int(point[0, k]), int(point[1, k])))
    return out


def _share(part: float, whole: float) -> float | None:
    return None if whole <= 0 else float(part / whole)
