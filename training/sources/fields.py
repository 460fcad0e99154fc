"""Vectorised field parsing shared by the readers: text, numbers, dates, countries and regions.

Every helper works on whole columns; functions of a value that are costly (country lookup, region
slug) run once per distinct value and are broadcast back.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Final

import numpy as np
import pandas as pd

from models.regions import country_iso3, slug
from training.sources.triage import Triage, quoted

ADMIN1_SUFFIX: Final = re.compile(r"\s+(?:province|state|region|governorate|division)\s*$",
                                  flags=re.IGNORECASE)
"""Trailing administrative-level word stripped from UCDP ``adm_1`` names (``Nineveh province``)."""

DATE_FORMATS: Final = ("%Y-%m-%d", "%d %B %Y", "%d-%B-%Y", "%Y/%m/%d")
"""Date layouts accepted in text (the first ten characters are tried as ISO ``YYYY-MM-DD`` first)."""

_EARLIEST: Final = pd.Timestamp("1678-01-01")
_LATEST: Final = pd.Timestamp("2261-12-31")


def column(frame: pd.DataFrame, name: str) -> pd.Series | None:
    """The column called ``name`` once header names are lower-cased and stripped, else ``None``."""
    for original in frame.columns:
        if str(original).replace("\ufeff", "").strip().lower() == name:
            return frame[original]
    return None


def text(values: pd.Series | None, length: int = 0) -> pd.Series:
    """Stripped text (``""`` where missing); integer-valued numbers lose a trailing ``.0``."""
    if values is None:
        return pd.Series(np.full(length, "", dtype=object), dtype="str")
    if pd.api.types.is_datetime64_any_dtype(values):
        shown = values.dt.strftime("%Y-%m-%d")
    elif pd.api.types.is_float_dtype(values):
        finite = values.notna() & np.isfinite(values.to_numpy(dtype=float, na_value=np.nan))
        whole = finite & (values.fillna(0) % 1 == 0)
        shown = values.astype("str")
        shown = shown.where(~whole, values.where(whole, 0).astype("int64").astype("str"))
    else:
        shown = values.astype("str")
    return shown.fillna("").str.strip().reset_index(drop=True)


def number(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parse numbers: finite floats (NaN where empty or invalid) and a mask of non-empty invalid cells.

    ``inf``, ``NaN`` and overflowing values such as ``1e400`` count as invalid.
    """
    raw = text(values)
    parsed = pd.to_numeric(raw.where(raw != "", None), errors="coerce").astype("float64")
    parsed = parsed.where(np.isfinite(parsed.to_numpy()))
    invalid = (raw != "") & parsed.isna()
    return parsed.reset_index(drop=True), invalid.reset_index(drop=True)


def dates(values: pd.Series) -> pd.Series:
    """Parse dates in one of :data:`DATE_FORMATS`; NaT where none fits or the year is out of range."""
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        values = values.dt.tz_convert("UTC").dt.tz_localize(None)
    if pd.api.types.is_datetime64_any_dtype(values):
        parsed = pd.Series(values.to_numpy()).reset_index(drop=True)
    else:
        raw = text(values)
        parsed = pd.to_datetime(raw.str.slice(0, 10), format=DATE_FORMATS[0], errors="coerce")
        for fmt in DATE_FORMATS[1:]:
            todo = parsed.isna() & (raw != "")
            if not todo.any():
                break
            parsed[todo] = pd.to_datetime(raw[todo], format=fmt, errors="coerce")
    inside = parsed.notna() & (parsed >= _EARLIEST) & (parsed <= _LATEST)
    return parsed.where(inside).astype("datetime64[ns]").dt.normalize()


def by_value(values: pd.Series, func: Callable[[str], str | None]) -> pd.Series:
    """Apply ``func`` once per distinct value and broadcast (``""`` where it returns ``None``)."""
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    mapped = pd.array([func(str(u)) or "" for u in uniques], dtype="str")
    return pd.Series(mapped.take(codes))


def check_date(triage: Triage, parsed: pd.Series, raw: pd.Series, name: str) -> None:
    """Reject rows with an empty date, then rows whose date did not parse."""
    shown = text(raw)
    triage.reject(shown == "", "missing_date", f"{name} is empty")
    triage.reject(parsed.isna(), "unparseable_date", quoted(shown, f"{name} ", " is not a date"))


_PARENTHESIS: Final = re.compile(r"\s*\([^)]*\)\s*$")


def _country(name: str) -> str | None:
    """ISO3 of a name, retried without a trailing parenthesis (GED's ``DR Congo (Zaire)``)."""
    code = country_iso3(name)
    if code is None and _PARENTHESIS.search(name):
        code = country_iso3(_PARENTHESIS.sub("", name))
    return code


def countries(names: pd.Series, fallback: pd.Series | None = None) -> pd.Series:
    """ISO3 codes from country names (or codes); ``fallback`` codes fill what the names miss."""
    iso3 = by_value(text(names), _country)
    if fallback is not None:
        backup = by_value(text(fallback), country_iso3)
        iso3 = iso3.where(iso3 != "", backup)
    return iso3


def check_country(triage: Triage, iso3: pd.Series, names: pd.Series, name: str) -> None:
    """Reject rows whose country could not be resolved to an ISO3 code."""
    triage.reject(iso3 == "", "unknown_country",
                  quoted(text(names), f"{name} ", " is not a known country"))


def region_ids(iso3: pd.Series, admin1: pd.Series) -> pd.Series:
    """``ISO3.slug(admin1)`` per row (``""`` where either part is empty or slugs to nothing)."""
    keys = iso3.astype("str") + "\x1f" + admin1.astype("str")

    def build(key: str) -> str:
        code, name = key.split("\x1f", 1)
        tail = slug(name)
        return f"{code}.{tail}" if code and tail else ""

    return by_value(keys, build)


def check_admin1(triage: Triage, admin1: pd.Series, region: pd.Series, name: str) -> None:
    """Reject rows without an admin1 name, or whose name has no letters or digits."""
    triage.reject(admin1 == "", "missing_admin1", f"{name} is empty")
    triage.reject(region == "", "missing_admin1",
                  quoted(admin1, f"{name} ", " has no letters or digits"))


def coordinates(triage: Triage, lat_raw: pd.Series | None, lon_raw: pd.Series | None,
                n: int) -> tuple[pd.Series, pd.Series]:
    """Parse latitude/longitude (missing allowed), rejecting unparseable and out-of-range values."""
    out = []
    for raw, name, bound in ((lat_raw, "latitude", 90.0), (lon_raw, "longitude", 180.0)):
        if raw is None:
            out.append(pd.Series(np.full(n, np.nan)))
            continue
        parsed, invalid = number(raw)
        triage.reject(invalid, "unparseable_coordinate", quoted(text(raw), f"{name} ", " is not a number"))
        triage.reject(parsed.abs() > bound, "coordinate_out_of_range",
                      quoted(text(raw), f"{name} ", f" is outside [-{bound:g}, {bound:g}]"))
        out.append(parsed)
    return out[0], out[1]


def fatalities(triage: Triage, raw: pd.Series | None, n: int, name: str) -> pd.Series:
    """Parse a fatality count (empty means 0), rejecting unparseable and negative values."""
    if raw is None:
        return pd.Series(np.zeros(n, dtype="int64"))
    parsed, invalid = number(raw)
    triage.reject(invalid, "unparseable_fatalities", quoted(text(raw), f"{name} ", " is not a number"))
    triage.reject(parsed < 0, "negative_fatalities", quoted(text(raw), f"{name} ", " is negative"))
    clean = parsed.where(np.isfinite(parsed) & (parsed >= 0), 0).fillna(0)
    return np.floor(clean).astype("int64")


def strip_admin_suffix(names: pd.Series) -> pd.Series:
    """Remove a trailing ``province``/``state``/``region``/``governorate``/``division`` word."""
    return names.str.replace(ADMIN1_SUFFIX, "", regex=True).str.strip()


def month_start(values: pd.Series, precision: pd.Series) -> pd.Series:
    """Dates moved to the first day of their month (``month``) or year (``year``) by precision."""
    out = values.copy()
    month = (precision == "month").to_numpy()
    year = (precision == "year").to_numpy()
    if month.any():
        out[month] = values[month].dt.to_period("M").dt.start_time
    if year.any():
        out[year] = values[year].dt.to_period("Y").dt.start_time
    return out.astype("datetime64[ns]")


def locate(triage: Triage, names: pd.Series | None, admin1: pd.Series, *, country_name: str,
           admin1_name: str, fallback: pd.Series | None = None) -> tuple[pd.Series, pd.Series]:
    """ISO3 codes and region ids of every row, rejecting unknown countries and missing admin1.

    Args:
        triage: where failing rows are rejected.
        names: the country column (names or codes); required by every reader's column check.
        admin1: first-level unit names, already cleaned by the reader.
        country_name: the country column's name in the source, for reject details.
        admin1_name: the admin1 column's name in the source, for reject details.
        fallback: ISO3 (or ISO3-convertible) codes that fill what the names miss.
    """
    if names is None:
        raise ValueError(f"the {country_name} column is required")
    iso3 = countries(names, fallback)
    check_country(triage, iso3, names, country_name)
    region = region_ids(iso3, admin1)
    check_admin1(triage, admin1, region, admin1_name)
    return iso3, region


def labels(values: object, n: int) -> pd.Series:
    """A text column of ``n`` rows with the readers' ``str`` dtype, from one value or an array."""
    if isinstance(values, str):
        return pd.Series(np.full(n, values, dtype=object), dtype="str")
    return pd.Series(np.asarray(values, dtype=object), dtype="str")
