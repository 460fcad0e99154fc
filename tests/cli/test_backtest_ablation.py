"""The occupation-feature ablation: known gains on hand-made rows, and the CLI on a demo panel."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from cli import app
from models.demo import generate_demo
from models.episodes import load_catalog, occupation_status, write_catalog
from training.ablation import COLUMNS, compare, no_occupation
from training.backtest import PREDICTION_COLUMNS, BacktestResult, headline, score_predictions

runner = CliRunner()


def _result(crps_model: np.ndarray, p_model: np.ndarray, post: np.ndarray, y: np.ndarray) -> BacktestResult:
    n = len(y)
    rows = []
    for model, crps, p_any in (("fit", crps_model, p_model), ("mean12", np.full(n, 2.0), np.full(n, 0.5))):
        frame = pd.DataFrame({c: np.nan for c in PREDICTION_COLUMNS}, index=range(n))
        frame = frame.assign(model=model, region_id=[f"MLI.r{i % 4}" for i in range(n)], country="MLI",
                             attack_type="all", origin=[f"2014-{1 + i // 4:02d}" for i in range(n)],
                             target_month="2015-01", horizon=1, y=y, mean=1.0, crps=crps, p_any=p_any,
                             twcrps=crps, pit80=1.0, q10=0.0, q50=1.0, q90=2.0, var=1.0)
        frame["post_occupation"] = post
        rows.append(frame)
    predictions = pd.concat(rows, ignore_index=True)
    scores = score_predictions(predictions, ["mean12"])
    return BacktestResult(predictions=predictions, scores=scores, headline=headline(scores, ["mean12"]),
                          timings={"total": 1.0}, origins=sorted(set(predictions["origin"])), horizon=1,
                          baselines=["mean12"])


def test_compare_gives_the_gain_of_the_features_on_each_slice() -> None:
    n = 24
    post = np.arange(n) < 8
    y = np.ones(n)
    with_features = _result(np.where(post, 1.0, 1.5), np.full(n, 0.9), post, y)
    without = _result(np.full(n, 1.5), np.full(n, 0.9), post, y)
    table = compare(with_features, without, n_boot=200)
    assert list(table.columns) == list(COLUMNS)
    crps = table[(table["model"] == "fit") & (table["metric"] == "crps")].set_index("slice")
    # post rows: 1.0 with against 1.5 without -> gain 1/3, every bootstrap replicate agrees
    assert crps.loc["post_occupation", "n"] == 8
    assert crps.loc["post_occupation", "gain"] == pytest.approx(1 / 3)
    assert crps.loc["post_occupation", "gain_lower"] == pytest.approx(1 / 3)
    assert crps.loc["post_occupation", "verdict"] == "helps"
    # overall: (8 * 1.0 + 16 * 1.5) / (24 * 1.5)
    assert crps.loc["overall", "gain"] == pytest.approx(1 - 32 / 36)
    assert crps.loc["post_occupation", "skill_with"] == pytest.approx(0.5)
    assert crps.loc["post_occupation", "skill_without"] == pytest.approx(0.25)
    brier = table[(table["model"] == "fit") & (table["metric"] == "brier")]
    assert set(brier["verdict"]) == {"same"} and np.allclose(brier["gain"], 0.0)
    hurt = compare(without, with_features, n_boot=200)
    row = hurt[(hurt["model"] == "fit") & (hurt["metric"] == "crps") & (hurt["slice"] == "post_occupation")]
    assert row["verdict"].item() == "hurts" and row["gain"].item() == pytest.approx(-0.5)
    assert "mean12" not in set(table["model"])


def test_no_occupation_catalog_switches_every_phase_off() -> None:
    catalog = load_catalog()
    empty = no_occupation(catalog)
    assert list(empty.columns) == list(catalog.columns) and empty.empty
    regions = catalog["region_id"].unique()
    months = pd.period_range("2012-01", "2016-12", freq="M")
    assert set(occupation_status(regions, months, catalog)["phase"]) == {"never", "during", "after"}
    assert set(occupation_status(regions, months, empty)["phase"]) == {"never"}


@pytest.fixture(scope="module")
def demo_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    demo = generate_demo(seed=5, n_regions=16, start="2008-01", end="2016-12")
    folder = tmp_path_factory.mktemp("ablation")
    demo.events.to_csv(folder / "events.csv", index=False)
    write_catalog(demo.episodes, folder / "catalog.csv")
    return folder / "events.csv", folder / "catalog.csv"


def test_backtest_ablation_writes_the_comparison_and_the_post_occupation_slice(
        demo_files: tuple[Path, Path], tmp_path: Path) -> None:
    events, catalog = demo_files
    out = tmp_path / "bt"
    result = runner.invoke(app, [
        "backtest", "-e", str(events), "--catalog", str(catalog),
        "--origins", "2013-09,2013-12,2014-03,2015-09,2015-12,2016-03", "--horizon", "2",
        "--models", "zero,mean12,pooled_negbin", "--executor", "serial", "--ablation", "--out", str(out),
        "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert set(payload["ablation"]["verdicts"]) == {"overall", "post_occupation"}
    stored = json.loads((out / "ablation.json").read_text())
    assert stored["origins"] == payload["origins"] and stored["models"] == ["pooled_negbin", "selected"]
    rows = pd.DataFrame(stored["rows"])
    predictions = pd.read_parquet(out / "predictions.parquet")
    mine = predictions[(predictions["model"] == "pooled_negbin") & (predictions["attack_type"] == "all")]
    n_post = int(mine["post_occupation"].sum())
    assert 0 < n_post < len(mine)
    row = rows[(rows["model"] == "pooled_negbin") & (rows["attack_type"] == "all")
               & (rows["slice"] == "post_occupation") & (rows["metric"] == "crps")].iloc[0]
    assert row["n"] == n_post
    assert row["score_with"] == pytest.approx(mine.loc[mine["post_occupation"], "crps"].mean())
    assert row["gain"] == pytest.approx(1 - row["score_with"] / row["score_without"])
    assert row["gain_lower"] <= row["gain"] <= row["gain_upper"]
    # the features change the fitted family's forecasts: without them the scores differ
    assert row["score_without"] != pytest.approx(row["score_with"], rel=1e-9)
    scores = json.loads((out / "scores.json").read_text())
    post = scores["post_occupation"]["pooled_negbin"]["all"]
    assert post["n"] == n_post and post["crps"] == pytest.approx(row["score_with"])
    assert post["crps_skill"] == pytest.approx(row["skill_with"])
    report = (out / "report.md").read_text()
    assert "## Post-occupation slice by attack type" in report
    assert "## post-occupation" in (out / "ablation.md").read_text()
    assert len(pd.read_csv(out / "ablation.csv")) == len(rows)
