"""Figures on the real extracts in ../shared/data (skipped when the folder is absent).

Each figure read through the readers is cross-checked with a plain pandas computation on the raw file.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from training.ingest import ingest
from training.sources import SourceFormatError

pytestmark = pytest.mark.realdata

ACLED = "acled_hdx_2020_selected_to2018.csv.gz"
UCDP = "ucdp_ged_hdx_191-221_selected_to2018.csv.gz"
GTD = "gtd_0221_reduced_2015-2018_selected.csv.gz"


SHARED_DATA = Path(__file__).resolve().parents[3].parent / "shared" / "data"


@pytest.fixture(scope="module")
def acled() -> tuple[pd.DataFrame, object]:
    if not (SHARED_DATA / ACLED).is_file():
        pytest.skip("../shared/data is not available")
    raw = pd.read_csv(SHARED_DATA / ACLED)
    return raw, ingest([SHARED_DATA / ACLED])


def _yearly(frame: pd.DataFrame, column: str = "year") -> dict[int, int]:
    return {int(k): int(v) for k, v in frame.groupby(column).size().items()}


def test_acled_reconciles_every_row(acled) -> None:
    raw, result = acled
    summary = result.summary
    assert summary["rows_read"] == len(raw) == 5386
    assert (summary["accepted"], summary["rejected"]) == (3020, 2366)
    assert summary["rejected_by_reason"] == {"not_threat_event": 1999, "filtered_perpetrator": 367}
    assert summary["by_country"] == {"MLI": 1750, "MOZ": 476, "NER": 404, "BFA": 390}


def test_acled_northern_mali_during_the_occupation(acled) -> None:
    _, result = acled
    events = result.events.assign(year=result.events["date"].dt.year)
    north = events[(events["country"] == "MLI") & events["year"].between(2012, 2013)]
    counts = north.groupby(["region_id", "year"]).size()
    assert counts["MLI.tombouctou"].to_dict() == {2012: 52, 2013: 24}
    assert counts["MLI.gao"].to_dict() == {2012: 63, 2013: 39}
    assert counts["MLI.kidal"].to_dict() == {2012: 29, 2013: 51}
    seizures = north[north["attack_type"] == "territory_seizure"]
    assert {"MLI.tombouctou", "MLI.gao", "MLI.kidal"} <= set(seizures["region_id"])


def test_acled_suicide_and_kidnapping_by_year_match_a_plain_count(acled) -> None:
    raw, result = acled
    events = result.events.assign(year=result.events["date"].dt.year)
    armed = raw[raw["inter1"].isin([2, 3, 4])]
    suicide = _yearly(events[events["attack_type"] == "suicide_attack"])
    assert suicide == {2013: 12, 2014: 2, 2015: 2, 2016: 3, 2017: 1, 2018: 3}
    assert suicide == _yearly(armed[armed["sub_event_type"] == "Suicide bomb"])
    assert int(events["suicide"].sum()) == 23
    kidnapping = _yearly(events[events["attack_type"] == "kidnapping"])
    assert {y: kidnapping[y] for y in range(2012, 2019)} == {
        2012: 6, 2013: 9, 2014: 15, 2015: 2, 2016: 11, 2017: 34, 2018: 105}
    assert kidnapping == _yearly(armed[armed["sub_event_type"] == "Abduction/forced disappearance"])


def test_acled_government_regains_rows_are_kept_in_the_rejects(acled) -> None:
    raw, result = acled
    regains = [json.loads(r) for r in result.rejects["raw"]]
    regains = [r for r in regains if r["sub_event_type"] == "Government regains territory"]
    assert len(regains) == int((raw["sub_event_type"] == "Government regains territory").sum()) == 49
    assert {"Tombouctou", "Gao", "Kidal"} <= {r["admin1"] for r in regains}


def test_acled_without_perpetrator_filter(shared_data: Path) -> None:
    result = ingest([shared_data / ACLED], perpetrator_filter=False)
    summary = result.summary
    assert (summary["accepted"], summary["rejected_by_reason"]) == (3387, {"not_threat_event": 1999})


def test_ucdp_reads_all_four_countries_and_reconciles(shared_data: Path) -> None:
    raw = pd.read_csv(shared_data / UCDP)
    result = ingest([shared_data / UCDP])
    summary = result.summary
    assert summary["rows_read"] == len(raw) == 21156
    assert summary["accepted"] + summary["rejected"] == 21156
    assert summary["by_country"] == {"IRQ": 6257, "PAK": 5767, "NGA": 3783, "PHL": 3256}
    # not_threat_event: headlines read as government air/drone strikes (checked first)
    assert summary["rejected_by_reason"] == {"not_threat_event": 985, "missing_admin1": 612,
                                             "filtered_perpetrator": 496}
    government_one_sided = (raw["type_of_violence"] == 3) & raw["side_a"].str.startswith("Government of")
    assert int(government_one_sided.sum()) == 496  # the filter is checked before admin1
    air = set(result.rejects.loc[result.rejects["reason"] == "not_threat_event", "row_number"] - 1)
    no_admin1 = raw["adm_1"].isna() & ~government_one_sided & ~raw.index.isin(list(air))
    assert int(no_admin1.sum()) == 612
    regions = result.events.groupby("region_id").size()
    assert (regions["IRQ.ninawa"], regions["IRQ.al-anbar"], regions["NGA.borno"],
            regions["PHL.lanao-del-sur"]) == (1766, 993, 1867, 164)


def test_gtd_reduced_file_is_a_clear_missing_columns_error(shared_data: Path) -> None:
    with pytest.raises(SourceFormatError) as caught:
        ingest([shared_data / GTD])
    assert caught.value.detected == "gtd"
    assert set(caught.value.missing) == {"eventid", "provstate", "attacktype1_txt"}
