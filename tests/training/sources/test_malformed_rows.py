"""Malformed CSV rows are rejected one by one; any bytes are read without a traceback."""

from __future__ import annotations

import gzip
import json
import os
import random
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from training.ingest import ingest
from training.sources import SourceFormatError, files, read_source
from training.sources.errors import printable

HEADER = ("event_id_cnty,event_date,time_precision,sub_event_type,actor1,inter1,actor2,inter2,"
          "country,admin1,latitude,longitude,fatalities")
WIDTH = HEADER.count(",") + 1


def _row(i: int) -> str:
    return f"MLI{i},2015-01-{i % 28 + 1:02d},1,Attack,JNIM,2,Civilians,7,Mali,Gao,16.2,-0.04,{i % 3}"


def _lines(count: int) -> list[str]:
    return [HEADER] + [_row(i) for i in range(1, count + 1)]


def test_one_long_row_in_a_large_file_costs_one_row(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lines = _lines(50_000)
    lines[12_345] += ",surplus"  # data row 12,345 has one field too many
    lines[40_000] = lines[40_000].rsplit(",", 2)[0]  # data row 40,000 two too few
    path = tmp_path / "acled.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    monkeypatch.setattr(files, "CHUNK_ROWS", 7_000)
    result = read_source(path)
    assert result.rows_read == 50_000
    assert len(result.events) == 49_998 and len(result.rejects) == 2
    rejects = result.rejects
    assert list(rejects["row_number"]) == [12_345, 40_000]
    assert set(rejects["reason"]) == {"malformed_row"}
    assert list(rejects["detail"]) == [f"expected {WIDTH} fields, got {WIDTH + 1}",
                                       f"expected {WIDTH} fields, got {WIDTH - 2}"]
    assert json.loads(rejects["raw"].iloc[0])[-1] == "surplus"
    assert json.loads(rejects["raw"].iloc[0])[0] == "MLI12345"
    rows = list(result.accepted_rows)
    assert rows[12_343:12_345] == [12_344, 12_346]  # numbering skips the malformed row, no shift
    assert rows[-1] == 50_000
    assert set(result.events["event_id"]) >= {"acled:MLI12346", "acled:MLI50000"}


def test_duplicates_after_a_malformed_row_name_the_right_rows(tmp_path: Path) -> None:
    lines = _lines(10)
    lines[3] += ",x"
    lines.append(_row(5))  # row 11 repeats the id of row 5
    path = tmp_path / "dup.csv"
    path.write_text("\n".join(lines), encoding="utf-8")
    rejects = read_source(path).rejects
    assert list(zip(rejects["row_number"], rejects["reason"], strict=True)) == [
        (3, "malformed_row"), (11, "duplicate_id")]
    assert "from row 5 of this file" in rejects["detail"].iloc[1]


@pytest.mark.parametrize("newline", ["\r", "\r\n"])
def test_bare_cr_and_crlf_line_ends_read_like_lf(tmp_path: Path, fixtures: Path, newline: str) -> None:
    text = (fixtures / "acled_hdx.csv").read_text(encoding="utf-8")
    path = tmp_path / "cr.csv"
    path.write_bytes(text.replace("\n", newline).encode())
    lf, other = read_source(fixtures / "acled_hdx.csv"), read_source(path)
    assert other.rows_read == lf.rows_read == 20
    assert list(other.events["event_id"]) == list(lf.events["event_id"])
    assert list(other.rejects["reason"]) == list(lf.rejects["reason"])


def test_bare_cr_file_with_a_malformed_row(tmp_path: Path) -> None:
    lines = _lines(6)
    lines[2] += ",x,y"
    path = tmp_path / "cr.csv"
    path.write_bytes("\r".join(lines).encode())
    result = read_source(path)
    assert (result.rows_read, len(result.events)) == (6, 5)
    assert list(result.rejects["row_number"]) == [2]


def test_quoted_newlines_and_latin1_in_the_tolerant_reader(tmp_path: Path) -> None:
    lines = _lines(4)
    lines[1] = lines[1].replace("JNIM", '"JNIM\nsplinter"')
    lines[2] = lines[2].replace("Gao", "Ségou") + ",extra"
    lines[3] = lines[3].replace("Gao", "Ségou")
    path = tmp_path / "latin.csv"
    path.write_bytes("\n".join(lines).encode("latin-1"))
    result = read_source(path)
    assert (result.rows_read, len(result.events)) == (4, 3)
    assert list(result.rejects["row_number"]) == [2]
    assert "Ségou" in set(result.events["admin1"])
    assert json.loads(result.rejects["raw"].iloc[0])[9] == "Ségou"


def test_random_bytes_in_the_middle_never_raise(tmp_path: Path) -> None:
    noise = random.Random(7).randbytes(40_000)
    good = "\n".join(_lines(3_000)).encode() + b"\n"
    path = tmp_path / "noisy.csv.gz"
    path.write_bytes(gzip.compress(good + noise + b"\n" + _row(9_999).encode() + b"\n"))
    result = ingest([path])
    summary = result.summary
    assert summary["rows_read"] == summary["accepted"] + summary["rejected"]
    assert summary["accepted"] >= 3_000  # the good rows before (and the row after) the noise
    assert summary["rejected_by_reason"].get("malformed_row", 0) >= 1
    assert "acled:MLI9999" in set(result.events["event_id"])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.binary(max_size=3_000))
def test_any_bytes_after_a_header_read_or_refused_cleanly(tmp_path: Path, body: bytes) -> None:
    path = tmp_path / "fuzz.csv"
    path.write_bytes(HEADER.encode() + b"\n" + _row(1).encode() + b"\n" + body)
    try:
        result = read_source(path)
    except SourceFormatError as exc:
        assert str(exc).isprintable()
        return
    assert result.rows_read == len(result.events) + len(result.rejects) >= 1
    reasons = set(result.rejects["reason"])
    assert reasons <= {"malformed_row", "missing_id", "unparseable_date", "missing_date", "duplicate_id",
                       "unmapped_event_type", "filtered_perpetrator", "not_threat_event", "unknown_country",
                       "missing_admin1", "unparseable_coordinate", "coordinate_out_of_range",
                       "unparseable_fatalities", "negative_fatalities", "hxl_tag_row"}


def test_a_binary_file_is_refused_in_one_printable_line(tmp_path: Path) -> None:
    path = tmp_path / "random.csv"
    path.write_bytes(random.Random(3).randbytes(5_000))
    with pytest.raises(SourceFormatError, match="holds binary data, not CSV text") as caught:
        ingest([path])
    assert str(caught.value).isprintable()


def test_a_zip_archive_is_named_and_its_bytes_not_printed(tmp_path: Path, fixtures: Path) -> None:
    path = tmp_path / "acled.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("acled.csv", (fixtures / "acled_hdx.csv").read_text(encoding="utf-8"))
    with pytest.raises(SourceFormatError) as caught:
        ingest([path])
    message = str(caught.value)
    assert "is a zip archive; extract the event file first" in message
    assert message.isprintable() and "PK" not in message


def test_directory_and_missing_file_are_told_apart(tmp_path: Path) -> None:
    (tmp_path / "folder.csv").mkdir()
    with pytest.raises(SourceFormatError, match=r"folder\.csv: is a directory, not an event file"):
        ingest([tmp_path / "folder.csv"])
    with pytest.raises(SourceFormatError, match=r"nope\.csv: no such file"):
        ingest([tmp_path / "nope.csv"])


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every file")
def test_unreadable_file_says_permission(tmp_path: Path, fixtures: Path) -> None:
    path = tmp_path / "locked.csv"
    path.write_bytes((fixtures / "acled_hdx.csv").read_bytes())
    path.chmod(0)
    with pytest.raises(SourceFormatError, match="cannot be opened: Permission denied"):
        ingest([path])


def test_an_unknown_header_is_quoted_printably(tmp_path: Path) -> None:
    path = tmp_path / "odd.csv"
    path.write_bytes(b"price\x1b[31m,\x07volume\nx,y\n")
    with pytest.raises(SourceFormatError, match="not a known event format") as caught:
        ingest([path])
    message = str(caught.value)
    assert "\x1b" not in message and "\\x1b[31m" in message and "\\x07volume" in message


def test_printable_escapes_and_cuts() -> None:
    assert printable("a\x00b\u2028c\U0001f600") == "a\\x00b\\u2028c\U0001f600"
    assert printable("x" * 50, limit=10) == "xxxxxxx..."
