"""Data fingerprint: a SHA-256 of the canonical events, independent of row order.

Two event frames with the same rows (in any order) get the same fingerprint; any changed value
changes it. Logged with every training so a forecast can be traced back to its exact data.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd

from models.schema import EVENT_COLUMNS


def events_fingerprint(events: pd.DataFrame) -> str:
    """SHA-256 hex digest of the canonical columns of ``events``, rows sorted by ``event_id``.

    Raises:
        ValueError: when a canonical column is missing.
    """
    missing = [c for c in EVENT_COLUMNS if c not in events.columns]
    if missing:
        raise ValueError(f"events lack canonical columns {missing}")
    frame = events[list(EVENT_COLUMNS)].sort_values("event_id", kind="mergesort").reset_index(drop=True)
    digest = hashlib.sha256()
    digest.update(f"rows={len(frame)};cols={','.join(EVENT_COLUMNS)}\n".encode())
    for col in EVENT_COLUMNS:
        digest.update(col.encode() + b"\0")
        digest.update(_column_bytes(frame[col]))
    return digest.hexdigest()


def _column_bytes(values: pd.Series) -> bytes:
    if col_is_datetime(values):
        return np.asarray(pd.to_datetime(values).astype("datetime64[ns]").astype("int64")).tobytes()
    if pd.api.types.is_float_dtype(values):
        arr = values.to_numpy(dtype=float)
        return np.where(np.isnan(arr), np.float64(-1e300), arr).astype("<f8").tobytes()
    if pd.api.types.is_bool_dtype(values) or pd.api.types.is_integer_dtype(values):
        return values.to_numpy(dtype="int64").astype("<i8").tobytes()
    return "\x1f".join("" if v is None else str(v) for v in values.tolist()).encode("utf-8")


def col_is_datetime(values: pd.Series) -> bool:
    """Whether ``values`` holds datetimes."""
    return bool(pd.api.types.is_datetime64_any_dtype(values))
