"""`threatcast study` through the real CLI: synthetic canonical files, bad input, and the real
ACLED and UCDP extracts (skipped when ../shared/data is absent)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from cli import app

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "models"))
from test_study import _catalog, _events
from test_study_targets import target_events

from models.targets import TARGET_CLASSES

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
ACLED = DATA / "acled_hdx_2020_selected_to2018.csv.gz"
UCDP = DATA / "ucdp_ged_hdx_191-221_selected_to2018.csv.gz"
runner = CliRunner()


@pytest.fixture()
def files(tmp_path: Path) -> tuple[Path, Path]:
    events = _events(seed=1, after_ratio=3.0)
    events_file = tmp_path / "events.csv"
    events.assign(date=events["date"].dt.strftime("%Y-%m-%d")).to_csv(events_file, index=False)
    catalog = _catalog().assign(start_month=lambda f: f["start_month"].astype(str),
                                end_month=lambda f: f["end_month"].astype(str))
    catalog_file = tmp_path / "episodes.csv"
    catalog.drop(columns=["region_id"]).to_csv(catalog_file, index=False)
    return events_file, catalog_file


def test_json_carries_episodes_effects_placebo_and_data(files: tuple[Path, Path], tmp_path: Path) -> None:
    events_file, catalog_file = files
    out = tmp_path / "study"
    result = runner.invoke(app, ["study", "-e", str(events_file), "--format", "canonical", "--episodes",
                                 str(catalog_file), "--placebo", "4", "--json", "--out", str(out)])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert {e["episode_id"] for e in doc["episodes"] if e["used"]} == {
        "mli-gao", "mli-kidal", "mli-tombouctou", "mli-mopti"}
    first = next(e for e in doc["effects"] if e["attack_type"] == "bombing" and e["phase"] == "after_1_6")
    assert first["ci_low"] <= 3.0 <= first["ci_high"] and first["n_events"] > 0
    assert set(first) >= {"rate_ratio", "ci_low", "ci_high", "p_value", "n_events", "method"}
    placebo = [p for p in doc["placebo"] if p["attack_type"] == "bombing"]
    assert len(placebo) == 5 and all(p["draws"] == 4 for p in placebo)
    assert doc["data"]["events"] == len(pd.read_csv(events_file))
    assert json.loads((out / "study.json").read_text())["effects"] == doc["effects"]
    for name in ("effects.csv", "placebo.csv", "shares.csv", "episodes.csv", "timeline.csv",
                 "timeline.png", "effects.png", "study.md"):
        assert (out / name).stat().st_size > 0, name
    assert "| bombing | after_1_6 |" in (out / "study.md").read_text()


def test_missing_file_and_bad_catalog_are_one_line_errors(files: tuple[Path, Path], tmp_path: Path) -> None:
    events_file, _ = files
    missing = runner.invoke(app, ["study", "-e", str(tmp_path / "nope.csv")])
    assert missing.exit_code == 2 and "not found" in missing.output
    bad = tmp_path / "bad.csv"
    bad.write_text("episode_id,country\nx,MLI\n")
    result = runner.invoke(app, ["study", "-e", str(events_file), "--episodes", str(bad)])
    assert result.exit_code == 2 and "lacks columns" in result.output
    assert "Traceback" not in result.output


@pytest.mark.skipif(not ACLED.is_file(), reason="shared ACLED extract not available")
def test_acled_uses_the_four_northern_mali_episodes() -> None:
    result = runner.invoke(app, ["study", "-e", str(ACLED), "--placebo", "0", "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    used = {e["episode_id"] for e in doc["episodes"] if e["used"]}
    assert used == {"mli-2012-tombouctou", "mli-2012-gao", "mli-2012-kidal", "mli-2012-mopti-douentza"}
    suicide = next(e for e in doc["effects"]
                   if e["attack_type"] == "suicide_attack" and e["phase"] == "after_1_6")
    assert suicide["n_events"] >= 8 and suicide["rate_ratio"] is None and suicide["ci_low"] > 2
    moz = next(e for e in doc["episodes"] if e["episode_id"] == "moz-2020-cabo-delgado-mocimboa")
    assert not moz["used"] and "after the end" in moz["reason"]


@pytest.mark.skipif(not ACLED.is_file(), reason="shared ACLED extract not available")
def test_acled_northern_mali_targets_shift_toward_international_forces() -> None:
    result = runner.invoke(app, ["study", "-e", str(ACLED), "--placebo", "0", "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert doc["data"]["target_classes"] == "events"
    shares = {s["target_class"]: s for s in doc["target_shares"]}
    # MINUSMA, Serval/Barkhane and foreigners: under a tenth of the events up to the end, over a
    # third after it
    international = shares["international"]
    assert international["share_before"] < 0.15 and international["share_after"] > 0.3
    assert international["ci_low"] > 0.1
    assert sum(s["share_after"] for s in shares.values()) == pytest.approx(1.0)
    for episode in (e for e in doc["episodes"] if e["used"]):
        for phase, classes in episode["counts_by_target"].items():
            assert sum(classes.values()) == episode["counts"][phase]["all"], (episode["episode_id"], phase)


@pytest.mark.skipif(not UCDP.is_file(), reason="shared UCDP extract not available")
def test_ucdp_uses_mosul_marawi_and_more() -> None:
    result = runner.invoke(app, ["study", "-e", str(UCDP), "--placebo", "0", "--json"])
    assert result.exit_code == 0, result.output
    used = {e["episode_id"] for e in json.loads(result.output)["episodes"] if e["used"]}
    assert {"irq-2014-ninawa-mosul", "phl-2017-lanao-del-sur-marawi"} <= used
    assert len(used - {"irq-2014-ninawa-mosul", "phl-2017-lanao-del-sur-marawi"}) >= 3


def test_target_classes_reach_the_json_the_files_and_the_report(tmp_path: Path) -> None:
    events = target_events(seed=5)
    events_file = tmp_path / "events.csv"
    events.assign(date=events["date"].dt.strftime("%Y-%m-%d")).to_csv(events_file, index=False)
    catalog_file = tmp_path / "episodes.csv"
    _catalog().assign(start_month=lambda f: f["start_month"].astype(str),
                      end_month=lambda f: f["end_month"].astype(str)).drop(columns=["region_id"]).to_csv(
        catalog_file, index=False)
    out = tmp_path / "study"
    result = runner.invoke(app, ["study", "-e", str(events_file), "--format", "canonical", "--episodes",
                                 str(catalog_file), "--placebo", "0", "--json", "--out", str(out)])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    civilians = next(s for s in doc["target_shares"] if s["target_class"] == "civilians")
    assert civilians["ci_low"] <= 0.4 <= civilians["ci_high"] and civilians["ci_low"] > 0.2
    gao = next(e for e in doc["episodes"] if e["episode_id"] == "mli-gao")
    assert set(gao["counts_by_target"]) == set(gao["counts"])
    assert all(sum(c.values()) == gao["counts"][p]["all"] for p, c in gao["counts_by_target"].items())
    shares = pd.read_csv(out / "target_shares.csv")
    assert list(shares["target_class"]) == list(TARGET_CLASSES)
    assert shares.set_index("target_class").loc["civilians", "shift"] == pytest.approx(civilians["shift"])
    pooled = pd.read_csv(out / "target_counts.csv").set_index("phase")
    assert int(pooled.loc["before"].sum()) == sum(
        e["counts_by_target"]["before"][k] for e in doc["episodes"] if e["used"] for k in TARGET_CLASSES)
    timeline = pd.read_csv(out / "target_timeline.csv")
    by_type = pd.read_csv(out / "timeline.csv")
    assert int(timeline[list(TARGET_CLASSES)].to_numpy().sum()) == int(by_type["all"].sum())
    assert (out / "target_timeline.png").stat().st_size > 0
    report = (out / "study.md").read_text()
    assert "## Target classes" in report and "| civilians | 0.308 |" in report
    human = runner.invoke(app, ["study", "-e", str(events_file), "--format", "canonical", "--episodes",
                                str(catalog_file), "--placebo", "0"])
    assert human.exit_code == 0 and "target civilians" in human.output
