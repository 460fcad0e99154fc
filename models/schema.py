"""The canonical event schema: one row per event, the same shape whatever the source.

Columns (see ``docs/data.md``):

=============== ================ =========================================================
column          dtype            meaning
=============== ================ =========================================================
event_id        string           unique within the file; prefixed by source (``acled:MLI123``)
source          string           ``acled``, ``ucdp``, ``gtd``, ``canonical``, ``demo``, ...
date            datetime64[ns]   event day (first day of the period for coarser precision)
date_precision  string           ``day``, ``week``, ``month`` or ``year``
country         string           ISO3 code
admin1          string           first-level administrative unit, as named by the source
region_id       string           ``ISO3.slug(admin1)``
latitude        float64          WGS84, may be missing
longitude       float64          WGS84, may be missing
attack_type     string           one of :data:`models.taxonomy.ATTACK_TYPES`
perpetrator     string           perpetrating group as named by the source ("" if unknown)
target          string           target or opposing actor ("" if unknown)
fatalities      int64            reported fatalities, >= 0
suicide         bool             suicide attack flag
method_source   string           where ``attack_type`` came from: ``coded`` (the source's own
                                 method field), ``text`` (the method classifier on the event's
                                 text, :mod:`models.methods`) or ``default`` (the source has no
                                 method field and no confident text: its coarse default, e.g.
                                 UCDP ``type_of_violence``)
method_confidence float64        1.0 when coded, the classifier's calibrated probability when
                                 text, missing when default
target_class    string           who was attacked, one of :data:`models.targets.TARGET_CLASSES`
=============== ================ =========================================================

Frames built without the last three columns (older files, hand-made tables) get ``coded``, 1.0
and the keyword rule on ``target`` (:func:`models.targets.keyword_class`) from
:func:`conform_events`.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd
import pandera.pandas as pa

from models.targets import TARGET_CLASSES, keyword_classes
from models.taxonomy import ATTACK_TYPES

EVENT_COLUMNS: Final[tuple[str, ...]] = (
    "event_id",
    "source",
    "date",
    "date_precision",
    "country",
    "admin1",
    "region_id",
    "latitude",
    "longitude",
    "attack_type",
    "perpetrator",
    "target",
    "fatalities",
    "suicide",
    "method_source",
    "method_confidence",
    "target_class",
)
"""Canonical event columns, in order."""

METHOD_SOURCES: Final[tuple[str, ...]] = ("coded", "text", "default")
"""Values of ``method_source``: the source's method field, the text classifier, the coarse default."""

DATE_PRECISIONS: Final[tuple[str, ...]] = ("day", "week", "month", "year")

REJECT_COLUMNS: Final[tuple[str, ...]] = ("source_file", "row_number", "reason", "detail", "raw")
"""Rejected-row columns: where the row came from, a machine-readable reason, a readable detail and
the raw row as JSON."""

_STRING_COLUMNS: Final = ("event_id", "source", "date_precision", "country", "admin1", "region_id",
                          "attack_type", "perpetrator", "target", "method_source", "target_class")

EVENT_SCHEMA: Final = pa.DataFrameSchema(
    {
        "event_id": pa.Column(str, unique=True, nullable=False),
        "source": pa.Column(str, nullable=False),
        "date": pa.Column("datetime64[ns]", nullable=False),
        "date_precision": pa.Column(str, pa.Check.isin(DATE_PRECISIONS)),
        "country": pa.Column(str, pa.Check.str_matches(r"^[A-Z]{3}$")),
        "admin1": pa.Column(str, pa.Check.str_length(min_value=1)),
        "region_id": pa.Column(str, pa.Check.str_matches(r"^[A-Z]{3}\.[a-z0-9]+(-[a-z0-9]+)*$")),
        "latitude": pa.Column(float, pa.Check.in_range(-90, 90), nullable=True),
        "longitude": pa.Column(float, pa.Check.in_range(-180, 180), nullable=True),
        "attack_type": pa.Column(str, pa.Check.isin(ATTACK_TYPES)),
        "perpetrator": pa.Column(str, nullable=False),
        "target": pa.Column(str, nullable=False),
        "fatalities": pa.Column("int64", pa.Check.ge(0)),
        "suicide": pa.Column(bool),
        "method_source": pa.Column(str, pa.Check.isin(METHOD_SOURCES)),
        "method_confidence": pa.Column(float, pa.Check.in_range(0, 1), nullable=True),
        "target_class": pa.Column(str, pa.Check.isin(TARGET_CLASSES)),
    },
    strict=True,
    ordered=True,
    coerce=False,
)
"""pandera schema of a canonical events frame (checked at every boundary)."""


def empty_events() -> pd.DataFrame:
    """An empty canonical events frame with the right columns and dtypes."""
    return conform_events(pd.DataFrame({c: [] for c in EVENT_COLUMNS}))


def empty_rejects() -> pd.DataFrame:
    """An empty rejected-rows frame."""
    frame = pd.DataFrame({c: pd.Series([], dtype=object) for c in REJECT_COLUMNS})
    frame["row_number"] = frame["row_number"].astype("int64")
    return frame


def conform_events(frame: pd.DataFrame) -> pd.DataFrame:
    """Return ``frame`` restricted to the canonical columns, in order, with canonical dtypes.

    Strings are plain Python ``str`` objects (missing text becomes ``""``), ``date`` is
    ``datetime64[ns]``, coordinates are float64 and ``fatalities`` int64. A missing
    ``method_source`` becomes ``coded`` (with confidence 1.0) and a missing ``target_class`` the
    keyword class of ``target``.
    """
    out = pd.DataFrame(index=pd.RangeIndex(len(frame)))
    for col in EVENT_COLUMNS:
        values = frame[col].to_numpy() if col in frame else np.full(len(frame), None)
        out[col] = values
    for col in _STRING_COLUMNS:
        out[col] = out[col].map(lambda v: "" if v is None or (isinstance(v, float) and np.isnan(v))
                                else str(v)).astype(object)
    out["date"] = pd.to_datetime(out["date"]).astype("datetime64[ns]")
    out["latitude"] = pd.to_numeric(out["latitude"], errors="coerce").astype("float64")
    out["longitude"] = pd.to_numeric(out["longitude"], errors="coerce").astype("float64")
    out["fatalities"] = pd.to_numeric(out["fatalities"], errors="coerce").fillna(0).astype("int64")
    out["suicide"] = out["suicide"].fillna(False).astype(bool)
    coded = out["method_source"] == ""
    out.loc[coded, "method_source"] = "coded"
    confidence = pd.to_numeric(out["method_confidence"], errors="coerce").astype("float64")
    out["method_confidence"] = confidence.where(~(coded & confidence.isna()), 1.0)
    unset = (out["target_class"] == "").to_numpy()
    if unset.any():
        out.loc[unset, "target_class"] = keyword_classes(out.loc[unset, "target"])
    for col in ("method_source", "target_class"):  # pandera checks an empty object column as Arrow str
        out[col] = out[col].astype("str")
    return out


def validate_events(frame: pd.DataFrame) -> pd.DataFrame:
    """Validate a canonical events frame, raising ``pandera.errors.SchemaError`` on any violation."""
    return EVENT_SCHEMA.validate(frame)
