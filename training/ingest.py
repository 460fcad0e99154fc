"""Ingestion: event files in, one validated canonical events table and its rejects out.

:func:`ingest` reads every file (or in-memory table) in order, so an id accepted from an earlier file
rejects its repeats in later ones; :func:`write_ingest` stores ``events.parquet``, ``rejected.csv``
and ``ingest_summary.json`` in a data directory; :func:`load_events` reads the events back validated.

Writing is all or nothing: the three files are written to temporary files in the data directory
first and only then moved over the old ones with ``os.replace``; a failed write (a full disk, a
permission error) leaves the previous outputs exactly as they were. A result with no accepted event
never replaces anything unless asked to (``allow_empty``).
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, NamedTuple

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv

from models.schema import (
    EVENT_COLUMNS,
    REJECT_COLUMNS,
    conform_events,
    empty_events,
    empty_rejects,
    validate_events,
)
from models.taxonomy import TAXONOMY_VERSION
from training.sources import SourceResult, accepted_ids, convert_table, read_source
from training.sources.triage import TEXT_COLUMNS

EVENTS_FILE: Final = "events.parquet"
REJECTS_FILE: Final = "rejected.csv"
SUMMARY_FILE: Final = "ingest_summary.json"

Input = str | Path | pd.DataFrame


@dataclass(frozen=True)
class IngestResult:
    """Accepted events, rejected rows and the figures that reconcile them.

    Attributes:
        events: canonical events, validated, sorted by date then event id.
        rejects: rejected rows (:data:`models.schema.REJECT_COLUMNS`), in input order.
        summary: JSON-ready figures (see :func:`summarise`).
    """

    events: pd.DataFrame
    rejects: pd.DataFrame
    summary: dict[str, Any]


class EmptyIngestError(ValueError):
    """An ingest accepted no event; writing it would replace the outputs with an empty table."""


class IngestOutputs(NamedTuple):
    """Where :func:`write_ingest` stored its files."""

    events: Path
    rejects: Path
    summary: Path


def _empty_events() -> pd.DataFrame:
    """An empty canonical frame whose text columns carry the ``str`` dtype the readers produce."""
    frame = empty_events()
    for name in TEXT_COLUMNS:
        frame[name] = frame[name].astype("str")
    return frame


def _counts(values: pd.Series) -> dict[str, int]:
    counts = values.value_counts()
    return {str(k): int(v) for k, v in sorted(counts.items(), key=lambda kv: (-kv[1], str(kv[0])))}


def summarise(parts: Sequence[SourceResult], events: pd.DataFrame, rejects: pd.DataFrame,
              perpetrator_filter: bool) -> dict[str, Any]:
    """Figures of one ingest: totals, reasons, attack types, countries, dates, per source and file."""
    by_source: dict[str, dict[str, int]] = {}
    files = []
    for part in parts:
        files.append({"path": part.source_file, "format": part.format, "rows_read": part.rows_read,
                      "accepted": len(part.events), "rejected": len(part.rejects)})
        entry = by_source.setdefault(part.format, {"rows_read": 0, "accepted": 0, "rejected": 0})
        entry["rows_read"] += part.rows_read
        entry["accepted"] += len(part.events)
        entry["rejected"] += len(part.rejects)
    dates = events["date"]
    return {
        "rows_read": sum(p.rows_read for p in parts),
        "accepted": len(events),
        "rejected": len(rejects),
        "rejected_by_reason": _counts(rejects["reason"]),
        "by_attack_type": _counts(events["attack_type"]),
        "by_country": _counts(events["country"]),
        "by_source": by_source,
        "first_date": None if events.empty else dates.min().date().isoformat(),
        "last_date": None if events.empty else dates.max().date().isoformat(),
        "regions": int(events["region_id"].nunique()),
        "perpetrator_filter": perpetrator_filter,
        "taxonomy_version": TAXONOMY_VERSION,
        "files": files,
    }


def ingest(paths: Input | Sequence[Input], fmt: str = "auto",
           perpetrator_filter: bool = True) -> IngestResult:
    """Read event files into canonical events; every row is accepted or rejected with a reason.

    Args:
        paths: file paths (CSV, ``.csv.gz``, Parquet, XLSX) and/or raw tables, read in order.
        fmt: ``auto`` (detect each file from its header) or one of ``acled``, ``ucdp``, ``gtd``,
            ``canonical`` for every input.
        perpetrator_filter: keep only events with a non-state armed perpetrator (source rules in
            ``docs/data.md``).

    Returns:
        The validated events, the rejects and the summary; ``rows_read == accepted + rejected``.

    Raises:
        SourceFormatError: when an input cannot be read, is not a known format or lacks columns.
    """
    inputs = [paths] if isinstance(paths, str | Path | pd.DataFrame) else list(paths)
    parts: list[SourceResult] = []
    seen: pd.Series | None = None
    for number, item in enumerate(inputs, start=1):
        if isinstance(item, pd.DataFrame):
            part = convert_table(item, fmt, f"<frame {number}>", perpetrator_filter, seen)
        else:
            part = read_source(item, fmt, perpetrator_filter, seen)
        parts.append(part)
        if len(part.events):
            where = accepted_ids(part.source_file, part.events, part.accepted_rows)
            seen = where if seen is None else pd.concat([seen, where])
    frames = [p.events for p in parts if len(p.events)]
    events = pd.concat(frames, ignore_index=True) if frames else _empty_events()
    events = events.sort_values(["date", "event_id"], kind="stable").reset_index(drop=True)
    events = validate_events(events)
    reject_frames = [p.rejects for p in parts if len(p.rejects)]
    rejects = pd.concat(reject_frames, ignore_index=True) if reject_frames else empty_rejects()
    summary = summarise(parts, events, rejects, perpetrator_filter)
    return IngestResult(events=events, rejects=rejects[list(REJECT_COLUMNS)], summary=summary)


def _write_parquet(events: pd.DataFrame, path: Path) -> None:
    events.to_parquet(path, index=False)


def _write_rejects(rejects: pd.DataFrame, path: Path) -> None:
    pa_csv.write_csv(pa.Table.from_pandas(rejects, preserve_index=False), path)


def _write_summary(summary: dict[str, Any], path: Path) -> None:
    with path.open("w", encoding="utf-8") as handle:
        handle.write(json.dumps(summary, indent=2, ensure_ascii=False) + "\n")
        handle.flush()
        os.fsync(handle.fileno())


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _stage(writers: Sequence[tuple[Callable[[Path], None], Path]], token: str) -> list[tuple[Path, Path]]:
    """Write every output to a temporary sibling; on any failure remove them all and re-raise."""
    staged: list[tuple[Path, Path]] = []
    try:
        for write, final in writers:
            temp = final.with_name(f".{final.name}.{token}.tmp")
            staged.append((temp, final))
            write(temp)
            _fsync(temp)
    except BaseException:
        for temp, _ in staged:
            temp.unlink(missing_ok=True)
        raise
    return staged


def _swap(staged: Sequence[tuple[Path, Path]], token: str) -> None:
    """Move the temporary files over the outputs; if one move fails, put the old outputs back."""
    backups: list[tuple[Path, Path]] = []
    done: list[Path] = []
    try:
        for _, final in staged:
            if final.exists():
                backup = final.with_name(f".{final.name}.{token}.bak")
                try:
                    os.link(final, backup)
                except OSError:  # a file system without hard links
                    shutil.copy2(final, backup)
                backups.append((backup, final))
        for temp, final in staged:
            os.replace(temp, final)
            done.append(final)
    except BaseException:
        restored = {final for _, final in backups}
        for backup, final in backups:
            with contextlib.suppress(OSError):
                os.replace(backup, final)
        for final in done:
            if final not in restored:
                final.unlink(missing_ok=True)
        raise
    finally:
        for temp, _ in staged:
            temp.unlink(missing_ok=True)
        for backup, _ in backups:
            backup.unlink(missing_ok=True)


def write_ingest(result: IngestResult, data_dir: str | Path, allow_empty: bool = False) -> IngestOutputs:
    """Write ``events.parquet``, ``rejected.csv`` and ``ingest_summary.json`` into ``data_dir``.

    The three files are replaced together or not at all: each is written and synced to a temporary
    file first, then moved into place; if anything fails the previous outputs are left intact.

    Args:
        result: what :func:`ingest` returned.
        data_dir: the data directory (created if missing).
        allow_empty: write a result with no accepted event (by default it is refused, so that a
            header-only or wholly rejected input never replaces good outputs).

    Raises:
        EmptyIngestError: when ``result`` has no accepted event and ``allow_empty`` is false.
        OSError: when the directory or a file cannot be written (nothing is replaced).
    """
    folder = Path(data_dir)
    outputs = IngestOutputs(folder / EVENTS_FILE, folder / REJECTS_FILE, folder / SUMMARY_FILE)
    if result.events.empty and not allow_empty:
        summary = result.summary
        reasons = ", ".join(f"{k} {v:,}" for k, v in summary.get("rejected_by_reason", {}).items())
        kept = "left as they were" if outputs.events.exists() else "not written"
        raise EmptyIngestError(
            f"no event accepted ({summary.get('rows_read', 0):,} rows read, "
            f"{summary.get('rejected', 0):,} rejected{': ' + reasons if reasons else ''}); "
            f"the outputs in {folder} are {kept}")
    folder.mkdir(parents=True, exist_ok=True)
    token = secrets.token_hex(4)
    staged = _stage([
        (lambda p: _write_parquet(result.events, p), outputs.events),
        (lambda p: _write_rejects(result.rejects, p), outputs.rejects),
        (lambda p: _write_summary(result.summary, p), outputs.summary),
    ], token)
    _swap(staged, token)
    return outputs


def load_events(data_dir: str | Path) -> pd.DataFrame:
    """Read ``events.parquet`` from ``data_dir``, conformed to canonical dtypes and validated.

    Raises:
        FileNotFoundError: when the directory holds no ingested events.
        pandera.errors.SchemaError: when the stored events break the canonical schema.
    """
    path = Path(data_dir) / EVENTS_FILE
    if not path.is_file():
        raise FileNotFoundError(f"no ingested events at {path}; run `threatcast ingest` first")
    frame = pd.read_parquet(path)
    if list(frame.columns) != list(EVENT_COLUMNS):
        frame = conform_events(frame)
    frame["date"] = frame["date"].astype("datetime64[ns]")
    return validate_events(frame)
