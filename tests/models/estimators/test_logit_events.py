from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from models.episodes import load_catalog
from models.estimators.base import NotFittedError, forecast_index
from models.estimators.logit import OCCUPATION_FEATURES, EventLogit, logit_design
from models.features import build_cube
from models.panel import build_panel
from models.schema import conform_events
from models.taxonomy import PANEL_TYPES
from tests.spell_events import forecast_outcomes, one_event, spell_events

CATALOG = load_catalog()


@pytest.fixture(scope="module")
def panel():
    return build_panel(spell_events(0), "2017-12")


@pytest.fixture(scope="module")
def fitted(panel):
    return EventLogit(catalog=CATALOG, max_horizon=3).fit(panel.truncate("2016-12"))


def test_probabilities_align_and_sparse_types_fall_back(fitted, panel):
    state = panel.truncate("2016-12")
    p = fitted.predict_proba(state, 4)
    index = forecast_index(state, 4)
    assert p.shape == (len(index),)
    assert np.isfinite(p).all() and (p > 0).all() and (p < 1).all()
    # suicide attacks never happened: no regression, the shrunken level's P(any) -- near zero
    assert fitted.report_["fits"]["suicide_attack/h1"]["method"] == "fallback-level"
    assert fitted.report_["fits"]["all/h1"]["method"] == "logistic"
    assert p[(index["attack_type"] == "suicide_attack").to_numpy()].max() < 0.05
    cube = p.reshape(len(state.regions), len(PANEL_TYPES), 4)
    assert cube[:, -1, :].mean() >= cube[:, PANEL_TYPES.index("kidnapping"), :].mean()
    # horizon 4 reuses the horizon-3 regressions (max_horizon=3)
    np.testing.assert_array_equal(cube[:, :, 3], cube[:, :, 2])


def test_discriminates_and_is_calibrated_out_of_sample(fitted, panel):
    """Fitted at 2016-12, forecasting from each later state: good ranking, mean close to the rate."""
    p, y = forecast_outcomes(fitted, panel, pd.period_range("2016-12", "2017-09", freq="M"), 3,
                             ("all", "bombing", "kidnapping"))
    assert roc_auc_score(y, p) > 0.75
    assert abs(p.mean() - y.mean()) < 0.1
    # and its Brier score is below that of the constant base rate on the same rows (0.103 vs 0.115)
    assert np.mean((p - y) ** 2) < 0.95 * y.mean() * (1 - y.mean())


def test_half_life_is_chosen_out_of_time_on_a_regime_shift():
    """Quiet for eight years, active spells in the last two: recency weighting wins the hold-out."""
    shifted = build_panel(spell_events(3, n_months=120, active_from=96), "2020-12")
    model = EventLogit(catalog=CATALOG, max_horizon=1).fit(shifted)
    assert model.report_["fits"]["all/h1"]["half_life"] in (12.0, 24.0)
    equal = EventLogit(catalog=CATALOG, max_horizon=1, half_lives=(None,)).fit(shifted)
    assert equal.report_["fits"]["all/h1"]["half_life"] == "none"
    # out of sample: the recency-weighted model is closer to the recent rate of the active regime
    future = build_panel(spell_events(3, n_months=132, active_from=96), "2021-12")
    err = {}
    for name, est in (("chosen", model), ("equal", equal)):
        p, y = forecast_outcomes(est, future, pd.period_range("2020-12", "2021-11", freq="M"), 1, ("all",))
        err[name] = float(np.mean((p - y) ** 2))
    assert err["chosen"] < err["equal"]


def test_deterministic_pickles_and_no_leakage(fitted, panel):
    state = panel.truncate("2016-12")
    again = EventLogit(catalog=CATALOG, max_horizon=3).fit(state)
    np.testing.assert_array_equal(fitted.predict_proba(state, 3), again.predict_proba(state, 3))
    restored = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(fitted.predict_proba(state, 3), restored.predict_proba(state, 3))
    # events after the origin dropped: nothing known at the origin changes, so neither do forecasts
    events = spell_events(0)
    origin = pd.Period("2015-06", freq="M")
    later = events["date"].dt.to_period("M") > origin
    altered = conform_events(events[~later | (np.arange(len(events)) % 2 == 0)].reset_index(drop=True))
    a = build_panel(events, "2017-12").truncate(origin)
    b = build_panel(altered, "2017-12").truncate(origin)
    model = EventLogit(catalog=CATALOG, max_horizon=2).fit(b)
    np.testing.assert_array_equal(EventLogit(catalog=CATALOG, max_horizon=2).fit(a).predict_proba(a, 2),
                                  model.predict_proba(b, 2))
    # a region unseen at fit time is forecast too
    with_new = build_panel(conform_events(pd.concat([events, one_event("NER.tahoua", "2015-05-03")],
                                                    ignore_index=True)), origin)
    p = model.predict_proba(with_new, 2)
    assert len(p) == len(forecast_index(with_new, 2))
    assert np.isfinite(p).all()


def test_single_event_panel_and_errors():
    panel = build_panel(one_event("MLI.gao", "2012-01-05"), "2014-12")
    model = EventLogit(catalog=CATALOG, max_horizon=2).fit(panel)
    assert {f["method"] for f in model.report_["fits"].values()} == {"fallback-level"}
    p = model.predict_proba(panel, 2)
    assert (p <= 0.1).all()
    with pytest.raises(NotFittedError):
        EventLogit().predict_proba(panel, 1)
    with pytest.raises(ValueError, match="max_horizon"):
        EventLogit(max_horizon=0, catalog=CATALOG).fit(panel)
    with pytest.raises(ValueError, match="half_lives"):
        EventLogit(half_lives=(None, 0.0), catalog=CATALOG).fit(panel)
    with pytest.raises(ValueError, match="half_lives"):
        EventLogit(half_lives=(), catalog=CATALOG).fit(panel)


def test_occupation_terms_extend_the_design_with_the_origin_phase(panel):
    """Off by default (rejected on the development period); on, the phase columns follow the others."""
    fc = build_cube(panel.truncate("2016-12"), CATALOG)
    r, m = np.arange(len(panel.regions)), np.full(len(panel.regions), 10)
    k = PANEL_TYPES.index("bombing")
    plain, with_phase = logit_design(fc, k, r, m), logit_design(fc, k, r, m, occupation=True)
    assert with_phase.shape == (len(r), plain.shape[1] + len(OCCUPATION_FEATURES))
    np.testing.assert_array_equal(with_phase[:, :plain.shape[1]], plain)
    rf = fc.region_features
    np.testing.assert_array_equal(with_phase[:, -4], rf["phase_during"][r, m])
    np.testing.assert_array_equal(with_phase[:, -1], np.log1p(rf["since_end"][r, m]))
    assert logit_design(fc, k, r[:0], m[:0], occupation=True).shape == (0, with_phase.shape[1])
    assert EventLogit().occupation is False
    state = panel.truncate("2016-12")
    p = EventLogit(catalog=CATALOG, max_horizon=1, occupation=True).fit(state).predict_proba(state, 1)
    assert np.isfinite(p).all() and ((p > 0) & (p < 1)).all()


def _rare_type_with_a_late_burst() -> tuple[pd.DataFrame, str]:
    """Twelve scattered indirect-fire events in seven years, then 3 and 25 in one region's last months."""
    rng = np.random.default_rng(1)
    start = pd.Period("2011-01", freq="M")
    parts = [spell_events(0, n_regions=24)]
    for _ in range(12):
        region, month = f"MLI.r{rng.integers(0, 24)}", start + int(rng.integers(6, 70))
        parts.append(one_event(region, str(month.start_time.date() + pd.Timedelta(days=5)), "indirect_fire"))
    for offset, n in ((82, 3), (83, 25)):
        day = str((start + offset).start_time.date() + pd.Timedelta(days=9))
        for j in range(n):
            parts.append(one_event("MLI.r3", day, "indirect_fire").assign(event_id=f"burst:{offset}:{j}"))
    return conform_events(pd.concat(parts, ignore_index=True)), "MLI.r3"


def test_penalty_on_the_log1p_scale_keeps_a_rare_type_from_certainty():
    """A rare type's standardised columns have a tiny spread: a burst far outside it reads as certain."""
    events, burst_region = _rare_type_with_a_late_burst()
    panel = build_panel(events, "2017-12")
    index = forecast_index(panel, 1)
    rare = (index["attack_type"] == "indirect_fire").to_numpy()
    burst = rare & (index["region_id"] == burst_region).to_numpy()
    p = {}
    for scale in ("log1p", "standardised"):
        model = EventLogit(catalog=CATALOG, max_horizon=1, penalty_scale=scale).fit(panel)
        assert model.report_["fits"]["indirect_fire/h1"]["method"] == "logistic"
        p[scale] = model.predict_proba(panel, 1)
    # standardised: certainty in the burst region, (almost) impossibility everywhere else
    assert p["standardised"][burst][0] > 0.99
    assert p["standardised"][rare & ~burst].max() < 1e-3
    # log1p: the burst region is the most likely by far, yet not certain; the others stay possible
    assert 0.05 < p["log1p"][burst][0] < 0.5
    assert p["log1p"][rare & ~burst].max() < p["log1p"][burst][0] / 5
    assert p["log1p"][rare & ~burst].min() > 1e-3
    assert EventLogit().penalty_scale == "log1p"
    with pytest.raises(ValueError, match="penalty_scale"):
        EventLogit(catalog=CATALOG, penalty_scale="unit").fit(panel)
