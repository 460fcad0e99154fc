"""No leakage: a forecast made at an origin is the same whether the panel has data after it or not.

Every entry of the model catalogue (baselines, fitted count families, P(any) models, tactic mix) is
fitted and forecast from the state at the origin of three panels: the original, one built only from
the events up to the origin, and one whose later events were dropped, moved to another type, burst
and joined by a new region. The walk-forward selection is checked the same way through a backtest.
"""

from __future__ import annotations

import inspect
from functools import partial

import numpy as np
import pandas as pd
import pytest

from models.demo import generate_demo
from models.estimators.base import forecast_index
from models.estimators.catalogue import COUNT_MODELS, MIX_MODELS, PROBABILITY_MODELS
from models.estimators.count import PooledNegBin
from models.panel import Panel, build_panel
from training.backtest import run_backtest
from training.combination import COMBINE_RULES, combiner
from training.selection import SELECTED

ORIGIN = pd.Period("2017-06", freq="M")
HORIZON = 3
FORECAST_COLUMNS = ["mean", "q10", "q50", "q90", "p_any"]
KEYS = ["model", "region_id", "attack_type", "origin", "horizon"]

SMALL = {"pooled_negbin": {"max_horizon": 2, "window": 36},
         "state_space_series": {"min_months": 24, "min_events": 6, "window": 36, "maxiter": 10,
                                "fallback": PooledNegBin(max_horizon=2, window=36)},
         "event_logit": {"max_horizon": 2, "max_rows": 4000},
         "event_classifier": {"max_horizon": 2, "max_rows": 4000, "max_iter": 30}}
"""Light hyper-parameters so that every family fits in about a second on the small demo."""


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


@pytest.fixture(scope="module")
def panels(demo) -> dict[str, Panel]:
    """The original panel, the panel of the events up to the origin, and the altered panel."""
    events = demo.events
    return {"original": build_panel(events),
            "cut": build_panel(events[events["date"] <= ORIGIN.end_time]),
            "altered": build_panel(_altered(events))}


def _model(name: str, catalog: pd.DataFrame):
    cls = {**COUNT_MODELS, **PROBABILITY_MODELS, **MIX_MODELS}[name]
    params = dict(SMALL.get(name, {}))
    if "catalog" in inspect.signature(cls).parameters:
        params["catalog"] = catalog
    return cls(**params)


FITTED_PARTS = {"state_space_series": "series_fitted"}
"""Report entries that must be positive, so the test exercises the family's own path, not a fallback."""


def _forecast(name: str, state: Panel, catalog: pd.DataFrame) -> pd.DataFrame:
    """The model's forecast from ``state`` (fitted on it) as one frame of key and value columns."""
    model = _model(name, catalog).fit(state)
    for entry in (FITTED_PARTS[name],) if name in FITTED_PARTS else ():
        assert model.fit_report()[entry] > 0
    if name in MIX_MODELS:
        return model.predict_mix(state, HORIZON)
    if name in PROBABILITY_MODELS:
        index = forecast_index(state, HORIZON)
        return index.assign(p_any=model.predict_proba(state, HORIZON))
    return model.predict(state, HORIZON)


def _on_regions(frame: pd.DataFrame, regions: pd.Index) -> pd.DataFrame:
    return frame[frame["region_id"].isin(regions)].reset_index(drop=True)


def test_the_alteration_reaches_the_panels_after_the_origin_only(panels):
    states = {k: p.truncate(ORIGIN) for k, p in panels.items()}
    known = states["original"].regions.index
    for other in ("cut", "altered"):
        pd.testing.assert_frame_equal(states["original"].counts,
                                      _on_regions(states[other].counts, known))
        assert not panels["original"].counts.equals(panels[other].counts)
    late = set(states["altered"].regions.index) - set(known)
    assert len(late) == 1 and late.pop().endswith(".late-region")  # known at the origin, without events


@pytest.mark.parametrize("name", sorted({*COUNT_MODELS, *PROBABILITY_MODELS, *MIX_MODELS}))
def test_every_catalogued_model_forecasts_the_same_without_later_data(name, panels, demo):
    states = {k: p.truncate(ORIGIN) for k, p in panels.items()}
    known = states["original"].regions.index
    reference = _forecast(name, states["original"], demo.episodes)
    assert len(reference) and reference["region_id"].isin(known).all()
    values = [c for c in reference.columns if c in (*FORECAST_COLUMNS, "share")]
    assert values
    for other in ("cut", "altered"):
        got = _on_regions(_forecast(name, states[other], demo.episodes), known)
        pd.testing.assert_frame_equal(reference.drop(columns=values), got.drop(columns=values))
        for column in values:
            np.testing.assert_allclose(got[column].to_numpy(float), reference[column].to_numpy(float),
                                       rtol=1e-9, atol=1e-12, err_msg=f"{name} {column} vs {other}")


@pytest.mark.parametrize("name", ["mean12", "pooled_negbin", "event_logit", "tactic_mix"])
def test_the_check_detects_a_model_that_sees_later_data(name, panels, demo):
    """Negative control: fitted and forecast on the whole panels, the same models do disagree."""
    a = _forecast(name, panels["original"], demo.episodes)
    b = _on_regions(_forecast(name, panels["altered"], demo.episodes), a["region_id"].unique())
    column = "share" if "share" in a else "p_any" if name == "event_logit" else "mean"
    assert len(a) == len(b)
    assert not np.allclose(a[column].to_numpy(float), b[column].to_numpy(float), rtol=1e-9, atol=1e-12)


@pytest.mark.slow
@pytest.mark.parametrize("rule", COMBINE_RULES)
def test_the_served_combination_at_each_origin_ignores_later_data(rule, panels, demo):
    origins = [ORIGIN - i for i in range(3, -1, -1)]
    models = {"zero": COUNT_MODELS["zero"], "mean12": COUNT_MODELS["mean12"],
              "bootstrap24": COUNT_MODELS["bootstrap24"],
              "pooled_negbin": partial(_model, "pooled_negbin", demo.episodes)}
    clf = partial(_model, "event_logit", demo.episodes)
    runs = {k: run_backtest(panels[k], demo.episodes, models, origins, HORIZON, classifier_factory=clf,
                            combine=combiner(rule), warmup=2).predictions
            for k in ("original", "altered")}
    a, b = runs["original"], runs["altered"]
    assert set(a["model"]) == {*models, "classifier", SELECTED}
    merged = a.merge(b, on=KEYS, suffixes=("_a", "_b"))
    assert len(merged) == len(a) == len(b)
    for column in FORECAST_COLUMNS:
        left, right = merged[f"{column}_a"].to_numpy(float), merged[f"{column}_b"].to_numpy(float)
        np.testing.assert_allclose(left, right, rtol=1e-9, atol=1e-12, err_msg=column)
    selected = merged[merged["model"] == SELECTED]
    assert len(selected) and selected["mean_a"].notna().all()
    # ... while what happened afterwards (and so the scores) did change.
    assert not np.array_equal(merged["y_a"].to_numpy(), merged["y_b"].to_numpy())
