"""Detecting candidate occupation episodes from seizures and government regains."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from models.episode_detection import detect_episodes, regains_from_rejects, seizures_from_events
from models.episodes import CATALOG_COLUMNS
from models.schema import REJECT_COLUMNS

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
ACLED_FILE = DATA / "acled_hdx_2020_selected_to2018.csv.gz"


def _frame(*rows: tuple[str, ...], perpetrator: bool = False) -> pd.DataFrame:
    columns = ["country", "admin1", "date", *(["perpetrator"] if perpetrator else [])]
    return pd.DataFrame(list(rows), columns=columns)


def _spans(frame: pd.DataFrame) -> list[tuple[str, str, str]]:
    return [(a, str(s), "" if pd.isna(e) else str(e))
            for a, s, e in zip(frame["admin1"], frame["start_month"], frame["end_month"], strict=True)]


def test_seizure_then_regain_is_one_episode_in_catalog_schema() -> None:
    seizures = _frame(("MLI", "Gao", "2012-03-31", "MNLA: National Movement for the Liberation of Azawad"),
                      ("MLI", "Gao", "2012-06-27", "MUJAO: Movement for Unity and Jihad in West Africa"),
                      ("MLI", "Gao", "2012-07-11", "MUJAO: Movement for Unity and Jihad in West Africa"),
                      perpetrator=True)
    regains = _frame(("MLI", "Gao", "2013-01-26"), ("MLI", "Gao", "2013-02-11"))
    found = detect_episodes(seizures, regains)
    assert list(found.columns) == [*CATALOG_COLUMNS, "region_id"]
    assert _spans(found) == [("Gao", "2012-03", "2013-01")]
    row = found.iloc[0]
    assert row["episode_id"] == "det-mli-gao-2012-03"
    assert row["source"] == "detected"
    assert row["region_id"] == "MLI.gao"
    assert row["groups"] == "MUJAO; MNLA"
    assert "3 territory-seizure event(s), the first on 2012-03-31" in row["note"]


def test_seizure_and_regain_in_one_month_make_a_one_month_episode() -> None:
    found = detect_episodes(_frame(("MLI", "Kidal", "2004-04-07")), _frame(("MLI", "Kidal", "2004-04-12")))
    assert _spans(found) == [("Kidal", "2004-04", "2004-04")]


def test_regains_without_an_open_seizure_are_ignored_and_new_seizures_reopen() -> None:
    seizures = _frame(("MLI", "Tombouctou", "2012-03-13"), ("MLI", "Tombouctou", "2012-11-28"),
                      ("MLI", "Tombouctou", "2013-04-21"))
    regains = _frame(("MLI", "Tombouctou", "2011-01-01"), ("MLI", "Tombouctou", "2013-01-27"),
                     ("MLI", "Tombouctou", "2013-01-28"), ("MLI", "Tombouctou", "2013-05-05"))
    found = detect_episodes(seizures, regains)
    assert _spans(found) == [("Tombouctou", "2012-03", "2013-01"), ("Tombouctou", "2013-04", "2013-05")]


def test_stale_seizures_are_dropped_and_recent_open_ones_are_ongoing() -> None:
    seizures = _frame(("MLI", "Segou", "2008-05-02"), ("MLI", "Segou", "2013-01-10"),
                      ("MLI", "Mopti", "2017-03-25"), ("MLI", "Bamako", "2012-03-30"))
    regains = _frame(("MLI", "Segou", "2013-01-14"))
    found = detect_episodes(seizures, regains, data_end="2018-12")
    # Segou 2008-05 waits > 36 months: dropped, the 2013 seizure pairs with the regain;
    # Mopti is 21 months open at the data end: ongoing; Bamako, 81 months open: dropped.
    assert _spans(found) == [("Mopti", "2017-03", ""), ("Segou", "2013-01", "2013-01")]
    assert "ongoing" in found.iloc[0]["note"]
    assert _spans(detect_episodes(seizures, regains, data_end="2018-12", max_open_months=12)) == [
        ("Segou", "2013-01", "2013-01")]
    assert len(detect_episodes(seizures, regains, data_end="2018-12", max_open_months=100)) == 3


def test_events_after_the_data_end_are_ignored() -> None:
    found = detect_episodes(_frame(("MLI", "Gao", "2012-03-31")), _frame(("MLI", "Gao", "2013-01-26")),
                            data_end="2012-12")
    assert _spans(found) == [("Gao", "2012-03", "")]


def test_regions_pair_only_with_their_own_regains() -> None:
    seizures = _frame(("MLI", "Gao", "2012-03-31"), ("NER", "Gao", "2012-03-31"),
                      ("MLI", "Kidal", "2012-03-30"))
    regains = _frame(("MLI", "Kidal", "2013-06-05"), ("mli", " Gao ", "2013-01-26"))
    found = detect_episodes(seizures, regains, data_end="2013-06")
    ends = ["" if pd.isna(e) else str(e) for e in found["end_month"]]
    assert sorted(zip(found["region_id"], ends, strict=True)) == [
        ("MLI.gao", "2013-01"), ("MLI.kidal", "2013-06"), ("NER.gao", "")]


def test_unusable_rows_are_skipped_and_bad_frames_raise() -> None:
    seizures = _frame(("MLI", "", "2012-03-31"), ("MLI", "Gao", "not a date"), ("MLI", "Gao", "2012-04-02"))
    found = detect_episodes(seizures, _frame(("MLI", "Gao", "2012-05-01")))
    assert _spans(found) == [("Gao", "2012-04", "2012-05")]
    assert detect_episodes(_frame(), _frame()).empty
    with pytest.raises(ValueError, match=r"seizures frame lacks columns \['date'\]"):
        detect_episodes(pd.DataFrame({"country": [], "admin1": []}), _frame())
    with pytest.raises(ValueError, match="max_open_months must be >= 0"):
        detect_episodes(_frame(), _frame(), max_open_months=-1)


def test_regains_are_recovered_from_reject_raw_rows() -> None:
    def reject(reason: str, raw: object) -> dict[str, object]:
        text = raw if isinstance(raw, str) else json.dumps(raw)
        return {"source_file": "f.csv", "row_number": 1, "reason": reason, "detail": "", "raw": text}

    rejects = pd.DataFrame([
        reject("not_threat_event", {"sub_event_type": "Government regains territory", "country": "Mali",
                                    "admin1": "Gao", "event_date": "2013-01-26"}),
        reject("not_threat_event", {"sub_event_type": "Peaceful protest", "country": "Mali",
                                    "admin1": "Gao", "event_date": "2013-01-26"}),
        reject("not_threat_event", {"sub_event_type": "Government regains territory", "country": "Atlantis",
                                    "admin1": "Gao", "event_date": "2013-01-26"}),
        reject("not_threat_event", {"sub_event_type": "Government regains territory", "country": "Niger",
                                    "admin1": "", "event_date": "2013-01-26"}),
        reject("not_threat_event", {"sub_event_type": "government regains territory ", "country": "Niger",
                                    "admin1": "Agadez", "event_date": "2008-06-25"}),
        reject("bad_json", "{not json"),
        reject("list_json", "[1, 2]"),
    ], columns=list(REJECT_COLUMNS))
    regains = regains_from_rejects(rejects)
    assert list(regains.columns) == ["country", "admin1", "date"]
    pairs = list(zip(regains["country"], regains["admin1"], strict=True))
    assert pairs == [("MLI", "Gao"), ("NER", "Agadez")]
    assert regains["date"].iloc[0] == pd.Timestamp("2013-01-26")
    assert regains_from_rejects(pd.DataFrame(columns=list(REJECT_COLUMNS))).empty


def test_seizures_from_events_keeps_territory_seizures_only() -> None:
    events = pd.DataFrame({"attack_type": ["territory_seizure", "bombing"], "country": ["MLI", "MLI"],
                           "admin1": ["Gao", "Gao"], "date": pd.to_datetime(["2012-04-01", "2012-04-02"]),
                           "perpetrator": ["MNLA", "MUJAO"]})
    out = seizures_from_events(events)
    assert list(out.columns) == ["country", "admin1", "date", "perpetrator"]
    assert list(out["perpetrator"]) == ["MNLA"]


MALI_2012 = {"Gao", "Kidal", "Mopti", "Tombouctou"}


def _mali_2012(found: pd.DataFrame) -> set[str]:
    mali = found[(found["country"] == "MLI") & (found["start_month"].dt.year.isin([2012, 2013]))]
    return set(mali["admin1"])


@pytest.mark.realdata
def test_detects_the_northern_mali_occupation_in_raw_acled() -> None:
    if not ACLED_FILE.exists():
        pytest.skip("shared ACLED data absent")
    raw = pd.read_csv(ACLED_FILE, dtype=str, keep_default_na=False)
    raw = raw[raw["country"] == "Mali"].assign(country="MLI")
    seizures = raw[(raw["sub_event_type"] == "Non-state actor overtakes territory")
                   & raw["inter1"].isin(["2", "3", "4"])]
    regains = raw[raw["sub_event_type"] == "Government regains territory"]
    found = detect_episodes(seizures.rename(columns={"event_date": "date", "actor1": "perpetrator"}),
                            regains.rename(columns={"event_date": "date"}), data_end="2018-12")
    assert _mali_2012(found) == MALI_2012
    spans = {a: (str(s), str(e)) for a, s, e in zip(found["admin1"], found["start_month"], found["end_month"],
                                                    strict=True) if str(s).startswith("2012-0")}
    assert spans["Tombouctou"] == ("2012-03", "2013-01")
    assert spans["Mopti"] == ("2012-09", "2013-01")
    assert spans["Gao"] == ("2012-03", "2013-01")


@pytest.mark.realdata
def test_detects_the_northern_mali_occupation_through_ingestion() -> None:
    if not ACLED_FILE.exists():
        pytest.skip("shared ACLED data absent")
    ingest = pytest.importorskip("training.ingest").ingest
    result = ingest([ACLED_FILE])
    regains = regains_from_rejects(result.rejects)
    assert len(regains) >= 40
    found = detect_episodes(seizures_from_events(result.events), regains, data_end="2018-12")
    assert _mali_2012(found) == MALI_2012
    assert "Bamako" not in set(found["admin1"])
    gao = found[found["episode_id"] == "det-mli-gao-2012-03"].iloc[0]
    assert str(gao["end_month"]) == "2013-01"
    assert set(gao["groups"].split("; ")) == {"MNLA", "MUJAO", "Ansar Dine"}
