"""The forecast frame contract: one row per region x attack type x horizon.

Columns: ``region_id``, ``attack_type`` (including ``all``), ``origin`` (last month of data,
``YYYY-MM``), ``target_month`` (``YYYY-MM``), ``horizon`` (1..H), ``mean``, one ``qNN`` column per
quantile level (``q10``, ``q50``, ``q90`` by default), ``p_any`` = P(count >= 1), ``risk_tier``.
Provenance columns (``model``, ``model_version``, ``data_cutoff``) are added by whoever serves it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import numpy as np
import pandas as pd

DEFAULT_QUANTILES: Final[tuple[float, ...]] = (0.1, 0.5, 0.9)

KEY_COLUMNS: Final[tuple[str, ...]] = ("region_id", "attack_type", "origin", "target_month", "horizon")

RISK_TIERS: Final[tuple[str, ...]] = ("minimal", "low", "elevated", "high", "severe")
"""Risk tiers, from lowest to highest, set by ``p_any`` thresholds."""

RISK_THRESHOLDS: Final[tuple[float, ...]] = (0.05, 0.2, 0.5, 0.8)
"""``p_any`` lower bounds of ``low``, ``elevated``, ``high`` and ``severe``."""


def quantile_column(level: float) -> str:
    """Column name of a quantile level: 0.1 -> ``q10``, 0.05 -> ``q05``, 0.975 -> ``q97.5``.

    Raises:
        ValueError: when the level is not strictly between 0 and 1.
    """
    if not 0.0 < level < 1.0:
        raise ValueError(f"quantile level must be strictly between 0 and 1, got {level}")
    pct = round(level * 100, 6)
    if float(pct).is_integer():
        return f"q{int(pct):02d}"
    return f"q{pct:g}"


def parse_quantiles(text: str) -> tuple[float, ...]:
    """Parse ``"0.05,0.5,0.95"`` into sorted unique levels, validating each.

    Raises:
        ValueError: on an unparseable or out-of-range level.
    """
    levels: set[float] = set()
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        try:
            level = float(part)
        except ValueError as exc:
            raise ValueError(f"not a number: {part!r}") from exc
        quantile_column(level)
        levels.add(level)
    if not levels:
        raise ValueError("no quantile levels given")
    return tuple(sorted(levels))


def forecast_columns(quantiles: Sequence[float] = DEFAULT_QUANTILES) -> list[str]:
    """The forecast frame's columns, in order, for the given quantile levels."""
    return [*KEY_COLUMNS, "mean", *(quantile_column(q) for q in sorted(quantiles)), "p_any", "risk_tier"]


def risk_tier(p_any: np.ndarray | pd.Series | Sequence[float]) -> np.ndarray:
    """Map probabilities of at least one attack to :data:`RISK_TIERS` labels."""
    p = np.asarray(p_any, dtype=float)
    idx = np.searchsorted(np.asarray(RISK_THRESHOLDS), p, side="right")
    return np.asarray(RISK_TIERS, dtype=object)[idx]


def check_forecast_frame(frame: pd.DataFrame, quantiles: Sequence[float] = DEFAULT_QUANTILES) -> None:
    """Check a forecast frame against the contract.

    Raises:
        ValueError: naming the first violation (missing columns, p_any outside [0, 1], negative or
            non-monotone quantiles, a mean below zero, duplicated keys).
    """
    missing = [c for c in forecast_columns(quantiles) if c not in frame.columns]
    if missing:
        raise ValueError(f"forecast frame lacks columns {missing}")
    if frame.duplicated(list(KEY_COLUMNS)).any():
        raise ValueError("forecast frame has duplicated region/attack_type/origin/horizon keys")
    p = frame["p_any"].to_numpy(dtype=float)
    if np.isnan(p).any() or (p < 0).any() or (p > 1).any():
        raise ValueError("p_any must lie in [0, 1]")
    mean = frame["mean"].to_numpy(dtype=float)
    if np.isnan(mean).any() or (mean < 0).any():
        raise ValueError("mean must be finite and >= 0")
    cols = [quantile_column(q) for q in sorted(quantiles)]
    qs = frame[cols].to_numpy(dtype=float)
    if (qs < 0).any():
        raise ValueError("quantiles must be >= 0")
    if qs.shape[1] > 1 and (np.diff(qs, axis=1) < 0).any():
        raise ValueError("quantiles must be non-decreasing in the level")
