"""Row triage: every input row ends accepted or rejected with one reason, a detail and its raw form.

Readers call :meth:`Triage.reject` with a boolean mask per check, in order; a row keeps the first
reason that hits it. :meth:`Triage.finish` applies the duplicate-id check (within the file and
against ids accepted from earlier files) and splits the rows, so that
``rows_read == accepted + rejected`` by construction. The raw JSON is built for rejected rows only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from models.schema import EVENT_COLUMNS, REJECT_COLUMNS, empty_rejects

Detail = str | Callable[[np.ndarray], "pd.Series | np.ndarray | list[str]"]
"""A fixed detail text, or a function of the rejected positions returning one text per row."""


def quoted(values: pd.Series, before: str, after: str = "") -> Callable[[np.ndarray], pd.Series]:
    """Detail builder: ``before + repr-like quoted value + after`` for each rejected position."""

    def build(positions: np.ndarray) -> pd.Series:
        shown = values.iloc[positions].astype("str").fillna("")
        return before + "'" + shown + "'" + after

    return build


def raw_json(raw: pd.DataFrame, positions: np.ndarray) -> list[str]:
    """One JSON object per row at ``positions``, keyed by the file's original column names."""
    if len(positions) == 0:
        return []
    subset = raw.iloc[positions]
    text = subset.to_json(orient="records", lines=True, force_ascii=False, date_format="iso")
    lines = text.rstrip("\n").split("\n")
    return [line.replace("\\/", "/") for line in lines]


@dataclass(frozen=True)
class TriageResult:
    """Accepted events (canonical columns), their 1-based row numbers, and the rejected rows."""

    events: pd.DataFrame
    rows: np.ndarray
    rejects: pd.DataFrame


class Triage:
    """Reasons for the rows of one raw table.

    Args:
        raw: the table as read, with its original column names.
        source_file: name reported in the rejects.
    """

    def __init__(self, raw: pd.DataFrame, source_file: str) -> None:
        self.raw = raw
        self.source_file = source_file
        self.n = len(raw)
        self.pending = np.ones(self.n, dtype=bool)
        self.reason = np.full(self.n, "", dtype=object)
        self.detail = np.full(self.n, "", dtype=object)

    def reject(self, mask: pd.Series | np.ndarray, reason: str, detail: Detail) -> None:
        """Reject the rows in ``mask`` that no earlier check rejected."""
        hit = np.asarray(mask, dtype=bool) & self.pending
        positions = np.flatnonzero(hit)
        if len(positions) == 0:
            return
        self.reason[positions] = reason
        texts = detail(positions) if callable(detail) else detail
        self.detail[positions] = np.asarray(texts, dtype=object) if not isinstance(texts, str) else texts
        self.pending[positions] = False

    def finish(self, candidates: pd.DataFrame, seen: pd.Series | None = None) -> TriageResult:
        """Reject duplicate ids and split the rows.

        Args:
            candidates: one converted row per raw row, canonical columns (values of rejected rows
                are ignored).
            seen: ids accepted from earlier files (index) and where (values), if any.

        Returns:
            The accepted events (canonical column order, fresh index) and the rejects.
        """
        ids = candidates["event_id"]
        open_ids = ids[self.pending]
        within = open_ids.duplicated(keep="first")
        earlier = pd.Series(False, index=open_ids.index)
        if seen is not None and len(seen):
            earlier = open_ids.isin(seen.index)
        positions = np.flatnonzero(self.pending)
        first_row = pd.Series(positions + 1, index=open_ids.to_numpy()).groupby(level=0).first()
        dup_mask = np.zeros(self.n, dtype=bool)
        dup_mask[positions[(within | earlier).to_numpy()]] = True

        def where(pos: np.ndarray) -> list[str]:
            out = []
            for event_id in ids.iloc[pos]:
                if seen is not None and event_id in seen.index:
                    out.append(f"event_id '{event_id}' already accepted from {seen.loc[event_id]}")
                else:
                    out.append(f"event_id '{event_id}' already accepted from row "
                               f"{first_row.loc[event_id]} of this file")
            return out

        self.reject(dup_mask, "duplicate_id", where)
        events = candidates.loc[self.pending, list(EVENT_COLUMNS)].reset_index(drop=True)
        rows = (np.flatnonzero(self.pending) + 1).astype("int64")
        return TriageResult(events=events, rows=rows, rejects=self.rejects())

    def rejects(self) -> pd.DataFrame:
        """The rejected rows so far, in file order."""
        positions = np.flatnonzero(~self.pending)
        if len(positions) == 0:
            return empty_rejects()
        frame = pd.DataFrame({
            "source_file": np.full(len(positions), self.source_file, dtype=object),
            "row_number": (positions + 1).astype("int64"),
            "reason": self.reason[positions],
            "detail": self.detail[positions],
            "raw": np.asarray(raw_json(self.raw, positions), dtype=object),
        })
        return frame[list(REJECT_COLUMNS)]
