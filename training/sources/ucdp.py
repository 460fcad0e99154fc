"""UCDP Georeferenced Event Dataset (GED) CSV exports to canonical events.

GED has no attack method: ``type_of_violence`` 1 and 2 become ``armed_clash`` and 3 (one-sided
violence) ``armed_assault``. The perpetrator filter keeps types 1 and 2 always (a non-state side is
involved) and type 3 only when ``side_a`` is not a government (``Government of ...``). ``date_prec``
1 is a day, 2-3 a week, 4 a month and 5 a year; the date is ``date_start``. ``adm_1`` loses a
trailing ``province``/``state``/``region``/``governorate``/``division`` word so that
``Nineveh province`` becomes ``Nineveh``. ``perpetrator`` is ``side_a``, ``target`` is ``side_b`` and
``fatalities`` is the ``best`` estimate.

Attack method from ``source_headline`` (:func:`text_methods`): the shipped method classifier
(:mod:`models.methods`) reads the headline's ``;``-separated reports. A confident attack type
replaces the default (``method_source`` ``text``, ``method_confidence`` its calibrated
probability; ``suicide`` for a suicide attack). A confident air or drone strike by a government
side is rejected as ``not_threat_event``, like ACLED's. Otherwise (no headline, abstention, a
government retaking ground, an air strike by a non-state side) the default type stays
(``method_source`` ``default``, no confidence). ``target_class`` comes from
:func:`models.targets.ucdp_target_classes`.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd

from models.methods import AIR_STRIKE, shipped_classifier
from models.targets import ucdp_target_classes
from models.taxonomy import ATTACK_TYPES, UCDP_VIOLENCE_TYPE
from training.sources import fields
from training.sources.table import Method, RawTable, events_frame
from training.sources.triage import Triage, quoted

PRECISION: Final[dict[str, str]] = {"1": "day", "2": "week", "3": "week", "4": "month", "5": "year"}
"""GED ``date_prec`` to date precision (anything else is treated as ``day``)."""

GOVERNMENT_PREFIX: Final = "government of"


def convert(raw: pd.DataFrame, triage: Triage, perpetrator_filter: bool) -> pd.DataFrame:
    """Convert a raw GED table; rows failing a check are rejected on ``triage``."""
    table = RawTable(raw)
    ids = table.ids(triage, "id")

    violence_raw = table.text("type_of_violence")
    violence, _ = fields.number(violence_raw)
    attack = violence.map(UCDP_VIOLENCE_TYPE).astype(object)
    triage.reject(attack.isna(), "unmapped_event_type",
                  quoted(violence_raw, "type_of_violence ", " is not 1, 2 or 3"))

    side_a = table.text("side_a")
    government = side_a.str.lower().str.startswith(GOVERNMENT_PREFIX)
    headline = table.text("source_headline")
    method = text_methods(headline, attack)
    air = ((method["label"] == AIR_STRIKE) & ~method["abstained"] & government).to_numpy()
    shown = method["confidence"].map(lambda p: f"{p:.2f}")
    triage.reject(air, "not_threat_event",
                  lambda pos: "source_headline reads as a government air/drone strike (confidence "
                  + shown.iloc[pos] + ")")
    if perpetrator_filter:
        triage.reject((violence == 3) & government, "filtered_perpetrator",
                      quoted(side_a, "one-sided violence by a government: side_a "))

    parsed = table.dates(triage, "date_start")
    place = table.place(triage, "country", fields.strip_admin_suffix(table.text("adm_1")), "adm_1",
                        fallback=table.column("iso3"))
    deaths = table.fatalities(triage, "best")
    precision = table.text("date_prec").map(PRECISION).fillna("day").astype("str")
    targets = ucdp_target_classes(violence, side_a, headline, place.country)
    attack_type = method["attack_type"]
    found = Method(method["method_source"].to_numpy(dtype=object),
                   method["method_confidence"].to_numpy(dtype=float))
    return events_frame(table, "ucdp:" + ids, "ucdp", (fields.month_start(parsed, precision), precision),
                        place, attack_type.fillna("other"), (side_a, table.text("side_b")), deaths,
                        (attack_type == "suicide_attack").to_numpy(), found, targets)


def text_methods(headline: pd.Series, default: pd.Series) -> pd.DataFrame:
    """The method of each row from its headline, else ``default``.

    Columns: ``label``, ``confidence`` and ``abstained`` of the classifier (``""``, NaN and true
    without a headline or with text methods off), and the resulting ``attack_type``,
    ``method_source`` and ``method_confidence``.
    """
    n = len(headline)
    classifier = shipped_classifier()
    texts = headline.reset_index(drop=True)
    has = (texts != "").to_numpy()
    label = np.full(n, "", dtype=object)
    confidence = np.full(n, np.nan)
    abstained = np.ones(n, dtype=bool)
    if classifier is not None and has.any():
        unique, inverse = np.unique(texts[has].to_numpy(dtype=object).astype(str), return_inverse=True)
        found = classifier.classify_reports(list(unique))
        label[has] = found.label[inverse]
        confidence[has] = found.confidence[inverse]
        abstained[has] = found.abstained[inverse]
    use = ~abstained & np.isin(label, ATTACK_TYPES)
    attack = default.reset_index(drop=True).astype(object).where(~use, pd.Series(label))
    return pd.DataFrame({
        "label": label, "confidence": confidence, "abstained": abstained, "attack_type": attack,
        "method_source": np.where(use, "text", "default").astype(object),
        "method_confidence": np.where(use, confidence, np.nan),
    })
