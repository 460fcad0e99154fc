"""No leakage: altering events after an origin changes no forecast made at that origin."""

from __future__ import annotations

from functools import partial

import numpy as np
import pandas as pd
import pytest

from models.demo import generate_demo
from models.panel import build_panel
from training.backtest import run_backtest
from training.selection import model_factories

ORIGIN = pd.Period("2017-06", freq="M")
FORECAST_COLUMNS = ["mean", "q10", "q50", "q90", "p_any"]
KEYS = ["model", "region_id", "attack_type", "origin", "horizon"]


@pytest.fixture(scope="module")
def demo():
    return generate_demo(seed=5, n_regions=5, start="2012-01", end="2018-12")


def _altered(events: pd.DataFrame) -> pd.DataFrame:
    """Drop every other later event, move the rest to other attack types, add a burst and a new region."""
    later = events["date"] > ORIGIN.end_time
    kept = events[~later | (np.arange(len(events)) % 2 == 0)].copy()
    moved = kept["date"] > ORIGIN.end_time
    kept.loc[moved, "attack_type"] = "kidnapping"
    burst = events[~later].tail(40).copy()
    burst["event_id"] = [f"burst:{i}" for i in range(len(burst))]
    burst["date"] = pd.Timestamp("2017-09-15")
    new = events.iloc[[0]].copy()
    new["event_id"] = "new:1"
    new["admin1"] = "Late Region"
    new["region_id"] = new["country"].iloc[0] + ".late-region"
    new["date"] = pd.Timestamp("2018-02-01")
    return pd.concat([kept, burst, new], ignore_index=True)


def _models(catalog: pd.DataFrame) -> dict:
    factories = model_factories(catalog)
    models = {k: factories[k] for k in ("zero", "last_value", "mean12", "bootstrap24")}
    if "pooled_negbin" in factories:
        models["pooled_negbin"] = partial(factories["pooled_negbin"], max_horizon=2, window=36)
    return models


@pytest.mark.slow
def test_later_events_change_no_forecast_made_at_the_origin(demo):
    original = build_panel(demo.events)
    altered = build_panel(_altered(demo.events))
    assert not original.counts.equals(altered.counts)
    models = _models(demo.episodes)
    a = run_backtest(original, demo.episodes, models, [ORIGIN], horizon=3).predictions
    b = run_backtest(altered, demo.episodes, models, [ORIGIN], horizon=3).predictions
    merged = a.merge(b, on=KEYS, suffixes=("_a", "_b"))
    assert len(merged) == len(a) == len(b)
    # Equal up to float summation order (the not-yet-known late region adds zero rows to the state).
    for column in FORECAST_COLUMNS:
        np.testing.assert_allclose(merged[f"{column}_a"].to_numpy(), merged[f"{column}_b"].to_numpy(),
                                   rtol=1e-12, atol=1e-12)
    # ... while what happened afterwards (and so the scores) did change.
    assert not np.array_equal(merged["y_a"].to_numpy(), merged["y_b"].to_numpy())


def test_truncated_states_are_identical(demo):
    original = build_panel(demo.events).truncate(ORIGIN)
    altered = build_panel(_altered(demo.events)).truncate(ORIGIN)
    known = original.regions.index
    counts_b = altered.counts[altered.counts["region_id"].isin(known)].reset_index(drop=True)
    pd.testing.assert_frame_equal(original.counts, counts_b)
    for name, factory in _models(demo.episodes).items():
        if name == "pooled_negbin":
            continue
        fa = factory().fit(original).predict(original, 3)
        fb = factory().fit(altered).predict(altered, 3)
        fb = fb[fb["region_id"].isin(known)].reset_index(drop=True)
        pd.testing.assert_frame_equal(fa, fb)
