"""Model selection from backtest rows and the served CombinedForecaster."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest

from models.demo import generate_demo
from models.distributions import EmpiricalPredictive, NegBinPredictive
from models.estimators.base import forecast_index
from models.estimators.baselines import Bootstrap24, LastValuePoisson, Mean12Poisson, ZeroForecaster
from models.estimators.combined import CombinedForecaster, StackedPredictive
from models.forecast import check_forecast_frame
from models.panel import build_panel
from models.taxonomy import ALL, PANEL_TYPES
from training.selection import (
    SELECTED,
    apply_choice,
    build_combined,
    choice_summary,
    resolve_models,
    select,
    walk_forward,
)


def _rows(model: str, crps: list[float], p_any: list[float], y: list[float], attack_type: str = ALL,
          origin: str = "2018-01") -> pd.DataFrame:
    n = len(crps)
    nan = np.full(n, np.nan)
    return pd.DataFrame({
        "model": model, "region_id": [f"MLI.r{i}" for i in range(n)], "country": "MLI",
        "attack_type": attack_type, "origin": origin, "target_month": str(pd.Period(origin, freq="M") + 1),
        "horizon": 1, "y": y, "mean": nan if model == "classifier" else np.ones(n),
        "q10": nan, "q50": nan, "q90": nan, "p_any": p_any,
        "crps": nan if model == "classifier" else crps, "post_occupation": False,
    })


def test_select_lowest_crps_and_best_brier_source():
    y = [0.0, 1.0, 0.0, 3.0]
    pred = pd.concat([
        _rows("mean12", [1.0, 1.0, 1.0, 1.0], [0.5, 0.5, 0.5, 0.5], y),
        _rows("pooled_negbin", [0.5, 0.5, 0.5, 0.5], [0.4, 0.6, 0.4, 0.6], y),
        _rows("classifier", [0, 0, 0, 0], [0.0, 1.0, 0.0, 1.0], y),
    ], ignore_index=True)
    choice = select(pred)
    assert choice[ALL]["count_model"] == "pooled_negbin"
    assert choice[ALL]["p_any"] == "classifier"
    assert choice[ALL]["crps"] == {"mean12": 1.0, "pooled_negbin": 0.5}
    assert choice[ALL]["brier"]["count"] == pytest.approx(0.16)
    assert choice[ALL]["brier"]["blend"] == pytest.approx(0.04)
    assert choice[ALL]["brier"]["classifier"] == pytest.approx(0.0)
    # Types without rows get the default (first fitted family) with its own p_any.
    assert choice["bombing"] == {"count_model": "pooled_negbin", "p_any": "count", "crps": {}, "brier": {},
                                 "rows": 0}
    assert set(choice) == set(PANEL_TYPES)


def test_select_blend_and_tie_keeps_count():
    y = [0.0, 1.0]
    pred = pd.concat([_rows("mean12", [1.0, 1.0], [0.2, 0.6], y),
                      _rows("classifier", [0, 0], [0.6, 1.0], y)], ignore_index=True)
    # count: (0.04 + 0.16)/2 = 0.1; classifier: (0.36 + 0)/2 = 0.18; blend (0.4, 0.8): 0.08.
    assert select(pred)[ALL]["p_any"] == "blend"
    tie = pd.concat([_rows("mean12", [1.0, 1.0], [0.0, 1.0], y),
                     _rows("classifier", [0, 0], [0.0, 1.0], y)], ignore_index=True)
    assert select(tie)[ALL]["p_any"] == "count"


def test_select_without_count_models_fails():
    pred = _rows("classifier", [0.0], [0.5], [1.0])
    with pytest.raises(ValueError, match="no count model"):
        select(pred)


def test_apply_choice_overrides_p_any():
    y = [0.0, 1.0]
    pred = pd.concat([_rows("mean12", [1.0, 1.0], [0.2, 0.6], y),
                      _rows("classifier", [0, 0], [0.6, 1.0], y)], ignore_index=True)
    rows = apply_choice(pred, {ALL: {"count_model": "mean12", "p_any": "blend"}})
    assert rows["model"].eq(SELECTED).all()
    assert rows["p_any"].tolist() == pytest.approx([0.4, 0.8])
    assert rows["crps"].tolist() == [1.0, 1.0]


def test_walk_forward_uses_only_observed_targets():
    # Origin 2018-01 (target 2018-02): nothing observed -> default. Origin 2018-03: the 2018-01 rows
    # (target 2018-02 <= 2018-03) are known, and there last_value beats pooled_negbin.
    y = [1.0, 1.0]
    first = pd.concat([_rows("last_value", [0.1, 0.1], [0.9, 0.9], y),
                       _rows("pooled_negbin", [0.9, 0.9], [0.5, 0.5], y)], ignore_index=True)
    second = pd.concat([_rows("last_value", [0.7, 0.7], [0.8, 0.8], y, origin="2018-03"),
                        _rows("pooled_negbin", [0.2, 0.2], [0.6, 0.6], y, origin="2018-03")],
                       ignore_index=True)
    rows = walk_forward(pd.concat([first, second], ignore_index=True), coherent=False)
    by_origin = rows.groupby("origin")["crps"].first()
    assert by_origin["2018-01"] == pytest.approx(0.9)  # default: the fitted family
    assert by_origin["2018-03"] == pytest.approx(0.7)  # chosen from 2018-01's outcome


def test_stacked_predictive_matches_its_parts():
    nb = NegBinPredictive(np.array([0.5, 2.0, 7.0]), np.array([0.0, 0.3, 0.1]))
    emp = EmpiricalPredictive(np.array([[0, 1, 2, 3], [0, 0, 0, 5], [1, 1, 1, 1]]))
    stacked = StackedPredictive([nb, emp], np.array([1, 0, 0]), np.array([2, 1, 0]))
    y = np.array([1.0, 2.0, 0.0])
    assert len(stacked) == 3
    np.testing.assert_allclose(stacked.mean(), [1.0, 2.0, 0.5])
    np.testing.assert_allclose(stacked.p_any(), [1.0, nb.p_any()[1], nb.p_any()[0]])
    np.testing.assert_allclose(stacked.crps(y), [emp.take(np.array([2])).crps(y[:1])[0],
                                                 nb.take(np.array([1])).crps(y[1:2])[0],
                                                 nb.take(np.array([0])).crps(y[2:])[0]])
    q = stacked.quantiles([0.1, 0.9])
    assert q.shape == (3, 2) and (q[:, 1] >= q[:, 0]).all()
    sub = stacked.take(np.array([False, True, True]))
    np.testing.assert_allclose(sub.mean(), [2.0, 0.5])
    with pytest.raises(ValueError, match="same shape"):
        StackedPredictive([nb], np.array([0]), np.array([0, 1]))


class _RateClassifier:
    """P(count >= 1) = the share of covered months with an event of the type in the training window."""

    def __init__(self, floor: float = 0.0) -> None:
        self.floor = floor

    def fit(self, panel):
        c = panel.counts
        self.rate_ = (c["count"] > 0).groupby(c["attack_type"]).mean()
        return self

    def predict_proba(self, state, horizon):
        index = forecast_index(state, horizon)
        return np.maximum(self.rate_.reindex(index["attack_type"]).fillna(0.0).to_numpy(), self.floor)


@pytest.fixture(scope="module")
def panel():
    return build_panel(generate_demo(seed=4, n_regions=4, start="2015-01").events)


def test_combined_forecaster_applies_the_choice(panel):
    choice = {"bombing": {"count_model": "zero", "p_any": "count"},
              ALL: {"count_model": "mean12", "p_any": "classifier"}}
    members = {"zero": ZeroForecaster(), "mean12": Mean12Poisson(), "last_value": LastValuePoisson()}
    model = CombinedForecaster(members=members, choice=choice, classifier=_RateClassifier(),
                               default_model="last_value", coherent=False).fit(panel)
    assert set(model.members_) == {"zero", "mean12", "last_value"}
    frame = model.predict(panel, 2, quantiles=(0.05, 0.5, 0.95))
    check_forecast_frame(frame, (0.05, 0.5, 0.95))
    mean12 = Mean12Poisson().fit(panel).predict(panel, 2)
    last = LastValuePoisson().fit(panel).predict(panel, 2)
    rate = _RateClassifier().fit(panel).rate_
    is_all = frame["attack_type"] == ALL
    np.testing.assert_allclose(frame.loc[is_all, "mean"], mean12.loc[is_all, "mean"])
    np.testing.assert_allclose(frame.loc[is_all, "p_any"], rate[ALL])
    bomb = frame["attack_type"] == "bombing"
    assert (frame.loc[bomb, "mean"] == 0).all() and (frame.loc[bomb, "p_any"] == 0).all()
    kid = frame["attack_type"] == "kidnapping"
    np.testing.assert_allclose(frame.loc[kid, "mean"], last.loc[kid, "mean"])
    np.testing.assert_allclose(frame.loc[kid, "p_any"], last.loc[kid, "p_any"])
    assert model.fit_report()["choice"][ALL] == {"count_model": "mean12", "p_any": "classifier"}
    again = pickle.loads(pickle.dumps(model)).predict(panel, 2, quantiles=(0.05, 0.5, 0.95))
    pd.testing.assert_frame_equal(frame, again)


def test_combined_forecaster_errors(panel):
    with pytest.raises(ValueError, match="at least one member"):
        CombinedForecaster().fit(panel)
    with pytest.raises(ValueError, match="unknown member"):
        CombinedForecaster(members={"zero": ZeroForecaster()},
                           choice={ALL: {"count_model": "nope", "p_any": "count"}}).fit(panel)
    with pytest.raises(ValueError, match="needs a classifier"):
        CombinedForecaster(members={"zero": ZeroForecaster()},
                           choice={ALL: {"count_model": "zero", "p_any": "blend"}}).fit(panel)
    with pytest.raises(ValueError, match="must be one of"):
        CombinedForecaster(members={"zero": ZeroForecaster()},
                           choice={ALL: {"count_model": "zero", "p_any": "vote"}}).fit(panel)


def test_build_combined_from_a_choice_table(panel):
    factories = {"mean12": Mean12Poisson, "bootstrap24": Bootstrap24}
    choice = {t: {"count_model": "bootstrap24" if t == ALL else "mean12", "p_any": "count", "crps": {}}
              for t in PANEL_TYPES}
    model = build_combined(factories, choice)
    assert model.choice == choice_summary(choice) and model.coherent
    frame = model.set_params(coherent=False).fit(panel).predict(panel, 1)
    boot = Bootstrap24().fit(panel).predict(panel, 1)
    is_all = frame["attack_type"] == ALL
    np.testing.assert_allclose(frame.loc[is_all, "q90"], boot.loc[is_all, "q90"])
    with pytest.raises(ValueError, match="not available"):
        build_combined({"mean12": Mean12Poisson}, choice)
    with pytest.raises(ValueError, match="no classifier"):
        build_combined(factories, {ALL: {"count_model": "mean12", "p_any": "classifier"}})


def test_resolve_models():
    factories = {"zero": ZeroForecaster, "mean12": Mean12Poisson}
    assert resolve_models(None, factories) == factories
    assert list(resolve_models(" mean12 , zero", factories)) == ["mean12", "zero"]
    assert list(resolve_models("mean12,classifier", factories)) == ["mean12"]
    with pytest.raises(ValueError, match="unknown model"):
        resolve_models("mean12,arima", factories)


def test_p_any_source_chosen_per_horizon():
    # Horizon 1: the classifier is right and the count model wrong; horizon 2: the reverse.
    y = [0.0, 1.0]
    h1 = pd.concat([_rows("mean12", [1.0, 1.0], [0.9, 0.1], y),
                    _rows("classifier", [0, 0], [0.0, 1.0], y)], ignore_index=True)
    h2 = pd.concat([_rows("mean12", [1.0, 1.0], [0.0, 1.0], y),
                    _rows("classifier", [0, 0], [0.9, 0.1], y)], ignore_index=True)
    h2["horizon"] = 2
    pred = pd.concat([h1, h2], ignore_index=True)
    entry = select(pred)[ALL]
    assert entry["p_any_by_horizon"] == {"1": "classifier", "2": "count"}
    assert entry["p_any"] == "blend"  # over both horizons: blend 0.2025, count and classifier 0.405
    rows = apply_choice(pred, {ALL: entry}).sort_values(["horizon", "region_id"])
    assert rows["p_any"].tolist() == pytest.approx([0.0, 1.0, 0.0, 1.0])
    assert choice_summary({ALL: entry})[ALL]["p_any_by_horizon"] == {"1": "classifier", "2": "count"}


def test_combined_forecaster_per_horizon_sources(panel):
    choice = {ALL: {"count_model": "mean12", "p_any": "count", "p_any_by_horizon": {"2": "classifier"}}}
    # the source of the `all` probability itself, before its reconciliation with the types
    model = CombinedForecaster(members={"mean12": Mean12Poisson()}, choice=choice,
                               classifier=_RateClassifier(), reconcile_p_any=False).fit(panel)
    frame = model.predict(panel, 3)
    own = Mean12Poisson().fit(panel).predict(panel, 3)
    rate = _RateClassifier().fit(panel).rate_[ALL]
    is_all = frame["attack_type"] == ALL
    for h in (1, 3):
        sel = is_all & (frame["horizon"] == h)
        np.testing.assert_allclose(frame.loc[sel, "p_any"], own.loc[sel, "p_any"])
    np.testing.assert_allclose(frame.loc[is_all & (frame["horizon"] == 2), "p_any"], rate)
    with pytest.raises(ValueError, match="needs a classifier"):
        CombinedForecaster(members={"mean12": Mean12Poisson()}, choice=choice).fit(panel)
