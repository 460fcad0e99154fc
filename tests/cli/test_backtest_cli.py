from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from cli import app
from models.demo import generate_demo

runner = CliRunner()
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def events_file(tmp_path_factory) -> Path:
    demo = generate_demo(seed=8, n_regions=5, start="2013-01", end="2018-12")
    path = tmp_path_factory.mktemp("events") / "events.csv"
    demo.events.to_csv(path, index=False)
    return path


def _run(*args: str):
    return runner.invoke(app, ["backtest", *args])


def test_backtest_writes_scores_report_and_plots(events_file, tmp_path):
    out = tmp_path / "bt"
    result = _run("--events", str(events_file), "--origins", "2018-01:2018-05", "--horizon", "3",
                  "--models", "zero,mean12,bootstrap24", "--executor", "serial", "--out", str(out), "--json")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert payload["origins"] == ["2018-01", "2018-02", "2018-03", "2018-04", "2018-05"]
    assert payload["models"] == ["zero", "mean12", "bootstrap24", "selected"]
    assert payload["baselines"] == ["zero", "mean12", "bootstrap24"]
    head = payload["headline"]
    assert 0 <= head["selected"]["coverage80"] <= 1 and head["selected"]["crps"] > 0
    assert set(payload["choice"]["all"]) == {"count_model", "p_any"}
    for name in ("scores.csv", "scores.json", "report.md", "choice.json"):
        assert (out / name).stat().st_size > 0
    for name in ("skill_by_horizon.png", "reliability.png", "fan_charts.png"):
        assert (out / name).read_bytes()[:8] == PNG
    scores = pd.read_csv(out / "scores.csv", dtype={"horizon": str})
    assert {"model", "attack_type", "horizon", "country", "post_occupation", "metric", "value",
            "skill"} <= set(scores.columns)
    crps = scores[(scores["model"] == "mean12") & (scores["metric"] == "crps")
                  & (scores["attack_type"] == "all") & (scores["horizon"] == "all")
                  & (scores["country"] == "all") & (scores["post_occupation"] == "all")]
    assert crps["value"].iloc[0] == pytest.approx(head["mean12"]["crps"])
    stored = json.loads((out / "scores.json").read_text())
    assert stored["headline"]["mean12"]["crps"] == pytest.approx(head["mean12"]["crps"])
    assert len(stored["scores"]) == len(scores)
    report = (out / "report.md").read_text()
    for heading in ("## Headline", "## CRPS skill by horizon", "## CRPS skill by attack type",
                    "## CRPS skill by country", "## CRPS skill by post occupation",
                    "loses to the best baseline",
                    "## Served selection", "![reliability](reliability.png)"):
        assert heading in report


def test_backtest_table_output_and_default_origins(events_file, tmp_path):
    result = _run("--events", str(events_file), "--horizon", "2", "--models", "mean12",
                  "--executor", "serial", "--out", str(tmp_path / "bt"))
    assert result.exit_code == 0, result.output
    assert "mean12" in result.output and "30 origins" in result.output
    stored = json.loads((tmp_path / "bt" / "scores.json").read_text())
    assert stored["origins"][0] == "2016-05" and stored["origins"][-1] == "2018-10"


@pytest.mark.parametrize(("args", "message"), [
    (["--origins", "2018-06:2018-01"], "ends before it starts"),
    (["--origins", "2019-01"], "not before the data cutoff"),
    (["--origins", "next-year"], "bad origins"),
    (["--models", "mean12,prophet"], "unknown model(s) prophet"),
    (["--executor", "gpu"], "unknown executor"),
    (["--format", "xml"], "unknown format"),
    (["--executor", "local", "--scheduler", "tcp://x:1"], "only applies to the dask"),
])
def test_backtest_errors_are_one_line(events_file, tmp_path, args, message):
    result = _run("--events", str(events_file), "--models", "mean12", "--out", str(tmp_path / "bt"), *args)
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def test_backtest_missing_and_unreadable_files(tmp_path):
    result = _run("--events", str(tmp_path / "nope.csv"))
    assert result.exit_code == 2 and "not found" in result.output
    junk = tmp_path / "junk.csv"
    junk.write_text("a,b\n1,2\n")
    result = _run("--events", str(junk))
    assert result.exit_code == 2 and "error:" in result.output and "Traceback" not in result.output
