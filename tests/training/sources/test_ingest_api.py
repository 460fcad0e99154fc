"""training.ingest: several files at once, the summary, writing and loading the data directory."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pandera.errors
import pytest

from models.schema import REJECT_COLUMNS
from models.taxonomy import TAXONOMY_VERSION
from training.ingest import EmptyIngestError, ingest, load_events, write_ingest
from training.sources import SourceFormatError


def test_multi_source_ingest_reconciles_and_summarises(fixtures: Path) -> None:
    paths = [fixtures / "acled_hdx.csv", fixtures / "ucdp_ged.csv", fixtures / "gtd_start.csv",
             fixtures / "canonical_events.csv"]
    result = ingest(paths)
    summary = result.summary
    assert (summary["rows_read"], summary["accepted"], summary["rejected"]) == (42, 18, 24)
    assert summary["by_source"] == {
        "acled": {"rows_read": 20, "accepted": 6, "rejected": 14},
        "ucdp": {"rows_read": 8, "accepted": 4, "rejected": 4},
        "gtd": {"rows_read": 8, "accepted": 5, "rejected": 3},
        "canonical": {"rows_read": 6, "accepted": 3, "rejected": 3},
    }
    assert summary["rejected_by_reason"]["filtered_perpetrator"] == 3
    assert summary["rejected_by_reason"]["unmapped_event_type"] == 4
    assert sum(summary["rejected_by_reason"].values()) == 24
    assert summary["by_attack_type"]["suicide_attack"] == 3
    assert summary["by_country"]["MLI"] == 8
    assert (summary["first_date"], summary["last_date"]) == ("2012-04-01", "2020-03-03")
    assert [f["format"] for f in summary["files"]] == ["acled", "ucdp", "gtd", "canonical"]
    assert result.events["date"].is_monotonic_increasing
    assert list(result.rejects.columns) == list(REJECT_COLUMNS)
    json.dumps(summary)


def test_same_file_twice_rejects_every_accepted_id_the_second_time(fixtures: Path) -> None:
    path = fixtures / "acled_hdx.csv"
    result = ingest([path, path])
    assert result.summary["accepted"] == 6
    second = result.rejects[result.rejects["reason"] == "duplicate_id"]
    assert len(second) == 8  # the in-file repeat of MLI8 in each copy, plus the 6 ids of the second copy
    assert f"event_id 'acled:MLI8' already accepted from {path} row 8" in set(second["detail"])


def test_in_memory_frames_and_empty_result(fixtures: Path) -> None:
    frame = pd.read_csv(fixtures / "canonical_events.csv", dtype=str, keep_default_na=False)
    result = ingest(frame.iloc[3:])
    assert result.summary["accepted"] == 0 and result.summary["rejected"] == 3
    assert result.summary["first_date"] is None and result.events.empty
    assert result.summary["files"][0]["path"] == "<frame 1>"


def test_write_then_load_round_trip(fixtures: Path, tmp_path: Path) -> None:
    result = ingest([fixtures / "acled_hdx.csv", fixtures / "gtd_start.csv"])
    outputs = write_ingest(result, tmp_path / "data")
    assert outputs.events == tmp_path / "data" / "events.parquet"
    loaded = load_events(tmp_path / "data")
    pd.testing.assert_frame_equal(loaded, result.events, check_dtype=False)
    rejects = pd.read_csv(outputs.rejects, dtype=str, keep_default_na=False)
    assert list(rejects.columns) == list(REJECT_COLUMNS) and len(rejects) == result.summary["rejected"]
    assert json.loads(rejects.loc[0, "raw"])["event_id_cnty"] == "MLI2"
    assert json.loads(outputs.summary.read_text())["accepted"] == result.summary["accepted"]


def test_load_events_failures(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="threatcast ingest"):
        load_events(tmp_path)
    bad = pd.DataFrame({"event_id": ["a"], "source": ["x"], "date": pd.to_datetime(["2020-01-01"]),
                        "date_precision": ["day"], "country": ["Mali"], "admin1": ["Gao"],
                        "region_id": ["MLI.gao"], "latitude": [1.0], "longitude": [1.0],
                        "attack_type": ["bombing"], "perpetrator": [""], "target": [""],
                        "fatalities": [1], "suicide": [False]})
    bad.to_parquet(tmp_path / "events.parquet")
    with pytest.raises(pandera.errors.SchemaError):
        load_events(tmp_path)


def test_a_bad_file_among_good_ones_stops_the_ingest(fixtures: Path) -> None:
    with pytest.raises(SourceFormatError, match=r"unknown_format\.csv"):
        ingest([fixtures / "acled_hdx.csv", fixtures / "unknown_format.csv"])


def test_nothing_rejected_and_nothing_accepted_both_write_readable_files(tmp_path: Path) -> None:
    good = pd.DataFrame({"event_id": ["a"], "date": ["2020-01-01"], "country": ["MLI"], "admin1": ["Gao"],
                         "attack_type": ["bombing"]})
    outputs = write_ingest(ingest(good), tmp_path / "all")
    assert pd.read_csv(outputs.rejects).empty
    assert len(load_events(tmp_path / "all")) == 1
    bad = good.assign(date=["someday"])
    result = ingest(bad)
    assert result.summary["taxonomy_version"] == TAXONOMY_VERSION
    with pytest.raises(EmptyIngestError, match="no event accepted"):
        write_ingest(result, tmp_path / "none")
    assert not (tmp_path / "none").exists()
    write_ingest(result, tmp_path / "none", allow_empty=True)
    assert load_events(tmp_path / "none").empty
