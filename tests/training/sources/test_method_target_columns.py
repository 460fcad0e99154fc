"""method_source, method_confidence and target_class through the readers and ingestion."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from models.schema import EVENT_COLUMNS, conform_events, validate_events
from training.ingest import ingest, load_events, write_ingest
from training.sources import convert_table


def _acled() -> pd.DataFrame:
    return pd.DataFrame({
        "event_id_cnty": ["MLI1", "MLI2", "MLI3", "MLI4"],
        "event_date": ["2015-01-02", "2015-01-03", "2015-01-04", "2015-01-05"],
        "sub_event_type": ["Armed clash", "Attack", "Remote explosive/landmine/IED", "Armed clash"],
        "actor1": ["JNIM", "JNIM", "JNIM", "Military Forces of Mali (2013-)"],
        "assoc_actor_1": ["", "", "", ""],
        "inter1": [2, 2, 2, 1],
        "actor2": ["MINUSMA: United Nations Mission", "Civilians (Mali)", "", "MNLA"],
        "assoc_actor_2": ["", "Government of Mali (2013-)", "", ""],
        "inter2": [8, 7, 0, 2],
        "country": ["Mali"] * 4,
        "admin1": ["Gao", "Mopti", "Kidal", "Kidal"],
        "fatalities": [1, 0, 2, 3],
        "notes": ["", "The mayor was shot.", "An IED hit an army truck.", ""],
    })


def test_acled_rows_are_coded_with_a_target_class() -> None:
    result = convert_table(_acled(), "acled")
    events = result.events.set_index("event_id")
    assert list(events["method_source"]) == ["coded"] * 4
    assert list(events["method_confidence"]) == [1.0] * 4
    assert events.loc["acled:MLI1", "target_class"] == "international"
    assert events.loc["acled:MLI2", "target_class"] == "government"
    assert events.loc["acled:MLI3", "target_class"] == "security_forces"  # from the notes
    # kept because MNLA (rebels) is the second side: the sides swap, the target is the army
    assert events.loc["acled:MLI4", "perpetrator"] == "MNLA"
    assert events.loc["acled:MLI4", "target_class"] == "security_forces"
    validate_events(result.events)


def test_gtd_rows_map_the_target_type() -> None:
    raw = pd.DataFrame({
        "eventid": ["1", "2"], "iyear": [2015, 2015], "imonth": [1, 2], "iday": [3, 4],
        "country_txt": ["Iraq", "Iraq"], "provstate": ["Nineveh", "Nineveh"],
        "attacktype1_txt": ["Bombing/Explosion", "Armed Assault"], "suicide": [1, 0],
        "targtype1_txt": ["Police", "NGO"], "gname": ["ISIL", "ISIL"], "nkill": [3, 1],
    })
    events = convert_table(raw, "gtd").events
    assert list(events["attack_type"]) == ["suicide_attack", "armed_assault"]
    assert list(events["target_class"]) == ["security_forces", "international"]
    assert list(events["method_source"]) == ["coded", "coded"]


def _canonical(**extra: list[object]) -> pd.DataFrame:
    frame = pd.DataFrame({
        "event_id": ["c1", "c2", "c3"], "date": ["2020-01-01"] * 3, "country": ["MLI"] * 3,
        "admin1": ["Gao"] * 3, "attack_type": ["bombing"] * 3, "target": ["Military", "Civilians", ""],
    })
    for name, values in extra.items():
        frame[name] = values
    return frame


def test_canonical_defaults_to_coded_and_the_keyword_class_of_target() -> None:
    events = convert_table(_canonical(), "canonical").events
    assert list(events["method_source"]) == ["coded"] * 3
    assert list(events["method_confidence"]) == [1.0] * 3
    assert list(events["target_class"]) == ["security_forces", "civilians", "unknown"]


def test_canonical_keeps_written_values_and_rejects_invalid_ones() -> None:
    raw = _canonical(method_source=["text", "default", "guess"], method_confidence=["0.91", "", "0.5"],
                     target_class=["international", "", "civilians"])
    result = convert_table(raw, "canonical")
    assert result.rows_read == len(result.events) + len(result.rejects) == 3
    events = result.events.set_index("event_id")
    assert events.loc["c1", "method_source"] == "text" and events.loc["c1", "method_confidence"] == 0.91
    assert events.loc["c1", "target_class"] == "international"
    assert events.loc["c2", "method_source"] == "default" and np.isnan(events.loc["c2", "method_confidence"])
    assert events.loc["c2", "target_class"] == "civilians"
    assert list(result.rejects["reason"]) == ["unmapped_event_type"]
    assert "method_source 'guess'" in result.rejects["detail"].iloc[0]


def test_canonical_rejects_an_out_of_range_confidence_and_an_unknown_class() -> None:
    raw = _canonical(method_source=["text", "text", "coded"], method_confidence=["1.5", "", "0.3"],
                     target_class=["civilians", "civilians", "aliens"])
    result = convert_table(raw, "canonical")
    assert len(result.events) == 0
    details = list(result.rejects["detail"])
    assert details[0] == "method_confidence '1.5' is not a probability in [0, 1]"
    assert details[1] == "method_confidence '' is not a probability in [0, 1]"  # text needs a confidence
    assert details[2].startswith("target_class 'aliens' is not one of")


def test_events_written_before_the_new_columns_load_with_defaults(tmp_path: Path) -> None:
    result = ingest(convert_table(_canonical(), "canonical").events.drop(
        columns=["method_source", "method_confidence", "target_class"]))
    assert result.summary["rows_read"] == result.summary["accepted"] == 3
    write_ingest(result, tmp_path)
    old = pd.read_parquet(tmp_path / "events.parquet").drop(
        columns=["method_source", "method_confidence", "target_class"])
    old.to_parquet(tmp_path / "events.parquet", index=False)
    loaded = load_events(tmp_path)
    assert list(loaded.columns) == list(EVENT_COLUMNS)
    assert list(loaded["method_source"]) == ["coded"] * 3
    assert list(loaded["target_class"]) == ["security_forces", "civilians", "unknown"]


def test_conform_keeps_given_values() -> None:
    frame = conform_events(pd.DataFrame({
        "event_id": ["a"], "source": ["x"], "date": ["2020-01-01"], "date_precision": ["day"],
        "country": ["MLI"], "admin1": ["Gao"], "region_id": ["MLI.gao"], "attack_type": ["bombing"],
        "method_source": ["default"], "method_confidence": [np.nan], "target_class": ["non_state"],
    }))
    assert frame.loc[0, "method_source"] == "default" and np.isnan(frame.loc[0, "method_confidence"])
    assert frame.loc[0, "target_class"] == "non_state"
    validate_events(frame)
