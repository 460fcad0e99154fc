"""Reading one source: detect or take the format, stream the file, convert and triage each chunk.

:func:`read_source` reads a file, :func:`convert_table` an in-memory raw table; both return a
:class:`SourceResult` whose ``rows_read`` equals its accepted plus rejected rows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np
import pandas as pd

from training.sources import acled, canonical, gtd, ucdp
from training.sources.chunks import Chunk
from training.sources.errors import SourceFormatError
from training.sources.files import MalformedCsvError, NotUtf8Error, iter_chunks, read_header
from training.sources.formats import resolve_format
from training.sources.triage import Triage, TriageResult, malformed_rejects

Converter = Callable[[pd.DataFrame, Triage, bool], pd.DataFrame]

CONVERTERS: Final[dict[str, Converter]] = {
    "acled": acled.convert,
    "ucdp": ucdp.convert,
    "gtd": gtd.convert,
    "canonical": canonical.convert,
}


@dataclass(frozen=True)
class SourceResult:
    """One file's outcome.

    Attributes:
        source_file: the file name as given (``<frame>`` for an in-memory table).
        format: the format it was read as.
        rows_read: data rows in the file.
        events: accepted canonical events.
        rejects: rejected rows (:data:`models.schema.REJECT_COLUMNS`).
        accepted_rows: 1-based row number of each accepted event.
    """

    source_file: str
    format: str
    rows_read: int
    events: pd.DataFrame
    rejects: pd.DataFrame
    accepted_rows: np.ndarray


def _convert(raw: pd.DataFrame, spec_name: str, source_file: str, perpetrator_filter: bool,
             seen: pd.Series | None, row_offset: int,
             numbers: np.ndarray | None = None) -> tuple[TriageResult, int]:
    table = raw.reset_index(drop=True)
    triage = Triage(table, source_file, row_offset, numbers)
    triage.reject_hxl_row()
    candidates = CONVERTERS[spec_name](table, triage, perpetrator_filter)
    return triage.finish(candidates, seen), len(table)


def _convert_chunk(chunk: Chunk, spec_name: str, source_file: str, perpetrator_filter: bool,
                   seen: pd.Series | None, row_offset: int) -> TriageResult:
    """Convert one chunk; its malformed rows join the rejects in file order."""
    outcome, _ = _convert(chunk.table, spec_name, source_file, perpetrator_filter, seen, row_offset,
                          chunk.rows)
    if not chunk.malformed:
        return outcome
    rejects = pd.concat([outcome.rejects, malformed_rejects(source_file, chunk.malformed)],
                        ignore_index=True)
    rejects = rejects.sort_values("row_number", kind="stable").reset_index(drop=True)
    return TriageResult(events=outcome.events, rows=outcome.rows, rejects=rejects)


def accepted_ids(source_file: str, events: pd.DataFrame, rows: np.ndarray) -> pd.Series:
    """Where each accepted id came from (``file row N``), indexed by id: the ``seen`` of later reads."""
    where = source_file + " row " + rows.astype(str).astype(object)
    return pd.Series(where, index=events["event_id"].to_numpy(), dtype=object)


def convert_table(raw: pd.DataFrame, fmt: str = "auto", source_file: str = "<frame>",
                  perpetrator_filter: bool = True, seen: pd.Series | None = None) -> SourceResult:
    """Convert an already-read raw table.

    Args:
        raw: the table with its original column names.
        fmt: ``auto`` or a format name.
        source_file: name reported in the rejects.
        perpetrator_filter: apply the source's non-state perpetrator rule.
        seen: ids accepted from earlier files (index) with where they came from (values); their
            repeats are rejected as ``duplicate_id``.

    Raises:
        SourceFormatError: when the format is unknown or required columns are missing.
    """
    spec = resolve_format(raw.columns, fmt, source_file)
    outcome, rows = _convert(raw, spec.name, source_file, perpetrator_filter, seen, 0)
    return SourceResult(source_file, spec.name, rows, outcome.events, outcome.rejects, outcome.rows)


def read_source(path: str | Path, fmt: str = "auto", perpetrator_filter: bool = True,
                seen: pd.Series | None = None) -> SourceResult:
    """Read one event file (CSV, compressed CSV, Parquet or Excel) and convert it.

    The header is checked before any row is read, so a wrong file fails fast; a CSV file is then
    converted chunk by chunk (see :data:`training.sources.files.CHUNK_ROWS`), each chunk's accepted
    ids joining ``seen`` so that duplicates across chunks are caught like duplicates across files.
    A CSV file that is not UTF-8 is read again as Latin-1; one with a row whose field count differs
    from the header's is read again by the tolerant reader, and each such row is rejected as
    ``malformed_row`` with its row number.

    Raises:
        SourceFormatError: when the file cannot be read, is not a known format, or lacks columns.
    """
    name = str(path)
    spec = resolve_format(read_header(path), fmt, name)
    encoding, tolerant = "utf8", False
    for _ in range(3):  # at most: fast UTF-8, then Latin-1 and/or the tolerant reader
        try:
            return _read_chunks(path, spec.name, perpetrator_filter, seen, encoding, tolerant)
        except NotUtf8Error:
            encoding = "latin1"
        except MalformedCsvError:
            tolerant = True
    raise SourceFormatError(name, "cannot read the file as csv")  # pragma: no cover - latin1 always decodes


def _read_chunks(path: str | Path, fmt: str, perpetrator_filter: bool, seen: pd.Series | None,
                 encoding: str, tolerant: bool) -> SourceResult:
    name = str(path)
    events: list[pd.DataFrame] = []
    rejects: list[pd.DataFrame] = []
    rows: list[np.ndarray] = []
    known = seen
    total = 0
    for chunk in iter_chunks(path, encoding=encoding, tolerant=tolerant):
        outcome = _convert_chunk(chunk, fmt, name, perpetrator_filter, known, total)
        total += chunk.size
        del chunk
        events.append(outcome.events)
        rejects.append(outcome.rejects)
        rows.append(outcome.rows)
        if len(outcome.events):
            fresh = accepted_ids(name, outcome.events, outcome.rows)
            known = fresh if known is None else pd.concat([known, fresh])
    kept = [e for e in events if len(e)] or events[:1]
    dropped = [r for r in rejects if len(r)] or rejects[:1]
    return SourceResult(
        source_file=name, format=fmt, rows_read=total,
        events=pd.concat(kept, ignore_index=True) if len(kept) > 1 else kept[0],
        rejects=pd.concat(dropped, ignore_index=True) if len(dropped) > 1 else dropped[0],
        accepted_rows=np.concatenate(rows) if rows else np.zeros(0, dtype="int64"),
    )
