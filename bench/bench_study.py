"""Benchmark: the episode study's cost on the shared extracts, against building the panel.

For each extract in ../shared/data (skipped when absent) the script reads the events and builds the
panel once, then times the study without placebo and with ``--placebo`` draws, side by side, and
prints the seconds, the ratio of the study to the panel build and the cost per placebo draw. It also
prints the number of episodes used and the headline rate ratios (after 1-6 and 7-12 months) per
type, so the figures in docs/episodes.md can be checked against the same run.

Usage: .venv/bin/python bench/bench_study.py [--placebo 10]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from models.episodes import load_catalog
from models.panel import build_panel
from models.study import run_study
from training.dataset import read_events

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
FILES = ("acled_hdx_2020_selected_to2018.csv.gz", "ucdp_ged_hdx_191-221_selected_to2018.csv.gz")


def main() -> None:
    """Print the study's timings and headline effects per extract."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--placebo", type=int, default=10)
    args = parser.parse_args()
    catalog = load_catalog()
    for name in FILES:
        path = DATA / name
        if not path.is_file():
            print(f"{name}: not available, skipped")
            continue
        events = read_events(path).events
        started = time.perf_counter()
        panel = build_panel(events)
        t_panel = time.perf_counter() - started
        started = time.perf_counter()
        plain = run_study(panel, catalog, placebo_draws=0)
        t_plain = time.perf_counter() - started
        started = time.perf_counter()
        run_study(panel, catalog, placebo_draws=args.placebo)
        t_placebo = time.perf_counter() - started
        used = sum(e["used"] for e in plain.episodes)
        print(f"{name}: {len(events)} events, {len(panel.regions)} regions, {used} episodes used")
        print(f"  panel build {t_panel:.2f} s; study without placebo {t_plain:.2f} s "
              f"({t_plain / t_panel:.1f}x the panel); with {args.placebo} placebo draws {t_placebo:.2f} s "
              f"({(t_placebo - t_plain) / max(args.placebo, 1):.2f} s per draw)")
        for attack_type, effects in plain.effects.items():
            shown = [f"{e.phase} {'unbounded' if e.rate_ratio is None and e.unbounded else e.rate_ratio}"
                     for e in effects if e.phase in ("after_1_6", "after_7_12")]
            print(f"  {attack_type:<18} " + "; ".join(
                s if "None" in s or "unbounded" in s else f"{s.split()[0]} {float(s.split()[1]):.2f}"
                for s in shown))


if __name__ == "__main__":
    main()
