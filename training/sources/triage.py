"""Row triage: every input row ends accepted or rejected with one reason, a detail and its raw form.

Readers call :meth:`Triage.reject` with a boolean mask per check, in order; a row keeps the first
reason that hits it. :meth:`Triage.finish` applies the duplicate-id check (within the file and
against ids accepted from earlier files) and splits the rows, so that
``rows_read == accepted + rejected`` by construction. The raw JSON is built for rejected rows only.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
import pandas as pd

from models.schema import EVENT_COLUMNS, REJECT_COLUMNS, empty_rejects
from training.sources.chunks import MalformedRow
from training.sources.rawjson import raw_json

TEXT_COLUMNS: Final = ("event_id", "source", "date_precision", "country", "admin1", "region_id",
                      "attack_type", "perpetrator", "target")
"""Canonical text columns, stored with pandas' Arrow-backed ``str`` dtype."""

REASONS: Final[dict[str, str]] = {
    "hxl_tag_row": "the HXL hashtag row under the header of HDX exports (#date, #country, ...)",
    "missing_id": "the source's event id is empty",
    "not_threat_event": "a known event type that is not a threat event (protest, air strike, ...)",
    "unmapped_event_type": "an event type with no attack-type mapping",
    "filtered_perpetrator": "no non-state armed perpetrator (the perpetrator filter)",
    "missing_date": "the date is empty",
    "unparseable_date": "the date is not a valid date",
    "invalid_date_precision": "a canonical date_precision outside day/week/month/year",
    "unknown_country": "the country cannot be resolved to an ISO3 code",
    "missing_admin1": "no admin1 name (or one with no letters or digits, or GTD's 'Unknown')",
    "unparseable_coordinate": "a latitude or longitude that is not a number",
    "coordinate_out_of_range": "a latitude beyond +-90 or a longitude beyond +-180",
    "unparseable_fatalities": "a fatality count that is not a number",
    "negative_fatalities": "a negative fatality count",
    "invalid_suicide_flag": "a canonical suicide flag that is not true/false",
    "duplicate_id": "an event id already accepted from an earlier row or file",
    "malformed_row": "a CSV row whose field count differs from the header's, or that cannot be parsed",
}
"""Every reject reason code, with its meaning."""

Detail = str | Callable[[np.ndarray], "pd.Series | np.ndarray | list[str]"]
"""A fixed detail text, or a function of the rejected positions returning one text per row."""


def quoted(values: pd.Series, before: str, after: str = "") -> Callable[[np.ndarray], pd.Series]:
    """Detail builder: ``before + repr-like quoted value + after`` for each rejected position."""

    def build(positions: np.ndarray) -> pd.Series:
        shown = values.iloc[positions].astype("str").fillna("")
        return before + "'" + shown + "'" + after

    return build


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
        row_offset: data rows of the same file before this table (when a file is read in chunks).
        numbers: the 1-based file row number of each row of ``raw`` (default: the rows follow
            ``row_offset`` without gaps; given when malformed rows were set apart).
    """

    def __init__(self, raw: pd.DataFrame, source_file: str, row_offset: int = 0,
                 numbers: np.ndarray | None = None) -> None:
        self.raw = raw
        self.source_file = source_file
        self.n = len(raw)
        if numbers is None:
            numbers = np.arange(1, self.n + 1, dtype="int64") + row_offset
        elif len(numbers) != self.n:
            raise ValueError(f"{len(numbers)} row numbers for {self.n} rows")
        self.numbers = np.asarray(numbers, dtype="int64")
        self.pending = np.ones(self.n, dtype=bool)
        self.reason = np.full(self.n, "", dtype=object)
        self.detail = np.full(self.n, "", dtype=object)

    def reject(self, mask: pd.Series | np.ndarray, reason: str, detail: Detail) -> None:
        """Reject the rows in ``mask`` that no earlier check rejected."""
        hit = np.asarray(mask, dtype=bool) & self.pending
        positions = np.flatnonzero(hit)
        if len(positions) == 0:
            return
        if reason not in REASONS:
            raise ValueError(f"undocumented reject reason {reason!r}")
        self.reason[positions] = reason
        texts = detail(positions) if callable(detail) else detail
        self.detail[positions] = np.asarray(texts, dtype=object) if not isinstance(texts, str) else texts
        self.pending[positions] = False

    def reject_hxl_row(self) -> None:
        """Reject the first row of a file when it is an HXL hashtag row (every filled cell ``#...``)."""
        if self.n == 0 or self.numbers[0] != 1:
            return
        filled = [v for v in self.raw.iloc[0].tolist()
                  if not (pd.isna(v) or (isinstance(v, str) and not v.strip()))]
        if filled and all(isinstance(v, str) and v.strip().startswith("#") for v in filled):
            mask = np.zeros(self.n, dtype=bool)
            mask[0] = True
            self.reject(mask, "hxl_tag_row", "HXL hashtag row, not an event")

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
        if seen is not None and len(seen):  # hash lookup; Series.isin on Arrow strings is far slower
            found = seen.index.get_indexer(pd.Index(open_ids.to_numpy(dtype=object))) >= 0
            earlier = pd.Series(found, index=open_ids.index)
        positions = np.flatnonzero(self.pending)
        first_row = pd.Series(self.numbers[positions],
                              index=open_ids.to_numpy()).groupby(level=0).first()
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
        for name in TEXT_COLUMNS:
            if events[name].dtype == object:
                events[name] = events[name].astype("str")
        rows = self.numbers[self.pending]
        return TriageResult(events=events, rows=rows, rejects=self.rejects())

    def rejects(self) -> pd.DataFrame:
        """The rejected rows so far, in file order."""
        positions = np.flatnonzero(~self.pending)
        if len(positions) == 0:
            return empty_rejects()
        frame = pd.DataFrame({
            "source_file": np.full(len(positions), self.source_file, dtype=object),
            "row_number": self.numbers[positions],
            "reason": self.reason[positions],
            "detail": self.detail[positions],
            "raw": raw_json(self.raw, positions),
        })
        return frame[list(REJECT_COLUMNS)]


def malformed_rejects(source_file: str, rows: Sequence[MalformedRow]) -> pd.DataFrame:
    """The rejects (reason ``malformed_row``) of rows set apart by the tolerant CSV reader."""
    if not rows:
        return empty_rejects()
    frame = pd.DataFrame({
        "source_file": np.full(len(rows), source_file, dtype=object),
        "row_number": np.asarray([r.row for r in rows], dtype="int64"),
        "reason": np.full(len(rows), "malformed_row", dtype=object),
        "detail": np.asarray([r.detail for r in rows], dtype=object),
        "raw": np.asarray([r.raw for r in rows], dtype=object),
    })
    return frame[list(REJECT_COLUMNS)]
