"""Training pooled across sources against training per source, scored on the same rows.

The families and the classifier are backtested on three panels built from the same events of the
ACLED and UCDP extracts in ../shared/data (skipped when absent), restricted to the regions where
the type coverage agrees (:mod:`models.coverage`: every attack type but those no source codes is
observed there, so a zero means no attack in both sources):

* ``pooled``: both files in one panel, one fit per origin over the regions of both;
* ``acled`` and ``ucdp``: each file alone.

The served pool (:func:`training.combination.pool_forward`) is built from each backtest's rows and
scored on each source's rows, pooled fit against that source's own fit on the same row keys: CRPS
and Brier skill against the best baseline with a 90% block-bootstrap interval, overall and on the
post-occupation slice. The origins are the development period (2013-01..2015-12) by default, where
the choice is made.

    .venv/bin/python bench/bench_pooled_sources.py [--origins 2013-01:2015-12] [--cache DIR] [--json]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import pandas as pd
from bench_combination import DATA, TYPES, _skills

from models.coverage import coverage
from models.episodes import load_catalog
from models.panel import Panel, build_panel
from models.taxonomy import ATTACK_TYPES
from training import dataset
from training.backtest import run_backtest
from training.combination import pool_forward
from training.executors import make_executor
from training.selection import classifier_factory, model_factories

FILES = {"acled": "acled_hdx_2020_selected_to2018.csv.gz",
         "ucdp": "ucdp_ged_hdx_191-221_selected_to2018.csv.gz"}
KEYS = ["region_id", "origin", "horizon", "attack_type"]


def agreeing_regions(events: pd.DataFrame) -> set[str]:
    """Regions whose sources observe every attack type some source observes anywhere."""
    cov = coverage(events)
    anywhere = {t for types in cov.sources().values() for t in types}
    return {r for r, types in cov.regions().items() if set(types) >= anywhere & set(ATTACK_TYPES)}


def backtest_rows(panel: Panel, origins: str, name: str, cache: Path | None) -> pd.DataFrame:
    """Member rows of the rolling-origin backtest on ``panel`` (from the cache when present)."""
    cached = cache / f"sources_{name}_{origins.replace(':', '_')}.parquet" if cache else None
    if cached is not None and cached.exists():
        return pd.read_parquet(cached)
    cat = load_catalog()
    seen: list[pd.DataFrame] = []

    def capture(rows: pd.DataFrame) -> pd.DataFrame:
        seen.append(rows)
        return rows.iloc[0:0]

    started = time.perf_counter()
    with make_executor("local", None, None) as runner:
        run_backtest(panel, cat, model_factories(cat), dataset.origins(panel, origins, 6, 30), 6,
                     executor=runner, classifier_factory=classifier_factory(cat), combine=capture)
    print(f"{name}: backtested in {time.perf_counter() - started:.0f} s")
    if cached is not None:
        cached.parent.mkdir(parents=True, exist_ok=True)
        seen[0].to_parquet(cached)
    return seen[0]


def served_skills(rows: pd.DataFrame) -> dict[str, Any]:
    """The pool's skills on ``rows``, overall and on the post-occupation slice."""
    both = pd.concat([rows, pool_forward(rows)], ignore_index=True)
    post = both[both["post_occupation"].to_numpy(dtype=bool)]
    return {"overall": _skills(both), "post_occupation": _skills(post) if len(post) else {}}


def compare(origins: str, cache: Path | None) -> dict[str, Any]:
    """Pooled against per-source skills on each source's rows."""
    paths = {s: DATA / f for s, f in FILES.items()}
    both = dataset.load(list(paths.values()), "auto")
    events = both.used_events()
    keep = agreeing_regions(events)
    source_of = events.groupby("region_id")["source"].first()
    pooled = backtest_rows(build_panel(events[events["region_id"].isin(keep)], both.panel.cutoff),
                           origins, "pooled", cache)
    out: dict[str, Any] = {"regions_kept": len(keep), "regions_dropped": int(events["region_id"].nunique())
                           - len(keep)}
    for source, path in paths.items():
        alone = dataset.load([path], "auto")
        own = alone.used_events()
        single = backtest_rows(build_panel(own[own["region_id"].isin(keep)], alone.panel.cutoff),
                               origins, source, cache)
        regions = set(source_of[source_of == source].index)
        common = single[KEYS].drop_duplicates().merge(pooled[pooled["region_id"].isin(regions)][KEYS]
                                                      .drop_duplicates())
        out[source] = {"rows": len(common),
                       "per_source": served_skills(single.merge(common, on=KEYS)),
                       "pooled": served_skills(pooled.merge(common, on=KEYS))}
    return out


def _print(figures: dict[str, Any]) -> None:
    print(f"regions where coverage agrees: {figures['regions_kept']} "
          f"(left out: {figures['regions_dropped']})")
    for source in FILES:
        entry = figures[source]
        for part in ("overall", "post_occupation"):
            print(f"{source} {part} ({entry['rows']} keys): skill CRPS / Brier [90% interval]")
            for attack_type in TYPES:
                cells = []
                for variant in ("per_source", "pooled"):
                    x = entry[variant][part].get(attack_type)
                    cells.append(f"{variant} -" if not x else
                                 f"{variant} {x['crps']['skill']:+.3f} / {x['brier']['skill']:+.3f} "
                                 f"[{x['brier']['lower']:+.3f}, {x['brier']['upper']:+.3f}]")
                print(f"  {attack_type:<15} " + "   ".join(cells))


def main() -> None:
    """Backtest the three panels and print the pooled and per-source skills."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--origins", default="2013-01:2015-12")
    parser.add_argument("--cache", type=Path, default=None)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    missing = [f for f in FILES.values() if not (DATA / f).is_file()]
    if missing:
        print(f"{', '.join(missing)} not available in {DATA}, skipped")
        return
    figures = compare(args.origins, args.cache)
    print(json.dumps(figures)) if args.json else _print(figures)


if __name__ == "__main__":
    main()
