"""Reading event files as raw tables: CSV (optionally compressed), Parquet and Excel workbooks.

CSV and Excel cells are read as text exactly as written (an empty cell is ``""``), so rejected rows
can be reported verbatim; Parquet keeps its stored types. CSV is decoded as UTF-8 and, failing that,
as Latin-1 (GTD's CSV exports use it).
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Final

import pandas as pd

from training.sources.errors import SourceFormatError

PARQUET_SUFFIXES: Final = (".parquet", ".pq")
EXCEL_SUFFIXES: Final = (".xlsx", ".xlsm")


def _kind(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in PARQUET_SUFFIXES:
        return "parquet"
    if suffix in EXCEL_SUFFIXES:
        return "excel"
    return "csv"


def _read_csv(path: Path, nrows: int | None) -> pd.DataFrame:
    for encoding in ("utf-8-sig", "latin-1"):
        try:
            return pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False,
                               encoding=encoding, nrows=nrows, low_memory=False)
        except UnicodeDecodeError:
            continue
    raise AssertionError("latin-1 decodes every byte")  # pragma: no cover


def read_table(path: str | Path, header_only: bool = False) -> pd.DataFrame:
    """Read one event file into a raw table (no rows when ``header_only``).

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
            table = pd.read_parquet(file)
            return table.iloc[:0] if header_only else table
        if kind == "excel":
            return pd.read_excel(file, dtype=str, keep_default_na=False, na_filter=False,
                                 nrows=0 if header_only else None, engine="openpyxl")
        return _read_csv(file, 0 if header_only else None)
    except pd.errors.EmptyDataError as exc:
        raise SourceFormatError(name, "the file is empty (no header row)") from exc
    except (pd.errors.ParserError, ValueError, OSError, zipfile.BadZipFile, EOFError) as exc:
        raise SourceFormatError(name, f"cannot read the file as {kind}: {exc}") from exc
