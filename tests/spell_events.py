"""Synthetic canonical events for the P(count >= 1) model tests: persistent quiet and active spells."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from models.estimators.base import forecast_index
from models.panel import Panel
from models.schema import conform_events


def spell_events(seed: int, n_regions: int = 12, n_months: int = 84, active: float = 2.5,
                 active_from: int = 0, quiet: float = 0.03) -> pd.DataFrame:
    """Regions alternating between quiet and active spells (persistent), bombings and kidnappings.

    From month ``active_from`` on, active spells have rate ``active``; before it, ``quiet`` only
    (a regime shift when ``active_from > 0``). Months start in 2011-01; regions are ``MLI.r<i>``.
    """
    rng = np.random.default_rng(seed)
    state = rng.random(n_regions) < 0.5
    base = np.exp(rng.normal(0.0, 0.3, n_regions))
    rows = []
    for t in range(n_months):
        flip = rng.random(n_regions) < 0.04
        state = np.where(flip, ~state, state)
        lam = np.where(state & (t >= active_from), active * base, quiet)
        for kind, share in (("bombing", 0.7), ("kidnapping", 0.3)):
            n = rng.poisson(lam * share)
            for r in np.nonzero(n)[0]:
                rows.extend([(f"MLI.r{r}", t, kind)] * int(n[r]))
    start = pd.Period("2011-01", freq="M")
    return conform_events(pd.DataFrame({
        "event_id": [f"c:{i}" for i in range(len(rows))], "source": "canonical",
        "date": [(start + t).to_timestamp() + pd.Timedelta(days=2) for _, t, _ in rows],
        "date_precision": "day", "country": "MLI", "admin1": [r[4:] for r, _, _ in rows],
        "region_id": [r for r, _, _ in rows], "latitude": 0.0, "longitude": 0.0,
        "attack_type": [k for _, t, k in rows], "perpetrator": "", "target": "", "fatalities": 0,
        "suicide": False}))


def one_event(region_id: str, day: str, attack_type: str = "bombing") -> pd.DataFrame:
    """A single canonical event (for unseen-region and single-class cases)."""
    country, admin1 = region_id.split(".", 1)
    return conform_events(pd.DataFrame({
        "event_id": [f"one:{region_id}:{day}"], "source": "canonical", "date": [pd.Timestamp(day)],
        "date_precision": "day", "country": country, "admin1": admin1.title(), "region_id": region_id,
        "latitude": 0.0, "longitude": 0.0, "attack_type": attack_type, "perpetrator": "", "target": "",
        "fatalities": 0, "suicide": False}))


def forecast_outcomes(model: Any, panel: Panel, origins: pd.PeriodIndex, horizon: int,
                      types: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    """``model``'s P(count >= 1) from each truncated state and whether an event followed, on ``types``."""
    truth = panel.counts.set_index(["region_id", "attack_type", "month"])["count"]
    ps, ys = [], []
    for origin in origins:
        state = panel.truncate(origin)
        index = forecast_index(state, horizon)
        rows = index["attack_type"].isin(types).to_numpy()
        keys = list(zip(index["region_id"], index["attack_type"],
                        pd.PeriodIndex(index["target_month"], freq="M"), strict=True))
        ys.append(truth.loc[keys].to_numpy()[rows] > 0)
        ps.append(model.predict_proba(state, horizon)[rows])
    return np.concatenate(ps), np.concatenate(ys)
