"""Skill of the served (coherent) forecast on the ACLED extract, with block-bootstrap intervals.

Runs the rolling-origin backtest of every family on one period, then scores the walk-forward
served model in three forms from the same rows: the choice alone (``p_any`` beside the count
model's distribution, the layout before the hurdle), the coherent hurdle without reconciliation,
and the served form (coherent and reconciled). Prints CRPS, threshold-weighted CRPS and Brier
skill against the best baseline with 90% block-bootstrap intervals over origins and regions.

    .venv/bin/python bench/bench_coherence.py --period dev    # origins 2013-01..2015-12
    .venv/bin/python bench/bench_coherence.py --period test   # origins 2016-01..2018-06

``--cache DIR`` keeps the family rows (parquet) so the served layer can be re-scored quickly.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import pandas as pd

from models.episodes import load_catalog
from training import dataset
from training.backtest import run_backtest, skill_table
from training.executors import make_executor
from training.selection import SELECTED, classifier_factory, model_factories, walk_forward

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "acled_hdx_2020_selected_to2018.csv.gz"
PERIODS = {"dev": "2013-01:2015-12", "test": "2016-01:2018-06"}
TYPES = ("all", "kidnapping", "bombing", "armed_assault")


def family_rows(period: str, cache: Path | None, data: Path, warmup: int) -> tuple[pd.DataFrame, list[str]]:
    """Backtest rows of every family, warm-up origins included (from the cache when present)."""
    path = cache / f"families_{period}_w{warmup}.parquet" if cache else None
    if path is not None and path.exists():
        rows = pd.read_parquet(path)
        return rows, [m for m in ("zero", "last_value", "mean12", "bootstrap24") if m in set(rows["model"])]
    cat = load_catalog()
    panel = dataset.load(dataset.split_paths([data]), "auto").panel
    origins = dataset.origins(panel, PERIODS[period], 6, 30)
    t0 = time.perf_counter()
    seen: list[pd.DataFrame] = []

    def capture(rows: pd.DataFrame) -> pd.DataFrame:
        seen.append(rows)
        return rows.iloc[0:0]

    with make_executor("local", None, None) as runner:
        result = run_backtest(panel, cat, model_factories(cat), origins, 6, executor=runner,
                              classifier_factory=classifier_factory(cat), warmup=warmup, combine=capture)
    rows = seen[0]
    print(f"families backtested in {time.perf_counter() - t0:.0f} s")
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        rows.to_parquet(path)
    return rows, result.baselines


def main() -> None:
    """Print the served model's skills on one period."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--period", choices=sorted(PERIODS), default="dev")
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--cache", type=Path, default=None)
    parser.add_argument("--json", type=Path, default=None, help="Write the figures to this file.")
    parser.add_argument("--warmup", type=int, default=12, help="Origins before the period (track record).")
    args = parser.parse_args()
    rows, baselines = family_rows(args.period, args.cache, args.data, args.warmup)
    first = PERIODS[args.period].split(":")[0]
    variants = {
        "choice_only": walk_forward(rows, coherent=False, name="choice_only"),
        "coherent_unreconciled": walk_forward(rows, reconcile=False, name="coherent_unreconciled"),
        SELECTED: walk_forward(rows),
    }
    figures: dict[str, object] = {"period": PERIODS[args.period], "models": {}}
    for name, derived in variants.items():
        both = pd.concat([rows, derived], ignore_index=True)
        table = skill_table(both[both["origin"].astype(str) >= first], name, baselines, TYPES)
        figures["models"][name] = table  # type: ignore[index]
        print(f"\n{name} ({PERIODS[args.period]})")
        for attack_type, entry in table.items():
            text = "  ".join(f"{m} {v['skill']:+.3f} [{v['lower']:+.3f}, {v['upper']:+.3f}] "
                             f"vs {v['baseline']}"
                             for m, v in entry.items())
            print(f"  {attack_type:14s} {text}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1))


if __name__ == "__main__":
    main()
