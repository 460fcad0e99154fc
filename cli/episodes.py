"""`threatcast episodes`: list the occupation-episode catalog, or detect candidate episodes in data."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from models.episode_detection import detect_episodes, regains_from_rejects, seizures_from_events
from models.episodes import (
    CATALOG_VERSION,
    CatalogError,
    catalog_to_csv_frame,
    load_catalog,
    overlapping_episodes,
    write_catalog,
)
from training.sources import FORMAT_CHOICES, SourceFormatError


def episode_records(catalog: pd.DataFrame) -> list[dict[str, Any]]:
    """JSON-ready episodes: catalog columns plus ``region_id``; an ongoing end is ``None``."""
    text = catalog_to_csv_frame(catalog)
    text["region_id"] = catalog["region_id"].to_numpy()
    records = [{str(k): v for k, v in row.items()} for row in text.to_dict("records")]
    for record in records:
        record["end_month"] = record["end_month"] or None
    return records


def _console() -> Console:
    """Standard output; wide enough for the table when it is not a terminal (pipes, files)."""
    console = Console()
    return console if console.is_terminal else Console(width=200)


def _table(records: list[dict[str, Any]], title: str, match: bool) -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column("episode", no_wrap=True)
    for name in ("country", "admin1", "start", "end", "groups"):
        table.add_column(name)
    table.add_column("catalog match" if match else "source")
    for rec in records:
        last = (rec["catalog_match"] or "-") if match else rec["source"]
        table.add_row(rec["episode_id"], rec["country"], rec["admin1"], rec["start_month"],
                      rec["end_month"] or "ongoing", rec["groups"], last)
    return table


def _detect(files: list[Path], fmt: str, max_open_months: int) -> pd.DataFrame:
    """Ingest ``files`` and detect candidate episodes from their seizures and government regains."""
    from training.ingest import ingest

    result = ingest(files, fmt=fmt)
    seizures = seizures_from_events(result.events)
    regains = regains_from_rejects(result.rejects)
    data_end = result.events["date"].max().to_period("M") if len(result.events) else None
    return detect_episodes(seizures, regains, max_open_months=max_open_months, data_end=data_end)


def episodes_command(
    extra_files: Annotated[list[Path] | None, typer.Argument(
        help="More event files for --detect (after --events FILE).", show_default=False, metavar="FILE...",
    )] = None,
    catalog_file: Annotated[Path | None, typer.Option(
        "--catalog", help="A user catalog CSV (schema in docs/episodes.md); default: the shipped one.",
    )] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON list instead of a table.")] = False,
    detect: Annotated[bool, typer.Option(
        "--detect", help="Propose candidate episodes from the territorial-control events of --events.",
    )] = False,
    events: Annotated[list[Path] | None, typer.Option(
        "--events", help="Event file(s) to detect episodes in (ACLED codes territorial control).")] = None,
    fmt: Annotated[str, typer.Option("--format", "-f",
                                     help=f"Input format: {'|'.join(FORMAT_CHOICES)}.")] = "auto",
    max_open_months: Annotated[int, typer.Option(
        "--max-open-months", min=0, help="Drop a seizure with no government regain within this many months.",
    )] = 36,
    out: Annotated[Path | None, typer.Option(
        "--out", help="With --detect: write the candidates as a catalog CSV (edit it, then pass --catalog).",
    )] = None,
) -> None:
    """List the occupation-episode catalog, or detect candidate episodes in event data."""
    err = Console(stderr=True, soft_wrap=True)
    try:
        catalog = load_catalog(catalog_file)
    except CatalogError as exc:
        err.print(f"error: {exc}", markup=False, highlight=False)
        raise typer.Exit(2) from None
    files = [*(events or []), *(extra_files or [])]
    if not detect:
        if files:
            err.print("error: event files are only used with --detect")
            raise typer.Exit(2)
        records = episode_records(catalog)
        if as_json:
            typer.echo(json.dumps(records, ensure_ascii=False))
            return
        origin = str(catalog_file) if catalog_file else f"shipped catalog v{CATALOG_VERSION}"
        _console().print(_table(records, f"occupation episodes ({origin}): {len(records)}", match=False))
        return
    if not files:
        err.print("error: --detect needs event files: --events FILE [FILE...]")
        raise typer.Exit(2)
    if fmt not in FORMAT_CHOICES:
        err.print(f"error: unknown format {fmt!r}; choose one of {', '.join(FORMAT_CHOICES)}")
        raise typer.Exit(2)
    try:
        candidates = _detect(files, fmt, max_open_months)
        if out is not None:
            write_catalog(candidates, out)
    except SourceFormatError as exc:
        err.print(f"error: {exc}", markup=False, highlight=False)
        raise typer.Exit(2) from None
    except OSError as exc:
        err.print(f"error: cannot write {out}: {exc}", markup=False, highlight=False)
        raise typer.Exit(2) from None
    records = episode_records(candidates)
    for record, match in zip(records, overlapping_episodes(candidates, catalog), strict=True):
        record["catalog_match"] = "; ".join(match)
    if as_json:
        typer.echo(json.dumps(records, ensure_ascii=False))
        return
    console = _console()
    console.print(_table(records, f"candidate episodes detected: {len(records)}", match=True))
    if not records:
        console.print("no territory seizure followed by a government regain in the data "
                      "(only ACLED codes territorial control)")
    if out is not None:
        console.print(f"written: {out}")


def register(app: typer.Typer) -> None:
    """Add ``episodes`` to ``app``."""
    app.command("episodes")(episodes_command)
