"""`threatcast episodes`: listing the catalog and detecting candidates, through the real CLI."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli import app
from models.episodes import load_catalog

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
ACLED_FILE = DATA / "acled_hdx_2020_selected_to2018.csv.gz"
ACLED_HEADER = ["event_id_cnty", "event_date", "year", "time_precision", "event_type", "sub_event_type",
                "actor1", "inter1", "actor2", "inter2", "interaction", "country", "admin1", "latitude",
                "longitude", "fatalities"]
ACLED_ROWS = [
    ("MLI1", "2012-03-31", "Strategic developments", "Non-state actor overtakes territory",
     "MNLA: National Movement for the Liberation of Azawad", "2", "Gao"),
    ("MLI2", "2012-06-27", "Strategic developments", "Non-state actor overtakes territory",
     "MUJAO: Movement for Unity and Jihad in West Africa", "2", "Gao"),
    ("MLI3", "2013-01-26", "Strategic developments", "Government regains territory",
     "Military Forces of France (2012-2017)", "8", "Gao"),
    ("MLI4", "2012-09-01", "Strategic developments", "Non-state actor overtakes territory",
     "MUJAO: Movement for Unity and Jihad in West Africa", "2", "Mopti"),
    ("MLI5", "2013-01-10", "Strategic developments", "Government regains territory",
     "Military Forces of Mali (2012-2013)", "1", "Mopti"),
    ("MLI6", "2013-03-01", "Violence against civilians", "Attack",
     "MUJAO: Movement for Unity and Jihad in West Africa", "2", "Gao"),
    ("MLI7", "2012-04-02", "Protests", "Peaceful protest", "Protesters (Mali)", "6", "Bamako"),
]

runner = CliRunner()


def _acled(tmp_path: Path, rows: list[tuple[str, ...]] = ACLED_ROWS) -> Path:
    path = tmp_path / "acled_fixture.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(ACLED_HEADER)
        for eid, date, etype, sub, actor, inter, admin1 in rows:
            writer.writerow([eid, date, date[:4], "1", etype, sub, actor, inter, "Military Forces of Mali",
                             "1", inter + "1", "Mali", admin1, "16.27", "-0.04", "0"])
    return path


def test_lists_the_shipped_catalog_as_json() -> None:
    result = runner.invoke(app, ["episodes", "--json"])
    assert result.exit_code == 0, result.output
    records = json.loads(result.stdout)
    assert len(records) == len(load_catalog())
    first = records[0]
    assert first == {**first, "episode_id": "mli-2012-tombouctou", "country": "MLI", "admin1": "Tombouctou",
                     "start_month": "2012-04", "end_month": "2013-01", "region_id": "MLI.tombouctou",
                     "source": "catalog"}
    mosul = next(r for r in records if r["region_id"] == "IRQ.ninawa")
    assert (mosul["start_month"], mosul["end_month"]) == ("2014-06", "2017-07")


def test_lists_the_catalog_as_a_table() -> None:
    result = runner.invoke(app, ["episodes"])
    assert result.exit_code == 0, result.output
    assert "shipped catalog v1.1" in result.stdout
    for text in ("mli-2012-tombouctou", "Lanao del Sur", "2020-08", "al-Shabaab"):
        assert text in result.stdout


def test_lists_a_user_catalog_with_an_ongoing_episode(tmp_path: Path) -> None:
    path = tmp_path / "mine.csv"
    path.write_text("episode_id,country,admin1,start_month,end_month\nx,NER,Tillaberi,2019-05,\n",
                    encoding="utf-8")
    result = runner.invoke(app, ["episodes", "--catalog", str(path), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == [{
        "episode_id": "x", "country": "NER", "admin1": "Tillaberi", "start_month": "2019-05",
        "end_month": None, "groups": "", "note": "", "source": "user", "region_id": "NER.tillaberi"}]
    table = runner.invoke(app, ["episodes", "--catalog", str(path)])
    assert "ongoing" in table.stdout


def test_a_bad_user_catalog_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("episode_id,country,admin1,start_month,end_month\nx,NER,Tillaberi,2019-15,\n",
                    encoding="utf-8")
    result = runner.invoke(app, ["episodes", "--catalog", str(path)])
    assert result.exit_code == 2
    assert "line 2: start_month '2019-15' is not a month" in result.output
    assert "Traceback" not in result.output
    missing = runner.invoke(app, ["episodes", "--catalog", str(tmp_path / "none.csv")])
    assert missing.exit_code == 2
    assert "does not exist" in missing.output


def test_detect_needs_files_and_files_need_detect(tmp_path: Path) -> None:
    result = runner.invoke(app, ["episodes", "--detect"])
    assert result.exit_code == 2
    assert "--detect needs event files" in result.output
    stray = runner.invoke(app, ["episodes", "--events", str(_acled(tmp_path))])
    assert stray.exit_code == 2
    assert "only used with --detect" in stray.output
    fmt = runner.invoke(app, ["episodes", "--detect", "--events", str(_acled(tmp_path)), "--format", "xml"])
    assert fmt.exit_code == 2
    assert "unknown format 'xml'" in fmt.output


def test_detects_candidates_in_an_acled_file(tmp_path: Path) -> None:
    out = tmp_path / "candidates.csv"
    result = runner.invoke(app, ["episodes", "--detect", "--events", str(_acled(tmp_path)), "--json",
                                 "--out", str(out)])
    assert result.exit_code == 0, result.output
    records = json.loads(result.stdout)
    spans = [(r["episode_id"], r["start_month"], r["end_month"], r["catalog_match"]) for r in records]
    assert spans == [("det-mli-gao-2012-03", "2012-03", "2013-01", "mli-2012-gao"),
                     ("det-mli-mopti-2012-09", "2012-09", "2013-01", "mli-2012-mopti-douentza")]
    assert records[0]["groups"] == "MNLA; MUJAO"
    assert {r["source"] for r in records} == {"detected"}
    written = load_catalog(out)  # the candidates file is a valid user catalog
    assert list(written["episode_id"]) == ["det-mli-gao-2012-03", "det-mli-mopti-2012-09"]


def test_detect_takes_several_files_and_prints_a_table(tmp_path: Path) -> None:
    first = _acled(tmp_path, ACLED_ROWS[:3])
    (tmp_path / "second").mkdir()
    second = _acled(tmp_path / "second", ACLED_ROWS[3:5])
    result = runner.invoke(app, ["episodes", "--detect", "--events", str(first), str(second)])
    assert result.exit_code == 0, result.output
    assert "candidate episodes detected: 2" in result.stdout
    assert "det-mli-mopti-2012-09" in result.stdout


def test_detect_with_no_territorial_events_says_so(tmp_path: Path) -> None:
    result = runner.invoke(app, ["episodes", "--detect", "--events", str(_acled(tmp_path, ACLED_ROWS[5:]))])
    assert result.exit_code == 0, result.output
    assert "candidate episodes detected: 0" in result.stdout
    assert "only ACLED codes territorial control" in result.stdout


def test_detect_on_an_unknown_file_format_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "what.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    result = runner.invoke(app, ["episodes", "--detect", "--events", str(path)])
    assert result.exit_code == 2
    assert "error:" in result.output
    assert "Traceback" not in result.output


@pytest.mark.realdata
def test_detects_northern_mali_in_the_real_acled_file() -> None:
    if not ACLED_FILE.exists():
        pytest.skip("shared ACLED data absent")
    result = runner.invoke(app, ["episodes", "--detect", "--events", str(ACLED_FILE), "--json"])
    assert result.exit_code == 0, result.output
    records = json.loads(result.stdout)
    matched = {r["catalog_match"] for r in records if r["start_month"] < "2013-01" <= (r["end_month"] or "9")}
    assert {"mli-2012-gao", "mli-2012-kidal", "mli-2012-tombouctou", "mli-2012-mopti-douentza"} <= matched
