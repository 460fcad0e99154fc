"""`threatcast ingest`: read event files into the data directory's canonical events."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from training.ingest import EmptyIngestError, ingest, write_ingest
from training.sources import FORMAT_CHOICES, SourceFormatError

DATA_DIR_ENV = "THREATCAST_DATA_DIR"


def _table(title: str, counts: dict[str, int], total: int) -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column("value")
    table.add_column("rows", justify="right")
    table.add_column("share", justify="right")
    for key, value in counts.items():
        table.add_row(key, f"{value:,}", f"{value / total:.1%}" if total else "-")
    return table


def _print_summary(console: Console, summary: dict[str, Any], written: list[Path]) -> None:
    console.print(f"[bold]rows read[/bold] {summary['rows_read']:,}  "
                  f"[green]accepted[/green] {summary['accepted']:,}  "
                  f"[red]rejected[/red] {summary['rejected']:,}")
    for entry in summary["files"]:
        console.print(f"  {entry['path']} ({entry['format']}): {entry['rows_read']:,} read, "
                      f"{entry['accepted']:,} accepted, {entry['rejected']:,} rejected")
    if summary["first_date"]:
        console.print(f"events from {summary['first_date']} to {summary['last_date']} "
                      f"in {summary['regions']:,} regions")
    if not summary["perpetrator_filter"]:
        console.print("perpetrator filter: off")
    console.print(_table("attack types", summary["by_attack_type"], summary["accepted"]))
    console.print(_table("countries", summary["by_country"], summary["accepted"]))
    if summary["rejected"]:
        console.print(_table("rejected by reason", summary["rejected_by_reason"], summary["rejected"]))
    console.print("written: " + ", ".join(str(p) for p in written))


def ingest_command(
    files: Annotated[list[Path], typer.Argument(help="Event files: CSV (.csv, .csv.gz), Parquet, XLSX.",
                                                metavar="FILE",
                                                show_default=False)],
    fmt: Annotated[str, typer.Option("--format", "-f",
                                     help=f"Input format: {'|'.join(FORMAT_CHOICES)}.")] = "auto",
    data_dir: Annotated[Path, typer.Option("--data-dir", envvar=DATA_DIR_ENV,
                                           help="Where events.parquet and rejected.csv go.")] = Path("data"),
    no_perpetrator_filter: Annotated[bool, typer.Option(
        "--no-perpetrator-filter", help="Keep events whatever the perpetrator type.")] = False,
    allow_empty: Annotated[bool, typer.Option(
        "--allow-empty", help="Write the outputs even when no event is accepted.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object instead.")] = False,
) -> None:
    """Read event files (ACLED, UCDP GED, GTD or canonical) into validated canonical events."""
    if fmt not in FORMAT_CHOICES:
        typer.echo(f"error: unknown format {fmt!r}; choose one of {', '.join(FORMAT_CHOICES)}", err=True)
        raise typer.Exit(2)
    try:
        result = ingest(files, fmt=fmt, perpetrator_filter=not no_perpetrator_filter)
        outputs = write_ingest(result, data_dir, allow_empty=allow_empty)
    except SourceFormatError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    except EmptyIngestError as exc:
        typer.echo(f"error: {exc}; pass --allow-empty to write an empty result", err=True)
        raise typer.Exit(2) from None
    except OSError as exc:
        typer.echo(f"error: cannot write to {data_dir}: {exc.strerror or exc}; "
                   "the previous outputs are unchanged", err=True)
        raise typer.Exit(2) from None
    written = [outputs.events, outputs.rejects, outputs.summary]
    if as_json:
        payload = {**result.summary, "outputs": {k: str(v) for k, v in outputs._asdict().items()}}
        typer.echo(json.dumps(payload, ensure_ascii=False))
        return
    _print_summary(Console(), result.summary, written)


def register(app: typer.Typer) -> None:
    """Add ``ingest`` to ``app``."""
    app.command("ingest")(ingest_command)
