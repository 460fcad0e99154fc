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
from training.sources.table import RawTable, events_frame
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
    table = RawTable(raw)
    n = table.n
    ids = table.ids(triage, "eventid")

    kind = table.text("attacktype1_txt")
    suicide_num, _ = fields.number(table.text("suicide"))
    suicide = (suicide_num == 1).to_numpy()
    attack = kind.str.lower().map(GTD_ATTACK_TYPE).astype(object)
    attack = attack.where(~((attack == "bombing") & suicide), "suicide_attack")
    triage.reject(attack.isna(), "unmapped_event_type",
                  quoted(kind, "attacktype1_txt ", " has no attack-type mapping"))

    year, month, day, invalid, shown = _date_parts(raw, n)
    triage.reject(table.text("iyear") == "", "missing_date", "iyear is empty")
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

    admin1 = table.text("provstate")
    place = table.place(triage, "country_txt", admin1.where(admin1.str.lower() != "unknown", ""), "provstate")
    target = table.text("targtype1_txt")
    return events_frame(table, "gtd:" + ids, "gtd", (parsed, precision), place, attack.fillna("other"),
                        (table.text("gname"), target), table.fatalities(triage, "nkill"), suicide,
                        table.coded(), gtd_target_classes(target))
