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

from typing import Final

import numpy as np
import pandas as pd

from models.schema import DATE_PRECISIONS, METHOD_SOURCES
from models.targets import TARGET_CLASSES, keyword_classes
from models.taxonomy import ATTACK_TYPES
from training.sources import fields
from training.sources.table import Method, RawTable, events_frame
from training.sources.triage import Triage, quoted

TRUE_TEXT: Final = frozenset({"true", "1", "yes", "y", "t", "1.0"})
FALSE_TEXT: Final = frozenset({"false", "0", "no", "n", "f", "", "0.0"})


def convert(raw: pd.DataFrame, triage: Triage, perpetrator_filter: bool) -> pd.DataFrame:
    """Convert a raw canonical table; rows failing a check are rejected on ``triage``."""
    del perpetrator_filter  # canonical events are threat events by definition
    table = RawTable(raw)
    ids = table.ids(triage, "event_id")

    attack = table.text("attack_type").str.lower()
    triage.reject(~attack.isin(ATTACK_TYPES), "unmapped_event_type",
                  quoted(attack, "attack_type ", " is not a threatcast attack type"))

    parsed = table.dates(triage, "date")
    precision = table.text("date_precision").str.lower()
    precision = precision.where(precision != "", "day")
    triage.reject(~precision.isin(DATE_PRECISIONS), "invalid_date_precision",
                  quoted(precision, "date_precision ", f" is not one of {', '.join(DATE_PRECISIONS)}"))

    place = table.place(triage, "country", table.text("admin1"), "admin1")
    deaths = table.fatalities(triage, "fatalities")

    flag = table.text("suicide").str.lower()
    triage.reject(~(flag.isin(TRUE_TEXT) | flag.isin(FALSE_TEXT)), "invalid_suicide_flag",
                  quoted(flag, "suicide ", " is not true or false"))
    method, target_class = _method_and_target(triage, table)
    source = table.text("source")
    return events_frame(table, ids, source.where(source != "", "canonical"),
                        (fields.month_start(parsed, precision), precision), place, attack,
                        (table.text("perpetrator"), table.text("target")), deaths, flag.isin(TRUE_TEXT),
                        method, target_class)


def _method_and_target(triage: Triage, table: RawTable) -> tuple[Method, np.ndarray]:
    """The method (``method_source``, ``method_confidence``) and ``target_class``, defaulted and checked."""
    method = table.text("method_source").str.lower()
    method = method.where(method != "", "coded")
    triage.reject(~method.isin(METHOD_SOURCES), "unmapped_event_type",
                  quoted(method, "method_source ", f" is not one of {', '.join(METHOD_SOURCES)}"))
    shown = table.text("method_confidence")
    confidence, invalid = fields.number(shown)
    confidence = confidence.where(~((method == "coded") & (shown == "")), 1.0)
    bad = invalid | (confidence < 0) | (confidence > 1) | ((method != "default") & confidence.isna())
    triage.reject(bad, "unmapped_event_type",
                  quoted(shown, "method_confidence ", " is not a probability in [0, 1]"))
    target_class = table.text("target_class").str.lower()
    triage.reject((target_class != "") & ~target_class.isin(TARGET_CLASSES), "unmapped_event_type",
                  quoted(target_class, "target_class ", f" is not one of {', '.join(TARGET_CLASSES)}"))
    derived = keyword_classes(table.text("target"))
    classes = np.where(target_class == "", derived, target_class.to_numpy(dtype=object))
    return Method(method.to_numpy(dtype=object), confidence), classes
