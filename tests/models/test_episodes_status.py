"""Occupation phases at episode boundaries, overlapping and repeated episodes, regions_status."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from models.episodes import (
    STATUS_COLUMNS,
    load_catalog,
    occupation_status,
    overlapping_episodes,
    parse_catalog,
    regions_status,
)


def _catalog(*rows: tuple[str, str, str, str, str]) -> pd.DataFrame:
    return parse_catalog(pd.DataFrame(rows, columns=["episode_id", "country", "admin1", "start_month",
                                                     "end_month"]))


def _status(catalog: pd.DataFrame, region: str, first: str, last: str) -> pd.DataFrame:
    months = pd.period_range(first, last, freq="M")
    return occupation_status(np.array([region]), months, catalog).set_index("month")


def test_phases_at_the_boundaries_of_one_episode() -> None:
    catalog = _catalog(("gao", "MLI", "Gao", "2012-04", "2013-01"))
    status = _status(catalog, "MLI.gao", "2012-03", "2013-03")
    month = pd.Period
    assert status.loc[month("2012-03", "M"), "phase"] == "never"
    assert status.loc[month("2012-03", "M"), "episode_id"] == ""
    assert math.isnan(status.loc[month("2012-03", "M"), "months_since_start"])
    assert status.loc[month("2012-04", "M"), "phase"] == "during"
    assert status.loc[month("2012-04", "M"), "months_since_start"] == 0
    assert status.loc[month("2013-01", "M"), "phase"] == "during"  # the end is known once it has passed
    assert status.loc[month("2013-01", "M"), "months_since_start"] == 9
    assert math.isnan(status.loc[month("2013-01", "M"), "months_since_end"])
    assert status.loc[month("2013-02", "M"), "phase"] == "after"
    assert status.loc[month("2013-02", "M"), "months_since_end"] == 1
    assert status.loc[month("2013-03", "M"), "months_since_end"] == 2
    assert set(status["episode_id"].iloc[1:]) == {"gao"}


def test_ongoing_episode_stays_during() -> None:
    catalog = _catalog(("x", "NER", "Tillaberi", "2019-05", ""))
    status = _status(catalog, "NER.tillaberi", "2019-04", "2030-01")
    assert status["phase"].iloc[0] == "never"
    assert set(status["phase"].iloc[1:]) == {"during"}
    assert status["months_since_start"].iloc[-1] == (2030 - 2019) * 12 - 4


def test_overlapping_episodes_keep_the_region_occupied_until_the_last_ends() -> None:
    catalog = load_catalog()  # Anbar: Fallujah 2014-01..2016-06 and Ramadi 2015-05..2016-02
    status = _status(catalog, "IRQ.al-anbar", "2013-12", "2016-08")
    at = status.loc
    assert at[pd.Period("2013-12", "M"), "phase"] == "never"
    for month in ("2015-06", "2016-03", "2016-06"):
        assert at[pd.Period(month, "M"), "phase"] == "during"
        assert at[pd.Period(month, "M"), "episode_id"] == "irq-2014-anbar-fallujah"
    assert at[pd.Period("2016-03", "M"), "months_since_start"] == 26
    assert at[pd.Period("2016-07", "M"), "phase"] == "after"
    assert at[pd.Period("2016-07", "M"), "months_since_end"] == 1
    assert at[pd.Period("2016-08", "M"), "months_since_end"] == 2


def test_reoccupation_returns_to_during_then_counts_from_the_latest_end() -> None:
    catalog = _catalog(("b", "MLI", "Kidal", "2014-05", "2014-08"),
                       ("a", "MLI", "Kidal", "2012-03", "2013-01"))
    status = _status(catalog, "MLI.kidal", "2013-02", "2014-10")
    assert status.loc[pd.Period("2013-02", "M"), "phase"] == "after"
    assert status.loc[pd.Period("2014-04", "M"), "months_since_end"] == 15
    assert status.loc[pd.Period("2014-05", "M"), "phase"] == "during"
    assert status.loc[pd.Period("2014-05", "M"), "episode_id"] == "b"
    assert status.loc[pd.Period("2014-10", "M"), "episode_id"] == "b"
    assert status.loc[pd.Period("2014-10", "M"), "months_since_end"] == 2


def test_regions_without_episodes_are_never_and_shapes_hold() -> None:
    catalog = load_catalog()
    months = pd.period_range("2010-01", "2010-06", freq="M")
    status = occupation_status(np.array(["MLI.gao", "BFA.sahel"]), months, catalog)
    assert len(status) == 12
    assert list(status["region_id"].iloc[[0, 6]]) == ["MLI.gao", "BFA.sahel"]
    assert set(status["phase"]) == {"never"}
    empty = occupation_status(np.array([], dtype=object), months, catalog)
    assert empty.empty
    assert list(empty.columns) == ["region_id", "month", "phase", "months_since_start", "months_since_end",
                                   "episode_id"]


def test_regions_status_one_row_per_region_in_order() -> None:
    catalog = load_catalog()
    status = regions_status(["PHL.lanao-del-sur", "IRQ.ninawa", "MLI.bamako"], "2018-12", catalog)
    assert list(status.columns) == list(STATUS_COLUMNS)
    rows = status.set_index("region_id")
    assert rows.loc["PHL.lanao-del-sur", "phase"] == "after"
    assert rows.loc["PHL.lanao-del-sur", "months_since_end"] == 14
    assert rows.loc["PHL.lanao-del-sur", "episode_start"] == "2017-05"
    assert rows.loc["PHL.lanao-del-sur", "episode_end"] == "2017-10"
    assert rows.loc["IRQ.ninawa", "months_since_end"] == 17
    assert rows.loc["MLI.bamako", "phase"] == "never"
    assert rows.loc["MLI.bamako", "episode_start"] is None
    assert list(status["region_id"]) == ["PHL.lanao-del-sur", "IRQ.ninawa", "MLI.bamako"]
    during = regions_status(["MOZ.cabo-delgado"], pd.Period("2021-01", "M"), catalog)
    assert during.loc[0, "phase"] == "during"
    assert during.loc[0, "months_since_start"] == 5


def test_regions_status_reports_an_ongoing_end_as_none() -> None:
    catalog = _catalog(("x", "NER", "Tillaberi", "2019-05", ""))
    status = regions_status(["NER.tillaberi"], "2020-01", catalog)
    assert status.loc[0, "episode_end"] is None
    assert status.loc[0, "episode_start"] == "2019-05"


def test_overlapping_episodes_pairs_spans_in_the_same_region() -> None:
    catalog = load_catalog()
    candidates = _catalog(("c1", "MLI", "Gao", "2012-03", "2013-01"),
                          ("c2", "MLI", "Gao", "2013-02", "2013-05"),
                          ("c3", "IRQ", "Al Anbār", "2016-04", ""),
                          ("c4", "MLI", "Bamako", "2012-03", "2012-04"))
    assert overlapping_episodes(candidates, catalog) == [
        ["mli-2012-gao"], [], ["irq-2014-anbar-fallujah"], []]
