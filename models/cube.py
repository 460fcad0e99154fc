"""The panel's dense count cube: region x panel type x month arrays of counts and fatalities.

The long frame :attr:`models.panel.Panel.counts` is how a panel is stored and read row by row;
models, baselines and the service read the same numbers as arrays. :class:`CountCube` is that
array form, built once per panel state (:attr:`models.panel.Panel.cube` caches it; a truncated
panel is a new panel with a new cube). Its arrays are read-only: take a copy to change them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from models.taxonomy import ALL, ATTACK_TYPES, PANEL_TYPES

if TYPE_CHECKING:
    from models.panel import Panel

ALL_INDEX = PANEL_TYPES.index(ALL)
"""Position of the ``all`` pseudo type on the cube's type axis."""


@dataclass(frozen=True, eq=False)
class CountCube:
    """Dense monthly counts and fatalities of every region x panel type x month.

    Attributes:
        regions: region ids, in the order of the panel's region table.
        types: the panel types, :data:`models.taxonomy.PANEL_TYPES`.
        months: every month of the panel, the earliest coverage start to the cutoff.
        counts: ``(R, T, M)`` float counts, 0 where the region is not covered yet.
        fatalities: ``(R, T, M)`` float fatalities, 0 where the region is not covered yet.
        covered: ``(R, M)`` whether the region is covered at the month (its coverage start or later).
    """

    regions: pd.Index
    types: tuple[str, ...]
    months: pd.PeriodIndex
    counts: np.ndarray
    fatalities: np.ndarray
    covered: np.ndarray

    @classmethod
    def from_panel(cls, panel: Panel) -> CountCube:
        """The cube of a panel's long counts (see :class:`models.panel.Panel`)."""
        return cls.from_rows(panel.regions, panel.months, panel.counts)

    @classmethod
    def from_rows(cls, regions: pd.DataFrame, months: pd.PeriodIndex, rows: pd.DataFrame,
                  total: bool = False) -> CountCube:
        """Scatter long rows into a cube.

        Args:
            regions: region table indexed by ``region_id`` with a ``first_month`` column.
            months: the cube's months.
            rows: ``region_id``, ``month``, ``attack_type``, ``count`` and ``fatalities``, at most one
                row per region x type x month; rows of other regions, types or months are left out.
            total: set the ``all`` type to the sum over :data:`models.taxonomy.ATTACK_TYPES`
                (when ``rows`` carry the attack types only).
        """
        index = pd.Index(regions.index)
        shape = (len(index), len(PANEL_TYPES), len(months))
        counts = np.zeros(shape, dtype=float)
        fatalities = np.zeros(shape, dtype=float)
        if len(rows):
            r = index.get_indexer(pd.Index(rows["region_id"]))
            t = pd.Index(PANEL_TYPES).get_indexer(pd.Index(rows["attack_type"]))
            m = months.get_indexer(pd.PeriodIndex(rows["month"], freq="M"))
            ok = (r >= 0) & (t >= 0) & (m >= 0)
            counts[r[ok], t[ok], m[ok]] = rows["count"].to_numpy(dtype=float)[ok]
            fatalities[r[ok], t[ok], m[ok]] = rows["fatalities"].to_numpy(dtype=float)[ok]
        if total:
            n_types = len(ATTACK_TYPES)
            counts[:, ALL_INDEX] = counts[:, :n_types].sum(axis=1)
            fatalities[:, ALL_INDEX] = fatalities[:, :n_types].sum(axis=1)
        start = months.get_indexer(pd.PeriodIndex(regions["first_month"], freq="M")) if len(
            index) else np.zeros(0, dtype=int)
        covered = np.arange(len(months))[None, :] >= start[:, None]
        for array in (counts, fatalities, covered):
            array.setflags(write=False)
        return cls(regions=index, types=PANEL_TYPES, months=months, counts=counts,
                   fatalities=fatalities, covered=covered)

    def type_index(self, attack_type: str) -> int:
        """Position of a panel type on the type axis.

        Raises:
            ValueError: for a name that is not a panel type.
        """
        if attack_type not in self.types:
            raise ValueError(f"unknown panel type {attack_type!r}")
        return self.types.index(attack_type)

    def masked(self, value: str = "count") -> np.ndarray:
        """``(R, T, M)`` counts (or ``"fatalities"``), NaN where the region is not covered yet."""
        source = self.counts if value == "count" else self.fatalities if value == "fatalities" else None
        if source is None:
            raise ValueError(f"value must be 'count' or 'fatalities', got {value!r}")
        return np.where(self.covered[:, None, :], source, np.nan)

    def recent(self, window: int) -> np.ndarray:
        """``(R, T, window)`` counts of the last ``window`` months, oldest first.

        Months before a region's coverage (or before the panel's first month) are NaN.

        Raises:
            ValueError: when ``window < 1``.
        """
        if window < 1:
            raise ValueError(f"window must be >= 1, got {window}")
        out = np.full((*self.counts.shape[:2], window), np.nan)
        n = min(window, len(self.months))
        if n:
            out[:, :, window - n:] = self.masked()[:, :, len(self.months) - n:]
        return out

    def recent_mean(self, window: int) -> tuple[np.ndarray, np.ndarray]:
        """Mean monthly count over the covered months among the last ``window``, and their number.

        Returns:
            ``(R, T)`` means (0 where no month is covered) and ``(R, T)`` covered-month counts.
        """
        cube = self.recent(window)
        covered = np.isfinite(cube).sum(axis=2)
        total = np.nansum(cube, axis=2)
        return np.divide(total, covered, out=np.zeros_like(total), where=covered > 0), covered

    def wide(self, attack_type: str = ALL, value: str = "count") -> pd.DataFrame:
        """Region x month table of one type (NaN before a region's coverage; integers when none is)."""
        values = self.masked(value)[:, self.type_index(attack_type), :]
        table = pd.DataFrame(values, index=self.regions, columns=self.months)
        return table.astype("int64") if self.covered.all() else table

    def frame(self) -> pd.DataFrame:
        """The long frame of every covered cell, sorted by region, type and month (int64 values)."""
        mask = np.broadcast_to(self.covered[:, None, :], self.counts.shape)
        reg, typ, mon = np.nonzero(mask)
        region_ids = self.regions.to_numpy()
        return pd.DataFrame({
            "region_id": region_ids[reg] if len(region_ids) else np.array([], dtype=object),
            "month": self.months[mon],
            "attack_type": np.asarray(self.types, dtype=object)[typ],
            "count": self.counts[mask].astype(np.int64),
            "fatalities": self.fatalities[mask].astype(np.int64),
        })
