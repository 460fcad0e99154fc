from __future__ import annotations

import json
from pathlib import Path

import pytest
from trainkit import synthetic_events

from cli.jobs.train import TrainOptions, train
from training.registry import SCORES_TAG, OriginScores, Registry, decide
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
