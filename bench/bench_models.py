"""Benchmark: fit + forecast time per origin of each model family on synthetic panels.

Synthetic panels (SYNTHETIC data, no real events) of 100, 400 and 1,600 regions x 20 years x every
attack type: each region has a persistent AR(1) log-rate and its own attack-type mix. For every
size the script fits each family at one origin (the panel truncated six months before its end)
and forecasts six months ahead, then prints the seconds per origin and how cost grows with regions
relative to linear growth (ratio <= 1.3 means no worse than 1.3 x linear).

Usage: .venv/bin/python bench/bench_models.py [--sizes 100,400,1600] [--years 20]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from functools import partial

import numpy as np
import pandas as pd

from models.episodes import load_catalog
from models.estimators.classify import EventClassifier
from models.estimators.count import PooledNegBin
from models.estimators.logit import EventLogit
from models.estimators.mix import TacticMix
from models.estimators.series import StateSpaceSeries
from models.features import build_cube
from models.panel import Panel
from models.taxonomy import ATTACK_TYPES, PANEL_TYPES


def synthetic_panel(n_regions: int, years: int, seed: int = 0) -> Panel:
    """A SYNTHETIC zero-filled panel built straight from a simulated count cube."""
    rng = np.random.default_rng(seed)
    months = pd.period_range(pd.Period("2018-12", freq="M") - (12 * years - 1), periods=12 * years, freq="M")
    n_m, n_k = len(months), len(ATTACK_TYPES)
    level = rng.normal(-0.5, 1.2, n_regions)
    x = np.zeros(n_regions)
    log_rate = np.empty((n_regions, n_m))
    for t in range(n_m):
        x = 0.9 * x + rng.normal(0.0, 0.3, n_regions)
        log_rate[:, t] = level + x
    mix = rng.dirichlet(np.full(n_k, 0.7), n_regions)
    counts = rng.poisson(np.exp(log_rate)[:, None, :] * mix[:, :, None])
    cube = np.concatenate([counts, counts.sum(axis=1, keepdims=True)], axis=1)
    regions = pd.DataFrame({
        "country": [f"C{i % 12:02d}" for i in range(n_regions)],
        "admin1": [f"Region {i}" for i in range(n_regions)],
        "latitude": 0.0, "longitude": 0.0,
        "first_month": pd.PeriodIndex([months[0]] * n_regions, freq="M"),
        "last_event_month": pd.PeriodIndex([months[-1]] * n_regions, freq="M"),
    }, index=pd.Index([f"SYN.r{i}" for i in range(n_regions)], name="region_id"))
    n_t = len(PANEL_TYPES)
    frame = pd.DataFrame({
        "region_id": np.repeat(regions.index.to_numpy(), n_t * n_m),
        "month": pd.PeriodIndex(np.tile(months, n_regions * n_t), freq="M"),
        "attack_type": np.tile(np.repeat(np.asarray(PANEL_TYPES, dtype=object), n_m), n_regions),
        "count": cube.reshape(-1).astype("int64"),
        "fatalities": np.zeros(cube.size, dtype="int64"),
    })
    return Panel(counts=frame, regions=regions, cutoff=months[-1]).truncate(months[-1])


def _time(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    """Run the benchmark and print one line per size and family, then the growth ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,400,1600")
    parser.add_argument("--years", type=int, default=20)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    catalog = load_catalog()
    families: dict[str, Callable[[Panel], object]] = {
        "features": lambda s: build_cube(s, catalog),
        "pooled_negbin": lambda s: PooledNegBin(catalog=catalog).fit(s).predict_dist(s, 6),
        "state_space": lambda s: StateSpaceSeries(catalog=catalog).fit(s).predict_dist(s, 6),
        "event_logit": lambda s: EventLogit(catalog=catalog).fit(s).predict_proba(s, 6),
        "boosted_clf": lambda s: EventClassifier(catalog=catalog).fit(s).predict_proba(s, 6),
        "tactic_mix": lambda s: TacticMix(catalog=catalog).fit(s).predict_mix(s, 6),
    }
    seconds: dict[str, dict[int, float]] = {name: {} for name in families}
    print(f"SYNTHETIC panels, {args.years} years x {len(PANEL_TYPES)} panel types; one origin, horizons 1-6")
    print(f"{'regions':>8} {'family':>14} {'seconds':>9}")
    for n in sizes:
        panel = synthetic_panel(n, args.years)
        state = panel.truncate(panel.cutoff - 6)
        for name, run in families.items():
            seconds[name][n] = _time(partial(run, state))
            print(f"{n:>8} {name:>14} {seconds[name][n]:>9.2f}")
        total = sum(seconds[name][n] for name in families if name != "features")
        print(f"{n:>8} {'all families':>14} {total:>9.2f}")
    if len(sizes) > 1:
        print("\ngrowth vs linear: (t[n] / t[first]) / (n / first); <= 1.3 meets the target")
        first = sizes[0]
        for name in families:
            ratios = ", ".join(
                f"{n}: {seconds[name][n] / seconds[name][first] / (n / first):.2f}" for n in sizes[1:])
            print(f"{name:>14}  {ratios}")


if __name__ == "__main__":
    main()
