"""Reading event files as raw tables: CSV (optionally compressed), Parquet and Excel workbooks.

CSV and Excel cells are read as text exactly as written (an empty cell is ``""``), so rejected rows
can be reported verbatim; Parquet keeps its stored types. CSV is streamed by Arrow's multi-threaded
reader in chunks of rows, so a large file never sits in memory whole; it is decoded as UTF-8 or,
when it turns out not to be valid UTF-8, read again as Latin-1 (GTD's CSV exports use Latin-1).
A CSV file with a row whose field count differs from the header's is read again by the tolerant
reader (:mod:`training.sources.rowcsv`), which sets such rows apart one by one. Repeated header
names get ``.1``, ``.2`` suffixes, as pandas does.

A path that is a directory, a missing file, a zip archive given as CSV: each is one
:class:`SourceFormatError` saying so; no read ends in a traceback whatever the bytes.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Final

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv

from training.sources import rowcsv
from training.sources.chunks import TEXT, Chunk, unique_names
from training.sources.errors import SourceFormatError
from training.sources.rowcsv import NotUtf8Error

__all__ = ["BLOCK_BYTES", "CHUNK_ROWS", "MalformedCsvError", "NotUtf8Error", "iter_chunks",
           "iter_tables", "read_header", "read_table"]

PARQUET_SUFFIXES: Final = (".parquet", ".pq")
EXCEL_SUFFIXES: Final = (".xlsx", ".xlsm")
CHUNK_ROWS = 200_000
"""Rows converted at a time when streaming a CSV file (at least one parser block)."""
BLOCK_BYTES = 1 << 24
"""Bytes per Arrow CSV parser block."""
HEADER_BYTES: Final = 1 << 22
"""Most bytes read while looking for the end of the header line."""

_ZIP_MAGIC: Final = b"PK\x03\x04"
_READ_ERRORS: Final = (pa.ArrowInvalid, pa.ArrowException, pd.errors.ParserError, ValueError, OSError,
                       zipfile.BadZipFile, EOFError, csv.Error, UnicodeError)


class BinaryContentError(ValueError):
    """A file read as CSV holds binary data (NUL or many control bytes), not text."""


def _looks_binary(head: bytes) -> bool:
    sample = head[:8192]
    if not sample:
        return False
    controls = sum(1 for b in sample if b < 0x20 and b not in (0x09, 0x0A, 0x0D))
    return b"\x00" in sample or controls > max(16, len(sample) // 20)


class MalformedCsvError(Exception):
    """A CSV row's field count differs from the header's: read the file again with the tolerant reader."""


def _kind(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in PARQUET_SUFFIXES:
        return "parquet"
    if suffix in EXCEL_SUFFIXES:
        return "excel"
    return "csv"


def _check_file(file: Path, name: str, kind: str) -> None:
    """Refuse a missing path, a directory, an unreadable file and a zip archive given as CSV."""
    if file.is_dir():
        raise SourceFormatError(name, "is a directory, not an event file")
    if not file.exists():
        raise SourceFormatError(name, "no such file")
    if not file.is_file():
        raise SourceFormatError(name, "is not a regular file")
    try:
        with file.open("rb") as handle:
            magic = handle.read(4)
    except OSError as exc:
        raise SourceFormatError(name, f"cannot be opened: {exc.strerror or exc}") from exc
    if kind == "csv" and magic == _ZIP_MAGIC:
        raise SourceFormatError(name, "is a zip archive; extract the event file first (threatcast reads "
                                      ".csv, .csv.gz, .csv.bz2, .parquet and .xlsx files)")


def _csv_header(path: Path, encoding: str) -> list[str]:
    """The header row, parsed with the csv module from the first bytes of the (decompressed) file."""
    with pa.input_stream(str(path), compression="detect") as stream:
        head = b""
        while b"\n" not in head and b"\r" not in head and len(head) < HEADER_BYTES:
            block = stream.read(1 << 16)
            if not block:
                break
            head += block
    if _looks_binary(head):
        raise BinaryContentError("binary content")
    text = head.decode("utf-8-sig" if encoding == "utf8" else "latin-1", errors="replace")
    row = next(csv.reader(io.StringIO(text, newline="")), [])
    if not any(cell.strip() for cell in row):
        raise pd.errors.EmptyDataError("no header row")
    return row


def _batches_to_frame(batches: list[pa.RecordBatch], names: list[str]) -> pd.DataFrame:
    table = pa.Table.from_batches(batches).rename_columns(names)
    return table.to_pandas(types_mapper={pa.large_string(): TEXT}.get)


def _iter_csv(path: Path, chunk_rows: int, encoding: str) -> Iterator[pd.DataFrame]:
    try:
        yield from _stream_csv(path, chunk_rows, encoding)
    except pa.ArrowInvalid as exc:
        if encoding == "utf8" and "UTF8" in str(exc):
            raise NotUtf8Error(str(path)) from exc
        if "CSV parse error" in str(exc):
            raise MalformedCsvError(str(exc)) from exc
        raise


def _stream_csv(path: Path, chunk_rows: int, encoding: str) -> Iterator[pd.DataFrame]:
    header = _csv_header(path, encoding)
    convert = pa_csv.ConvertOptions(column_types=dict.fromkeys(header, pa.large_string()))
    options = pa_csv.ReadOptions(encoding=encoding, block_size=BLOCK_BYTES)
    with pa_csv.open_csv(str(path), read_options=options, convert_options=convert) as reader:
        names = unique_names([str(n) for n in reader.schema.names])
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
            yield pd.DataFrame({n: pd.Series([], dtype=TEXT) for n in names})


def _failure(name: str, kind: str, exc: BaseException) -> SourceFormatError:
    if isinstance(exc, pd.errors.EmptyDataError) or "Empty CSV file" in str(exc):
        return SourceFormatError(name, "the file is empty (no header row)")
    if isinstance(exc, BinaryContentError):
        return SourceFormatError(name, "holds binary data, not CSV text (threatcast reads .csv, "
                                       ".csv.gz, .csv.bz2, .parquet and .xlsx files)")
    detail = str(exc).strip().splitlines()
    return SourceFormatError(name, f"cannot read the file as {kind}: "
                                   f"{detail[0] if detail else type(exc).__name__}")


def iter_chunks(path: str | Path, chunk_rows: int | None = None, encoding: str = "utf8",
                tolerant: bool = False) -> Iterator[Chunk]:
    """Yield one event file in chunks of about ``chunk_rows`` rows (at least one chunk).

    Parquet and Excel files come as one chunk. CSV is decoded with ``encoding`` (``utf8`` or
    ``latin1``), by Arrow's parser, or row by row with malformed rows set apart when ``tolerant``.

    Raises:
        SourceFormatError: when the path is missing or a directory, the file is empty, or it
            cannot be parsed as its kind.
        NotUtf8Error: when a CSV file read as UTF-8 is not UTF-8 (chunks may already have been
            yielded: start again with ``encoding="latin1"``).
        MalformedCsvError: when Arrow's parser meets a row whose field count differs from the
            header's (chunks may already have been yielded: start again with ``tolerant=True``).
    """
    file = Path(path)
    name = str(path)
    kind = _kind(file)
    _check_file(file, name, kind)
    size = CHUNK_ROWS if chunk_rows is None else chunk_rows
    try:
        if kind == "parquet":
            yield Chunk(pd.read_parquet(file))
        elif kind == "excel":
            yield Chunk(pd.read_excel(file, dtype=str, keep_default_na=False, na_filter=False,
                                      engine="openpyxl"))
        elif tolerant:
            yield from rowcsv.iter_rows(file, size, encoding)
        else:
            for table in _iter_csv(file, size, encoding):
                yield Chunk(table)
    except _READ_ERRORS as exc:
        raise _failure(name, kind, exc) from exc


def iter_tables(path: str | Path, chunk_rows: int | None = None,
                encoding: str = "utf8") -> Iterator[pd.DataFrame]:
    """Yield the raw table of one event file in chunks (Arrow's parser; see :func:`iter_chunks`)."""
    for chunk in iter_chunks(path, chunk_rows, encoding):
        yield chunk.table


def read_header(path: str | Path) -> list[str]:
    """Column names of one event file, without reading its rows.

    Raises:
        SourceFormatError: when the path is missing or a directory, the file is empty, or it
            cannot be parsed as its kind.
    """
    file = Path(path)
    name = str(path)
    kind = _kind(file)
    _check_file(file, name, kind)
    try:
        if kind == "parquet":
            return [str(c) for c in pd.read_parquet(file).columns]
        if kind == "excel":
            return [str(c) for c in pd.read_excel(file, nrows=0, engine="openpyxl").columns]
        return unique_names(_csv_header(file, "utf8"))
    except _READ_ERRORS as exc:
        raise _failure(name, kind, exc) from exc


def read_table(path: str | Path) -> pd.DataFrame:
    """Read one event file whole into a raw table (malformed CSV rows left out)."""
    attempts = (("utf8", False), ("latin1", False), ("utf8", True), ("latin1", True))
    for encoding, tolerant in attempts:
        try:
            chunks = [c.table for c in iter_chunks(path, encoding=encoding, tolerant=tolerant)]
        except (NotUtf8Error, MalformedCsvError):
            continue
        return chunks[0] if len(chunks) == 1 else pd.concat(chunks, ignore_index=True)
    raise SourceFormatError(str(path), "cannot read the file as csv")
