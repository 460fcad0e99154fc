"""UCDP GED reader on a hand-written fixture."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from training.sources import read_source
from training.sources.fields import strip_admin_suffix


def test_ged_rows_are_accepted_or_rejected_with_reasons(fixtures: Path) -> None:
    result = read_source(fixtures / "ucdp_ged.csv")
    assert result.format == "ucdp"
    assert result.rows_read == 8
    assert list(result.events["event_id"]) == ["ucdp:200001", "ucdp:200002", "ucdp:200004", "ucdp:200005"]
    reasons = dict(zip(result.rejects["row_number"], result.rejects["reason"], strict=True))
    assert reasons == {3: "filtered_perpetrator", 6: "missing_admin1", 7: "unmapped_event_type",
                       8: "coordinate_out_of_range"}


def test_ged_field_mapping_and_date_precision(fixtures: Path) -> None:
    events = read_source(fixtures / "ucdp_ged.csv").events.set_index("event_id")
    mosul = events.loc["ucdp:200001"]
    assert (mosul["region_id"], mosul["admin1"]) == ("IRQ.ninawa", "Nīnawá")
    assert mosul["attack_type"] == "armed_clash" and mosul["fatalities"] == 50
    assert (mosul["perpetrator"], mosul["target"]) == ("Government of Iraq", "IS")
    one_sided = events.loc["ucdp:200002"]
    assert one_sided["attack_type"] == "armed_assault" and one_sided["region_id"] == "IRQ.al-anbar"
    assert one_sided["date_precision"] == "week" and one_sided["date"] == pd.Timestamp("2016-02-03")
    marawi = events.loc["ucdp:200004"]
    assert marawi["region_id"] == "PHL.lanao-del-sur" and marawi["date_precision"] == "month"
    plateau = events.loc["ucdp:200005"]
    assert plateau["admin1"] == "Plateau" and plateau["date_precision"] == "year"
    assert plateau["date"] == pd.Timestamp("2014-01-01")


def test_government_one_sided_violence_is_kept_without_the_filter(fixtures: Path) -> None:
    result = read_source(fixtures / "ucdp_ged.csv", perpetrator_filter=False)
    events = result.events.set_index("event_id")
    assert events.loc["ucdp:200003", "region_id"] == "IRQ.baghdad"  # "Baghdad governorate"
    assert len(result.events) == 5


@pytest.mark.parametrize(("raw", "expected"), [
    ("Nineveh province", "Nineveh"), ("Al Anbar province", "Al Anbar"),
    ("Lanao del Sur province", "Lanao del Sur"), ("Borno state", "Borno"), ("Plateau STATE", "Plateau"),
    ("Tillaberi region", "Tillaberi"), ("Baghdad governorate", "Baghdad"), ("Dhaka division", "Dhaka"),
    ("Islamabad Capital territory", "Islamabad Capital territory"), ("Rivers State ", "Rivers"),
    ("Province", "Province"), ("", ""),
])
def test_admin1_suffix_stripping(raw: str, expected: str) -> None:
    assert strip_admin_suffix(pd.Series([raw], dtype="str")).iloc[0] == expected


def test_hxl_hashtag_row_of_hdx_exports_is_rejected_as_such(fixtures: Path, tmp_path: Path) -> None:
    header, rest = (fixtures / "ucdp_ged.csv").read_text(encoding="utf-8").split("\n", 1)
    tags = ["#event+code" if h == "id" else "" if h == "relid" else f"#{h}" for h in header.split(",")]
    path = tmp_path / "hdx.csv"
    path.write_text(header + "\n" + ",".join(tags) + "\n" + rest, encoding="utf-8")
    result = read_source(path)
    assert result.rows_read == 9 and len(result.events) == 4
    first = result.rejects.iloc[0]
    assert (first["row_number"], first["reason"]) == (1, "hxl_tag_row")
    assert list(result.rejects["row_number"]) == [1, 4, 7, 8, 9]
