"""Format detection, the format override and the one error for unreadable inputs."""

from __future__ import annotations

import gzip
from pathlib import Path

import pandas as pd
import pytest

from training.sources import SourceFormatError, detect_format, read_source


@pytest.mark.parametrize(("name", "expected"), [
    ("acled_hdx.csv", "acled"), ("acled_current.csv", "acled"), ("ucdp_ged.csv", "ucdp"),
    ("gtd_start.csv", "gtd"), ("canonical_events.csv", "canonical"), ("unknown_format.csv", None),
])
def test_detect_format_from_header(fixtures: Path, name: str, expected: str | None) -> None:
    header = pd.read_csv(fixtures / name, nrows=0).columns
    assert detect_format(header) == expected


def test_detection_ignores_case_spaces_and_bom(tmp_path: Path, fixtures: Path) -> None:
    text = (fixtures / "ucdp_ged.csv").read_text(encoding="utf-8")
    header, rest = text.split("\n", 1)
    path = tmp_path / "ged.csv"
    shouty = ", ".join(h.upper() for h in header.split(","))
    path.write_text("\ufeff" + shouty + "\n" + rest, encoding="utf-8")
    result = read_source(path)
    assert result.format == "ucdp" and len(result.events) == 4


def test_gzip_input(tmp_path: Path, fixtures: Path) -> None:
    path = tmp_path / "acled.csv.gz"
    path.write_bytes(gzip.compress((fixtures / "acled_hdx.csv").read_bytes()))
    result = read_source(path)
    assert (result.format, result.rows_read, len(result.events)) == ("acled", 20, 6)


def test_unknown_format_error_names_the_header(fixtures: Path) -> None:
    with pytest.raises(SourceFormatError) as caught:
        read_source(fixtures / "unknown_format.csv")
    assert caught.value.detected is None
    assert "not a known event format" in str(caught.value) and "price" in str(caught.value)


def test_missing_required_columns_named_with_the_detected_format(fixtures: Path) -> None:
    with pytest.raises(SourceFormatError) as caught:
        read_source(fixtures / "acled_missing_columns.csv")
    assert caught.value.detected == "acled"
    assert caught.value.missing == ("inter1", "admin1", "fatalities")
    assert "detected format 'acled'" in str(caught.value)


def test_forced_format_that_does_not_fit_says_requested(fixtures: Path) -> None:
    with pytest.raises(SourceFormatError, match=r"requested format 'gtd' .*eventid"):
        read_source(fixtures / "acled_hdx.csv", fmt="gtd")


def test_forced_format_overrides_detection(fixtures: Path, tmp_path: Path) -> None:
    # a canonical file that also carries an ACLED-looking column is still read as canonical when asked
    frame = pd.read_csv(fixtures / "canonical_events.csv", dtype=str, keep_default_na=False)
    frame["sub_event_type"] = "Attack"
    frame["event_date"] = frame["date"]
    frame["event_id_cnty"] = frame["event_id"]
    path = tmp_path / "mixed.csv"
    frame.to_csv(path, index=False)
    assert read_source(path, fmt="canonical").format == "canonical"


def test_unknown_format_name_is_rejected(fixtures: Path) -> None:
    with pytest.raises(SourceFormatError, match="unknown format 'xml'"):
        read_source(fixtures / "acled_hdx.csv", fmt="xml")


@pytest.mark.parametrize(("content", "message"), [
    (b"", "empty"),
    (b"\n\n", "empty"),
    (b"\x00\x01\x02binary\x00" * 40, "holds binary data, not CSV text"),
])
def test_unreadable_csv(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(SourceFormatError, match=message):
        read_source(path)


def test_missing_file_and_corrupt_workbook(tmp_path: Path) -> None:
    with pytest.raises(SourceFormatError, match="no such file"):
        read_source(tmp_path / "nope.csv")
    book = tmp_path / "broken.xlsx"
    book.write_bytes(b"not a zip archive")
    with pytest.raises(SourceFormatError, match="cannot read the file as excel"):
        read_source(book)


def test_header_only_file_reads_zero_rows(tmp_path: Path, fixtures: Path) -> None:
    header = (fixtures / "acled_hdx.csv").read_text(encoding="utf-8").split("\n", 1)[0]
    path = tmp_path / "header_only.csv"
    path.write_text(header + "\n", encoding="utf-8")
    result = read_source(path)
    assert (result.rows_read, len(result.events), len(result.rejects)) == (0, 0, 0)
