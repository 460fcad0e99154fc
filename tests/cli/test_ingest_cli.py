"""`threatcast ingest` through the real command line app."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from cli import app


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_json_output_is_one_object_with_the_figures(
        fixtures: Path, runner: CliRunner, tmp_path: Path) -> None:
    data = tmp_path / "data"
    result = runner.invoke(app, ["ingest", str(fixtures / "acled_hdx.csv"), str(fixtures / "ucdp_ged.csv"),
                                 "--data-dir", str(data), "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert (payload["rows_read"], payload["accepted"], payload["rejected"]) == (28, 10, 18)
    assert payload["rejected_by_reason"]["filtered_perpetrator"] == 3
    assert payload["by_attack_type"]["armed_clash"] == 4
    assert payload["by_country"] == {"MLI": 6, "IRQ": 2, "NGA": 1, "PHL": 1}
    assert (payload["first_date"], payload["last_date"]) == ("2012-04-01", "2017-06-01")
    assert payload["outputs"]["events"] == str(data / "events.parquet")
    events = pd.read_parquet(data / "events.parquet")
    rejects = pd.read_csv(data / "rejected.csv")
    assert (len(events), len(rejects)) == (10, 18)


def test_human_summary(fixtures: Path, runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(app, ["ingest", str(fixtures / "gtd_start.csv"), "--data-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "rows read 8" in result.stdout and "accepted 5" in result.stdout
    assert "suicide_attack" in result.stdout and "unmapped_event_type" in result.stdout
    assert (tmp_path / "events.parquet").is_file()


def test_no_perpetrator_filter_flag(fixtures: Path, runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(app, ["ingest", str(fixtures / "acled_hdx.csv"), "--data-dir", str(tmp_path),
                                 "--no-perpetrator-filter", "--json"])
    payload = json.loads(result.stdout)
    assert payload["accepted"] == 8 and payload["perpetrator_filter"] is False


def test_data_dir_from_environment(fixtures: Path, runner: CliRunner, tmp_path: Path) -> None:
    target = tmp_path / "from-env"
    result = runner.invoke(app, ["ingest", str(fixtures / "canonical_events.csv"), "--json"],
                           env={"THREATCAST_DATA_DIR": str(target)})
    assert result.exit_code == 0, result.output
    assert (target / "events.parquet").is_file() and (target / "rejected.csv").is_file()


def test_format_override(fixtures: Path, runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(app, ["ingest", str(fixtures / "acled_hdx.csv"), "--format", "ucdp",
                                 "--data-dir", str(tmp_path)])
    assert result.exit_code == 2
    assert "requested format 'ucdp'" in result.stderr and "type_of_violence" in result.stderr


@pytest.mark.parametrize(("args", "message"), [
    (["unknown_format.csv"], "not a known event format"),
    (["acled_missing_columns.csv"], "detected format 'acled' but the file lacks required columns: inter1"),
    (["does_not_exist.csv"], "no such file"),
    (["acled_hdx.csv", "--format", "xml"], "unknown format 'xml'"),
])
def test_bad_input_exits_2_with_a_message_and_no_traceback(fixtures: Path,
        runner: CliRunner, tmp_path: Path, args: list[str], message: str) -> None:
    argv = ["ingest", str(fixtures / args[0]), *args[1:], "--data-dir", str(tmp_path)]
    result = runner.invoke(app, argv)
    assert result.exit_code == 2
    assert message in result.stderr.replace("\n", " ")
    assert "Traceback" not in result.output
    assert not (tmp_path / "events.parquet").exists()


def test_unwritable_data_dir(fixtures: Path, runner: CliRunner, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    result = runner.invoke(app, ["ingest", str(fixtures / "gtd_start.csv"), "--data-dir", str(blocker / "d")])
    assert result.exit_code == 2
    assert "cannot write" in result.stderr
