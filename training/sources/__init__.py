"""Source readers: ACLED, UCDP GED, GTD and canonical files to validated canonical events.

Each reader converts a raw table column by column and rejects rows with a reason code (see
``docs/data.md``); :func:`read_source` detects the format from the header (or takes it as given),
converts and triages one file, :func:`convert_table` one in-memory table.
"""

from __future__ import annotations

from training.sources.errors import SourceFormatError
from training.sources.formats import FORMAT_CHOICES, FORMATS, detect_format
from training.sources.reader import SourceResult, accepted_ids, convert_table, read_source

__all__ = [
    "FORMATS",
    "FORMAT_CHOICES",
    "SourceFormatError",
    "SourceResult",
    "accepted_ids",
    "convert_table",
    "detect_format",
    "read_source",
]
