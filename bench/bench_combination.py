"""The served combination rules side by side: equal-weight pool against walk-forward selection.

Runs the rolling-origin backtest of every family once per run below, then builds the served rows
under both rules from the same family rows (:func:`training.combination.pool_forward` and
:func:`training.selection.walk_forward`) and prints, overall and on the post-occupation slice (rows
whose region was within 24 months after an occupation ended), the CRPS and Brier skill against the
best baseline on the same rows, with 90% block-bootstrap intervals over origins and regions. As in
``threatcast backtest``, rows of a type the region's sources cannot observe are not scored.

Runs (files from ../shared/data, skipped when absent):

* ``acled-dev``: ACLED, origins 2013-01..2015-12 (the development period: the rule was chosen here);
* ``acled-test``: ACLED, origins 2016-01..2018-06 (reported, not tuned);
* ``ucdp``: UCDP GED, origins 2015-01..2018-06 (Iraq, Nigeria, Pakistan, the Philippines).

    .venv/bin/python bench/bench_combination.py [--only acled-dev,ucdp] [--cache DIR] [--json]
        [--pool-baselines bootstrap24,mean12] [--classifier-occupation]
        [--classifier-penalty-scale standardised] [--negbin-powers 2] [--prior-months none]
        [--p-any-reconcile none] [--negbin-l2 1000]

``--cache DIR`` keeps each run's family rows (parquet) so the rules can be re-scored quickly.
Two variants tried on the development period and not served (``docs/backtest.md``):
``--pool-baselines`` pools other naive baselines (``none`` for none) with the families, and
``--classifier-occupation`` gives the P(any) classifier the occupation phase at the origin
(:class:`models.estimators.logit.EventLogit` ``occupation=True``; its rows are cached apart).
``--classifier-penalty-scale standardised`` backtests the classifier with the L2 penalty on the
standardised design, as served before the ``log1p`` penalty (cached apart too).
``--negbin-powers 2`` backtests ``pooled_negbin`` with the NB2 dispersion only, as served before the
dispersion power was chosen (:data:`models.estimators.count.POWERS`; cached apart too).
``--prior-months none`` backtests ``pooled_negbin`` (alone and as the state-space family's fallback)
and the classifier with the recent level's gamma prior as the moment estimate gives it, as served
before its weight was capped at 12 months (:func:`models.features.recent_prior`; cached apart too).
``--negbin-l2 X`` backtests ``pooled_negbin`` (alone and as the state-space family's fallback) with
the ridge penalty ``X`` (:data:`models.estimators.count.L2` is served; 1000 was, before it was
chosen on the development period; cached apart too).
``--p-any-reconcile none`` serves the ``all`` P(count >= 1) as pooled, not reconciled with the
types' (:func:`models.estimators.combined.reconcile_p_any`), as served before it.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Mapping, Sequence
from functools import partial
from pathlib import Path
from typing import Any

import pandas as pd

from models.coverage import coverage, observed_mask
from models.episodes import load_catalog
from models.estimators.count import L2, POWERS, PooledNegBin
from models.estimators.logit import PENALTY_SCALES, EventLogit
from models.estimators.series import StateSpaceSeries
from models.features import RECENT_MONTHS
from training import dataset
from training.backtest import run_backtest, skill_table
from training.combination import POOL_BASELINE, pool_forward
from training.executors import make_executor
from training.selection import SELECTED, classifier_factory, model_factories, walk_forward

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
RUNS = {
    "acled-dev": ("acled_hdx_2020_selected_to2018.csv.gz", "2013-01:2015-12"),
    "acled-test": ("acled_hdx_2020_selected_to2018.csv.gz", "2016-01:2018-06"),
    "ucdp": ("ucdp_ged_hdx_191-221_selected_to2018.csv.gz", "2015-01:2018-06"),
}
TYPES = ("all", "kidnapping", "bombing", "suicide_attack", "armed_assault", "indirect_fire")
BASELINES = ("zero", "last_value", "mean12", "bootstrap24")


def family_rows(name: str, path: Path, origins: str, cache: Path | None,
                occupation_classifier: bool = False, penalty_scale: str = "log1p",
                powers: tuple[float, ...] = POWERS,
                prior_months: float | None = RECENT_MONTHS, l2: float = L2) -> pd.DataFrame:
    """Backtest rows of every family and the classifier (from the cache when present).

    ``powers``, ``prior_months`` and ``l2`` set ``pooled_negbin``'s (also as the state-space
    family's fallback: ``prior_months`` and ``l2``) when they differ from the defaults.
    """
    stem = f"families_{name}" + ("_classifier-occupation" if occupation_classifier else "") \
        + ("" if penalty_scale == "log1p" else f"_classifier-{penalty_scale}") \
        + ("" if powers == POWERS else "_negbin-powers-" + "-".join(f"{p:g}" for p in powers)) \
        + ("" if prior_months == RECENT_MONTHS else f"_prior-months-{prior_months}") \
        + ("" if l2 == L2 else f"_negbin-l2-{l2:g}")
    cached = cache / f"{stem}.parquet" if cache else None
    if cached is not None and cached.exists():
        return pd.read_parquet(cached)
    cat = load_catalog()
    panel = dataset.load(dataset.split_paths([path]), "auto").panel
    periods = dataset.origins(panel, origins, 6, 30)
    factories = model_factories(cat)
    if powers != POWERS or prior_months != RECENT_MONTHS or l2 != L2:
        factories[PooledNegBin.name] = partial(PooledNegBin, catalog=cat, powers=powers,
                                               prior_months=prior_months, l2=l2)
    if prior_months != RECENT_MONTHS or l2 != L2:
        factories[StateSpaceSeries.name] = partial(
            StateSpaceSeries, catalog=cat, fallback=PooledNegBin(catalog=cat, prior_months=prior_months,
                                                                 l2=l2))
    custom_classifier = occupation_classifier or penalty_scale != "log1p" or prior_months != RECENT_MONTHS
    seen: list[pd.DataFrame] = []

    def capture(rows: pd.DataFrame) -> pd.DataFrame:
        seen.append(rows)
        return rows.iloc[0:0]

    started = time.perf_counter()
    with make_executor("local", None, None) as runner:
        run_backtest(panel, cat, factories, periods, 6, executor=runner,
                     classifier_factory=partial(EventLogit, catalog=cat, occupation=occupation_classifier,
                                                penalty_scale=penalty_scale, prior_months=prior_months)
                     if custom_classifier else classifier_factory(cat),
                     combine=capture)
    print(f"{name}: families backtested in {time.perf_counter() - started:.0f} s")
    rows = seen[0]
    if cached is not None:
        cached.parent.mkdir(parents=True, exist_ok=True)
        rows.to_parquet(cached)
    return rows


def _prior_months(value: str) -> float | None:
    return None if value.strip().lower() == "none" else float(value)


def add_prior_months(parser: argparse.ArgumentParser) -> None:
    """Add ``--prior-months`` (a number of months or ``none``) to a benchmark's arguments."""
    parser.add_argument("--prior-months", type=_prior_months, default=float(RECENT_MONTHS),
                        help="the most the recent level's prior weighs, in months, or 'none'")


def _skills(rows: pd.DataFrame) -> dict[str, Any]:
    table = skill_table(rows, SELECTED, BASELINES, TYPES, metrics=("crps", "brier"))
    return {t: {m: {k: v for k, v in e.items() if k in ("skill", "lower", "upper", "baseline", "n")}
                for m, e in entry.items()} for t, entry in table.items()}


def score_rules(families: pd.DataFrame, pool_baselines: tuple[str, ...] = (POOL_BASELINE,),
                observed: Mapping[str, Sequence[str]] | None = None,
                reconcile_p: bool = True) -> dict[str, Any]:
    """Skills of both rules, overall and on the post-occupation slice, with the time each took.

    Rows of types a region cannot observe (``observed``) are combined but not scored;
    ``reconcile_p`` reconciles the ``all`` P(count >= 1) with the types' (both rules).
    """
    out: dict[str, Any] = {}
    pool = partial(pool_forward, baselines=pool_baselines, reconcile_p=reconcile_p)
    select = partial(walk_forward, reconcile_p=reconcile_p)
    for rule, combine in (("pool", pool), ("select", select)):
        started = time.perf_counter()
        served = combine(families)
        seconds = time.perf_counter() - started
        rows = pd.concat([families, served], ignore_index=True)
        rows = rows[observed_mask(rows, observed)]
        entry: dict[str, Any] = {"seconds": round(seconds, 2), "overall": _skills(rows)}
        post = rows[rows["post_occupation"].to_numpy(dtype=bool)]
        entry["post_occupation"] = _skills(post) if len(post) else {}
        out[rule] = entry
    return out


def _print(name: str, scores: dict[str, Any]) -> None:
    for part in ("overall", "post_occupation"):
        print(f"{name} {part}: skill against the best baseline, CRPS / Brier [90% interval]")
        for attack_type in TYPES:
            cells = []
            for rule in ("pool", "select"):
                entry = scores[rule][part].get(attack_type)
                if not entry:
                    cells.append(f"{rule} -")
                    continue
                shown = [f"{entry[m]['skill']:+.3f} [{entry[m]['lower']:+.3f}, {entry[m]['upper']:+.3f}]"
                         for m in ("crps", "brier") if m in entry]
                cells.append(f"{rule} " + " / ".join(shown))
            n = (scores["pool"][part].get(attack_type) or {}).get("crps", {}).get("n", 0)
            print(f"  {attack_type:<15} n={int(n):>6}  " + "   ".join(cells))


def main() -> None:
    """Backtest each run and print both rules' skills."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=",".join(RUNS), help="comma-separated runs")
    parser.add_argument("--cache", type=Path, default=None)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--pool-baselines", default=POOL_BASELINE,
                        help="comma-separated naive baselines pooled with the families, or 'none'")
    parser.add_argument("--classifier-occupation", action="store_true",
                        help="backtest the classifier with the occupation phase in its design")
    parser.add_argument("--classifier-penalty-scale", default="log1p", choices=PENALTY_SCALES,
                        help="what the classifier's L2 penalty acts on")
    parser.add_argument("--negbin-powers", default=",".join(f"{p:g}" for p in POWERS),
                        help="comma-separated dispersion powers pooled_negbin chooses among")
    add_prior_months(parser)
    parser.add_argument("--negbin-l2", type=float, default=L2,
                        help="pooled_negbin's ridge penalty (also as the state-space fallback)")
    parser.add_argument("--p-any-reconcile", default="average", choices=("average", "none"),
                        help="the all P(any): averaged with the types' bottom-up one, or as pooled")
    args = parser.parse_args()
    powers = tuple(float(p) for p in args.negbin_powers.split(",") if p.strip())
    prior_months = args.prior_months
    bases = tuple(b.strip() for b in args.pool_baselines.split(",") if b.strip() and b.strip() != "none")
    figures: dict[str, Any] = {}
    for name in [n.strip() for n in args.only.split(",") if n.strip()]:
        file_name, origins = RUNS[name]
        path = DATA / file_name
        if not path.is_file():
            print(f"{name}: {path} not available, skipped")
            continue
        rows = family_rows(name, path, origins, args.cache, args.classifier_occupation,
                           args.classifier_penalty_scale, powers, prior_months, args.negbin_l2)
        observed = coverage(dataset.load([path], "auto").used_events()).regions()
        scores = score_rules(rows, bases, observed, args.p_any_reconcile == "average")
        figures[name] = scores
        if not args.json:
            _print(name, scores)
    if args.json:
        print(json.dumps(figures))


if __name__ == "__main__":
    main()
