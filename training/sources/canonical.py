"""The project's own canonical CSV and Parquet files (see :mod:`models.schema`) read back as events.

Required: ``event_id``, ``date``, ``country`` (ISO3 or a name), ``admin1`` and ``attack_type`` (one
of :data:`models.taxonomy.ATTACK_TYPES`). Optional columns default to: ``source`` ``canonical``,
``date_precision`` ``day``, coordinates missing, ``perpetrator``/``target`` empty, ``fatalities`` 0,
``suicide`` false, ``method_source`` ``coded`` (confidence 1.0), ``target_class`` the keyword rule
on ``target`` (:func:`models.targets.keyword_class`). A ``method_source``, ``target_class`` or
``method_confidence`` outside its allowed values rejects the row as ``unmapped_event_type``, as does
a ``text`` or ``coded`` method without a confidence in [0, 1]. ``region_id`` is always recomputed
from ``country`` and ``admin1``; ``event_id`` is kept as written; a ``month`` or ``year`` precision
date moves to the first day of its period. No perpetrator filter applies: canonical files are
already threat events.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

import numpy as np
import pandas as pd

from models.schema import DATE_PRECISIONS, METHOD_SOURCES
from models.targets import TARGET_CLASSES, keyword_classes
from models.taxonomy import ATTACK_TYPES
from training.sources import fields
from training.sources.triage import Triage, quoted

TRUE_TEXT: Final = frozenset({"true", "1", "yes", "y", "t", "1.0"})
FALSE_TEXT: Final = frozenset({"false", "0", "no", "n", "f", "", "0.0"})


def convert(raw: pd.DataFrame, triage: Triage, perpetrator_filter: bool) -> pd.DataFrame:
    """Convert a raw canonical table; rows failing a check are rejected on ``triage``."""
    del perpetrator_filter  # canonical events are threat events by definition
    n = len(raw)

    def col(name: str) -> pd.Series | None:
        return fields.column(raw, name)

    ids = fields.text(col("event_id"), n)
    triage.reject(ids == "", "missing_id", "event_id is empty")

    attack = fields.text(col("attack_type"), n).str.lower()
    triage.reject(~attack.isin(ATTACK_TYPES), "unmapped_event_type",
                  quoted(attack, "attack_type ", " is not a threatcast attack type"))

    date_raw = col("date")
    assert date_raw is not None
    parsed = fields.dates(date_raw)
    fields.check_date(triage, parsed, date_raw, "date")
    precision = fields.text(col("date_precision"), n).str.lower()
    precision = precision.where(precision != "", "day")
    triage.reject(~precision.isin(DATE_PRECISIONS), "invalid_date_precision",
                  quoted(precision, "date_precision ", f" is not one of {', '.join(DATE_PRECISIONS)}"))

    admin1 = fields.text(col("admin1"), n)
    iso3, region = fields.locate(triage, col("country"), admin1, country_name="country", admin1_name="admin1")

    lat, lon = fields.coordinates(triage, col("latitude"), col("longitude"), n)
    deaths = fields.fatalities(triage, col("fatalities"), n, "fatalities")

    flag = fields.text(col("suicide"), n).str.lower()
    triage.reject(~(flag.isin(TRUE_TEXT) | flag.isin(FALSE_TEXT)), "invalid_suicide_flag",
                  quoted(flag, "suicide ", " is not true or false"))
    method, confidence, target_class = _method_and_target(triage, col, n)
    source = fields.text(col("source"), n)
    return pd.DataFrame({
        "event_id": ids,
        "source": source.where(source != "", "canonical"),
        "date": fields.month_start(parsed, precision),
        "date_precision": precision,
        "country": iso3,
        "admin1": admin1,
        "region_id": region,
        "latitude": lat,
        "longitude": lon,
        "attack_type": attack,
        "perpetrator": fields.text(col("perpetrator"), n),
        "target": fields.text(col("target"), n),
        "fatalities": deaths,
        "suicide": flag.isin(TRUE_TEXT).to_numpy(dtype=bool) if n else np.zeros(0, dtype=bool),
        "method_source": fields.labels(method.to_numpy(dtype=object), n),
        "method_confidence": confidence,
        "target_class": fields.labels(target_class, n),
    })


def _method_and_target(triage: Triage, col: Callable[[str], pd.Series | None],
                       n: int) -> tuple[pd.Series, pd.Series, np.ndarray]:
    """``method_source``, ``method_confidence`` and ``target_class``, defaulted and checked."""
    method = fields.text(col("method_source"), n).str.lower()
    method = method.where(method != "", "coded")
    triage.reject(~method.isin(METHOD_SOURCES), "unmapped_event_type",
                  quoted(method, "method_source ", f" is not one of {', '.join(METHOD_SOURCES)}"))
    raw_confidence = col("method_confidence")
    shown = fields.text(raw_confidence, n)
    confidence, invalid = fields.number(shown)
    confidence = confidence.where(~((method == "coded") & (shown == "")), 1.0)
    bad = invalid | (confidence < 0) | (confidence > 1) | ((method != "default") & confidence.isna())
    triage.reject(bad, "unmapped_event_type",
                  quoted(shown, "method_confidence ", " is not a probability in [0, 1]"))
    target_class = fields.text(col("target_class"), n).str.lower()
    triage.reject((target_class != "") & ~target_class.isin(TARGET_CLASSES), "unmapped_event_type",
                  quoted(target_class, "target_class ", f" is not one of {', '.join(TARGET_CLASSES)}"))
    derived = keyword_classes(fields.text(col("target"), n))
    return method, confidence, np.where(target_class == "", derived, target_class.to_numpy(dtype=object))
