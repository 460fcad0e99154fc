"""Reading event files as raw tables: CSV (optionally compressed), Parquet and Excel workbooks.

CSV and Excel cells are read as text exactly as written (an empty cell is ``""``), so rejected rows
can be reported verbatim; Parquet keeps its stored types. CSV is streamed by Arrow's multi-threaded
reader in chunks of rows, so a large file never sits in memory whole; it is decoded as UTF-8 or,
when it turns out not to be valid UTF-8, read again as Latin-1 (GTD's CSV exports use Latin-1).
Repeated header names get ``.1``, ``.2`` suffixes, as pandas does.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Final

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv

from training.sources.errors import SourceFormatError

PARQUET_SUFFIXES: Final = (".parquet", ".pq")
EXCEL_SUFFIXES: Final = (".xlsx", ".xlsm")
CHUNK_ROWS = 200_000
"""Rows converted at a time when streaming a CSV file (at least one parser block)."""
BLOCK_BYTES = 1 << 24
"""Bytes per Arrow CSV parser block."""

_TEXT: Final = pd.StringDtype(storage="pyarrow", na_value=np.nan)


def _kind(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in PARQUET_SUFFIXES:
        return "parquet"
    if suffix in EXCEL_SUFFIXES:
        return "excel"
    return "csv"


class NotUtf8Error(Exception):
    """A CSV file read as UTF-8 holds bytes that are not UTF-8: read it again as Latin-1."""


def _unique_names(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for name in names:
        count = seen.get(name, 0)
        out.append(name if count == 0 else f"{name}.{count}")
        seen[name] = count + 1
    return out


def _csv_header(path: Path, encoding: str) -> list[str]:
    """The header row, parsed with the csv module from the first bytes of the (decompressed) file."""
    with pa.input_stream(str(path), compression="detect") as stream:
        head = b""
        while b"\n" not in head:
            block = stream.read(1 << 16)
            if not block:
                break
            head += block
    text = head.decode("utf-8-sig" if encoding == "utf8" else "latin-1", errors="replace")
    row = next(csv.reader(io.StringIO(text)), [])
    if not any(cell.strip() for cell in row):
        raise pd.errors.EmptyDataError("no header row")
    return row


def _batches_to_frame(batches: list[pa.RecordBatch], names: list[str]) -> pd.DataFrame:
    table = pa.Table.from_batches(batches).rename_columns(names)
    return table.to_pandas(types_mapper={pa.large_string(): _TEXT}.get)


def _iter_csv(path: Path, chunk_rows: int, encoding: str) -> Iterator[pd.DataFrame]:
    try:
        yield from _stream_csv(path, chunk_rows, encoding)
    except pa.ArrowInvalid as exc:
        if encoding == "utf8" and "UTF8" in str(exc):
            raise NotUtf8Error(str(path)) from exc
        raise


def _stream_csv(path: Path, chunk_rows: int, encoding: str) -> Iterator[pd.DataFrame]:
    header = _csv_header(path, encoding)
    convert = pa_csv.ConvertOptions(column_types=dict.fromkeys(header, pa.large_string()))
    options = pa_csv.ReadOptions(encoding=encoding, block_size=BLOCK_BYTES)
    with pa_csv.open_csv(str(path), read_options=options, convert_options=convert) as reader:
        names = _unique_names([str(n) for n in reader.schema.names])
        pending: list[pa.RecordBatch] = []
        rows, chunks = 0, 0
        for batch in reader:
            pending.append(batch)
            rows += batch.num_rows
            if rows >= chunk_rows:
                yield _batches_to_frame(pending, names)
                pending, rows, chunks = [], 0, chunks + 1
        if pending:
            yield _batches_to_frame(pending, names)
        elif chunks == 0:
            yield pd.DataFrame({n: pd.Series([], dtype=_TEXT) for n in names})


def _failure(name: str, kind: str, exc: Exception) -> SourceFormatError:
    if isinstance(exc, pd.errors.EmptyDataError) or "Empty CSV file" in str(exc):
        return SourceFormatError(name, "the file is empty (no header row)")
    return SourceFormatError(name, f"cannot read the file as {kind}: {exc}")


def iter_tables(path: str | Path, chunk_rows: int | None = None,
                encoding: str = "utf8") -> Iterator[pd.DataFrame]:
    """Yield the raw table of one event file in chunks of about ``chunk_rows`` rows (at least one chunk).

    Parquet and Excel files come as one chunk. CSV is decoded with ``encoding`` (``utf8`` or
    ``latin1``).

    Raises:
        SourceFormatError: when the file is missing, empty, or cannot be parsed as its kind.
        NotUtf8Error: when a CSV file read as UTF-8 is not UTF-8 (chunks may already have been
            yielded: start again with ``encoding="latin1"``).
    """
    file = Path(path)
    name = str(path)
    if not file.is_file():
        raise SourceFormatError(name, "no such file")
    kind = _kind(file)
    try:
        if kind == "parquet":
            yield pd.read_parquet(file)
        elif kind == "excel":
            yield pd.read_excel(file, dtype=str, keep_default_na=False, na_filter=False, engine="openpyxl")
        else:
            yield from _iter_csv(file, CHUNK_ROWS if chunk_rows is None else chunk_rows, encoding)
    except (pa.ArrowInvalid, pd.errors.ParserError, ValueError, OSError, zipfile.BadZipFile,
            EOFError) as exc:
        raise _failure(name, kind, exc) from exc


def read_header(path: str | Path) -> list[str]:
    """Column names of one event file, without reading its rows.

    Raises:
        SourceFormatError: when the file is missing, empty, or cannot be parsed as its kind.
    """
    file = Path(path)
    name = str(path)
    if not file.is_file():
        raise SourceFormatError(name, "no such file")
    kind = _kind(file)
    try:
        if kind == "parquet":
            return [str(c) for c in pd.read_parquet(file).columns]
        if kind == "excel":
            return [str(c) for c in pd.read_excel(file, nrows=0, engine="openpyxl").columns]
        return _unique_names(_csv_header(file, "utf8"))
    except (pa.ArrowInvalid, pd.errors.ParserError, ValueError, OSError, zipfile.BadZipFile,
            EOFError) as exc:
        if isinstance(exc, SourceFormatError):
            raise
        raise _failure(name, kind, exc) from exc


def read_table(path: str | Path) -> pd.DataFrame:
    """Read one event file whole into a raw table (see :func:`iter_tables`)."""
    try:
        chunks = list(iter_tables(path))
    except NotUtf8Error:
        chunks = list(iter_tables(path, encoding="latin1"))
    return chunks[0] if len(chunks) == 1 else pd.concat(chunks, ignore_index=True)
