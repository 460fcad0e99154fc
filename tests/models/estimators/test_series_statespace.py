from __future__ import annotations

import pickle
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pytest
from statsmodels.tsa.statespace.structural import UnobservedComponents

from models.distributions import NegBinPredictive
from models.episodes import load_catalog
from models.estimators.base import NotFittedError, forecast_index
from models.estimators.baselines import Mean12Poisson
from models.estimators.count import PooledNegBin
from models.estimators.series import (
    StateSpaceSeries,
    fit_local_level,
    local_level_forecast,
    lognormal_to_negbin,
)
from models.forecast import check_forecast_frame
from models.panel import build_panel
from models.schema import conform_events

CATALOG = load_catalog()


def _events(counts: np.ndarray, regions: list[str], start: str = "2010-01") -> pd.DataFrame:
    """Bombing events reproducing a (region, month) count matrix."""
    r, m = np.nonzero(counts)
    reps = counts[r, m]
    r, m = np.repeat(r, reps), np.repeat(m, reps)
    base = pd.Period(start, freq="M")
    ids = np.asarray(regions, dtype=object)[r]
    return conform_events(pd.DataFrame({
        "event_id": [f"s:{i}" for i in range(len(r))], "source": "canonical",
        "date": [(base + int(i)).to_timestamp() + pd.Timedelta(days=4) for i in m],
        "date_precision": "day", "country": [x[:3] for x in ids], "admin1": [x[4:] for x in ids],
        "region_id": ids, "latitude": 0.0, "longitude": 0.0, "attack_type": "bombing",
        "perpetrator": "", "target": "", "fatalities": 0, "suicide": False}))


@pytest.fixture(scope="module")
def panel():
    rng = np.random.default_rng(4)
    n_months = 84
    walk = np.cumsum(rng.normal(0, 0.15, (3, n_months)), axis=1)
    busy = rng.poisson(np.exp(np.log([4.0, 8.0, 15.0])[:, None] + walk))
    quiet = np.zeros((2, n_months), dtype=int)
    quiet[0, 40] = 1
    counts = np.vstack([busy, quiet])
    return build_panel(_events(counts, ["MLI.a", "MLI.b", "NER.c", "NER.d", "NER.e"]), "2016-12")


def test_vectorised_filter_matches_statsmodels_forecast():
    rng = np.random.default_rng(0)
    y = np.log1p(rng.poisson(5, 60)).astype(float)
    level, irregular = fit_local_level(y)
    res = UnobservedComponents(y, level="llevel").smooth([irregular, level])
    fc = res.get_forecast(4)
    mean, var = local_level_forecast(y[None, :], np.array([level]), np.array([irregular]), 4)
    np.testing.assert_allclose(mean[0], fc.predicted_mean, rtol=1e-4)
    np.testing.assert_allclose(var[0], fc.var_pred_mean, rtol=1e-3)


def test_lognormal_mapping_matches_moments():
    mu, alpha = lognormal_to_negbin(np.array([np.log1p(4.0)]), np.array([0.2]))
    expected_mean = np.exp(np.log1p(4.0) + 0.1) - 1.0
    assert mu[0] == pytest.approx(expected_mean)
    expected_var = (np.exp(0.2) - 1.0) * np.exp(2 * np.log1p(4.0) + 0.2)
    assert mu[0] + alpha[0] * mu[0] ** 2 == pytest.approx(expected_var)
    # Tiny variance: no negative dispersion.
    assert lognormal_to_negbin(np.array([1.0]), np.array([1e-9]))[1][0] == 0.0


def test_fits_busy_series_and_falls_back_elsewhere(panel):
    model = StateSpaceSeries(catalog=CATALOG, min_months=36, min_events=24).fit(panel)
    fitted = set(model.params_)
    assert ("MLI.a", "bombing") in fitted and ("NER.c", "all") in fitted
    assert not any(region in {"NER.d", "NER.e"} for region, _ in fitted)
    assert model.report_["series_fitted"] == len(fitted)
    assert model.report_["fallback"]["family"] == "pooled_negbin"
    frame = model.predict(panel, 3)
    check_forecast_frame(frame)
    index = forecast_index(panel, 3)
    pd.testing.assert_frame_equal(frame[index.columns], index)
    quiet = (frame["region_id"] == "NER.e").to_numpy()
    is_all = (frame["attack_type"] == "all").to_numpy()
    # quiet rows of single types: an equal linear pool of the fallback and the 12-month mean (Poisson)
    _, fallback = model.fallback_.predict_dist(panel, 3)
    _, recent = Mean12Poisson().fit(panel).predict_dist(panel, 3)
    pooled = quiet & ~is_all
    expected = 0.5 * (fallback.mean() + recent.mean())
    assert np.allclose(frame["mean"].to_numpy()[pooled], expected[pooled])
    assert np.allclose(frame["p_any"].to_numpy()[pooled], 0.5 * (fallback.p_any() + recent.p_any())[pooled])
    assert np.allclose(frame["mean"].to_numpy()[quiet & is_all], fallback.mean()[quiet & is_all])
    alone = StateSpaceSeries(catalog=CATALOG, min_months=36, min_events=24, recent_weight=0.0,
                             fallback_weight=0.0).fit(panel)
    pd.testing.assert_frame_equal(alone.predict(panel, 3)[quiet].reset_index(drop=True),
                                  model.fallback_.predict(panel, 3)[quiet].reset_index(drop=True))
    busy_bombing = ((frame["region_id"] == "MLI.a") & (frame["attack_type"] == "bombing")).to_numpy()
    unpooled = alone.predict(panel, 3)["mean"].to_numpy()
    assert np.allclose(frame["mean"].to_numpy()[busy_bombing],
                       0.5 * (unpooled + recent.mean())[busy_bombing])
    # busy `all` rows: an equal linear pool of the local level and the fallback
    own = ~quiet & (frame["region_id"] == "NER.c").to_numpy() & is_all
    local = alone.predict(panel, 3)["mean"].to_numpy()
    assert np.allclose(frame["mean"].to_numpy()[own], 0.5 * (local + fallback.mean())[own])
    assert not np.allclose(local[own], fallback.mean()[own])
    busy = frame[(frame["region_id"] == "NER.c") & (frame["attack_type"] == "bombing")]
    recent = panel.counts.query("region_id == 'NER.c' and attack_type == 'bombing'")["count"].tail(12)
    assert busy["mean"].iloc[0] == pytest.approx(recent.mean(), rel=0.6)


def test_mapper_fans_out_and_is_not_pickled(panel):
    calls = []

    def recording_map(fn, items):
        items = list(items)
        calls.append(len(items))
        with ThreadPoolExecutor(2) as pool:
            return list(pool.map(fn, items))

    fallback = PooledNegBin(catalog=CATALOG, max_horizon=2)
    a = StateSpaceSeries(catalog=CATALOG, fallback=fallback, mapper=recording_map).fit(panel)
    b = StateSpaceSeries(catalog=CATALOG, fallback=fallback).fit(panel)
    assert calls == [len(a.params_)]
    assert a.params_ == b.params_
    restored = pickle.loads(pickle.dumps(a))
    assert restored.mapper is None
    pd.testing.assert_frame_equal(restored.predict(panel, 2), b.predict(panel, 2))


def test_region_unseen_at_fit_and_no_leakage(panel):
    origin = pd.Period("2015-12", freq="M")
    train = panel.truncate(origin)
    fallback = PooledNegBin(catalog=CATALOG, max_horizon=2)
    model = StateSpaceSeries(catalog=CATALOG, fallback=fallback).fit(train)
    _, dist = model.predict_dist(train, 2)
    assert np.isfinite(dist.mean()).all()
    unpooled = StateSpaceSeries(catalog=CATALOG, fallback=fallback, recent_weight=0.0,
                                fallback_weight=0.0).fit(train)
    _, alone = unpooled.predict_dist(train, 2)
    assert isinstance(alone, NegBinPredictive)
    # Rebuild from events altered after the origin: forecasts made at the origin do not move.
    counts = panel.wide("bombing").fillna(0).to_numpy(dtype=int).copy()
    counts[:, -6:] = counts[:, -6:] * 3 + 1
    altered = build_panel(_events(counts, list(panel.regions.index)), "2016-12").truncate(origin)
    again = StateSpaceSeries(catalog=CATALOG,
                             fallback=PooledNegBin(catalog=CATALOG, max_horizon=2)).fit(altered)
    pd.testing.assert_frame_equal(model.predict(train, 2), again.predict(altered, 2))
    # A new region appearing later gets the fallback's forecast.
    extra = np.vstack([counts, np.full((1, counts.shape[1]), 2)])
    later = build_panel(_events(extra, [*panel.regions.index, "BFA.z"]), "2016-12")
    frame = model.predict(later, 2)
    check_forecast_frame(frame)
    assert "BFA.z" in set(frame["region_id"])


def test_errors(panel):
    with pytest.raises(NotFittedError):
        StateSpaceSeries().predict(panel, 1)
    with pytest.raises(ValueError, match="window"):
        StateSpaceSeries(window=2, catalog=CATALOG).fit(panel)
    with pytest.raises(ValueError, match="recent_weight"):
        StateSpaceSeries(recent_weight=1.5, catalog=CATALOG).fit(panel)
    with pytest.raises(ValueError, match="fallback_weight"):
        StateSpaceSeries(fallback_weight=-0.1, catalog=CATALOG).fit(panel)


def test_bundle_pickled_before_the_pools_serves_the_unpooled_forecast(panel):
    fallback = PooledNegBin(catalog=CATALOG, max_horizon=2)
    model = StateSpaceSeries(catalog=CATALOG, fallback=fallback, recent_weight=0.0,
                             fallback_weight=0.0).fit(panel)
    state = model.__getstate__()
    del state["recent_weight"], state["fallback_weight"]
    old = StateSpaceSeries.__new__(StateSpaceSeries)
    old.__setstate__(state)
    assert old.recent_weight == 0.0 and old.fallback_weight == 0.0
    pd.testing.assert_frame_equal(old.predict(panel, 2), model.predict(panel, 2))


def test_moment_estimator_is_close_to_likelihood(panel):
    mle = StateSpaceSeries(catalog=CATALOG, fallback=PooledNegBin(catalog=CATALOG, max_horizon=1)).fit(panel)
    mom = StateSpaceSeries(catalog=CATALOG, estimator="moments",
                           fallback=PooledNegBin(catalog=CATALOG, max_horizon=1)).fit(panel)
    assert set(mle.params_) == set(mom.params_)
    assert mom.report_["estimator"] == "moments"
    a = mle.predict(panel, 1)["mean"].to_numpy()
    b = mom.predict(panel, 1)["mean"].to_numpy()
    np.testing.assert_allclose(a, b, rtol=0.35, atol=0.05)
    with pytest.raises(ValueError, match="estimator"):
        StateSpaceSeries(estimator="exact", catalog=CATALOG).fit(panel)
