from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn.metrics import average_precision_score, roc_auc_score

from models.distributions import EmpiricalPredictive, NegBinPredictive
from models.scores import (
    LOG_LOSS_EPS,
    auroc,
    average_precision,
    best_baseline,
    brier,
    coverage,
    crps,
    ece,
    log_loss,
    mae,
    msle,
    pit_inside,
    predictive_cdf,
    reliability_table,
    rmse,
    score_rows,
    skill,
)


def test_point_scores_with_known_values():
    y = np.array([0.0, 2.0, 5.0])
    m = np.array([1.0, 2.0, 1.0])
    assert mae(y, m) == pytest.approx(5 / 3)
    assert rmse(y, m) == pytest.approx(math.sqrt(17 / 3))
    expected = ((np.log(1) - np.log(2)) ** 2 + 0 + (np.log(6) - np.log(2)) ** 2) / 3
    assert msle(y, m) == pytest.approx(expected)
    assert math.isnan(mae(np.array([]), np.array([])))
    with pytest.raises(ValueError, match="shape"):
        mae(y, m[:2])


def test_crps_of_distributions():
    # Point mass at 0 (Poisson mean 0): CRPS = y.
    point = NegBinPredictive(np.zeros(2), np.zeros(2))
    assert crps(point, np.array([0.0, 4.0])) == pytest.approx(2.0)
    # Empirical {0, 2}, y = 1: E|X-y| = 1, E|X-X'|/2 = 0.5 -> 0.5.
    emp = EmpiricalPredictive(np.array([[0.0, 2.0]]))
    assert crps(emp, np.array([1.0])) == pytest.approx(0.5)
    with pytest.raises(ValueError, match="distributions"):
        crps(emp, np.array([1.0, 2.0]))


def test_coverage_counts_inclusive_bounds():
    y = np.array([0, 1, 2, 3, 10])
    assert coverage(y, np.ones(5), np.full(5, 3.0)) == pytest.approx(3 / 5)


def test_brier_and_clipped_log_loss():
    e = np.array([1.0, 0.0, 1.0, 0.0])
    p = np.array([0.9, 0.2, 0.6, 0.0])
    assert brier(e, p) == pytest.approx((0.01 + 0.04 + 0.16 + 0) / 4)
    expected = -(np.log(0.9) + np.log(0.8) + np.log(0.6) + np.log1p(-LOG_LOSS_EPS)) / 4
    assert log_loss(e, p) == pytest.approx(expected)
    # A point mass at zero that misses an event costs -log(eps), not infinity.
    assert log_loss(np.array([1.0]), np.array([0.0])) == pytest.approx(-np.log(LOG_LOSS_EPS))


@pytest.mark.parametrize("seed", range(6))
def test_ranking_scores_match_sklearn(seed):
    rng = np.random.default_rng(seed)
    n = 300
    e = (rng.random(n) < 0.3).astype(float)
    p = np.round(np.clip(0.3 * e + rng.random(n) * 0.7, 0, 1), seed % 3 + 1)  # with ties
    assert auroc(e, p) == pytest.approx(roc_auc_score(e, p), abs=1e-12)
    assert average_precision(e, p) == pytest.approx(average_precision_score(e, p), abs=1e-12)


def test_ranking_scores_nan_with_one_class():
    assert math.isnan(auroc(np.zeros(5), np.linspace(0, 1, 5)))
    assert math.isnan(average_precision(np.ones(5), np.linspace(0, 1, 5)))
    assert auroc(np.array([0.0, 1.0]), np.array([0.2, 0.8])) == 1.0


def test_reliability_table_and_ece():
    p = np.array([0.05, 0.05, 0.95, 0.95, 0.55])
    e = np.array([0.0, 1.0, 1.0, 1.0, 1.0])
    table = reliability_table(e, p)
    assert table["bin"].tolist() == [0, 5, 9]
    assert table["count"].tolist() == [2, 1, 2]
    assert table["observed_freq"].tolist() == pytest.approx([0.5, 1.0, 1.0])
    expected = (2 * 0.45 + 1 * 0.45 + 2 * 0.05) / 5
    assert ece(e, p) == pytest.approx(expected)
    assert ece(np.array([1.0]), np.array([1.0])) == pytest.approx(0.0)  # p = 1 falls in the last bin
    assert math.isnan(ece(np.array([]), np.array([])))


def test_score_rows_probability_only():
    rows = {"y": np.array([0.0, 3.0]), "mean": np.full(2, np.nan), "q10": np.full(2, np.nan),
            "q90": np.full(2, np.nan), "crps": np.full(2, np.nan), "p_any": np.array([0.1, 0.7])}
    out = score_rows(rows)
    assert math.isnan(out["crps"]) and math.isnan(out["mae"])
    assert out["brier"] == pytest.approx((0.01 + 0.09) / 2)
    assert out["auroc"] == 1.0 and out["n"] == 2 and out["base_rate"] == 0.5


def test_skill_definitions():
    base = {"zero": 2.0, "mean12": 1.0, "broken": float("nan")}
    assert skill("crps", 0.8, base) == pytest.approx(0.2)
    assert skill("crps", 1.5, base) == pytest.approx(-0.5)
    assert best_baseline("crps", base) == "mean12"
    auc_base = {"zero": 0.5, "mean12": 0.8}
    assert skill("auroc", 0.9, auc_base) == pytest.approx(0.5)  # half the gap to 1 closed
    assert skill("auroc", 0.8, auc_base) == pytest.approx(0.0)
    assert best_baseline("auroc", auc_base) == "mean12"
    assert math.isnan(skill("coverage80", 0.8, {"a": 0.7}))
    assert math.isnan(skill("crps", 1.0, {}))
    assert math.isnan(skill("crps", 1.0, {"perfect": 0.0}))
    assert best_baseline("coverage80", {"a": 0.7}) is None


def test_pit_coverage_is_nominal_for_calibrated_counts():
    rng = np.random.default_rng(3)
    mu = rng.uniform(0.1, 3.0, 20_000)
    y = rng.poisson(mu).astype(float)
    dist = NegBinPredictive(mu, np.zeros_like(mu))
    inside = pit_inside(dist, y)
    assert inside.mean() == pytest.approx(0.8, abs=0.01)
    # The integer interval [q10, q90] of the same calibrated forecasts over-covers.
    q = dist.quantiles([0.1, 0.9])
    assert coverage(y, q[:, 0], q[:, 1]) > 0.87
    # Too narrow forecasts (means far too low) fall short.
    assert pit_inside(NegBinPredictive(mu / 4, np.zeros_like(mu)), y).mean() < 0.7


def test_pit_inside_known_values():
    point = NegBinPredictive(np.zeros(2), np.zeros(2))
    # y = 0 under a point mass at 0: PIT uniform on [0, 1] -> 0.8 inside; y = 2: PIT = 1 -> outside.
    assert pit_inside(point, np.array([0.0, 2.0])).tolist() == pytest.approx([0.8, 0.0])
    emp = EmpiricalPredictive(np.array([[0.0, 1.0, 2.0, 3.0, 4.0]]))
    # y = 2: F(1) = 0.4, F(2) = 0.6 -> entirely inside.
    assert pit_inside(emp, np.array([2.0]))[0] == pytest.approx(1.0)
    # y = 0: [0, 0.2] -> half of it is above 0.1.
    assert pit_inside(emp, np.array([0.0]))[0] == pytest.approx(0.5)
    assert predictive_cdf(emp, np.array([-1.0]))[0] == 0.0
