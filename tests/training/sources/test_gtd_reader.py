"""GTD reader: START's CSV (UTF-8 and Latin-1) and XLSX layouts, unknown month/day, failures."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from training.sources import SourceFormatError, read_source

EXPECTED_IDS = ["gtd:201500000004", "gtd:201501010001", "gtd:201502150002", "gtd:201503000003",
                "gtd:201507010008"]


def _check(result) -> None:
    assert result.format == "gtd"
    assert result.rows_read == 8
    assert sorted(result.events["event_id"]) == EXPECTED_IDS
    reasons = dict(zip(result.rejects["row_number"], result.rejects["reason"], strict=True))
    assert reasons == {5: "missing_admin1", 6: "unmapped_event_type", 7: "unparseable_date"}
    events = result.events.set_index("event_id")
    assert events.loc["gtd:201502150002", "attack_type"] == "suicide_attack"
    assert bool(events.loc["gtd:201502150002", "suicide"])
    assert events.loc["gtd:201502150002", "region_id"] == "IRQ.nineveh"
    assert events.loc["gtd:201501010001", "attack_type"] == "bombing"
    assert events.loc["gtd:201501010001", "perpetrator"] == "Tehrik-i-Taliban Pakistan (TTP)"
    assert events.loc["gtd:201501010001", "target"] == "Military"
    month_only = events.loc["gtd:201503000003"]
    assert (month_only["date"], month_only["date_precision"]) == (pd.Timestamp("2015-03-01"), "month")
    assert month_only["attack_type"] == "kidnapping" and month_only["fatalities"] == 0
    year_only = events.loc["gtd:201500000004"]
    assert (year_only["date"], year_only["date_precision"]) == (pd.Timestamp("2015-01-01"), "year")
    assert year_only["fatalities"] == 12 and year_only["region_id"] == "NGA.borno"
    assert events.loc["gtd:201507010008", "attack_type"] == "other"


def test_gtd_csv(fixtures: Path) -> None:
    _check(read_source(fixtures / "gtd_start.csv"))


def test_gtd_csv_in_latin1(fixtures: Path, tmp_path: Path) -> None:
    text = (fixtures / "gtd_start.csv").read_text(encoding="utf-8")
    text = text.replace("Khyber Pakhtunkhwa", "Khyber Pakhtunkhwä")
    path = tmp_path / "gtd_latin1.csv"
    path.write_bytes(text.encode("latin-1"))
    result = read_source(path)
    _check(result)
    assert result.events.set_index("event_id").loc["gtd:201501010001", "admin1"] == "Khyber Pakhtunkhwä"


def test_gtd_xlsx_written_with_openpyxl(fixtures: Path, tmp_path: Path) -> None:
    table = pd.read_csv(fixtures / "gtd_start.csv", dtype=str, keep_default_na=False)
    numeric = table.copy()
    for column in ("eventid", "iyear", "imonth", "iday", "suicide"):
        numeric[column] = pd.to_numeric(numeric[column])
    numeric["nkill"] = pd.to_numeric(numeric["nkill"])  # floats with blanks, as START publishes
    path = tmp_path / "globalterrorismdb.xlsx"
    numeric.to_excel(path, index=False, engine="openpyxl")
    _check(read_source(path))


def test_gtd_without_attack_type_and_provstate_names_the_missing_columns(tmp_path: Path) -> None:
    path = tmp_path / "gtd_reduced.csv"
    path.write_text("iyear,imonth,iday,country_txt,nkill,nwound\n2015,1,1,Afghanistan,1.0,3.0\n")
    with pytest.raises(SourceFormatError) as caught:
        read_source(path)
    assert caught.value.detected == "gtd"
    assert caught.value.missing == ("eventid", "provstate", "attacktype1_txt")
    assert "gtd" in str(caught.value) and "provstate" in str(caught.value)
