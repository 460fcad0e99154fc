from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from cli import app
from models.demo import generate_demo
from models.estimators.baselines import Mean12Poisson
from models.forecast import check_forecast_frame, forecast_columns
from models.panel import build_panel
from models.taxonomy import PANEL_TYPES

runner = CliRunner()


@pytest.fixture(scope="module")
def demo():
    return generate_demo(seed=9, n_regions=4, start="2014-01", end="2018-12")


@pytest.fixture(scope="module")
def events_file(demo, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("events") / "events.csv"
    demo.events.to_csv(path, index=False)
    return path


def _forecast(*args: str):
    return runner.invoke(app, ["forecast", *args])


def test_forecast_csv_has_the_contract_columns(events_file, demo, tmp_path):
    out = tmp_path / "fc.csv"
    levels = (0.05, 0.25, 0.5, 0.75, 0.95)
    result = _forecast("--events", str(events_file), "--cutoff", "2017-12", "--horizon", "3",
                       "--model", "mean12", "--quantiles", "0.05,0.25,0.5,0.75,0.95", "--out", str(out))
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(out, dtype={"origin": str, "target_month": str})
    assert list(frame.columns) == forecast_columns(levels)
    assert list(frame.columns[5:10]) == ["mean", "q05", "q25", "q50", "q75"]
    check_forecast_frame(frame, levels)
    panel = build_panel(demo.events, "2017-12")
    assert len(frame) == len(panel.regions) * len(PANEL_TYPES) * 3
    assert (frame["origin"] == "2017-12").all()
    assert sorted(frame["target_month"].unique()) == ["2018-01", "2018-02", "2018-03"]
    expected = Mean12Poisson().fit(panel).predict(panel, 3, levels)
    np.testing.assert_allclose(frame["mean"], expected["mean"])
    np.testing.assert_allclose(frame["p_any"], expected["p_any"], rtol=1e-9)


def test_the_default_forecast_is_the_served_pool_one_coherent_distribution(events_file, tmp_path):
    out, single = tmp_path / "served.csv", tmp_path / "negbin.csv"
    for args, path in (([], out), (["--model", "pooled_negbin"], single)):
        result = _forecast("--events", str(events_file), "--cutoff", "2017-12", "--horizon", "2",
                           "--out", str(path), *args)
        assert result.exit_code == 0, result.output
    frame = pd.read_csv(out, dtype={"origin": str, "target_month": str})
    check_forecast_frame(frame)
    wide = frame.pivot_table(index=["region_id", "horizon"], columns="attack_type", values="mean")
    types = wide.drop(columns="all").sum(axis=1)
    np.testing.assert_allclose(types, wide["all"], rtol=0.01)  # the types add up to all
    assert (frame.loc[frame["p_any"] > 0.1, "q90"] >= 1).all()  # p_any and the quantiles agree
    # not a single family's forecast: the pool's members and baseline move the means
    negbin = pd.read_csv(single)
    assert not np.allclose(frame["mean"], negbin["mean"])


def test_events_after_the_cutoff_are_ignored(events_file, demo, tmp_path):
    early = demo.events[demo.events["date"] < pd.Timestamp("2018-01-01")]
    early_file = tmp_path / "early.csv"
    early.to_csv(early_file, index=False)
    a, b = tmp_path / "a.parquet", tmp_path / "b.parquet"
    for src, out in ((events_file, a), (early_file, b)):
        result = _forecast("--events", str(src), "--cutoff", "2017-12", "--horizon", "2",
                           "--model", "bootstrap24", "--out", str(out))
        assert result.exit_code == 0, result.output
    pd.testing.assert_frame_equal(pd.read_parquet(a), pd.read_parquet(b))


def test_forecast_serves_a_choice_table(events_file, tmp_path):
    choice = {t: {"count_model": "zero" if t == "bombing" else "mean12", "p_any": "count"}
              for t in PANEL_TYPES}
    path = tmp_path / "choice.json"
    path.write_text(json.dumps(choice))
    out = tmp_path / "fc.parquet"
    result = _forecast("--events", str(events_file), "--cutoff", "2018-06", "--horizon", "1", "--choice",
                       str(path), "--out", str(out))
    assert result.exit_code == 0, result.output
    frame = pd.read_parquet(out)
    assert (frame.loc[frame["attack_type"] == "bombing", "mean"] == 0).all()
    assert frame.loc[frame["attack_type"] == "all", "mean"].sum() > 0


@pytest.mark.parametrize(("args", "message"), [
    (["--cutoff", "2030-01"], "outside the data"),
    (["--cutoff", "1990-01"], "outside the data"),
    (["--cutoff", "June"], "bad cutoff"),
    (["--quantiles", "0.1,1.5"], "strictly between 0 and 1"),
    (["--quantiles", "low"], "not a number"),
    (["--out", "forecast.xlsx"], "unsupported output"),
    (["--model", "oracle"], "unknown model 'oracle'"),
])
def test_forecast_errors_are_one_line(events_file, tmp_path, args, message):
    base = {"--cutoff": "2018-06", "--out": str(tmp_path / "fc.csv"), "--model": "mean12"}
    overrides = dict(zip(args[::2], args[1::2], strict=True))
    merged = {**base, **overrides}
    if merged["--out"] == "forecast.xlsx":
        merged["--out"] = str(tmp_path / "forecast.xlsx")
    flat = [x for kv in merged.items() for x in kv]
    result = _forecast("--events", str(events_file), *flat)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "fc.csv").exists()


def test_forecast_bad_choice_file(events_file, tmp_path):
    bad = tmp_path / "choice.json"
    bad.write_text(json.dumps({"all": {"model": "mean12"}}))
    result = _forecast("--events", str(events_file), "--cutoff", "2018-06", "--choice", str(bad),
                       "--out", str(tmp_path / "fc.csv"))
    assert result.exit_code == 2 and "not a choice table" in result.output
    result = _forecast("--events", str(events_file), "--cutoff", "2018-06", "--choice", str(bad),
                       "--model", "mean12", "--out", str(tmp_path / "fc.csv"))
    assert result.exit_code == 2 and "either --model or --choice" in result.output
