"""UCDP GED: attack methods read from source_headline, government air strikes rejected, defaults kept."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from training.ingest import ingest
from training.sources import convert_table


def _ged(rows: list[tuple[str, int, str, str]]) -> pd.DataFrame:
    """Hand-written GED rows: id, type_of_violence, side_a, source_headline."""
    n = len(rows)
    return pd.DataFrame({
        "id": [r[0] for r in rows], "type_of_violence": [r[1] for r in rows],
        "side_a": [r[2] for r in rows], "side_b": ["IS" if r[1] != 3 else "Civilians" for r in rows],
        "source_headline": [r[3] for r in rows], "country": ["Iraq"] * n, "adm_1": ["Nīnawá province"] * n,
        "date_start": ["2016-05-01"] * n, "date_prec": [1] * n, "best": [3] * n,
        "latitude": [36.3] * n, "longitude": [43.1] * n, "dyad_name": ["x"] * n, "conflict_name": ["x"] * n,
        "date_end": ["2016-05-01"] * n, "where_prec": [1] * n, "priogrid_gid": [1] * n,
    })


ROWS = [
    ("1", 1, "Government of Iraq", "IS suicide bomber kills 36 in Baghdad market"),
    ("2", 3, "IS", "Car bomb kills seven north of Baghdad;Iraq: ISIL claims deadly attack"),
    ("3", 1, "Government of Iraq", "Islamic State mortar attack kills 16 in Iraq's Mosul"),
    ("4", 3, "IS", "Gunmen kidnap three foreign engineers"),
    ("5", 1, "Government of Iraq", "Air strikes kill 13 IS militants in Iraq's Mosul"),
    ("6", 1, "Government of Iraq", "January 12th, 2017: (I352) Al Arabi, Mosul, Nineveh province, Iraq"),
    ("7", 1, "Government of Iraq", "Situation North East (Adamawa, Borno and Yobe States)"),
    ("8", 3, "IS", ""),
    ("9", 2, "IS", "Drone strike hits fighters"),  # an air strike by a non-state side: default kept
]


def test_headlines_give_methods_and_air_strikes_are_not_threat_events() -> None:
    result = convert_table(_ged(ROWS), "ucdp")
    assert result.rows_read == len(result.events) + len(result.rejects) == 9
    rejected = dict(zip(result.rejects["row_number"], result.rejects["reason"], strict=True))
    assert rejected == {5: "not_threat_event", 6: "not_threat_event"}
    assert all(re.fullmatch(r"source_headline reads as a government air/drone strike \(confidence "
                            r"(0\.6[3-9]|0\.[7-9]\d|1\.00)\)", d) for d in result.rejects["detail"])
    events = result.events.set_index("event_id")
    got = events[["attack_type", "method_source"]].apply(tuple, axis=1).to_dict()
    assert got == {
        "ucdp:1": ("suicide_attack", "text"), "ucdp:2": ("bombing", "text"),
        "ucdp:3": ("indirect_fire", "text"), "ucdp:4": ("kidnapping", "text"),
        "ucdp:7": ("armed_clash", "default"), "ucdp:8": ("armed_assault", "default"),
        "ucdp:9": ("armed_clash", "default"),
    }
    assert bool(events.loc["ucdp:1", "suicide"]) and not events["suicide"].drop("ucdp:1").any()
    text = events["method_source"] == "text"
    assert (events.loc[text, "method_confidence"] >= 0.625).all()
    assert events.loc[~text, "method_confidence"].isna().all()
    assert events.loc["ucdp:4", "target_class"] == "international"  # foreign engineers
    assert events.loc["ucdp:1", "target_class"] == "security_forces"


def test_text_methods_off_keeps_the_default_types(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("THREATCAST_METHODS_MODEL", "off")
    result = ingest(_ged(ROWS), fmt="ucdp")
    assert result.summary["rejected"] == 0
    assert result.summary["by_attack_type"] == {"armed_clash": 6, "armed_assault": 3}
    assert set(result.events["method_source"]) == {"default"}
    assert np.isnan(result.events["method_confidence"]).all()
