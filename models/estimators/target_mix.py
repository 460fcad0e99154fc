"""Target mix: the expected share of each target class among a region's next events.

The counterpart of :class:`models.estimators.mix.TacticMix` for *who* is attacked
(:data:`models.targets.TARGET_CLASSES`): a region's recent target-class counts (exponentially
down-weighted with age over the last ``window`` months) shrunk toward its country's recent mix,
itself shrunk toward the global mix of the training window (Dirichlet-multinomial posterior means,
:func:`models.estimators.mix.mix_shares`). The prior strength is chosen on the training window:
at each of its last ``tune_months`` origins every candidate predicts the next six months' mix and
the lowest multinomial log loss wins. The counts come from :attr:`models.panel.Panel.targets`
(built when the events carry ``target_class``). ``unknown`` is a class of its own, so the shares
say how much of a region's record does not name its target.
"""

from __future__ import annotations

from typing import Any, Self

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from models.estimators.base import check_fitted, fit_report, hyperparameters
from models.estimators.mix import mix_shares
from models.panel import Panel
from models.targets import TARGET_CLASSES

_K = len(TARGET_CLASSES)


def target_cube(panel: Panel) -> np.ndarray:
    """``(regions, classes, months)`` target-class counts over ``panel.months``.

    Raises:
        ValueError: when the panel was built from events without ``target_class``.
    """
    if panel.targets is None:
        raise ValueError("the panel carries no target-class counts (events without target_class)")
    months = panel.months
    cube = np.zeros((len(panel.regions), _K, len(months)))
    rows = panel.targets
    if len(rows):
        r = panel.regions.index.get_indexer(pd.Index(rows["region_id"]))
        k = pd.Index(TARGET_CLASSES).get_indexer(pd.Index(rows["target_class"]))
        m = months.get_indexer(pd.PeriodIndex(rows["month"], freq="M"))
        ok = (r >= 0) & (k >= 0) & (m >= 0)
        np.add.at(cube, (r[ok], k[ok], m[ok]), rows["count"].to_numpy(dtype=float)[ok])
    return cube


def _weighted(cube: np.ndarray, end: int, window: int, half_life: float) -> np.ndarray:
    start = max(0, end - window + 1)
    block = cube[:, :, start: end + 1]
    age = np.arange(block.shape[2])[::-1]
    return (block * (0.5 ** (age / half_life))[None, None, :]).sum(axis=2)


@hyperparameters
class TargetMix(BaseEstimator):  # type: ignore[misc]
    """Shrunken recent target-class shares per region.

    Args:
        window: months of recent history per region.
        half_life: months after which an event weighs half.
        strengths: candidate prior strengths (pseudo-events); the best on the training window wins.
        tune_months: origins at the end of the training window used to choose the strength.
    """

    name = "target_mix"

    window: int = 24
    half_life: float = 6.0
    strengths: tuple[float, ...] = (1.0, 3.0, 10.0, 30.0)
    tune_months: int = 24

    def fit(self, panel: Panel) -> Self:
        """Learn the global mix and the prior strength from ``panel``."""
        if not self.strengths:
            raise ValueError("strengths must name at least one candidate")
        cube = target_cube(panel)
        countries = panel.regions["country"].to_numpy(dtype=object)
        totals = cube.sum(axis=(0, 2)) if cube.size else np.zeros(_K)
        self.global_shares_ = (totals + 1.0) / (totals.sum() + _K)
        end = cube.shape[2] - 1
        origins = [t for t in range(end - 6 - self.tune_months + 1, end - 5) if t >= 0]
        losses = {s: 0.0 for s in self.strengths}
        for t in origins:
            future = cube[:, :, t + 1: t + 7].sum(axis=2)
            if future.sum() == 0:
                continue
            recent = _weighted(cube, t, self.window, self.half_life)
            for s in self.strengths:
                shares = mix_shares(recent, countries, self.global_shares_, s)
                losses[s] -= float((future * np.log(np.maximum(shares, 1e-12))).sum())
        self.strength_ = float(min(self.strengths, key=lambda s: (losses[s], s)))
        self.report_: dict[str, Any] = {
            "family": self.name, "strength": self.strength_,
            "tuning_log_loss": {str(s): round(v, 3) for s, v in losses.items()},
            "global_shares": {k: round(float(v), 4) for k, v in zip(TARGET_CLASSES, self.global_shares_,
                                                                   strict=True)},
        }
        self.fitted_ = True
        return self

    def predict_mix(self, state: Panel, horizon: int) -> pd.DataFrame:
        """Expected shares: ``region_id``, ``horizon``, ``target_class``, ``share``.

        Shares sum to 1 over :data:`models.targets.TARGET_CLASSES` for every region and horizon;
        the same shares hold at every horizon (no target-class dynamics are modelled).
        """
        check_fitted(self)
        if horizon < 1:
            raise ValueError(f"horizon must be >= 1, got {horizon}")
        cube = target_cube(state)
        regions = state.regions.index.to_numpy()
        countries = state.regions["country"].to_numpy(dtype=object)
        recent = _weighted(cube, cube.shape[2] - 1, self.window, self.half_life)
        shares = mix_shares(recent, countries, self.global_shares_, self.strength_)
        out = np.repeat(shares[:, None, :], horizon, axis=1)
        return pd.DataFrame({
            "region_id": np.repeat(regions, horizon * _K),
            "horizon": np.tile(np.repeat(np.arange(1, horizon + 1), _K), len(regions)).astype("int64"),
            "target_class": np.tile(np.asarray(TARGET_CLASSES, dtype=object), len(regions) * horizon),
            "share": out.ravel(),
        })

    def fit_report(self) -> dict[str, Any]:
        """What the fit decided (strength, tuning losses, global shares)."""
        return fit_report(self)


def observed_mix(panel: Panel, regions: list[str], start: str, end: str) -> pd.Series:
    """Observed target-class shares of the events of ``regions`` in months ``start`` .. ``end``."""
    if panel.targets is None:
        raise ValueError("the panel carries no target-class counts (events without target_class)")
    rows = panel.targets
    months = pd.PeriodIndex(rows["month"], freq="M")
    keep = rows["region_id"].isin(regions).to_numpy() & (months >= pd.Period(start, "M")) & (
        months <= pd.Period(end, "M"))
    counts = rows[keep].groupby("target_class")["count"].sum().reindex(list(TARGET_CLASSES), fill_value=0)
    total = counts.sum()
    return (counts / total) if total else counts.astype(float)
