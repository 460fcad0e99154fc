"""The equal-weight pool of counts and the average of probabilities, alone and served."""

from __future__ import annotations

import numpy as np
import pytest

from models.demo import generate_demo
from models.estimators.baselines import BASELINES
from models.estimators.combined import CombinedForecaster
from models.estimators.count import PooledNegBin
from models.estimators.logit import EventLogit
from models.estimators.pooling import POOL, average_probability, linear_pool
from models.panel import build_panel
from models.taxonomy import PANEL_TYPES


def test_the_pool_of_two_members_is_their_mixture() -> None:
    mean, var = linear_pool([np.array([1.0, 0.0]), np.array([3.0, 2.0])],
                            [np.array([1.0, 0.0]), np.array([1.0, 2.0])])
    # mixture of (1, 1) and (3, 1): mean 2, variance 1 + spread of the means (1) = 2
    np.testing.assert_allclose(mean, [2.0, 1.0])
    np.testing.assert_allclose(var, [2.0, 0.5 * 2.0 + 0.5 * (0.0 + 4.0) - 1.0])


def test_a_member_without_a_value_is_left_out_of_that_row() -> None:
    mean, var = linear_pool([np.array([1.0, np.nan, np.nan]), np.array([3.0, 5.0, np.nan])],
                            [np.array([1.0, 0.0, 1.0]), np.array([1.0, 4.0, np.nan])])
    np.testing.assert_allclose(mean[:2], [2.0, 5.0])
    np.testing.assert_allclose(var[:2], [2.0, 4.0])
    assert np.isnan(mean[2]) and np.isnan(var[2])
    p = average_probability([np.array([0.2, np.nan, np.nan]), np.array([0.6, 0.4, np.nan])])
    np.testing.assert_allclose(p[:2], [0.4, 0.4])
    assert np.isnan(p[2])


def test_a_pool_needs_members_of_one_shape() -> None:
    with pytest.raises(ValueError, match="at least one member"):
        linear_pool([], [])
    with pytest.raises(ValueError, match="same shape"):
        linear_pool([np.ones(2), np.ones(2)], [np.ones(2)])


@pytest.fixture(scope="module")
def panel():
    return build_panel(generate_demo(seed=7, n_regions=5, start="2014-01").events)


def _pool_model(**entry: object) -> CombinedForecaster:
    choice = {t: {"count_model": POOL, "p_any": POOL, "pool": ["pooled_negbin", "mean12"],
                  "p_pool": ["pooled_negbin", "mean12", "classifier"], **entry} for t in PANEL_TYPES}
    return CombinedForecaster(members={"pooled_negbin": PooledNegBin(max_horizon=2, window=36),
                                       "mean12": BASELINES["mean12"]()},
                              choice=choice, classifier=EventLogit(max_horizon=2, window=36))


def test_the_served_pool_averages_its_members(panel) -> None:
    model = _pool_model().fit(panel)
    index, mean, var, p = model.member_moments(panel, 2)
    _i, nb = model.members_["pooled_negbin"].predict_dist(panel, 2)
    _j, m12 = model.members_["mean12"].predict_dist(panel, 2)
    clf = model.classifier_.predict_proba(panel, 2)
    np.testing.assert_allclose(mean, 0.5 * (nb.mean() + m12.mean()), rtol=1e-12)
    spread = 0.5 * (nb.variance() + nb.mean() ** 2 + m12.variance() + m12.mean() ** 2) - mean ** 2
    np.testing.assert_allclose(var, spread, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(p, (nb.p_any() + m12.p_any() + np.clip(clf, 0, 1)) / 3.0, rtol=1e-12)
    assert len(index) == len(mean)
    assert model.fit_report()["choice"]["all"]["pool"] == ["pooled_negbin", "mean12"]


@pytest.mark.parametrize(("entry", "coherent", "message"), [
    ({"pool": []}, True, "names no members"),
    ({"pool": ["pooled_negbin", "nope"]}, True, "unknown members \\['nope'\\]"),
    ({"pool": ["classifier"]}, True, "unknown members \\['classifier'\\]"),
    ({}, False, "only as the coherent hurdle"),
])
def test_a_bad_pool_is_refused_at_fit(panel, entry, coherent, message) -> None:
    model = _pool_model(**entry)
    model.coherent = coherent
    with pytest.raises(ValueError, match=message):
        model.fit(panel)


def test_a_pool_averaging_the_classifier_needs_one(panel) -> None:
    model = _pool_model()
    model.classifier = None
    with pytest.raises(ValueError, match="averages the classifier but none is given"):
        model.fit(panel)
