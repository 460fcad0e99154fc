"""One coherent distribution per cell: the identities hold for every model family served."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scoringrules as sr

from models.demo import generate_demo
from models.distributions import (
    EmpiricalPredictive,
    HurdlePredictive,
    NegBinPredictive,
    aggregate_counts,
    grid_crps,
    hurdle_from_moments,
    reconcile_wls,
)
from models.estimators.baselines import BASELINES
from models.estimators.combined import POOL_DRIVER, POOL_FLOOR, CombinedForecaster, reconcile_p_any
from models.estimators.count import PooledNegBin
from models.estimators.logit import EventLogit
from models.estimators.series import StateSpaceSeries
from models.forecast import check_forecast_frame
from models.panel import build_panel
from models.scores import block_bootstrap_skill, pit_histogram
from models.taxonomy import ALL, ATTACK_TYPES, PANEL_TYPES

FAMILIES = {**{n: cls for n, cls in BASELINES.items()},
            "pooled_negbin": lambda: PooledNegBin(max_horizon=2, window=36),
            "state_space_series": lambda: StateSpaceSeries(
                min_months=12, min_events=5, window=24, maxiter=5,
                fallback=PooledNegBin(max_horizon=2, window=36))}


@pytest.fixture(scope="module")
def panel():
    return build_panel(generate_demo(seed=7, n_regions=5, start="2014-01").events)


def _identities(frame: pd.DataFrame, dist: HurdlePredictive) -> None:
    p = frame["p_any"].to_numpy()
    np.testing.assert_allclose(p, 1.0 - dist.cdf(np.zeros(len(dist))), atol=1e-12)
    np.testing.assert_allclose(frame["mean"].to_numpy(), dist.mean(), rtol=1e-12)
    assert (frame.loc[p > 0.1, "q90"] >= 1).all()
    assert (frame.loc[p == 0, "q90"] == 0).all()
    wide = frame.pivot_table(index=["region_id", "horizon"], columns="attack_type", values="mean")
    types = wide[list(ATTACK_TYPES)].sum(axis=1)
    np.testing.assert_allclose(types, wide[ALL], rtol=0.01, atol=1e-9)


def _served_frame(model: CombinedForecaster, panel) -> pd.DataFrame:
    """The fitted model's forecast at horizon 2, checked as one coherent hurdle per cell."""
    _index, dist = model.predict_dist(panel, 2)
    assert isinstance(dist, HurdlePredictive)
    frame = model.predict(panel, 2)
    check_forecast_frame(frame)
    _identities(frame, dist)
    return frame


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_every_family_served_coherently(panel, family):
    choice = {t: {"count_model": family, "p_any": "classifier" if t == ALL else "count"} for t in PANEL_TYPES}
    model = CombinedForecaster(members={family: FAMILIES[family]()}, choice=choice,
                               classifier=EventLogit(max_horizon=2, window=36)).fit(panel)
    frame = _served_frame(model, panel)
    # tactic mix from the reconciled means: shares of the type means equal the type means over `all`
    typed = frame[frame["attack_type"] != ALL]
    shares = typed["mean"] / typed.groupby(["region_id", "horizon"])["mean"].transform("sum")
    totals = frame[frame["attack_type"] == ALL].set_index(["region_id", "horizon"])["mean"]
    direct = typed["mean"].to_numpy() / totals.reindex(pd.MultiIndex.from_frame(
        typed[["region_id", "horizon"]])).to_numpy()
    ok = np.isfinite(direct) & np.isfinite(shares.to_numpy())
    np.testing.assert_allclose(shares.to_numpy()[ok], direct[ok], rtol=0.01)


def test_the_learned_layer_keeps_the_identities(panel):
    choice = {t: {"count_model": "mean12", "p_any": "count"} for t in PANEL_TYPES}
    params = {t: {"w": 0.3, "coef": [-0.5, 0.8, 0.3]} for t in PANEL_TYPES}
    model = CombinedForecaster(members={"mean12": BASELINES["mean12"]()}, choice=choice,
                               coherence=params).fit(panel)
    _index, dist = model.predict_dist(panel, 3)
    frame = model.predict(panel, 3)
    _identities(frame, dist)
    plain = CombinedForecaster(members={"mean12": BASELINES["mean12"]()}, choice=choice).fit(panel)
    assert not np.allclose(plain.predict(panel, 3)["p_any"], frame["p_any"])


def test_hurdle_against_brute_force():
    rng = np.random.default_rng(0)
    n = 300
    p, mu, alpha = rng.uniform(0, 1, n), rng.gamma(0.5, 4, n), rng.choice([0.0, 0.4, 3.0], n)
    h = HurdlePredictive(p, mu, alpha)
    pmf = h.pmf(3000)
    k = np.arange(3000)
    np.testing.assert_allclose(pmf.sum(axis=1), 1.0, atol=1e-9)
    np.testing.assert_allclose(pmf[:, 0], 1 - p, atol=1e-12)
    np.testing.assert_allclose((pmf * k).sum(axis=1), h.mean(), rtol=1e-8)
    np.testing.assert_allclose((pmf * k ** 2).sum(axis=1) - h.mean() ** 2, h.variance(), rtol=1e-6, atol=1e-9)
    cdf = np.cumsum(pmf, axis=1)
    for j, level in enumerate((0.1, 0.5, 0.9, 0.99)):
        expected = (cdf < level - 1e-12).sum(axis=1)
        np.testing.assert_array_equal(h.quantiles([0.1, 0.5, 0.9, 0.99])[:, j], expected)
    y = rng.poisson(mu).astype(float)
    brute = ((cdf - (k[None, :] >= y[:, None])) ** 2).sum(axis=1)
    np.testing.assert_allclose(h.crps(y), brute, rtol=1e-8)


def test_hurdle_from_moments_honours_the_mean():
    p = np.array([0.0, 0.3, 0.9, 0.5, 0.99])
    mean = np.array([0.0, 0.1, 4.0, 0.7, 30.0])
    h = hurdle_from_moments(p, mean, mean * 2.0)
    np.testing.assert_allclose(h.mean(), mean, rtol=1e-5, atol=1e-9)
    np.testing.assert_allclose(h.p_any(), [0.0, 0.1, 0.9, 0.5, 0.99])  # p capped at the mean


def test_crps_matches_scoringrules_and_the_exact_sum():
    rng = np.random.default_rng(1)
    mu, alpha = rng.gamma(0.6, 3, 200), rng.choice([0.0, 0.2, 1.5], 200)
    nb = NegBinPredictive(mu, alpha)
    y = rng.poisson(mu * 1.2).astype(float)
    np.testing.assert_allclose(nb.crps(y), grid_crps(nb, y), rtol=1e-7, atol=1e-10)
    po = mu[alpha == 0]
    np.testing.assert_allclose(nb.take(alpha == 0).crps(y[alpha == 0]), sr.crps_poisson(y[alpha == 0], po))
    emp = EmpiricalPredictive(rng.poisson(3, (50, 24)).astype(float))
    ye = rng.poisson(3, 50).astype(float)
    x = emp.samples
    own = np.abs(x - ye[:, None]).mean(axis=1) - 0.5 * np.abs(x[:, :, None] - x[:, None, :]).mean(axis=(1, 2))
    np.testing.assert_allclose(emp.crps(ye), own)
    np.testing.assert_allclose(emp.twcrps(ye, 3), grid_crps(emp, ye, 3), atol=1e-12)
    assert (nb.twcrps(y, 3) <= nb.crps(y) + 1e-12).all()


def test_reconcile_wls_adds_up_and_moves_the_uncertain():
    bottom = np.array([[1.0, 2.0, 0.0], [0.5, 0.5, 0.5]])
    top = np.array([6.0, 0.0])
    b, t = reconcile_wls(bottom, bottom + 0.1, top, np.array([1e-9, 100.0]))
    np.testing.assert_allclose(b.sum(axis=1), t)
    assert t[0] == pytest.approx(6.0, rel=1e-6)  # a certain total stays
    assert t[1] == pytest.approx(1.5 * 100 / 101.8, rel=1e-6)  # an uncertain total follows the parts
    assert (b >= 0).all()


def test_country_totals_by_convolution_agree_with_regions():
    rng = np.random.default_rng(2)
    h = HurdlePredictive(rng.uniform(0, 1, 8), rng.gamma(1, 3, 8), rng.choice([0.0, 0.5], 8))
    groups = np.array([0, 0, 0, 1, 1, 1, 1, 2])
    labels, mean, qs, p_any = aggregate_counts(h, groups, [0.1, 0.5, 0.9])
    np.testing.assert_allclose(mean, [h.mean()[groups == g].sum() for g in labels])
    np.testing.assert_allclose(p_any, [1 - np.prod(1 - h.p_any()[groups == g]) for g in labels])
    draws = np.stack([rng.choice(400, 100_000, p=row / row.sum()) for row in h.pmf(400)])
    for g in labels:
        total = draws[groups == g].sum(axis=0)
        np.testing.assert_allclose(qs[g], np.quantile(total, [0.1, 0.5, 0.9]), atol=1.0)
    np.testing.assert_allclose(qs[2], h.take(np.array([7])).quantiles([0.1, 0.5, 0.9])[0])


def test_block_bootstrap_interval_covers_and_responds():
    rng = np.random.default_rng(3)
    origins = np.repeat([f"2016-{m:02d}" for m in range(1, 13)], 40)
    regions = np.tile([f"R{i}" for i in range(40)], 12)
    base = rng.gamma(2, 1, origins.size)
    better = base * 0.8
    est, lo, hi = block_bootstrap_skill(better, base, origins, regions, n_boot=300)
    assert est == pytest.approx(0.2) and lo == pytest.approx(0.2) and hi == pytest.approx(0.2)
    noisy = base * rng.uniform(0.7, 1.3, base.size)
    est, lo, hi = block_bootstrap_skill(noisy, base, origins, regions, n_boot=300)
    assert lo < est < hi and hi - lo > 0.005
    assert np.isnan(block_bootstrap_skill(np.zeros(0), np.zeros(0), origins[:0], regions[:0])[0])


def test_pit_histogram_is_flat_when_calibrated():
    rng = np.random.default_rng(4)
    mu = rng.gamma(1, 3, 20_000)
    y = rng.poisson(mu).astype(float)
    nb = NegBinPredictive(mu, np.zeros_like(mu))
    hist = pit_histogram(nb.cdf(y - 1), nb.cdf(y))
    assert hist.sum() == pytest.approx(1.0)
    np.testing.assert_allclose(hist, 0.1, atol=0.01)
    over = NegBinPredictive(mu * 0.5, np.zeros_like(mu))  # too low: PIT piles up near 1
    assert pit_histogram(over.cdf(y - 1), over.cdf(y))[-1] > 0.2


def test_the_served_pool_keeps_the_identities(panel):
    members = {"pooled_negbin": FAMILIES["pooled_negbin"](), "bootstrap24": FAMILIES["bootstrap24"]()}
    choice = {t: {"count_model": "pool", "p_any": "pool", "pool": list(members),
                  "p_pool": [*members, "classifier"]} for t in PANEL_TYPES}
    model = CombinedForecaster(members=members, choice=choice,
                               classifier=EventLogit(max_horizon=2, window=36)).fit(panel)
    frame = _served_frame(model, panel)
    assert (frame["mean"] > 0).any()


def _keys(groups: list[tuple[str, int]], types: tuple[str, ...] = PANEL_TYPES) -> pd.DataFrame:
    return pd.DataFrame([(r, "2015-01", h, t) for r, h in groups for t in types],
                        columns=["region_id", "origin", "horizon", "attack_type"])


def test_reconcile_p_any_averages_all_with_the_types_bottom_up():
    keys = _keys([("a", 1), ("b", 1)])
    n_t = len(PANEL_TYPES)
    p = np.zeros(2 * n_t)
    p[0], p[1], p[n_t - 1] = 0.2, 0.1, 0.3  # group a: two types, `all` pooled at 0.3
    p[n_t], p[2 * n_t - 1] = 0.1, 0.9  # group b: one type, `all` pooled at 0.9
    out = reconcile_p_any(keys, p)
    bottom_up = 1.0 - 0.8 * 0.9
    assert out[n_t - 1] == pytest.approx(0.5 * (0.3 + bottom_up))
    assert out[2 * n_t - 1] == pytest.approx(0.5 * (0.9 + 0.1))
    typed = keys["attack_type"].to_numpy() != ALL
    np.testing.assert_array_equal(out[typed], p[typed])  # the types keep theirs


def test_reconcile_p_any_never_puts_all_below_a_type_and_keeps_incomplete_groups():
    keys = _keys([("a", 1)])
    p = np.where(keys["attack_type"] == ALL, 0.05, 0.0)
    p[0] = 0.6
    out = reconcile_p_any(keys, p)
    assert out[-1] == pytest.approx(0.6)  # average 0.325 is below the likeliest type
    partial = _keys([("a", 1)], PANEL_TYPES[1:])  # no row of the first type: left as it is
    q = np.full(len(partial), 0.4)
    np.testing.assert_array_equal(reconcile_p_any(partial, q), q)
    assert reconcile_p_any(_keys([]), np.zeros(0)).shape == (0,)


def test_the_served_pool_reconciles_p_any_and_old_bundles_do_not(panel):
    members = {"pooled_negbin": FAMILIES["pooled_negbin"](), "bootstrap24": FAMILIES["bootstrap24"]()}
    choice = {t: {"count_model": "pool", "p_any": "pool", "pool": list(members),
                  "p_pool": list(members)} for t in PANEL_TYPES}
    model = CombinedForecaster(members=members, choice=choice).fit(panel)
    frame = _served_frame(model, panel)
    wide = frame.pivot_table(index=["region_id", "horizon"], columns="attack_type", values="p_any")
    bottom_up = 1.0 - np.prod(1.0 - wide[list(ATTACK_TYPES)].to_numpy(), axis=1)
    unreconciled = CombinedForecaster(members=members, choice=choice, reconcile_p_any=False).fit(panel)
    plain = _served_frame(unreconciled, panel)
    own = plain.pivot_table(index=["region_id", "horizon"], columns="attack_type", values="p_any")
    np.testing.assert_allclose(wide[list(ATTACK_TYPES)], own[list(ATTACK_TYPES)], atol=1e-12)
    expected = np.maximum(0.5 * (own[ALL].to_numpy() + bottom_up), wide[list(ATTACK_TYPES)].max(axis=1))
    np.testing.assert_allclose(wide[ALL].to_numpy(), expected, atol=1e-9)
    assert (wide[ALL].to_numpy() > own[ALL].to_numpy() + 1e-6).any()
    # a bundle pickled before the reconciliation existed serves the pooled `all` probability
    state = model.__getstate__()
    del state["reconcile_p_any"]
    old = CombinedForecaster.__new__(CombinedForecaster)
    old.__setstate__(state)
    np.testing.assert_allclose(old.predict(panel, 2)["p_any"], plain["p_any"], atol=1e-12)


def test_the_served_pool_explains_what_the_rest_of_the_model_does_to_the_regression(panel):
    members = {"pooled_negbin": FAMILIES["pooled_negbin"](), "bootstrap24": FAMILIES["bootstrap24"]()}
    choice = {t: {"count_model": "pool", "p_any": "pool", "pool": list(members),
                  "p_pool": list(members)} for t in PANEL_TYPES}
    model = CombinedForecaster(members=members, choice=choice).fit(panel)
    explained = model.explain(panel, 2)
    keys = ["region_id", "attack_type", "horizon"]
    rest = explained[explained["driver"] == POOL_DRIVER].set_index(keys)["effect"]
    served = model.predict(panel, 2).set_index(keys)["mean"]
    own = model.members_["pooled_negbin"].predict(panel, 2).set_index(keys)["mean"]
    assert len(rest) == len(served)  # one per forecast row
    expected = np.log((served + POOL_FLOOR) / (own + POOL_FLOOR))
    np.testing.assert_allclose(rest.reindex(served.index).to_numpy(), expected.to_numpy(), atol=1e-9)
    # the served mean is the regression's moved by that factor (up to the floor)
    big = own > 0.5
    np.testing.assert_allclose(own[big] * np.exp(rest.reindex(own.index)[big]), served[big], rtol=0.01)
    assert (rest.abs() > 0.05).any()  # the 24-month history moves some forecasts
    # the regression's own terms are still there, unchanged
    terms = explained[explained["driver"] != POOL_DRIVER].reset_index(drop=True)
    pd.testing.assert_frame_equal(terms, model.members_["pooled_negbin"].explain(panel, 2))
    # served as the members' own distributions, there is no rest to explain
    plain = CombinedForecaster(members=members, choice={t: {"count_model": "pooled_negbin", "p_any": "count"}
                                                         for t in PANEL_TYPES}, coherent=False).fit(panel)
    assert POOL_DRIVER not in set(plain.explain(panel, 2)["driver"])
