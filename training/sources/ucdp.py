"""UCDP Georeferenced Event Dataset (GED) CSV exports to canonical events.

GED has no attack method: ``type_of_violence`` 1 and 2 become ``armed_clash`` and 3 (one-sided
violence) ``armed_assault``. The perpetrator filter keeps types 1 and 2 always (a non-state side is
involved) and type 3 only when ``side_a`` is not a government (``Government of ...``). ``date_prec``
1 is a day, 2-3 a week, 4 a month and 5 a year; the date is ``date_start``. ``adm_1`` loses a
trailing ``province``/``state``/``region``/``governorate``/``division`` word so that
``Nineveh province`` becomes ``Nineveh``. ``perpetrator`` is ``side_a``, ``target`` is ``side_b`` and
``fatalities`` is the ``best`` estimate.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd

from models.targets import ucdp_target_classes
from models.taxonomy import UCDP_VIOLENCE_TYPE
from training.sources import fields
from training.sources.triage import Triage, quoted

PRECISION: Final[dict[str, str]] = {"1": "day", "2": "week", "3": "week", "4": "month", "5": "year"}
"""GED ``date_prec`` to date precision (anything else is treated as ``day``)."""

GOVERNMENT_PREFIX: Final = "government of"


def convert(raw: pd.DataFrame, triage: Triage, perpetrator_filter: bool) -> pd.DataFrame:
    """Convert a raw GED table; rows failing a check are rejected on ``triage``."""
    n = len(raw)

    def col(name: str) -> pd.Series | None:
        return fields.column(raw, name)

    ids = fields.text(col("id"), n)
    triage.reject(ids == "", "missing_id", "id is empty")

    violence_raw = fields.text(col("type_of_violence"), n)
    violence, _ = fields.number(violence_raw)
    attack = violence.map(UCDP_VIOLENCE_TYPE).astype(object)
    triage.reject(attack.isna(), "unmapped_event_type",
                  quoted(violence_raw, "type_of_violence ", " is not 1, 2 or 3"))

    side_a = fields.text(col("side_a"), n)
    if perpetrator_filter:
        government = side_a.str.lower().str.startswith(GOVERNMENT_PREFIX)
        triage.reject((violence == 3) & government, "filtered_perpetrator",
                      quoted(side_a, "one-sided violence by a government: side_a "))

    date_raw = col("date_start")
    assert date_raw is not None
    parsed = fields.dates(date_raw)
    fields.check_date(triage, parsed, date_raw, "date_start")

    admin1 = fields.strip_admin_suffix(fields.text(col("adm_1"), n))
    iso3, region = fields.locate(triage, col("country"), admin1, country_name="country", admin1_name="adm_1",
                                 fallback=col("iso3"))

    lat, lon = fields.coordinates(triage, col("latitude"), col("longitude"), n)
    deaths = fields.fatalities(triage, col("best"), n, "best")
    precision = fields.text(col("date_prec"), n).map(PRECISION).fillna("day").astype("str")
    targets = ucdp_target_classes(violence, side_a, fields.text(col("source_headline"), n), iso3)
    return pd.DataFrame({
        "event_id": ("ucdp:" + ids),
        "source": "ucdp",
        "date": fields.month_start(parsed, precision),
        "date_precision": precision,
        "country": iso3,
        "admin1": admin1,
        "region_id": region,
        "latitude": lat,
        "longitude": lon,
        "attack_type": attack.fillna("other"),
        "perpetrator": side_a,
        "target": fields.text(col("side_b"), n),
        "fatalities": deaths,
        "suicide": False,
        "method_source": fields.labels("default", n),
        "method_confidence": np.nan,
        "target_class": fields.labels(targets, n),
    })
