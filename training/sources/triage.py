"""Row triage: every input row ends accepted or rejected with one reason, a detail and its raw form.

Readers call :meth:`Triage.reject` with a boolean mask per check, in order; a row keeps the first
reason that hits it. :meth:`Triage.finish` applies the duplicate-id check (within the file and
against ids accepted from earlier files) and splits the rows, so that
``rows_read == accepted + rejected`` by construction. The raw JSON is built for rejected rows only.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from models.schema import EVENT_COLUMNS, REJECT_COLUMNS, empty_rejects

TEXT_COLUMNS: Final = ("event_id", "source", "date_precision", "country", "admin1", "region_id",
                      "attack_type", "perpetrator", "target")
"""Canonical text columns, stored with pandas' Arrow-backed ``str`` dtype."""

REASONS: Final[dict[str, str]] = {
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


def _needs_escape(arrow: pa.Array) -> np.ndarray:
    """Rows holding a quote, a backslash or a control character, found by scanning the bytes once."""
    _, offsets_buffer, data_buffer = arrow.buffers()
    offsets = np.frombuffer(offsets_buffer, dtype=np.int64)[arrow.offset:arrow.offset + len(arrow) + 1]
    if data_buffer is None or len(arrow) == 0:
        return np.zeros(len(arrow), dtype=bool)
    data = np.frombuffer(data_buffer, dtype=np.uint8)[offsets[0]:offsets[-1]]
    hits = np.flatnonzero((data < 0x20) | (data == 0x22) | (data == 0x5C)) + offsets[0]
    mask = np.zeros(len(arrow), dtype=bool)
    if len(hits):
        mask[np.searchsorted(offsets, hits, side="right") - 1] = True
    return mask


def _escaped(arrow: pa.Array) -> pa.Array:
    """JSON string bodies: only the values holding a quote, backslash or control character change."""
    needs = _needs_escape(arrow)
    if not needs.any():
        return arrow
    chosen = pa.array(needs)
    bodies = [json.dumps(v, ensure_ascii=False)[1:-1] for v in arrow.filter(chosen).to_pylist()]
    return pc.replace_with_mask(arrow, chosen, pa.array(bodies, type=pa.large_string()))


_GROUP: Final = 6
"""Columns joined per step: bounds the intermediate strings held at once."""


def _text_column(values: pd.Series, indices: pa.Array) -> pa.Array | None:
    """The values at ``indices`` as a large-string Arrow array, or ``None`` when not text."""
    if values.dtype == object or not pd.api.types.is_string_dtype(values.dtype):
        return None
    arrow = pa.chunked_array(pa.array(values.array)).take(indices)
    return pc.fill_null(arrow.cast(pa.large_string()).combine_chunks(), "")


def _json_text_columns(raw: pd.DataFrame, positions: np.ndarray) -> pd.api.extensions.ExtensionArray | None:
    """Fast path for all-text tables: JSON objects assembled column-wise by Arrow kernels.

    Returns ``None`` when a column is not text.
    """
    if not all(v.dtype != object and pd.api.types.is_string_dtype(v.dtype) for _, v in raw.items()):
        return None
    indices = pa.array(positions, type=pa.int64())
    empty = pa.scalar("", type=pa.large_string())
    parts: list[pa.Array] = []
    names = list(raw.columns)
    for start in range(0, len(names), _GROUP):
        pieces: list[pa.Array | pa.Scalar] = []
        for number in range(start, min(start + _GROUP, len(names))):
            column = _text_column(raw.iloc[:, number], indices)
            assert column is not None
            key = json.dumps(str(names[number]), ensure_ascii=False)
            pieces.append(pa.scalar(("{" if number == 0 else ",") + key + ':"', type=pa.large_string()))
            pieces.append(_escaped(column))
            pieces.append(pa.scalar('"', type=pa.large_string()))
        parts.append(pc.binary_join_element_wise(*pieces, empty))
        del pieces
    parts.append(pa.array(["}"] * len(positions), type=pa.large_string()))
    joined = pc.binary_join_element_wise(*parts, empty)
    return pd.array(joined, dtype="str")


def raw_json(raw: pd.DataFrame, positions: np.ndarray) -> list[str] | pd.api.extensions.ExtensionArray:
    """One JSON object per row at ``positions``, keyed by the file's original column names."""
    if len(positions) == 0:
        return []
    if len(raw.columns):
        fast = _json_text_columns(raw, positions)
        if fast is not None:
            return fast
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
        row_offset: data rows of the same file before this table (when a file is read in chunks).
    """

    def __init__(self, raw: pd.DataFrame, source_file: str, row_offset: int = 0) -> None:
        self.raw = raw
        self.source_file = source_file
        self.row_offset = row_offset
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
        if reason not in REASONS:
            raise ValueError(f"undocumented reject reason {reason!r}")
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
        if seen is not None and len(seen):  # hash lookup; Series.isin on Arrow strings is far slower
            found = seen.index.get_indexer(pd.Index(open_ids.to_numpy(dtype=object))) >= 0
            earlier = pd.Series(found, index=open_ids.index)
        positions = np.flatnonzero(self.pending)
        first_row = pd.Series(positions + 1 + self.row_offset,
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
        rows = (np.flatnonzero(self.pending) + 1 + self.row_offset).astype("int64")
        return TriageResult(events=events, rows=rows, rejects=self.rejects())

    def rejects(self) -> pd.DataFrame:
        """The rejected rows so far, in file order."""
        positions = np.flatnonzero(~self.pending)
        if len(positions) == 0:
            return empty_rejects()
        frame = pd.DataFrame({
            "source_file": np.full(len(positions), self.source_file, dtype=object),
            "row_number": (positions + 1 + self.row_offset).astype("int64"),
            "reason": self.reason[positions],
            "detail": self.detail[positions],
            "raw": raw_json(self.raw, positions),
        })
        return frame[list(REJECT_COLUMNS)]
