"""The demo job: SYNTHETIC events through the real pipeline, one small step at a time.

Each step is a function of a shared :class:`DemoContext`; :data:`DEFAULT_STEPS` runs them in order:

1. ``generate``: SYNTHETIC canonical events and the demo episode catalog, written to
   ``<data_dir>/synthetic/events.parquet`` and ``<data_dir>/synthetic/episodes.csv``;
2. ``ingest``: that Parquet file read back through the canonical reader (:func:`training.ingest.ingest`),
   stored as the data directory's ``events.parquet`` / ``rejected.csv`` / ``ingest_summary.json``;
3. ``panel``: the region-month panel (:func:`models.panel.build_panel`);
4. ``summary``: figures of the run, including the post-occupation tactic shift measured on the
   generated data, written to ``<data_dir>/demo_summary.json``.

Later steps (training, serving) are appended to :data:`DEFAULT_STEPS` the same way.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import pandas as pd

from models.demo import SHIFT_TYPES, DemoData, generate_demo, post_occupation_shift
from models.episodes import load_catalog, write_catalog
from models.panel import Panel, build_panel
from training.ingest import IngestResult, ingest, write_ingest

SYNTHETIC_DIR: Final = "synthetic"
SUMMARY_FILE: Final = "demo_summary.json"
SHIFT_MONTHS: Final = 24


@dataclass
class DemoContext:
    """What the demo steps share: options in, results out.

    Attributes:
        data_dir: where every file of the run goes.
        seed: seed of the SYNTHETIC generator.
        serve: whether a serving step (when there is one) should start the service.
        log: where steps report progress (one line per call).
        demo: the generated data.
        events_file: the SYNTHETIC canonical Parquet file.
        catalog_file: the demo episode catalog CSV.
        ingested: the result of reading ``events_file`` through the canonical reader.
        catalog: the demo catalog read back with :func:`models.episodes.load_catalog`.
        panel: the region-month panel.
        summary: JSON-ready figures of the run.
        timings: seconds spent in each step.
        extras: free room for later steps.
    """

    data_dir: Path
    seed: int = 7
    serve: bool = True
    log: Callable[[str], None] = lambda _message: None
    demo: DemoData | None = None
    events_file: Path | None = None
    catalog_file: Path | None = None
    ingested: IngestResult | None = None
    catalog: pd.DataFrame | None = None
    panel: Panel | None = None
    summary: dict[str, Any] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    extras: dict[str, Any] = field(default_factory=dict)


Step = Callable[[DemoContext], None]


class DemoStepError(RuntimeError):
    """A step found the context without what an earlier step should have produced."""


def generate_step(ctx: DemoContext) -> None:
    """Generate the SYNTHETIC events and episodes and write them under ``<data_dir>/synthetic``."""
    ctx.demo = generate_demo(seed=ctx.seed)
    folder = ctx.data_dir / SYNTHETIC_DIR
    folder.mkdir(parents=True, exist_ok=True)
    ctx.events_file = folder / "events.parquet"
    ctx.demo.events.to_parquet(ctx.events_file, index=False)
    ctx.catalog_file = write_catalog(ctx.demo.episodes, folder / "episodes.csv")
    ctx.log(f"generated {len(ctx.demo.events):,} SYNTHETIC events and {len(ctx.demo.episodes)} "
            f"SYNTHETIC episodes (seed {ctx.seed}) -> {folder}")


def ingest_step(ctx: DemoContext) -> None:
    """Read the SYNTHETIC Parquet file through the canonical reader and store the ingest outputs."""
    if ctx.events_file is None or ctx.catalog_file is None:
        raise DemoStepError("ingest needs the generate step first")
    ctx.ingested = ingest([ctx.events_file], fmt="canonical")
    write_ingest(ctx.ingested, ctx.data_dir)
    ctx.catalog = load_catalog(ctx.catalog_file)
    s = ctx.ingested.summary
    ctx.log(f"ingested {s['rows_read']:,} rows: {s['accepted']:,} accepted, {s['rejected']:,} rejected")


def panel_step(ctx: DemoContext) -> None:
    """Build the region-month panel from the ingested events."""
    if ctx.ingested is None:
        raise DemoStepError("panel needs the ingest step first")
    ctx.panel = build_panel(ctx.ingested.events)
    ctx.log(f"panel: {len(ctx.panel.regions)} regions x {len(ctx.panel.months)} months "
            f"({len(ctx.panel.counts):,} rows)")


def summary_step(ctx: DemoContext) -> None:
    """Compute the run's figures and write them to ``<data_dir>/demo_summary.json``."""
    if ctx.ingested is None or ctx.panel is None or ctx.catalog is None:
        raise DemoStepError("summary needs the ingest and panel steps first")
    ctx.summary = demo_summary(ctx.ingested, ctx.panel, ctx.catalog, ctx.seed)
    (ctx.data_dir / SUMMARY_FILE).write_text(json.dumps(ctx.summary, indent=2) + "\n", encoding="utf-8")


DEFAULT_STEPS: list[tuple[str, Step]] = [
    ("generate", generate_step),
    ("ingest", ingest_step),
    ("panel", panel_step),
    ("summary", summary_step),
]
"""The demo's steps, in order; later stages append to this list."""


def demo_summary(ingested: IngestResult, panel: Panel, catalog: pd.DataFrame, seed: int) -> dict[str, Any]:
    """JSON-ready figures of a demo run.

    Returns:
        ``synthetic`` (always true), ``seed``, ingest figures, ``regions``, ``months``,
        ``first_month``/``last_month``, ``events``, ``events_by_type``, ``episodes`` (id, region,
        start, end) and ``post_occupation_shift`` (share of kidnapping, bombing and suicide attacks
        during the episodes, in the 24 months after them, and among all other events).
    """
    events = ingested.events
    shift = post_occupation_shift(events, catalog, months_after=SHIFT_MONTHS)
    counts = events["attack_type"].value_counts()
    return {
        "synthetic": True,
        "seed": seed,
        "rows_read": int(ingested.summary["rows_read"]),
        "accepted": int(ingested.summary["accepted"]),
        "rejected": int(ingested.summary["rejected"]),
        "regions": len(panel.regions),
        "countries": sorted(str(c) for c in panel.regions["country"].unique()),
        "months": len(panel.months),
        "first_month": str(panel.months[0]),
        "last_month": str(panel.cutoff),
        "panel_rows": len(panel.counts),
        "events": len(events),
        "events_by_type": {str(k): int(v) for k, v in counts.items()},
        "episodes": [
            {"episode_id": str(e), "region_id": str(r), "start_month": str(s), "end_month": str(n)}
            for e, r, s, n in zip(catalog["episode_id"], catalog["region_id"], catalog["start_month"],
                                  catalog["end_month"], strict=True)
        ],
        "post_occupation_shift": {
            "types": list(SHIFT_TYPES),
            "months_after": SHIFT_MONTHS,
            "during_share": round(shift["during_share"], 4),
            "after_share": round(shift["after_share"], 4),
            "other_share": round(shift["other_share"], 4),
            "during_events": int(shift["during_events"]),
            "after_events": int(shift["after_events"]),
        },
    }


def run_demo(ctx: DemoContext, steps: Sequence[tuple[str, Step]] | None = None) -> DemoContext:
    """Run ``steps`` (default :data:`DEFAULT_STEPS`) in order on ``ctx``, timing each.

    Returns:
        The same context, filled in.
    """
    ctx.data_dir.mkdir(parents=True, exist_ok=True)
    for name, step in DEFAULT_STEPS if steps is None else steps:
        started = time.perf_counter()
        step(ctx)
        ctx.timings[name] = round(time.perf_counter() - started, 3)
    return ctx
