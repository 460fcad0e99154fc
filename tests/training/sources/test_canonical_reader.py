"""Canonical CSV, Parquet and in-memory tables read back as events."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from models.schema import validate_events
from training.sources import convert_table, read_source


def test_canonical_csv(fixtures: Path) -> None:
    result = read_source(fixtures / "canonical_events.csv")
    assert result.format == "canonical"
    assert list(result.events["event_id"]) == ["demo:1", "demo:2", "demo:3"]
    reasons = dict(zip(result.rejects["row_number"], result.rejects["reason"], strict=True))
    assert reasons == {4: "unmapped_event_type", 5: "invalid_date_precision", 6: "invalid_suicide_flag"}
    events = result.events.set_index("event_id")
    assert events.loc["demo:2", "suicide"] and events.loc["demo:2", "fatalities"] == 4
    bfa = events.loc["demo:3"]
    assert (bfa["country"], bfa["region_id"]) == ("BFA", "BFA.boucle-du-mouhoun")
    assert bfa["perpetrator"] == "" and not bfa["suicide"] and pd.isna(bfa["latitude"])
    assert set(events["source"]) == {"demo"}
    validate_events(result.events)


def test_canonical_parquet_round_trip(fixtures: Path, tmp_path: Path) -> None:
    first = read_source(fixtures / "canonical_events.csv").events
    path = tmp_path / "events.parquet"
    first.to_parquet(path, index=False)
    again = read_source(path)
    assert again.format == "canonical" and again.rejects.empty
    pd.testing.assert_frame_equal(again.events, first)


def test_in_memory_frame_without_optional_columns_gets_defaults() -> None:
    frame = pd.DataFrame({
        "event_id": ["x1", "x2"], "date": pd.to_datetime(["2019-05-17", "2019-07-09"]),
        "country": ["Mali", "NER"], "admin1": ["Gao", "Tillabéri"], "attack_type": ["bombing", "Kidnapping"],
    })
    result = convert_table(frame)
    assert result.format == "canonical" and result.rows_read == 2
    events = result.events
    assert list(events["source"]) == ["canonical", "canonical"]
    assert list(events["region_id"]) == ["MLI.gao", "NER.tillaberi"]
    assert list(events["attack_type"]) == ["bombing", "kidnapping"]
    assert list(events["date_precision"]) == ["day", "day"]
    assert list(events["fatalities"]) == [0, 0]
    validate_events(events)
