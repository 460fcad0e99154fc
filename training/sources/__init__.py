"""Source readers: ACLED, UCDP GED, GTD and canonical files to validated canonical events.

Each reader converts a raw table column by column and rejects rows with a reason code (see
``docs/data.md``); :func:`read_source` detects the format from the header (or takes it as given),
converts and triages one file or in-memory table.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np
import pandas as pd

from training.sources import acled, canonical, gtd, ucdp
from training.sources.errors import SourceFormatError
from training.sources.files import read_table
from training.sources.formats import FORMAT_CHOICES, FORMATS, detect_format, resolve_format
from training.sources.triage import Triage

__all__ = [
    "FORMATS",
    "FORMAT_CHOICES",
    "SourceFormatError",
    "SourceResult",
    "convert_table",
    "detect_format",
    "read_source",
]

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
    table = raw.reset_index(drop=True)
    triage = Triage(table, source_file)
    candidates = CONVERTERS[spec.name](table, triage, perpetrator_filter)
    outcome = triage.finish(candidates, seen)
    return SourceResult(source_file, spec.name, len(table), outcome.events, outcome.rejects, outcome.rows)


def read_source(path: str | Path, fmt: str = "auto", perpetrator_filter: bool = True,
                seen: pd.Series | None = None) -> SourceResult:
    """Read one event file (CSV, compressed CSV, Parquet or Excel) and convert it.

    The header is checked before the rows are read, so a wrong file fails fast.

    Raises:
        SourceFormatError: when the file cannot be read, is not a known format, or lacks columns.
    """
    name = str(path)
    resolve_format(read_table(path, header_only=True).columns, fmt, name)
    return convert_table(read_table(path), fmt, name, perpetrator_filter, seen)
