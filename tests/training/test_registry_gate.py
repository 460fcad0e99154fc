from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from trainkit import synthetic_events

from cli.jobs.train import TrainOptions, train
from training.registry import SCORES_TAG, OriginScores, Registry, decide, fallback_baseline
from training.settings import TrainingSettings
from training.tracking import Tracker, TrackingError

CHAMP = OriginScores({"2020-01": {"crps": 1.0, "brier": 0.20, "n": 10},
                      "2020-02": {"crps": 3.0, "brier": 0.10, "n": 30}})


def test_first_version_becomes_champion() -> None:
    d = decide("1", CHAMP, None)
    assert d.promoted and d.alias == "champion" and d.challenger_scores["crps"] == pytest.approx(2.5)


def test_scores_are_row_weighted_over_the_common_origins() -> None:
    assert CHAMP.on(["2020-01", "2020-02"]) == pytest.approx({"crps": 2.5, "brier": 0.125})
    assert OriginScores.from_json(CHAMP.to_json()).by_origin == CHAMP.by_origin


def test_better_or_equal_is_promoted_worse_is_not() -> None:
    better = OriginScores({"2020-02": {"crps": 2.9, "brier": 0.10, "n": 30},
                           "2020-03": {"crps": 99.0, "brier": 0.9, "n": 30}})
    d = decide("2", better, CHAMP, "1")
    assert d.promoted and d.origins_compared == ["2020-02"]  # 2020-03 is not the champion's
    assert d.champion_scores == pytest.approx({"crps": 3.0, "brier": 0.10})
    worse_brier = OriginScores({"2020-01": {"crps": 0.5, "brier": 0.21, "n": 10},
                                "2020-02": {"crps": 2.0, "brier": 0.10, "n": 30}})
    d = decide("3", worse_brier, CHAMP, "1")
    assert not d.promoted and d.alias == "challenger" and "brier" in d.reason and "crps" not in d.reason
    assert decide("4", worse_brier, CHAMP, "1", force=True).promoted


def test_no_common_origin_is_not_comparable() -> None:
    other = OriginScores({"2021-01": {"crps": 0.1, "brier": 0.01, "n": 5}})
    d = decide("2", other, CHAMP, "1")
    assert not d.promoted and "not comparable" in d.reason


def test_promote_unknown_version_fails_clearly(mlflow_store) -> None:
    registry = Registry(Tracker(TrainingSettings()), "threatcast")
    with pytest.raises(TrackingError, match="MLflow refused"):
        registry.promote("7")
    assert registry.versions() == []


FAMILIES = dict(horizon=3, n_origins=4, executor="serial", progress=False)
ZERO = TrainOptions(models="zero", classifier=False, **FAMILIES)  # type: ignore[arg-type]
GOOD = TrainOptions(models="mean12,pooled_negbin", classifier=False, **FAMILIES)  # type: ignore[arg-type]


@pytest.mark.slow
def test_worse_challenger_stays_challenger_better_one_is_promoted(mlflow_store, tmp_path: Path) -> None:
    events = synthetic_events()
    client = mlflow_store.client()
    first = train(events, ZERO)
    assert first.decision.alias == "champion"

    better = train(events, GOOD)
    assert better.decision.promoted and better.decision.champion_version == "1"
    assert better.decision.challenger_scores["crps"] < better.decision.champion_scores["crps"]
    assert str(client.get_model_version_by_alias("threatcast", "champion").version) == "2"

    again = train(events, GOOD)  # same data and seed: the same scores, so "no worse" -> promoted
    assert again.headline["crps"] == better.headline["crps"]
    assert again.headline["brier"] == better.headline["brier"]
    tags = {v: client.get_model_version("threatcast", v).tags[SCORES_TAG] for v in ("2", "3")}
    assert tags["2"] == tags["3"]
    assert again.decision.promoted

    worse = train(events, ZERO)
    assert not worse.decision.promoted and worse.decision.alias == "challenger"
    assert "worse than the champion" in worse.decision.reason
    assert str(client.get_model_version_by_alias("threatcast", "champion").version) == "3"
    assert str(client.get_model_version_by_alias("threatcast", "challenger").version) == "4"
    logged = json.loads(Path(client.download_artifacts(worse.run_id, "promotion/decision.json",
                                                       str(tmp_path))).read_text())
    assert logged["promoted"] is False and logged["champion_version"] == "3"
    assert logged["challenger_scores"]["crps"] == pytest.approx(worse.decision.challenger_scores["crps"])
    run = client.get_run(worse.run_id)
    assert run.data.tags["threatcast.promoted"] == "false"
    assert run.data.metrics["promotion/champion_crps"] == pytest.approx(again.headline["crps"], rel=1e-5)

    registry = Registry(Tracker(TrainingSettings()), "threatcast")
    assert registry.promote("4") == "3"  # explicit promotion moves champion and drops challenger
    rows = {r["version"]: r for r in registry.versions()}
    assert rows["4"]["aliases"] == ["champion"] and rows["3"]["aliases"] == []
    assert rows["1"]["crps"] == pytest.approx(rows["4"]["crps"])  # both serve the zero forecaster


def _headline(**skills: tuple[float, float, float]) -> dict[str, dict[str, float]]:
    """model -> (crps, crps_skill, brier_skill) as :func:`training.backtest.headline` gives them."""
    return {m: {"crps": c, "crps_skill": cs, "brier_skill": bs} for m, (c, cs, bs) in skills.items()}


def test_the_fallback_baseline_is_the_one_that_loses_least_on_its_worse_metric() -> None:
    # the demo's figures: bootstrap24 is best on CRPS, mean12 on Brier
    demo = _headline(zero=(5.46, -1.384, -23.0), mean12=(2.44, -0.068, 0.0), bootstrap24=(2.29, 0.0, -0.023))
    assert fallback_baseline(demo, ["zero", "mean12", "bootstrap24"]) == "bootstrap24"
    # a CRPS-best baseline that loses more on Brier than the other loses on CRPS is not served
    brier_heavy = _headline(mean12=(2.40, -0.010, 0.0), bootstrap24=(2.38, 0.0, -0.050))
    assert fallback_baseline(brier_heavy, ["mean12", "bootstrap24"]) == "mean12"
    # one baseline best on both metrics: that one
    both = _headline(mean12=(1.0, 0.0, 0.0), last_value=(1.2, -0.2, -0.4))
    assert fallback_baseline(both, ["mean12", "last_value"]) == "mean12"
    # a tie on the worse skill goes to the lower CRPS
    tie = _headline(a=(2.0, -0.02, 0.0), b=(1.9, 0.0, -0.02))
    assert fallback_baseline(tie, ["a", "b"]) == "b"
    # only the names given count; missing or NaN skills are skipped
    assert fallback_baseline(demo, ["mean12"]) == "mean12"
    partial = {"mean12": {"crps": 1.0, "crps_skill": float("nan"), "brier_skill": 0.0}}
    assert fallback_baseline(partial, ["mean12", "absent"]) is None


def test_a_skill_margin_is_a_stricter_gate() -> None:
    skill = {"crps": {"skill": 0.03, "lower": -0.01, "upper": 0.07, "baseline": "mean12"},
             "brier": {"skill": 0.01, "lower": -0.02, "upper": 0.04, "baseline": "mean12"}}
    assert decide("1", CHAMP, None, skill=skill).promoted
    assert decide("1", CHAMP, None, skill=skill, min_skill=0.01).promoted
    strict = decide("1", CHAMP, None, skill=skill, min_skill=0.02)
    assert not strict.promoted and strict.alias == "challenger"
    assert strict.reason.startswith(
        "falls short of skill +0.0200 against the best baseline: brier skill +0.0100")
    assert "crps" not in strict.reason
    losing = decide("1", CHAMP, None, skill={**skill, "brier": {**skill["brier"], "skill": -0.001}})
    assert losing.reason.startswith("loses to the best baseline: brier skill -0.0010")


@pytest.mark.slow
def test_when_the_models_lose_a_baseline_serves_and_the_decision_says_how_they_compare(
        mlflow_store, tmp_path: Path) -> None:
    events = synthetic_events()
    options = TrainOptions(models="mean12,bootstrap24,pooled_negbin", classifier=False, min_skill=1.0,
                           **FAMILIES)  # type: ignore[arg-type]
    result = train(events, options)
    decision = result.decision
    # no model reaches a skill of 1 (a perfect forecast): the models' version stays challenger
    assert not decision.promoted and decision.alias == "challenger" and decision.champion_version is None
    client = mlflow_store.client()
    scores = json.loads(Path(client.download_artifacts(result.run_id, "backtest/scores.json",
                                                       str(tmp_path))).read_text())
    headline = scores["headline"]
    name = fallback_baseline(headline, ["mean12", "bootstrap24"])
    assert name in ("mean12", "bootstrap24") and decision.served_baseline == name
    assert decision.baseline_version == "2" and result.version == "1"
    assert decision.reason.startswith("falls short of skill +1.0000 against the best baseline: crps skill")
    own = headline[name]
    assert (f"the baseline {name!r} is served as the champion instead (version 2); its own skills "
            f"against the best baseline of each metric: crps {own['crps_skill']:+.4f}, "
            f"brier {own['brier_skill']:+.4f}") in decision.reason

    champion = client.get_model_version_by_alias("threatcast", "champion")
    assert str(champion.version) == "2" and champion.tags["served_model"] == name
    assert champion.tags["threatcast.decision"] == decision.reason
    assert str(client.get_model_version_by_alias("threatcast", "challenger").version) == "1"
    assert client.get_run(result.run_id).data.params["promotion/min_skill"] == "1.0"

    # the champion serves the baseline's own forecast: the mean of the region's last 12 or 24 months
    import mlflow

    frame = mlflow.pyfunc.load_model("models:/threatcast@champion").predict(pd.DataFrame())
    months = events["date"].dt.to_period("M")
    per = events.groupby([events["region_id"], months]).size().unstack(fill_value=0)
    window = 12 if name == "mean12" else 24
    expected = per[per.columns[-window:]].mean(axis=1)
    first = frame[(frame["attack_type"] == "all") & (frame["horizon"] == 1)].set_index("region_id")["mean"]
    np.testing.assert_allclose(first.sort_index().to_numpy(), expected.sort_index().to_numpy(), rtol=1e-3)
