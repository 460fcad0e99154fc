from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from models.episodes import load_catalog
from models.estimators.base import NotFittedError, forecast_index
from models.estimators.classify import EventClassifier
from models.panel import build_panel
from models.schema import conform_events
from models.taxonomy import PANEL_TYPES
from tests.spell_events import forecast_outcomes, spell_events

CATALOG = load_catalog()


_events = spell_events


@pytest.fixture(scope="module")
def panel():
    return build_panel(_events(0), "2017-12")


@pytest.fixture(scope="module")
def fitted(panel):
    return EventClassifier(catalog=CATALOG, max_horizon=3, max_iter=40).fit(panel.truncate("2016-12"))


def test_probabilities_align_with_forecast_index(fitted, panel):
    state = panel.truncate("2016-12")
    p = fitted.predict_proba(state, 4)
    assert p.shape == (len(forecast_index(state, 4)),)
    assert np.isfinite(p).all() and (p >= 0).all() and (p <= 1).all()
    # Rows of a type never seen stay near zero; "all" is at least as likely as any single type.
    index = forecast_index(state, 4)
    never = (index["attack_type"] == "suicide_attack").to_numpy()
    assert p[never].max() < 0.05
    cube = p.reshape(len(state.regions), len(PANEL_TYPES), 4)
    assert (cube[:, -1, :].mean() >= cube[:, PANEL_TYPES.index("kidnapping"), :].mean())


def test_discriminates_and_is_calibrated_out_of_sample(fitted, panel):
    """Fitted at 2016-12, forecasting from each later state: good ranking, mean close to the rate."""
    p, y = forecast_outcomes(fitted, panel, pd.period_range("2016-12", "2017-09", freq="M"), 3,
                             ("all", "bombing", "kidnapping"))
    assert roc_auc_score(y, p) > 0.75
    assert abs(p.mean() - y.mean()) < 0.1


def test_report_and_determinism(fitted, panel):
    report = fitted.report_["horizons"]
    assert set(report) == {"h1", "h2", "h3"}
    assert report["h1"]["calibration"] == "sigmoid"
    assert report["h1"]["holdout_rows"] > 0
    state = panel.truncate("2016-12")
    again = EventClassifier(catalog=CATALOG, max_horizon=3, max_iter=40).fit(state)
    np.testing.assert_array_equal(fitted.predict_proba(state, 3), again.predict_proba(state, 3))
    restored = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(fitted.predict_proba(state, 3), restored.predict_proba(state, 3))


def test_no_leakage_and_unseen_region(panel):
    events = _events(0)
    origin = pd.Period("2015-06", freq="M")
    later = events["date"].dt.to_period("M") > origin
    altered = conform_events(events[~later | (np.arange(len(events)) % 2 == 0)].reset_index(drop=True))
    a = build_panel(events, "2017-12").truncate(origin)
    b = build_panel(altered, "2017-12").truncate(origin)
    pa = EventClassifier(catalog=CATALOG, max_horizon=2, max_iter=30).fit(a).predict_proba(a, 2)
    model = EventClassifier(catalog=CATALOG, max_horizon=2, max_iter=30).fit(b)
    np.testing.assert_array_equal(pa, model.predict_proba(b, 2))
    extra = conform_events(pd.DataFrame({
        "event_id": ["n:1"], "source": "canonical", "date": [pd.Timestamp("2015-05-03")],
        "date_precision": "day", "country": "NER", "admin1": "Tahoua", "region_id": "NER.tahoua",
        "latitude": 0.0, "longitude": 0.0, "attack_type": "bombing", "perpetrator": "", "target": "",
        "fatalities": 0, "suicide": False}))
    with_new = build_panel(conform_events(pd.concat([events, extra], ignore_index=True)), origin)
    p = model.predict_proba(with_new, 2)
    assert len(p) == len(forecast_index(with_new, 2))


def test_single_class_training_and_errors():
    quiet = conform_events(pd.DataFrame({
        "event_id": ["q:1"], "source": "canonical", "date": [pd.Timestamp("2012-01-05")],
        "date_precision": "day", "country": "MLI", "admin1": "Gao", "region_id": "MLI.gao",
        "latitude": 0.0, "longitude": 0.0, "attack_type": "bombing", "perpetrator": "", "target": "",
        "fatalities": 0, "suicide": False}))
    panel = build_panel(quiet, "2014-12")
    model = EventClassifier(catalog=CATALOG, max_horizon=2, max_iter=10).fit(panel)
    assert "single class" in model.report_["horizons"]["h1"]["calibration"]
    p = model.predict_proba(panel, 2)
    assert (p <= 0.01).all()
    with pytest.raises(NotFittedError):
        EventClassifier().predict_proba(panel, 1)
    with pytest.raises(ValueError, match="max_horizon"):
        EventClassifier(max_horizon=0, catalog=CATALOG).fit(panel)


def test_isotonic_calibration_and_bad_calibration_name(panel):
    state = panel.truncate("2016-12")
    iso = EventClassifier(catalog=CATALOG, max_horizon=1, max_iter=20, calibration="isotonic").fit(state)
    assert iso.report_["horizons"]["h1"]["calibration"] == "isotonic"
    p = iso.predict_proba(state, 1)
    assert ((p >= 0) & (p <= 1)).all()
    with pytest.raises(ValueError, match="calibration"):
        EventClassifier(catalog=CATALOG, calibration="beta").fit(state)


def test_sigmoid_calibrator_recovers_platt_parameters():
    from models.estimators.classify import SigmoidCalibrator

    rng = np.random.default_rng(0)
    scores = rng.uniform(0.01, 0.99, 20000)
    logit = np.log(scores / (1 - scores))
    truth = 1 / (1 + np.exp(-(0.5 * logit - 1.0)))
    y = rng.random(20000) < truth
    cal = SigmoidCalibrator().fit(scores, y)
    assert cal.coef_ == pytest.approx(0.5, abs=0.05)
    assert cal.intercept_ == pytest.approx(-1.0, abs=0.05)
    np.testing.assert_allclose(cal.predict(scores), truth, atol=0.03)
