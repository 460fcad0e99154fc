from __future__ import annotations

import json
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest
from mlflow.tracking import MlflowClient
from trainkit import synthetic_events

from cli.jobs.train import TrainOptions, train
from models.episodes import CATALOG_VERSION, load_catalog
from models.forecast import check_forecast_frame
from models.taxonomy import ALL, TAXONOMY_VERSION
from training.fingerprint import events_fingerprint
from training.registry import COMPLETE_TAG, SCORES_TAG, OriginScores
from training.selection import classifier_factory

FAST = TrainOptions(horizon=3, n_origins=4, executor="serial", models="zero,mean12,pooled_negbin",
                    progress=False)


def _artifacts(client: MlflowClient, run_id: str, path: str | None = None) -> set[str]:
    out: set[str] = set()
    for item in client.list_artifacts(run_id, path):
        out |= _artifacts(client, run_id, item.path) if item.is_dir else {item.path}
    return out


@pytest.mark.slow
def test_training_records_everything_and_serves_the_champion(mlflow_store, tmp_path: Path) -> None:
    events = synthetic_events()
    result = train(events, FAST, catalog=load_catalog())
    client = mlflow_store.client()
    run = client.get_run(result.run_id)
    assert run.info.status == "FINISHED"
    params = run.data.params
    assert params["data_fingerprint"] == events_fingerprint(events) == result.data_fingerprint
    assert params["data_cutoff"] == "2021-12"
    assert params["horizon"] == "3"
    assert params["origins"] == "2021-06:2021-09" and params["n_origins"] == "4"
    assert params["taxonomy_version"] == TAXONOMY_VERSION
    assert params["catalog_version"] == CATALOG_VERSION
    assert params["events_accepted"] == str(len(events)) and params["events_rejected"] == "0"
    assert params["version/mlflow"] == mlflow.__version__
    assert params["registered_version"] == "1" and params["promotion/alias"] == "champion"
    assert params["models"] == "zero,mean12,pooled_negbin"

    metrics = run.data.metrics
    assert metrics["crps"] == pytest.approx(result.headline["crps"])
    history = client.get_metric_history(result.run_id, "by_horizon/crps")
    assert sorted(m.step for m in history) == [1, 2, 3]
    # every origin scores every horizon on the same regions, so the pooled CRPS is the mean over horizons
    assert np.mean([m.value for m in history]) == pytest.approx(metrics["crps"])
    assert "type/armed_assault/crps" in metrics and "crps_skill" in metrics

    children = {r.info.run_name: r for r in client.search_runs(
        [result.experiment_id], filter_string=f"tags.mlflow.parentRunId = '{result.run_id}'")}
    assert set(children) == {"zero", "mean12", "pooled_negbin", "classifier"} == set(result.family_runs)
    clf = children["classifier"].data
    assert "brier" in clf.metrics and "crps" not in clf.metrics  # probabilities only
    assert clf.params["max_horizon"] == str(classifier_factory(None)().max_horizon)
    zero = children["zero"].data
    assert zero.params["baseline"] == "True"
    # a point mass at 0 has CRPS = the observed count: the mean 'all' count of the scored target months
    counts = result_panel_counts(events)
    expected = np.mean([counts[str(pd.Period(o, "M") + h)] for o in result.origins for h in (1, 2, 3)])
    assert zero.metrics["crps"] == pytest.approx(expected)
    assert zero.metrics["brier"] == pytest.approx(1.0)  # p_any = 0 while every region has events
    assert children["pooled_negbin"].data.params["random_state"] == "0"
    assert len(client.get_metric_history(children["mean12"].info.run_id, "by_horizon/crps")) == 3

    arts = _artifacts(client, result.run_id)
    for name in ("backtest/report.md", "backtest/scores.csv", "data/rejected_by_reason.csv",
                 "data/ingest_summary.json", "forecast/forecast.csv", "promotion/decision.json",
                 "study/study.json", "study/study.md", "study/episodes.csv"):
        assert any(a.endswith(name) for a in arts), name
    decision = json.loads(Path(client.download_artifacts(result.run_id, "promotion/decision.json",
                                                         str(tmp_path))).read_text())
    assert decision["promoted"] is True and decision["alias"] == "champion"

    version = client.get_model_version_by_alias("threatcast", "champion")
    assert str(version.version) == result.version == "1"
    assert version.tags[COMPLETE_TAG] == "true"
    scores = OriginScores.from_json(version.tags[SCORES_TAG])
    assert sorted(scores.by_origin) == result.origins
    assert scores.on(result.origins)["crps"] == pytest.approx(result.headline["crps"], rel=1e-5)

    model = mlflow.pyfunc.load_model("models:/threatcast@champion")
    assert [c.name for c in model.metadata.signature.inputs.inputs] == ["region_id", "attack_type", "horizon"]
    frame = model.predict(pd.DataFrame())
    check_forecast_frame(frame)
    assert len(frame) == 4 * 11 * 3 and set(frame["model_version"]) == {"1"}
    logged = pd.read_csv(client.download_artifacts(result.run_id, "forecast/forecast.csv", str(tmp_path)))
    np.testing.assert_allclose(logged["mean"].to_numpy(), frame["mean"].to_numpy())
    bundle = model.unwrap_python_model().bundle
    assert bundle.provenance["run_id"] == result.run_id and bundle.cutoff == "2021-12"
    one = model.predict(pd.DataFrame({"region_id": ["MLI.gao"], "attack_type": [ALL], "horizon": [2.0]}))
    assert list(one["horizon"]) == [1, 2] and set(one["region_id"]) == {"MLI.gao"}


def result_panel_counts(events: pd.DataFrame) -> dict[str, float]:
    """Mean 'all' count across the four regions per month."""
    months = events["date"].dt.to_period("M").astype(str)
    per = events.groupby([events["region_id"], months]).size().unstack(fill_value=0)
    return {m: float(per[m].mean()) for m in per.columns}
