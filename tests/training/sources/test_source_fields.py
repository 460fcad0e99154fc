"""Column helpers: countries, dates, numbers, text of typed columns."""

from __future__ import annotations

import numpy as np
import pandas as pd

from training.sources import fields


def test_countries_from_names_codes_and_historical_parentheses() -> None:
    names = pd.Series(["Mali", "DR Congo (Zaire)", "Russia (Soviet Union)", "Côte d'Ivoire", "Narnia", "",
                       "Mali"], dtype="str")
    fallback = pd.Series(["", "", "", "", "NER", "BFA", ""], dtype="str")
    assert list(fields.countries(names, fallback)) == ["MLI", "COD", "RUS", "CIV", "NER", "BFA", "MLI"]
    assert list(fields.countries(names)) == ["MLI", "COD", "RUS", "CIV", "", "", "MLI"]


def test_dates_accept_the_documented_layouts_only() -> None:
    raw = pd.Series(["2015-01-02", "2015-01-02T10:11:12", "15 January 2020", "15-January-2020", "2020/01/15",
                     "01/15/2020", "12", "-1", "1500-01-01", ""], dtype="str")
    parsed = fields.dates(raw)
    expected = ["2015-01-02", "2015-01-02", "2020-01-15", "2020-01-15", "2020-01-15"]
    assert [d.strftime("%Y-%m-%d") for d in parsed[:5]] == expected
    assert parsed[5:].isna().all()
    assert parsed.dtype == "datetime64[ns]"


def test_numbers_mark_invalid_cells_but_not_empty_ones() -> None:
    parsed, invalid = fields.number(pd.Series(["1", " 2.5 ", "", "x", "-3"], dtype="str"))
    assert parsed.tolist()[:2] == [1.0, 2.5] and np.isnan(parsed[2]) and parsed[4] == -3.0
    assert invalid.tolist() == [False, False, False, True, False]


def test_text_of_typed_columns() -> None:
    assert fields.text(pd.Series([201501010001.0, np.nan, 2.5])).tolist() == ["201501010001", "", "2.5"]
    assert fields.text(pd.Series([7, 8])).tolist() == ["7", "8"]
    assert fields.text(pd.to_datetime(pd.Series(["2020-01-02", None]))).tolist() == ["2020-01-02", ""]
    assert fields.text(None, 2).tolist() == ["", ""]


def test_non_finite_numbers_are_invalid() -> None:
    parsed, invalid = fields.number(pd.Series(["1e400", "inf", "NaN", "-inf", "4"], dtype="str"))
    assert invalid.tolist() == [True, True, True, True, False]
    assert parsed.isna().tolist() == [True, True, True, True, False]


def test_timezone_aware_dates_become_utc_days() -> None:
    aware = pd.Series(pd.to_datetime(["2020-01-01 23:30", "2020-06-01 00:10"]).tz_localize("Asia/Kabul"))
    assert [d.strftime("%Y-%m-%d") for d in fields.dates(aware)] == ["2020-01-01", "2020-05-31"]
