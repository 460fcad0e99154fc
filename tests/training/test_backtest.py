from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from models.demo import generate_demo
from models.estimators.baselines import Bootstrap24, LastValuePoisson, Mean12Poisson, ZeroForecaster
from models.panel import build_panel
from models.taxonomy import ALL, PANEL_TYPES
from training.backtest import (
    PREDICTION_COLUMNS,
    check_origins,
    parse_origins,
    post_occupation_flags,
    run_backtest,
    run_origin,
)
from training.report import summary
from training.selection import SELECTED, walk_forward

BASELINES = {"zero": ZeroForecaster, "last_value": LastValuePoisson, "mean12": Mean12Poisson,
             "bootstrap24": Bootstrap24}


@pytest.fixture(scope="module")
def demo():
    return generate_demo(seed=11, n_regions=6, start="2013-01", end="2018-12")


@pytest.fixture(scope="module")
def panel(demo):
    return build_panel(demo.events)


@pytest.fixture(scope="module")
def result(panel, demo):
    origins = pd.period_range("2018-03", "2018-10", freq="M")
    return run_backtest(panel, demo.episodes, BASELINES, origins, horizon=3, combine=walk_forward)


def test_predictions_cover_known_regions_and_targets_in_the_data(result, panel):
    pred = result.predictions
    assert list(pred.columns) == [*PREDICTION_COLUMNS, "post_occupation"]
    assert set(pred["model"]) == {*BASELINES, SELECTED}
    assert (pred["target_month"] <= str(panel.cutoff)).all()
    # Origin 2018-10 only has horizons 1 and 2 inside the data (to 2018-12).
    last = pred[(pred["origin"] == "2018-10") & (pred["model"] == "zero")]
    assert sorted(last["horizon"].unique()) == [1, 2]
    per_origin = pred[(pred["model"] == "mean12") & (pred["origin"] == "2018-03")]
    assert len(per_origin) == len(panel.regions) * len(PANEL_TYPES) * 3


def test_observed_counts_come_from_the_full_panel(result, panel):
    pred = result.predictions
    counts = panel.counts.set_index(["region_id", "attack_type", panel.counts["month"].astype(str)])["count"]
    sample = pred[pred["model"] == "mean12"].sample(50, random_state=0)
    for row in sample.itertuples():
        assert row.y == counts.loc[(row.region_id, row.attack_type, row.target_month)]


def test_baseline_forecasts_match_a_direct_fit(result, panel):
    state = panel.truncate("2018-05")
    direct = Mean12Poisson().fit(state).predict(state, 3)
    got = result.predictions[(result.predictions["model"] == "mean12")
                             & (result.predictions["origin"] == "2018-05")]
    merged = got.merge(direct, on=["region_id", "attack_type", "horizon"], suffixes=("", "_direct"))
    assert len(merged) == len(got)
    np.testing.assert_allclose(merged["mean"], merged["mean_direct"])
    np.testing.assert_allclose(merged["p_any"], merged["p_any_direct"])


def test_scores_slices_and_skill(result):
    scores = result.scores
    assert set(scores.columns) == {"model", "attack_type", "horizon", "country", "post_occupation",
                                   "metric", "value", "skill"}
    pooled = scores[(scores["attack_type"] == ALL) & (scores["horizon"] == "all")
                    & (scores["country"] == "all") & (scores["post_occupation"] == "all")]
    crps = pooled[pooled["metric"] == "crps"].set_index("model")
    best = crps.loc[list(BASELINES), "value"].idxmin()
    assert crps.loc[best, "skill"] == pytest.approx(0.0)
    assert (crps.loc[list(BASELINES), "skill"] <= 1e-12).all()
    assert set(scores.loc[scores["horizon"] != "all", "horizon"]) == {"1", "2", "3"}
    assert set(scores["post_occupation"]) <= {"all", "yes", "no"}
    assert scores.loc[scores["metric"] == "n", "value"].min() >= 1
    head = result.headline
    assert head["best_baseline"]["crps"] == best
    assert head[best]["crps"] == pytest.approx(crps.loc[best, "value"])
    assert 0.0 <= head["mean12"]["coverage80"] <= 1.0
    assert set(result.timings) >= {"total", "origins", "scoring", "mean12/fit", "mean12/predict"}


def test_walk_forward_selected_rows_are_out_of_sample(result):
    pred = result.predictions
    sel = pred[pred["model"] == SELECTED]
    base = pred[pred["model"] != SELECTED]
    # Same rows as every member, one model's rows per attack type and origin.
    assert len(sel) == len(base[base["model"] == "mean12"])
    # At the first origin nothing had been observed: the default (mean12, no fitted family) is served.
    first = sel[sel["origin"] == "2018-03"]
    mean12 = base[(base["model"] == "mean12") & (base["origin"] == "2018-03")]
    np.testing.assert_allclose(first.sort_values(["region_id", "attack_type", "horizon"])["mean"],
                               mean12.sort_values(["region_id", "attack_type", "horizon"])["mean"])


def test_post_occupation_flags(demo, panel):
    catalog = demo.episodes
    ended = catalog[catalog["end_month"].notna()].iloc[0]
    end = ended["end_month"]
    rows = pd.DataFrame({"region_id": [ended["region_id"]] * 3,
                         "origin": [str(end), str(end + 1), str(end + 25)]})
    # At the end month it is still "during"; one month later it is inside the 24-month window.
    assert post_occupation_flags(rows, catalog).tolist() == [False, True, False]


def test_parse_origins(panel):
    assert [str(p) for p in parse_origins("2018-01:2018-03", panel)] == ["2018-01", "2018-02", "2018-03"]
    assert [str(p) for p in parse_origins("2018-03, 2018-01", panel)] == ["2018-01", "2018-03"]
    with pytest.raises(ValueError, match="ends before"):
        parse_origins("2018-03:2018-01", panel)
    with pytest.raises(ValueError, match="not before the data cutoff"):
        parse_origins("2018-06:2018-12", panel)
    with pytest.raises(ValueError, match="fewer than 24 months"):
        parse_origins("2013-06", panel)
    with pytest.raises(ValueError, match="bad origins"):
        parse_origins("soon", panel)
    with pytest.raises(ValueError, match="no origins"):
        parse_origins(",", panel)
    check_origins([pd.Period("2014-12", freq="M")], panel)  # exactly 24 months of data


def test_run_backtest_rejects_bad_arguments(panel, demo):
    with pytest.raises(ValueError, match="no models"):
        run_backtest(panel, demo.episodes, {}, ["2018-01"], 3)
    with pytest.raises(ValueError, match="horizon"):
        run_backtest(panel, demo.episodes, BASELINES, ["2018-01"], 0)
    with pytest.raises(ValueError, match="no origins"):
        run_backtest(panel, demo.episodes, BASELINES, [], 3)
    with pytest.raises(ValueError, match="not before"):
        run_backtest(panel, demo.episodes, BASELINES, ["2018-12"], 3)


class _ConstantClassifier:
    """A probability model: the training share of months with an event, per attack type."""

    def fit(self, panel):
        counts = panel.counts
        self.rate_ = (counts["count"] > 0).groupby(counts["attack_type"]).mean()
        return self

    def predict_proba(self, state, horizon):
        from models.estimators.base import forecast_index

        index = forecast_index(state, horizon)
        return self.rate_.reindex(index["attack_type"]).fillna(0.0).to_numpy()


def test_classifier_rows_are_probability_only(panel):
    rows, timings = run_origin(pd.Period("2018-06", freq="M"), panel=panel, models={"mean12": Mean12Poisson},
                               horizon=2, classifier_factory=_ConstantClassifier)
    clf = rows[rows["model"] == "classifier"]
    assert len(clf) == len(rows[rows["model"] == "mean12"])
    assert clf["mean"].isna().all() and clf["crps"].isna().all()
    assert clf["p_any"].between(0, 1).all()
    assert "classifier/fit" in timings


def test_unknown_regions_at_the_origin_are_not_scored(demo):
    # A region whose first event comes after the origin is in the truncated state (its country is
    # covered) but is not known yet, so it is not scored.
    extra = demo.events.iloc[[-1]].copy()
    extra["event_id"] = "late:1"
    extra["admin1"] = "Brand New"
    extra["region_id"] = extra["country"].iloc[0] + ".brand-new"
    extra["date"] = pd.Timestamp("2018-12-01")
    panel = build_panel(pd.concat([demo.events, extra], ignore_index=True))
    rows, _ = run_origin(pd.Period("2018-06", freq="M"), panel=panel, models={"zero": ZeroForecaster},
                         horizon=6)
    assert extra["region_id"].iloc[0] in panel.truncate("2018-06").regions.index
    assert extra["region_id"].iloc[0] not in set(rows["region_id"])


def test_warmup_origins_feed_the_selection_but_are_not_scored(panel, demo, result):
    origins = pd.period_range("2018-03", "2018-10", freq="M")
    warm = run_backtest(panel, demo.episodes, BASELINES, origins, horizon=3, combine=walk_forward, warmup=4)
    assert warm.warmup_origins == ["2017-11", "2017-12", "2018-01", "2018-02"]
    assert result.warmup_origins == []
    assert summary(warm)["warmup_origins"] == warm.warmup_origins
    assert sorted(warm.predictions["origin"].unique()) == [str(o) for o in origins]
    assert warm.origins == [str(o) for o in origins]
    # the models' own rows and scores are those of the run without warm-up ...
    own = warm.predictions[warm.predictions["model"] != SELECTED].reset_index(drop=True)
    base = result.predictions[result.predictions["model"] != SELECTED].reset_index(drop=True)
    pd.testing.assert_frame_equal(own, base)
    # ... while the selection at the first origin already has a track record: it is no longer the
    # blind default (mean12 for every type)
    first = warm.predictions[(warm.predictions["origin"] == "2018-03")
                             & (warm.predictions["model"] == SELECTED)]
    blind = result.predictions[(result.predictions["origin"] == "2018-03")
                               & (result.predictions["model"] == SELECTED)]
    assert len(first) == len(blind)
    assert not np.allclose(first["crps"].to_numpy(), blind["crps"].to_numpy())
    with pytest.raises(ValueError, match="warmup"):
        run_backtest(panel, demo.episodes, BASELINES, origins, horizon=3, warmup=-1)


def test_types_a_region_cannot_observe_are_not_scored(panel, demo, result):
    """A region whose sources observe only armed assault: its other types' zeros are no data."""
    origins = pd.period_range("2018-03", "2018-10", freq="M")
    region = str(panel.regions.index[0])
    observed = {region: ["armed_assault"]}
    masked = run_backtest(panel, demo.episodes, BASELINES, origins, horizon=3, combine=walk_forward,
                          observed=observed)
    pred, full = masked.predictions, result.predictions
    mine = pred[pred["region_id"] == region]
    assert set(mine["attack_type"]) == {ALL, "armed_assault"}
    dropped = (full["region_id"] == region) & ~full["attack_type"].isin([ALL, "armed_assault"])
    assert masked.unobserved_rows == int(dropped.sum()) > 0
    assert len(pred) == len(full) - masked.unobserved_rows
    assert summary(masked)["unobserved_rows"] == masked.unobserved_rows
    # the rows kept are the same forecasts, so the other regions score as before
    keys = ["model", "region_id", "attack_type", "origin", "horizon"]
    both = full[~dropped].merge(pred, on=keys, suffixes=("", "_masked"))
    assert len(both) == len(pred)
    np.testing.assert_allclose(both["crps"], both["crps_masked"])
    assert run_backtest(panel, demo.episodes, BASELINES, origins[:1], horizon=1,
                        observed=None).unobserved_rows == 0
