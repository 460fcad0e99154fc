"""ACLED exports (HDX country files and the current acleddata.com export) to canonical events.

``sub_event_type`` gives the attack type (:data:`models.taxonomy.ACLED_SUB_EVENT`); known non-threat
sub-event types are rejected as ``not_threat_event``. The perpetrator filter keeps events whose
``inter1`` is 2, 3 or 4 (rebels, political and identity militias), and armed clashes where either
side is 2 or 3. ``inter1``/``inter2`` may be numeric codes or the text labels of newer exports. When
a clash is kept only because of ``actor2``, the actors are swapped so that ``perpetrator`` names the
non-state group. ``time_precision`` 1/2/3 is day/week/month. The method is coded (``method_source``
``coded``, confidence 1.0); ``target_class`` comes from the target side's actor, actor type and
associated actor, else from ``notes`` (:func:`models.targets.acled_target_classes`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

import numpy as np
import pandas as pd

from models.methods import ACLED_METHOD_LABELS
from models.targets import acled_target_classes
from models.taxonomy import ACLED_CLASH_INTER, ACLED_NON_THREAT, ACLED_SUB_EVENT, ACLED_THREAT_INTER
from training.sources import fields
from training.sources.errors import SourceFormatError
from training.sources.files import iter_tables
from training.sources.table import RawTable, events_frame
from training.sources.triage import Triage, quoted

PRECISION: Final[dict[str, str]] = {"1": "day", "2": "week", "3": "month"}
"""ACLED ``time_precision`` to date precision (anything else is treated as ``day``)."""

INTER_LABELS: Final[dict[str, float]] = {
    "state forces": 1, "rebel group": 2, "rebel groups": 2, "political militia": 3,
    "political militias": 3, "identity militia": 4, "identity militias": 4, "rioters": 5,
    "protesters": 6, "civilians": 7, "external/other forces": 8, "external forces": 8,
}
"""Actor-type labels of newer ACLED exports to the numeric ``inter`` codes."""


def inter_codes(values: pd.Series | None, n: int) -> pd.Series:
    """Numeric actor-type codes from numbers or labels (NaN when missing or unknown)."""
    if values is None:
        return pd.Series(np.full(n, np.nan))
    parsed, _ = fields.number(values)
    labels = fields.text(values).str.lower().map(INTER_LABELS).astype("float64")
    return parsed.fillna(labels)


def convert(raw: pd.DataFrame, triage: Triage, perpetrator_filter: bool) -> pd.DataFrame:
    """Convert a raw ACLED table; rows failing a check are rejected on ``triage``."""
    table = RawTable(raw)
    n = table.n
    ids = table.ids(triage, "event_id_cnty")

    sub = table.text("sub_event_type")
    key = sub.str.lower()
    attack = key.map(ACLED_SUB_EVENT).astype(object)
    unmapped = attack.isna().to_numpy()
    triage.reject(unmapped & key.isin(ACLED_NON_THREAT).to_numpy(), "not_threat_event",
                  quoted(sub, "sub_event_type ", " is not a threat event"))
    triage.reject(unmapped, "unmapped_event_type",
                  quoted(sub, "sub_event_type ", " has no attack-type mapping"))

    inter1 = inter_codes(table.column("inter1"), n)
    inter2 = inter_codes(table.column("inter2"), n)
    clash = (attack == "armed_clash").to_numpy()
    first_armed = inter1.isin(ACLED_THREAT_INTER).to_numpy()
    second_armed = inter2.isin(ACLED_CLASH_INTER).to_numpy()
    if perpetrator_filter:
        keep = first_armed | (clash & (inter1.isin(ACLED_CLASH_INTER).to_numpy() | second_armed))
        shown1, shown2 = table.text("inter1"), table.text("inter2")
        triage.reject(~keep, "filtered_perpetrator",
                      lambda pos: "no non-state armed actor: inter1 '" + shown1.iloc[pos]
                      + "', inter2 '" + shown2.iloc[pos] + "'")

    parsed = table.dates(triage, "event_date")
    place = table.place(triage, "country", table.text("admin1"), "admin1",
                        fallback=_iso_numeric(table.column("iso"), n))
    deaths = table.fatalities(triage, "fatalities")

    precision = table.text("time_precision").map(PRECISION).fillna("day").astype("str")
    actor1, actor2 = table.text("actor1"), table.text("actor2")
    swap = clash & ~first_armed & second_armed
    perpetrator = actor1.where(~swap, actor2)
    target = actor2.where(~swap, actor1)
    assoc = table.text("assoc_actor_2").where(~swap, table.text("assoc_actor_1"))
    target_inter = inter2.where(~swap, inter1)
    targets = acled_target_classes(target, target_inter, assoc, table.text("notes"), place.country)
    return events_frame(table, "acled:" + ids, "acled", (fields.month_start(parsed, precision), precision),
                        place, attack.fillna("other"), (perpetrator, target), deaths,
                        (key == "suicide bomb").to_numpy(), table.coded(), targets)


def _iso_numeric(values: pd.Series | None, n: int) -> pd.Series | None:
    """ISO 3166 numeric codes (``466``) zero-padded to three digits, for country lookup."""
    if values is None:
        return None
    return fields.text(values, n).str.zfill(3).where(fields.text(values, n) != "", "")


def method_examples(path: str | Path) -> pd.DataFrame:
    """Training texts of the method classifier from one ACLED file: ``text`` (``notes``) and ``label``.

    The label is :func:`models.methods.acled_method_label` of ``sub_event_type``; rows without notes
    or without a method label (protests, riots, agreements, ...) are left out. Every row counts,
    whatever its perpetrator: the method of an event does not depend on who carried it out.

    Raises:
        SourceFormatError: when the file cannot be read or lacks ``notes`` or ``sub_event_type``.
    """
    frames = []
    for chunk in iter_tables(path):
        notes, sub = fields.column(chunk, "notes"), fields.column(chunk, "sub_event_type")
        if notes is None or sub is None:
            raise SourceFormatError(str(path), "an ACLED file with notes and sub_event_type is needed")
        text = fields.text(notes)
        label = fields.text(sub).str.lower().map(ACLED_METHOD_LABELS)
        keep = (text != "") & label.notna()
        frames.append(pd.DataFrame({"text": text[keep].to_numpy(dtype=object),
                                    "label": label[keep].to_numpy(dtype=object)}))
    return pd.concat(frames, ignore_index=True)
