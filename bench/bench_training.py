"""Benchmark: the MLflow overhead of a full training, and executor speed-ups on the same panel.

Usage: ``python bench/bench_training.py [--regions 30] [--origins 8] [--horizon 6] [--seed 7]
[--workers 2] [--skip-executors] [--skip-training]``

1. MLflow overhead: one full :func:`cli.jobs.train.train` on the SYNTHETIC demo data into a fresh
   temporary SQLite store and artifact folder, with every tracking and registry call timed by the
   tracker's :class:`~training.tracking.CallTimer`. Printed: the whole training, the seconds in
   tracking and in registry calls, and their share of the whole. Creating the SQLite store (the
   schema migrations MLflow runs once per new database) is timed apart, as a one-off.
2. Executors: the same backtest (every family plus the classifier, the same origins) run serially,
   on a local process pool and on a private Dask ``LocalCluster`` with the same worker count; printed
   side by side with the speed-up over serial, after checking the three give identical scores.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cli.jobs.train import TrainOptions, train  # noqa: E402
from models.demo import generate_demo  # noqa: E402
from models.panel import build_panel  # noqa: E402
from training.backtest import run_backtest  # noqa: E402
from training.dataset import default_origins  # noqa: E402
from training.executors import make_executor  # noqa: E402
from training.selection import classifier_factory, model_factories, walk_forward  # noqa: E402
from training.settings import TrainingSettings  # noqa: E402
from training.tracking import CallTimer  # noqa: E402


def mlflow_overhead(args: argparse.Namespace) -> None:
    demo = generate_demo(seed=args.seed, n_regions=args.regions)
    with tempfile.TemporaryDirectory(prefix="bench-training-") as tmp:
        os.environ.pop("MLFLOW_TRACKING_URI", None)
        os.environ.pop("MLFLOW_REGISTRY_URI", None)
        settings = TrainingSettings(data_dir=Path(tmp))
        from mlflow.tracking import MlflowClient

        t0 = time.perf_counter()
        MlflowClient(settings.resolved_tracking_uri()).search_experiments()
        store_seconds = time.perf_counter() - t0
        timer = CallTimer()
        options = TrainOptions(horizon=args.horizon, n_origins=args.origins, executor="local",
                               workers=args.workers, seed=args.seed, progress=False)
        t0 = time.perf_counter()
        result = train(demo.events, options, settings, catalog=demo.episodes, timer=timer)
        total = time.perf_counter() - t0
    tracking = timer.seconds.get("tracking", 0.0)
    registry = timer.seconds.get("registry", 0.0)
    print("== MLflow overhead of one full training (SYNTHETIC demo data) ==")
    print(f"data: {len(demo.events):,} events, {args.regions} regions; {args.origins} origins, "
          f"horizon {args.horizon}, local executor x{args.workers}")
    print(f"new SQLite store (one-off schema migration): {store_seconds:7.2f} s")
    print(f"whole training:                            {total:7.2f} s")
    for step, seconds in result.timings.items():
        if step != "total":
            print(f"  step {step:<10} {seconds:7.2f} s")
    print(f"tracking calls ({timer.calls.get('tracking', 0):4d}):                  {tracking:7.2f} s "
          f"= {tracking / total:6.1%} of the training")
    print(f"registry calls ({timer.calls.get('registry', 0):4d}):                  {registry:7.2f} s "
          f"= {registry / total:6.1%} of the training")
    print(f"MLflow total:                              {tracking + registry:7.2f} s "
          f"= {(tracking + registry) / total:6.1%} of the training")
    print(f"registered {result.model_name} v{result.version} as {result.decision.alias}; "
          f"CRPS {result.headline['crps']:.4f}, Brier {result.headline['brier']:.4f}")


def executors(args: argparse.Namespace) -> None:
    demo = generate_demo(seed=args.seed, n_regions=args.regions)
    panel = build_panel(demo.events)
    catalog = demo.episodes
    text = default_origins(panel, args.horizon, args.origins)
    first, last = (pd.Period(p, freq="M") for p in text.split(":"))
    origins = list(pd.period_range(first, last, freq="M"))
    factories = model_factories(catalog)
    clf = classifier_factory(catalog)
    print(f"\n== Executors: backtest of {len(factories)} families + classifier, {len(origins)} origins "
          f"({text}), horizon {args.horizon}, {len(panel.regions)} regions ==")
    runs: dict[str, tuple[float, pd.DataFrame]] = {}
    for kind in ("serial", "local", "dask"):
        workers = None if kind == "serial" else args.workers
        t0 = time.perf_counter()
        with make_executor(kind, workers=workers) as runner:
            started = time.perf_counter()
            result = run_backtest(panel, catalog, factories, origins, args.horizon, executor=runner,
                                  classifier_factory=clf, combine=partial(walk_forward))
            compute = time.perf_counter() - started
        runs[kind] = (compute, result.scores)
        print(f"{kind:<7} workers={workers or 1}: {compute:7.2f} s backtest "
              f"({time.perf_counter() - t0:7.2f} s with executor start/stop)")
    base = runs["serial"][0]
    for kind in ("local", "dask"):
        seconds, scores = runs[kind]
        print(f"speed-up of {kind} over serial: x{base / seconds:.2f}  "
              f"(scores vs serial: {_difference(runs['serial'][1], scores)})")


def _difference(reference: pd.DataFrame, other: pd.DataFrame) -> str:
    """``identical`` or the models whose scores differ and by how much (largest relative gap)."""
    a = reference["value"].to_numpy(dtype=float)
    b = other["value"].to_numpy(dtype=float)
    if len(a) == len(b) and np.array_equal(a, b, equal_nan=True):
        return "identical"
    if len(a) != len(b):
        return f"{len(a)} vs {len(b)} score rows"
    gap = np.abs(a - b) / np.maximum(np.abs(a), 1e-12)
    bad = ~np.isclose(a, b, rtol=1e-9, equal_nan=True)
    models = sorted(set(reference.loc[bad, "model"]))
    return f"differ in {', '.join(models) or 'nothing above 1e-9'}; largest relative gap {np.nanmax(gap):.2e}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--regions", type=int, default=30)
    parser.add_argument("--origins", type=int, default=8)
    parser.add_argument("--horizon", type=int, default=6)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--skip-training", action="store_true")
    parser.add_argument("--skip-executors", action="store_true")
    args = parser.parse_args()
    print(f"cores: {os.cpu_count()}; load average: {os.getloadavg()[0]:.1f}")
    if not args.skip_training:
        mlflow_overhead(args)
    if not args.skip_executors:
        executors(args)


if __name__ == "__main__":
    main()
