"""Rejected rows as JSON objects keyed by the file's original column names, values as read.

For tables read as text (every CSV and Excel input) the objects are assembled column by column with
Arrow string kernels: each column's bytes are scanned once for characters JSON must escape, only
the values holding one go through :func:`json.dumps`, and the pieces are joined row-wise. Other
tables (typed Parquet, in-memory frames) go through :meth:`pandas.DataFrame.to_json`.
"""

from __future__ import annotations

import json
from typing import Final

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


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


def _is_arrow_text(values: pd.Series) -> bool:
    return values.dtype != object and pd.api.types.is_string_dtype(values.dtype)


def _text_column(values: pd.Series, indices: pa.Array) -> pa.Array:
    """The values at ``indices`` as a large-string Arrow array (missing values as ``""``)."""
    arrow = pa.chunked_array(pa.array(values.array)).take(indices)
    return pc.fill_null(arrow.cast(pa.large_string()).combine_chunks(), "")


def _json_text_columns(raw: pd.DataFrame, positions: np.ndarray) -> pd.api.extensions.ExtensionArray | None:
    """Fast path for all-text tables: JSON objects assembled column-wise by Arrow kernels.

    Returns ``None`` when a column is not text.
    """
    if not all(_is_arrow_text(values) for _, values in raw.items()):
        return None
    indices = pa.array(positions, type=pa.int64())
    empty = pa.scalar("", type=pa.large_string())
    parts: list[pa.Array] = []
    names = list(raw.columns)
    for start in range(0, len(names), _GROUP):
        pieces: list[pa.Array | pa.Scalar] = []
        for number in range(start, min(start + _GROUP, len(names))):
            column = _text_column(raw.iloc[:, number], indices)
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
