"""`threatcast study`: what happened, by attack type, after the catalog's occupations ended."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from cli.errors import CommandError
from models.episodes import CatalogError, load_catalog
from models.study import PLACEBO_DRAWS, run_study
from training.dataset import load, split_paths
from training.sources import FORMAT_CHOICES
from training.study_report import write_study


def _clean(value: Any) -> Any:
    """``value`` with non-finite floats as ``None`` (strict JSON)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def study_command(
    events: Annotated[list[str], typer.Option(
        "--events", "-e", help="Event file(s) (repeat or comma-separate).")],
    fmt: Annotated[str, typer.Option(
        "--format", "-f", help=f"Input format: {'|'.join(FORMAT_CHOICES)}.")] = "auto",
    episodes: Annotated[Path | None, typer.Option(
        "--episodes", help="An episode catalog CSV (default: the shipped catalog).")] = None,
    out: Annotated[Path | None, typer.Option(
        "--out", help="Write study.json, CSV tables, plots and study.md to this directory.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the study as one JSON object.")] = False,
    placebo: Annotated[int, typer.Option("--placebo", min=0, help="Placebo draws (0 skips the test).")]
    = PLACEBO_DRAWS,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the bootstrap and the placebo draws.")] = 0,
) -> None:
    """Estimate post-occupation rate ratios per type, type and target share shifts and a placebo test."""
    err = Console(stderr=True, soft_wrap=True)
    try:
        catalog = load_catalog(episodes)
        dataset = load(split_paths(events), fmt)
        study = run_study(dataset.panel, catalog, placebo_draws=placebo, seed=seed)
        doc = study.to_dict()
        doc["data"]["sources"] = dataset.ingested.summary.get("by_source", {})
        doc["data"]["events"] = len(dataset.used_events())
        doc = _clean(doc)
        if out is not None:
            write_study(study, out)
            (out / "study.json").write_text(json.dumps(doc, ensure_ascii=False, indent=1), encoding="utf-8")
    except (CommandError, CatalogError, ValueError, OSError) as exc:
        err.print(f"error: {exc}", markup=False, highlight=False)
        raise typer.Exit(2) from None
    if as_json:
        typer.echo(json.dumps(doc, ensure_ascii=False, allow_nan=False))
        return
    console = Console()
    used = [e for e in doc["episodes"] if e["used"]]
    console.print(f"episodes used: {len(used)} of {len(doc['episodes'])}")
    for effect in doc["effects"]:
        if effect["n_events"] == 0 and effect["rate_ratio"] is None:
            continue
        rr = effect["rate_ratio"]
        text = "unbounded" if rr is None else f"{rr:.2f}"
        low = "-" if effect["ci_low"] is None else f"{effect['ci_low']:.2f}"
        high = "inf" if effect["ci_high"] is None else f"{effect['ci_high']:.2f}"
        console.print(f"{effect['attack_type']:<18} {effect['phase']:<12} n={effect['n_events']:<5} "
                      f"rate ratio {text} [{low}, {high}] ({effect['method']})",
                      markup=False, highlight=False)
    for share in doc["target_shares"]:
        if share["shift"] is None or share["n_before"] + share["n_after"] == 0:
            continue
        console.print(f"target {share['target_class']:<16} share {share['share_before']:.3f} -> "
                      f"{share['share_after']:.3f} (shift {share['shift']:+.3f}, 95% "
                      f"{share['ci_low']:+.3f}..{share['ci_high']:+.3f})", markup=False, highlight=False)
    if out is not None:
        console.print(f"written: {out}", markup=False, highlight=False)


def register(app: typer.Typer) -> None:
    """Add ``study`` to ``app``."""
    app.command("study")(study_command)
