"""The tolerant CSV reader: row by row with the ``csv`` module, each malformed row kept apart.

Arrow's fast parser stops at the first row whose field count differs from the header's. When that
happens the file is read again here: every row that has the header's number of fields goes on to
conversion as usual, and every other row (too many or too few fields, or one the parser cannot
read at all) becomes a :class:`~training.sources.chunks.MalformedRow` with its row number, so one
bad line costs one row, not the whole file. Line ends may be LF, CRLF or bare CR; quoted fields may
span lines. Blank lines are skipped and not counted, as in the fast path.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from training.sources.chunks import TEXT, Chunk, MalformedRow, unique_names
from training.sources.errors import printable


class NotUtf8Error(Exception):
    """A CSV file read as UTF-8 holds bytes that are not UTF-8: read it again as Latin-1."""


class _Rows:
    """The accumulating well-formed rows and malformed rows of one chunk."""

    def __init__(self, width: int) -> None:
        self.columns: list[list[str]] = [[] for _ in range(width)]
        self.numbers: list[int] = []
        self.malformed: list[MalformedRow] = []

    def __len__(self) -> int:
        return len(self.numbers) + len(self.malformed)

    def chunk(self, names: list[str]) -> Chunk:
        table = pd.DataFrame({name: pd.Series(values, dtype=TEXT)
                              for name, values in zip(names, self.columns, strict=True)})
        return Chunk(table=table, rows=np.asarray(self.numbers, dtype="int64"),
                     malformed=tuple(self.malformed))


def _records(reader: Iterator[list[str]]) -> Iterator[list[str] | csv.Error]:
    """The reader's rows; a row the parser rejects comes as its ``csv.Error`` and reading goes on."""
    while True:
        try:
            yield next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield exc


def iter_rows(path: Path, chunk_rows: int, encoding: str) -> Iterator[Chunk]:
    """Yield the rows of a (possibly compressed) CSV file in chunks of about ``chunk_rows`` rows.

    Raises:
        NotUtf8Error: when ``encoding`` is ``utf8`` and the file is not UTF-8 (chunks may already
            have been yielded: start again with ``latin1``).
        pandas.errors.EmptyDataError: when the file has no header row.
    """
    text_encoding = "utf-8-sig" if encoding == "utf8" else "latin-1"
    try:
        with pa.input_stream(str(path), compression="detect") as stream, \
                io.TextIOWrapper(stream, encoding=text_encoding, newline="") as text:
            records = _records(csv.reader(text))
            header = next((r for r in records if not isinstance(r, csv.Error) and r), None)
            if header is None:
                raise pd.errors.EmptyDataError("no header row")
            names = unique_names(header)
            width = len(names)
            pending = _Rows(width)
            number = 0
            for record in records:
                if isinstance(record, list) and not record:
                    continue  # a blank line
                number += 1
                if isinstance(record, csv.Error):
                    pending.malformed.append(MalformedRow(
                        number, f"unreadable row: {printable(str(record), 200)}", ""))
                elif len(record) != width:
                    pending.malformed.append(MalformedRow(
                        number, f"expected {width} fields, got {len(record)}",
                        json.dumps(record, ensure_ascii=False)))
                else:
                    pending.numbers.append(number)
                    for column, value in zip(pending.columns, record, strict=True):
                        column.append(value)
                if len(pending) >= chunk_rows:
                    yield pending.chunk(names)
                    pending = _Rows(width)
            if len(pending) or number == 0:
                yield pending.chunk(names)
    except UnicodeDecodeError as exc:
        if encoding != "utf8":
            raise
        raise NotUtf8Error(str(path)) from exc
