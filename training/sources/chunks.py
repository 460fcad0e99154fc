"""What a file reader yields: a raw table of rows plus the rows that could not be split into fields."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

import numpy as np
import pandas as pd

TEXT: Final = pd.StringDtype(storage="pyarrow", na_value=np.nan)
"""The dtype of every cell read from a text file."""


@dataclass(frozen=True)
class MalformedRow:
    """A data row whose fields do not fit the header (or that the CSV parser could not read).

    Attributes:
        row: 1-based data-row number in the file (the header is not counted).
        detail: what is wrong, e.g. ``expected 25 fields, got 26``.
        raw: the row's cells as a JSON array (``""`` when the parser could not split the row).
    """

    row: int
    detail: str
    raw: str


@dataclass(frozen=True)
class Chunk:
    """Consecutive rows of one file.

    Attributes:
        table: the well-formed rows, with the file's column names.
        rows: 1-based data-row number of each row of ``table``; ``None`` when the chunk holds no
            malformed row, so that its rows simply follow the previous chunks' rows.
        malformed: the rows of this stretch of the file that were rejected as malformed.
    """

    table: pd.DataFrame
    rows: np.ndarray | None = None
    malformed: tuple[MalformedRow, ...] = field(default=())

    @property
    def size(self) -> int:
        """Data rows this chunk accounts for (well-formed and malformed)."""
        return len(self.table) + len(self.malformed)


def unique_names(names: list[str]) -> list[str]:
    """Header names with repeats suffixed ``.1``, ``.2`` (as pandas does)."""
    seen: dict[str, int] = {}
    out = []
    for name in names:
        count = seen.get(name, 0)
        out.append(name if count == 0 else f"{name}.{count}")
        seen[name] = count + 1
    return out
