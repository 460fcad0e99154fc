"""Global Terrorism Database (GTD) CSV and Excel files, as published by START, to canonical events.

``attacktype1_txt`` gives the attack type (:data:`models.taxonomy.GTD_ATTACK_TYPE`); a bombing with
``suicide`` = 1 is a ``suicide_attack``. ``imonth``/``iday`` 0 mean unknown: the date becomes the
first day of the year (precision ``year``) or month (precision ``month``). ``provstate``
``Unknown`` counts as a missing admin1. ``perpetrator`` is ``gname``, ``target`` is
``targtype1_txt`` and ``fatalities`` is ``nkill`` (empty means 0). Every GTD incident passes the
perpetrator filter: the database only records non-state terrorism. The method is coded
(``method_source`` ``coded``); ``target_class`` maps ``targtype1_txt``
(:data:`models.targets.GTD_TARGET_TYPE`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from models.targets import gtd_target_classes
from models.taxonomy import GTD_ATTACK_TYPE
from training.sources import fields
from training.sources.triage import Triage, quoted


def _date_parts(raw: pd.DataFrame, n: int) -> tuple[pd.Series, pd.Series, pd.Series, pd.Series, pd.Series]:
    """Year, month and day as numbers, a mask of non-numeric parts, and the parts' text for reporting."""
    parts = [fields.text(fields.column(raw, name), n) for name in ("iyear", "imonth", "iday")]
    parsed = [fields.number(p) for p in parts]
    invalid = parsed[0][1] | parsed[1][1] | parsed[2][1]
    shown = parts[0] + "-" + parts[1] + "-" + parts[2]
    return parsed[0][0], parsed[1][0], parsed[2][0], invalid, shown


def convert(raw: pd.DataFrame, triage: Triage, perpetrator_filter: bool) -> pd.DataFrame:
    """Convert a raw GTD table; rows failing a check are rejected on ``triage``."""
    del perpetrator_filter  # every GTD incident is attributed to a non-state perpetrator
    n = len(raw)

    def col(name: str) -> pd.Series | None:
        return fields.column(raw, name)

    ids = fields.text(col("eventid"), n)
    triage.reject(ids == "", "missing_id", "eventid is empty")

    kind = fields.text(col("attacktype1_txt"), n)
    suicide_num, _ = fields.number(fields.text(col("suicide"), n))
    suicide = (suicide_num == 1).to_numpy()
    attack = kind.str.lower().map(GTD_ATTACK_TYPE).astype(object)
    attack = attack.where(~((attack == "bombing") & suicide), "suicide_attack")
    triage.reject(attack.isna(), "unmapped_event_type",
                  quoted(kind, "attacktype1_txt ", " has no attack-type mapping"))

    year, month, day, invalid, shown = _date_parts(raw, n)
    triage.reject(fields.text(col("iyear"), n) == "", "missing_date", "iyear is empty")
    precision = pd.Series(np.where(month.fillna(0) == 0, "year",
                                   np.where(day.fillna(0) == 0, "month", "day")), dtype=object)
    parts = pd.DataFrame({"year": year, "month": month.where(month != 0, 1).fillna(1),
                          "day": day.where(day != 0, 1).fillna(1)})
    valid = (~invalid & year.between(1678, 2261) & (year % 1 == 0) & parts["month"].between(1, 12)
             & parts["day"].between(1, 31)).to_numpy()
    stamps = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    if valid.any():
        chosen = pd.to_datetime(parts.loc[valid].astype("int64"), errors="coerce")
        stamps[np.flatnonzero(valid)] = chosen.to_numpy(dtype="datetime64[ns]")
    parsed = pd.Series(stamps)
    triage.reject(parsed.isna(), "unparseable_date",
                  quoted(shown, "iyear-imonth-iday ", " is not a date"))

    admin1 = fields.text(col("provstate"), n)
    admin1 = admin1.where(admin1.str.lower() != "unknown", "")
    iso3, region = fields.locate(triage, col("country_txt"), admin1, country_name="country_txt",
                                 admin1_name="provstate")

    lat, lon = fields.coordinates(triage, col("latitude"), col("longitude"), n)
    deaths = fields.fatalities(triage, col("nkill"), n, "nkill")
    return pd.DataFrame({
        "event_id": ("gtd:" + ids),
        "source": "gtd",
        "date": parsed,
        "date_precision": precision,
        "country": iso3,
        "admin1": admin1,
        "region_id": region,
        "latitude": lat,
        "longitude": lon,
        "attack_type": attack.fillna("other"),
        "perpetrator": fields.text(col("gname"), n),
        "target": fields.text(col("targtype1_txt"), n),
        "fatalities": deaths,
        "suicide": suicide,
        "method_source": fields.labels("coded", n),
        "method_confidence": 1.0,
        "target_class": fields.labels(gtd_target_classes(fields.text(col("targtype1_txt"), n)), n),
    })
