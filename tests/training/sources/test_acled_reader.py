"""ACLED reader on hand-written HDX-layout and current-export fixtures."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from training.sources import read_source


def _by_row(result) -> dict[int, str]:
    return dict(zip(result.rejects["row_number"], result.rejects["reason"], strict=True))


def test_hdx_layout_accepts_threat_events_and_rejects_each_row_with_its_reason(fixtures: Path) -> None:
    result = read_source(fixtures / "acled_hdx.csv")
    assert result.format == "acled"
    assert result.rows_read == 20
    assert list(result.events["event_id"]) == [
        "acled:MLI1", "acled:MLI3", "acled:MLI4", "acled:MLI5", "acled:MLI8", "acled:MLI20"]
    assert _by_row(result) == {
        2: "not_threat_event", 6: "filtered_perpetrator", 7: "not_threat_event",
        9: "filtered_perpetrator", 10: "unparseable_date", 11: "missing_date", 12: "unknown_country",
        13: "missing_admin1", 14: "unparseable_coordinate", 15: "coordinate_out_of_range",
        16: "negative_fatalities", 17: "unmapped_event_type", 18: "duplicate_id",
        19: "unparseable_fatalities",
    }
    assert len(result.events) + len(result.rejects) == result.rows_read


def test_hdx_layout_maps_fields(fixtures: Path) -> None:
    events = read_source(fixtures / "acled_hdx.csv").events.set_index("event_id")
    seizure = events.loc["acled:MLI1"]
    assert seizure["attack_type"] == "territory_seizure"
    assert seizure["region_id"] == "MLI.tombouctou"
    assert seizure["country"] == "MLI"
    assert seizure["date"] == pd.Timestamp("2012-04-01")
    assert seizure["latitude"] == 16.7735 and seizure["longitude"] == -3.0074
    suicide = events.loc["acled:MLI3"]
    assert suicide["attack_type"] == "suicide_attack" and bool(suicide["suicide"])
    assert suicide["fatalities"] == 1 and suicide["region_id"] == "MLI.gao"
    kidnap = events.loc["acled:MLI4"]
    assert kidnap["attack_type"] == "kidnapping" and kidnap["date_precision"] == "week"
    assert not kidnap["suicide"]
    ied = events.loc["acled:MLI20"]
    assert ied["region_id"] == "MLI.segou" and ied["admin1"] == "Ségou"
    assert pd.isna(ied["latitude"]) and pd.isna(ied["longitude"])


def test_clash_kept_for_its_second_actor_names_the_non_state_side_as_perpetrator(fixtures: Path) -> None:
    events = read_source(fixtures / "acled_hdx.csv").events.set_index("event_id")
    clash = events.loc["acled:MLI5"]
    assert clash["attack_type"] == "armed_clash"
    assert clash["perpetrator"].startswith("MNLA")
    assert clash["target"] == "Military Forces of Mali (2013-)"
    assert clash["fatalities"] == 36


def test_perpetrator_filter_off_keeps_state_events_with_month_precision(fixtures: Path) -> None:
    result = read_source(fixtures / "acled_hdx.csv", perpetrator_filter=False)
    events = result.events.set_index("event_id")
    assert {"acled:MLI6", "acled:MLI9"} <= set(events.index)
    assert len(result.events) == 8
    friendly = events.loc["acled:MLI6"]
    assert friendly["date_precision"] == "month"
    assert friendly["date"] == pd.Timestamp("2014-06-01")  # 2014-06-02 moved to the month's start
    assert friendly["perpetrator"] == "Military Forces of Mali (2013-)"
    assert "filtered_perpetrator" not in set(result.rejects["reason"])


def test_rejects_keep_the_raw_row_with_original_column_names(fixtures: Path) -> None:
    rejects = read_source(fixtures / "acled_hdx.csv").rejects.set_index("row_number")
    regain = json.loads(rejects.loc[2, "raw"])
    assert regain["sub_event_type"] == "Government regains territory"
    assert regain["admin1"] == "Tombouctou" and regain["event_id_cnty"] == "MLI2"
    assert rejects.loc[2, "detail"] == "sub_event_type 'Government regains territory' is not a threat event"
    assert rejects.loc[18, "detail"] == "event_id 'acled:MLI8' already accepted from row 8 of this file"
    assert rejects.loc[10, "detail"] == "event_date '2015-13-40' is not a date"
    assert set(rejects["source_file"]) == {str(fixtures / "acled_hdx.csv")}


def test_current_export_with_text_actor_types_and_numeric_iso(fixtures: Path) -> None:
    result = read_source(fixtures / "acled_current.csv")
    assert result.format == "acled"
    events = result.events.set_index("event_id")
    assert list(events.index) == ["acled:BFA9001", "acled:BFA9002", "acled:NER9004"]
    assert events.loc["acled:BFA9001", "region_id"] == "BFA.boucle-du-mouhoun"
    assert events.loc["acled:BFA9001", "fatalities"] == 12
    clash = events.loc["acled:BFA9002"]
    assert clash["perpetrator"] == "Islamic State (Sahel)" and clash["date_precision"] == "week"
    abduction = events.loc["acled:NER9004"]
    assert abduction["country"] == "NER"  # empty country name, resolved from iso 562
    assert abduction["date"] == pd.Timestamp("2023-05-01") and abduction["date_precision"] == "month"
    assert list(result.rejects["reason"]) == ["not_threat_event"]


def test_typed_parquet_export_gives_the_same_events(fixtures: Path, tmp_path: Path) -> None:
    typed = pd.read_csv(fixtures / "acled_hdx.csv")  # ints, floats and NaN where cells are empty
    path = tmp_path / "acled.parquet"
    typed.to_parquet(path, index=False)
    from_text = read_source(fixtures / "acled_hdx.csv")
    from_parquet = read_source(path)
    assert from_parquet.format == "acled"
    pd.testing.assert_frame_equal(from_parquet.events, from_text.events)
    assert list(from_parquet.rejects["reason"]) == list(from_text.rejects["reason"])
    raw = json.loads(from_parquet.rejects.set_index("row_number").loc[13, "raw"])
    assert raw["admin1"] is None and raw["inter1"] == 2
