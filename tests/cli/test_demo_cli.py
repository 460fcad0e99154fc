"""`threatcast demo` and the demo job's steps, on real temporary folders."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from cli import app
from cli.jobs import demo as demo_job
from cli.jobs.demo import (
    DEFAULT_STEPS,
    SUMMARY_FILE,
    DemoContext,
    DemoStepError,
    generate_step,
    ingest_step,
    panel_step,
    run_demo,
    summary_step,
)
from models.episodes import load_catalog
from training.ingest import load_events

runner = CliRunner()


@pytest.fixture(scope="module", autouse=True)
def small_demo_training() -> Iterator[None]:
    """The demo's train step on one origin and two horizons, so these tests stay quick."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(demo_job, "DEMO_ORIGINS", 1)
        patch.setattr(demo_job, "DEMO_HORIZON", 2)
        patch.delenv("MLFLOW_TRACKING_URI", raising=False)
        patch.delenv("MLFLOW_REGISTRY_URI", raising=False)
        yield


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, object]]:
    data_dir = tmp_path_factory.mktemp("demo")
    result = runner.invoke(app, ["demo", "--data-dir", str(data_dir), "--no-serve", "--json"])
    assert result.exit_code == 0, result.output
    return data_dir, json.loads(result.stdout)


def test_demo_json_summary_holds_the_figures(demo_run: tuple[Path, dict[str, object]]) -> None:
    _, summary = demo_run
    assert summary["synthetic"] is True
    assert summary["seed"] == 7
    assert summary["regions"] == 30
    assert summary["months"] == 180
    assert (summary["first_month"], summary["last_month"]) == ("2004-01", "2018-12")
    assert summary["rows_read"] == summary["accepted"] == summary["events"]
    assert summary["rejected"] == 0
    assert summary["panel_rows"] == 30 * 180 * 11
    by_type = summary["events_by_type"]
    assert isinstance(by_type, dict) and sum(by_type.values()) == summary["events"]
    assert len(summary["episodes"]) == 5  # type: ignore[arg-type]
    shift = summary["post_occupation_shift"]
    assert isinstance(shift, dict)
    assert shift["types"] == ["kidnapping", "bombing", "suicide_attack"]
    assert shift["after_share"] > 2 * shift["during_share"]
    assert set(summary["timings"]) == {"generate", "ingest", "panel", "summary", "train"}  # type: ignore[arg-type]


def test_demo_writes_the_synthetic_data_and_ingest_outputs(demo_run: tuple[Path, dict[str, object]]) -> None:
    data_dir, summary = demo_run
    raw = pd.read_parquet(data_dir / "synthetic" / "events.parquet")
    assert (data_dir / "synthetic" / "README.txt").read_text(encoding="utf-8").startswith("SYNTHETIC")
    assert raw["event_id"].str.startswith("demo:").all()
    events = load_events(data_dir)  # the canonical events a later `train --data-dir` reads
    assert len(events) == summary["events"]
    assert set(events["source"]) == {"demo"}
    catalog = load_catalog(data_dir / "synthetic" / "episodes.csv")
    assert set(catalog["source"]) == {"demo"}
    assert [e["episode_id"] for e in summary["episodes"]] == list(catalog["episode_id"])  # type: ignore[attr-defined]
    stored = json.loads((data_dir / SUMMARY_FILE).read_text(encoding="utf-8"))
    assert stored["events"] == summary["events"]
    ingest_summary = json.loads((data_dir / "ingest_summary.json").read_text(encoding="utf-8"))
    assert ingest_summary["accepted"] == summary["events"]


def test_demo_prints_a_readable_synthetic_summary(tmp_path: Path) -> None:
    result = runner.invoke(app, ["demo", "--data-dir", str(tmp_path / "d"), "--no-serve", "--seed", "3"])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.count("SYNTHETIC") >= 4
    assert "30 regions in BFA, IRQ, MLI, NER, NGA, SOM" in out
    assert "post-occupation shift: share of kidnapping + bombing + suicide_attack" in out
    assert "territory_seizure" in out
    assert "steps: generate" in out


def test_demo_into_an_unwritable_place_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder", encoding="utf-8")
    result = runner.invoke(app, ["demo", "--data-dir", str(blocker / "sub"), "--no-serve"])
    assert result.exit_code == 2
    assert "error: cannot write the demo data" in result.output
    assert "Traceback" not in result.output
    negative = runner.invoke(app, ["demo", "--seed", "-1", "--data-dir", str(tmp_path / "x")])
    assert negative.exit_code == 2


def test_steps_share_one_context_and_can_be_extended(tmp_path: Path) -> None:
    seen: list[str] = []
    ctx = DemoContext(data_dir=tmp_path / "ctx", seed=5, serve=False, log=seen.append)

    def extra_step(context: DemoContext) -> None:
        assert context.panel is not None
        context.extras["cutoff"] = str(context.panel.cutoff)

    run_demo(ctx, [*DEFAULT_STEPS, ("extra", extra_step)])
    assert ctx.extras["cutoff"] == "2018-12"
    assert list(ctx.timings) == ["generate", "ingest", "panel", "summary", "train", "extra"]
    # the gate may keep v1 as challenger (then the best baseline is registered as the champion)
    assert ctx.extras["training"]["alias"] in {"champion", "challenger"}
    assert ctx.extras["training"]["version"] == "1"
    assert (ctx.data_dir / "mlflow" / "mlflow.db").is_file()
    assert ctx.summary["seed"] == 5
    assert any("SYNTHETIC" in line for line in seen)
    assert ctx.demo is not None and ctx.ingested is not None
    assert len(ctx.ingested.events) == len(ctx.demo.events)


@pytest.mark.parametrize("step", [ingest_step, panel_step, summary_step])
def test_a_step_out_of_order_says_what_it_needs(tmp_path: Path, step: object) -> None:
    with pytest.raises(DemoStepError, match="needs the"):
        step(DemoContext(data_dir=tmp_path))  # type: ignore[operator]
    assert generate_step in [s for _, s in DEFAULT_STEPS]
