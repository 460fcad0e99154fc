"""Small synthetic data and a stand-in forecaster shared by the training tests."""

from __future__ import annotations

from typing import Any, Self

import numpy as np
import pandas as pd

from models.distributions import CountPredictive, NegBinPredictive
from models.estimators.base import Forecaster, forecast_index
from models.panel import Panel
from models.schema import conform_events
from models.taxonomy import PANEL_TYPES

REGIONS = (("MLI", "Gao"), ("MLI", "Mopti"), ("BFA", "Sahel"), ("NER", "Tillaberi"))
TYPES = ("armed_assault", "bombing", "kidnapping")


def synthetic_events(seed: int = 3, months: int = 36, start: str = "2019-01") -> pd.DataFrame:
    """Canonical events from Poisson counts with a different rate per region and type."""
    rng = np.random.default_rng(seed)
    rows: list[dict[str, Any]] = []
    first = pd.Period(start, freq="M")
    for r, (iso, admin1) in enumerate(REGIONS):
        for t, atype in enumerate(TYPES):
            rate = 0.4 + 1.2 * r + 0.6 * t
            for m in range(months):
                month = first + m
                for k in range(int(rng.poisson(rate * (1 + 0.3 * np.sin(m / 4))))):
                    rows.append({
                        "event_id": f"demo:{iso}-{r}-{t}-{m}-{k}", "source": "demo",
                        "date": month.to_timestamp() + pd.Timedelta(days=int(k % 27)),
                        "date_precision": "day", "country": iso, "admin1": admin1,
                        "region_id": f"{iso}.{admin1.lower()}", "latitude": 15.0 + r,
                        "longitude": 1.0 + r, "attack_type": atype, "perpetrator": "",
                        "target": "", "fatalities": int(k % 3), "suicide": False})
    return conform_events(pd.DataFrame(rows))


class MeanPoisson(Forecaster):
    """Poisson with the mean of the last ``window`` months of each series (a test stand-in)."""

    name = "mean_poisson"

    def __init__(self, window: int = 12, catalog: pd.DataFrame | None = None) -> None:
        self.window = window
        self.catalog = catalog

    def fit(self, panel: Panel) -> Self:
        self.fitted_ = True
        return self

    def predict_dist(self, state: Panel, horizon: int) -> tuple[pd.DataFrame, CountPredictive]:
        self.check_fitted()
        index = forecast_index(state, horizon)
        recent = state.counts[state.counts["month"] > state.cutoff - self.window]
        means = recent.groupby(["region_id", "attack_type"])["count"].mean()
        keys = pd.MultiIndex.from_arrays([index["region_id"], index["attack_type"]])
        mu = means.reindex(keys).fillna(0.0).to_numpy(dtype=float)
        return index, NegBinPredictive(mu, np.zeros(len(mu)))


__all__ = ["PANEL_TYPES", "MeanPoisson", "synthetic_events"]
