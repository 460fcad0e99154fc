"""Property: whatever the rows hold, every row is accepted or rejected exactly once."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from models.schema import validate_events
from training.ingest import ingest
from training.sources import convert_table
from training.sources.triage import REASONS

MESSY = st.one_of(st.just(""), st.just("  "), st.text(max_size=8), st.just("-1"), st.just("1e400"),
                  st.just("NaN"), st.just("Unknown"), st.just("0"))

COLUMNS = {
    "acled": {
        "event_id_cnty": ["MLI1", "MLI2", "MLI3", "BFO7"],
        "event_date": ["2015-01-02", "2015-02-30", "12 March 2016", "2016/03/12"],
        "time_precision": ["1", "2", "3", "9"],
        "sub_event_type": ["Attack", "Armed clash", "Suicide bomb", "Peaceful protest", "Grenade"],
        "inter1": ["1", "2", "3", "Rebel group", "8"],
        "inter2": ["0", "2", "7", "Political militia"],
        "actor1": ["JNIM", "Military Forces of Mali"],
        "country": ["Mali", "Burkina Faso", "Narnia", "NER"],
        "admin1": ["Gao", "Ségou", "", "---"],
        "latitude": ["16.2", "-95", "x", ""],
        "longitude": ["-0.04", "181", ""],
        "fatalities": ["0", "3", "-2", "2.5", "many"],
    },
    "ucdp": {
        "id": ["1", "2", "3", "1.0"],
        "type_of_violence": ["1", "2", "3", "4"],
        "side_a": ["Government of Iraq", "IS", ""],
        "side_b": ["Civilians", "IS"],
        "country": ["Iraq", "Nigeria", "Yemen (North Yemen)", "Atlantis"],
        "adm_1": ["Nineveh province", "Borno state", "", " state"],
        "date_start": ["2014-06-10", "2014-13-01", ""],
        "date_prec": ["1", "2", "4", "5", "7"],
        "best": ["0", "12", "-1"],
        "latitude": ["36.3", "91"],
        "longitude": ["43.1", "-181"],
    },
    "gtd": {
        "eventid": ["201501010001", "201501010002", "201501010001"],
        "iyear": ["2015", "", "x"],
        "imonth": ["0", "2", "13"],
        "iday": ["0", "29", "31"],
        "country_txt": ["Iraq", "Mali", "West Bank and Gaza Strip", "Nowhere"],
        "provstate": ["Nineveh", "Unknown", ""],
        "attacktype1_txt": ["Bombing/Explosion", "Hijacking", "Unknown", "Teleportation"],
        "suicide": ["0", "1", ""],
        "nkill": ["", "3.0", "-99"],
    },
    "canonical": {
        "event_id": ["a", "b", "a", ""],
        "date": ["2020-01-01", "2020-02-30", ""],
        "date_precision": ["day", "year", "eon", ""],
        "country": ["MLI", "Mali", "ZZZ"],
        "admin1": ["Gao", "", "Kidal"],
        "attack_type": ["bombing", "riot", "Kidnapping"],
        "fatalities": ["0", "-1", "x"],
        "suicide": ["true", "0", "perhaps"],
    },
}


def _table(fmt: str, max_rows: int) -> st.SearchStrategy[pd.DataFrame]:
    columns = COLUMNS[fmt]

    def cell(values: list[str]) -> st.SearchStrategy[str]:
        return st.one_of(st.sampled_from(values), MESSY)

    row = st.fixed_dictionaries({name: cell(values) for name, values in columns.items()})
    return st.lists(row, min_size=0, max_size=max_rows).map(
        lambda rows: pd.DataFrame(rows, columns=list(columns), dtype="str"))


def _check(fmt: str, table: pd.DataFrame, perpetrator_filter: bool) -> None:
    result = convert_table(table, fmt, perpetrator_filter=perpetrator_filter)
    assert result.rows_read == len(table)
    assert len(result.events) + len(result.rejects) == result.rows_read
    numbers = np.sort(np.concatenate([result.accepted_rows, result.rejects["row_number"].to_numpy()]))
    assert list(numbers) == list(range(1, len(table) + 1))
    assert set(result.rejects["reason"]) <= set(REASONS)
    assert result.events["event_id"].is_unique
    validate_events(result.events)
    for raw, row_number in zip(result.rejects["raw"], result.rejects["row_number"], strict=True):
        assert json.loads(raw) == table.iloc[row_number - 1].to_dict()


@pytest.mark.slow
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(table=_table("acled", 12), perpetrator_filter=st.booleans())
def test_acled_rows_reconcile(table: pd.DataFrame, perpetrator_filter: bool) -> None:
    _check("acled", table, perpetrator_filter)


@pytest.mark.slow
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(table=_table("ucdp", 12), perpetrator_filter=st.booleans())
def test_ucdp_rows_reconcile(table: pd.DataFrame, perpetrator_filter: bool) -> None:
    _check("ucdp", table, perpetrator_filter)


@pytest.mark.slow
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(table=_table("gtd", 12))
def test_gtd_rows_reconcile(table: pd.DataFrame) -> None:
    _check("gtd", table, True)


@pytest.mark.slow
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(table=_table("canonical", 12))
def test_canonical_rows_reconcile(table: pd.DataFrame) -> None:
    _check("canonical", table, True)


PRINTABLE = st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs")), max_size=8)


@pytest.mark.slow
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(st.fixed_dictionaries({
    name: st.one_of(st.sampled_from(values), PRINTABLE) for name, values in COLUMNS["acled"].items()
}), max_size=10))
def test_acled_csv_file_rows_reconcile(rows: list[dict[str, str]]) -> None:
    table = pd.DataFrame(rows, columns=list(COLUMNS["acled"]), dtype="str")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "messy.csv"
        table.to_csv(path, index=False)
        result = ingest([path, path])
    summary = result.summary
    assert summary["rows_read"] == 2 * len(table)
    assert summary["accepted"] + summary["rejected"] == summary["rows_read"]
    assert sum(summary["rejected_by_reason"].values()) == summary["rejected"]
    assert result.events["event_id"].is_unique
    # the second copy adds nothing: each of its rows is a repeat or fails as it did the first time
    assert summary["files"][1]["accepted"] == 0
