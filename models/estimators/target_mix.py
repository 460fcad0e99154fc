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

from models.estimators.base import check_fitted, fit_report
from models.estimators.mix import ShrunkMix, shares_frame
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


class TargetMix(ShrunkMix):
    """Shrunken recent target-class shares per region.

    Args:
        window, half_life, strengths, tune_months: see :class:`models.estimators.mix.ShrunkMix`.
    """

    name = "target_mix"

    def fit(self, panel: Panel) -> Self:
        """Learn the global mix and the prior strength from ``panel``."""
        losses = self.learn_shrinkage(target_cube(panel), panel.regions["country"].to_numpy(dtype=object))
        self.report_: dict[str, Any] = {
            "family": self.name, "strength": self.strength_, "tuning_log_loss": losses,
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
        shares = self.recent_shares(cube, countries)
        out = np.repeat(shares[:, None, :], horizon, axis=1)
        return shares_frame(regions, TARGET_CLASSES, "target_class", out)

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
