"""Row triage: raw JSON of rejected rows, duplicate ids across chunks, row numbering."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from training.sources import files, read_source
from training.sources.rawjson import raw_json


def test_raw_json_escapes_quotes_backslashes_and_control_characters() -> None:
    values = ['plain', 'say "hi"', "back\\slash / slash", "line\nbreak\ttab\r", "bell\x07", "é ✓ \u2028"]
    frame = pd.DataFrame({"note": pd.Series(values, dtype="str"), "id": [str(i) for i in range(6)]})
    rows = raw_json(frame, np.arange(6))
    assert [json.loads(r) for r in rows] == [{"note": v, "id": str(i)} for i, v in enumerate(values)]
    assert json.loads(rows[2])["note"] == "back\\slash / slash"


def test_raw_json_of_typed_columns_falls_back_to_pandas() -> None:
    frame = pd.DataFrame({"n": [1, 2], "when": pd.to_datetime(["2020-01-02", "2021-03-04"]),
                          "path": ["a/b", None]})
    rows = raw_json(frame, np.array([1, 0]))
    assert json.loads(rows[0]) == {"n": 2, "when": "2021-03-04T00:00:00.000", "path": None}
    assert json.loads(rows[1])["path"] == "a/b"


def test_raw_json_of_no_rows_is_empty() -> None:
    assert list(raw_json(pd.DataFrame({"a": ["x"]}), np.array([], dtype=int))) == []


def _acled_rows(count: int, duplicate_every: int) -> str:
    header = ("event_id_cnty,event_date,time_precision,sub_event_type,actor1,inter1,actor2,inter2,"
              "country,admin1,latitude,longitude,fatalities\n")
    lines = []
    for i in range(count):
        ident = "MLI0" if i and i % duplicate_every == 0 else f"MLI{i}"
        day = f"2015-01-{i % 28 + 1:02d}"
        lines.append(f"{ident},{day},1,Attack,JNIM,2,Civilians,7,Mali,Gao,16.2,-0.04,{i % 3}\n")
    return header + "".join(lines)


def test_duplicates_across_chunks_and_row_numbers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "acled.csv"
    path.write_text(_acled_rows(3000, 500), encoding="utf-8")
    whole = read_source(path)
    monkeypatch.setattr(files, "BLOCK_BYTES", 4096)
    monkeypatch.setattr(files, "CHUNK_ROWS", 200)
    assert len(list(files.iter_tables(path))) > 5
    chunked = read_source(path)
    for result in (whole, chunked):
        assert result.rows_read == 3000
        assert len(result.events) == 2995
        assert list(result.rejects["row_number"]) == [501, 1001, 1501, 2001, 2501]
        assert set(result.rejects["reason"]) == {"duplicate_id"}
        assert list(result.accepted_rows[:3]) == [1, 2, 3]
    pd.testing.assert_frame_equal(whole.events, chunked.events)
    assert chunked.rejects["detail"].iloc[-1] == (
        f"event_id 'acled:MLI0' already accepted from {path} row 1")


def test_latin1_byte_after_the_first_chunk_restarts_the_read(tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    text = _acled_rows(2000, 10_000).rsplit("Gao", 1)
    path = tmp_path / "late_latin1.csv"
    path.write_bytes((text[0] + "Ségou" + text[1]).encode("latin-1"))
    monkeypatch.setattr(files, "BLOCK_BYTES", 4096)
    monkeypatch.setattr(files, "CHUNK_ROWS", 200)
    result = read_source(path)
    assert (result.rows_read, len(result.events), len(result.rejects)) == (2000, 2000, 0)
    assert result.events["admin1"].iloc[-1] == "Ségou"
    assert result.events["region_id"].iloc[-1] == "MLI.segou"
