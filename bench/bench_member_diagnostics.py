"""Where the served pool's members miss: their forecasts beside what happened, and the priors' weights.

Reads the same family rows as ``bench/bench_combination.py`` (one backtest per run; ``--cache DIR``
shares that script's cache) and prints, on the shared extracts (skipped when absent):

* the weight (rate, in months) of the recent level's gamma prior per type at a few origins, as the
  moment estimate gives it (:func:`models.features.gamma_prior`) and as served
  (:func:`models.features.recent_prior`);
* ACLED development period (origins 2013-01..2015-12), post-occupation slice: each member's mean
  forecast beside the observed mean for kidnapping, indirect fire and suicide attacks, and each
  member's P(any) for ``all`` beside the observed share of months with an event, per region;
* ACLED test period (origins 2016-01..2018-06), kidnapping by origin year: the observed mean, each
  member's mean forecast and its CRPS; and in the two regions with the most kidnappings against
  the rest: the served pool's, ``mean12``'s and ``bootstrap24``'s mean forecasts and CRPS sums;
* on both ACLED periods (and UCDP with ``--ucdp``), the served ``all`` P(any)'s reliability by
  tenth, pooled and reconciled with the attack types'
  (:func:`models.estimators.combined.reconcile_p_any`);
* on both ACLED periods, a bound rather than a fix: the served pool's ``all`` skill (all rows and
  the post-occupation slice) with ``pooled_negbin``'s P(any) replaced by the Poisson P(any) of its
  mean (fewer zeros in busy regions, more wrong ones in quiet regions).

    .venv/bin/python bench/bench_member_diagnostics.py [--cache DIR] [--prior-months none] [--ucdp]

``--prior-months none`` reads the rows backtested with the moment prior as it is (the figures
before its weight was capped; ``bench_combination.py --prior-months none`` caches the same rows).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
from bench_combination import BASELINES, DATA, RUNS, add_prior_months, family_rows

from models import scores
from models.episodes import load_catalog
from models.features import build_cube, gamma_prior, known_regions, recent_prior
from models.taxonomy import PANEL_TYPES
from training import dataset
from training.backtest import skill_table
from training.combination import pool_forward
from training.selection import SELECTED

MEMBERS = ("pooled_negbin", "state_space_series", "bootstrap24", "mean12", "classifier")
PRIOR_TYPES = ("all", "kidnapping", "bombing", "suicide_attack", "indirect_fire")
PRIOR_ORIGINS = ("2013-03", "2014-01", "2016-01", "2017-06")


def prior_weights(path: Path) -> None:
    """Print the recent prior's weight per type and origin, as estimated and as served."""
    panel = dataset.load(dataset.split_paths([path]), "auto").panel
    catalog = load_catalog()
    print("recent level's prior weight in months (moment estimate -> served, capped at 12):")
    for origin in PRIOR_ORIGINS:
        state = panel.truncate(origin)
        fc, known = build_cube(state, catalog), known_regions(state)
        end = len(fc.months) - 1
        cells = []
        for attack_type in PRIOR_TYPES:
            k = PANEL_TYPES.index(attack_type)
            raw, served = gamma_prior(fc, k, known, end)[1], recent_prior(fc, k, known, end)[1]
            cells.append(f"{attack_type} {raw:,.1f} -> {served:.1f}")
        print(f"  {origin}: " + "; ".join(cells))


def post_occupation_members(rows: pd.DataFrame) -> None:
    """Print each member's means and P(any) beside the outcomes on the post-occupation slice."""
    post = rows[rows["post_occupation"].to_numpy(dtype=bool) & rows["model"].isin(MEMBERS)].copy()
    print(f"post-occupation slice ({post['region_id'].nunique()} regions), mean forecast vs observed:")
    for attack_type in ("kidnapping", "indirect_fire", "suicide_attack"):
        part = post[(post["attack_type"] == attack_type) & (post["model"] != "classifier")]
        means = part.groupby("model")["mean"].mean()
        observed = part.groupby("model")["y"].mean().iloc[0]
        print(f"  {attack_type:<15} observed {observed:.3f}; " +
              "; ".join(f"{m} {means[m]:.3f}" for m in MEMBERS if m in means.index))
    part = post[post["attack_type"] == "all"]
    print("  all: P(any) by region (observed share of months with an event), Brier in brackets")
    p_any = part.pivot_table(index="region_id", columns="model", values="p_any")
    by_cell = part.groupby(["region_id", "model"])
    brier = pd.Series({key: scores.brier(group["y"].to_numpy() > 0, group["p_any"].to_numpy())
                       for key, group in by_cell}).unstack()
    observed = (part[part["model"] == MEMBERS[0]].assign(pos=lambda f: f["y"] > 0)
                .groupby("region_id")["pos"].mean())
    for region in p_any.index:
        cells = "; ".join(f"{m} {p_any.loc[region, m]:.2f} [{brier.loc[region, m]:.3f}]"
                          for m in MEMBERS if m in p_any.columns)
        print(f"    {region:<16} observed {observed[region]:.2f}; {cells}")


def kidnapping_by_year(rows: pd.DataFrame) -> None:
    """Print kidnapping outcomes and each member's mean and CRPS per origin year."""
    part = rows[(rows["attack_type"] == "kidnapping") & rows["model"].isin(MEMBERS)
                & (rows["model"] != "classifier")]
    year = part["origin"].astype(str).str[:4]
    print("kidnapping by origin year: observed mean; per member mean forecast / CRPS")
    for value, group in part.groupby(year):
        stats = group.groupby("model")[["mean", "crps"]].mean()
        cells = "; ".join(f"{m} {stats.loc[m, 'mean']:.3f} / {stats.loc[m, 'crps']:.4f}"
                          for m in MEMBERS if m in stats.index)
        print(f"  {value}: observed {group.groupby('model')['y'].mean().iloc[0]:.3f}; {cells}")


def kidnapping_by_region(rows: pd.DataFrame, top: int = 2) -> None:
    """Print the kidnapping CRPS of the served pool and of ``mean12`` in the busiest regions and the rest.

    Per region among the ``top`` with the most kidnappings: the observed mean, the served pool's,
    ``mean12``'s and ``bootstrap24``'s mean forecasts and the CRPS summed over its rows; then the
    sums over the other regions.
    """
    served = pool_forward(rows)
    part = pd.concat([rows, served], ignore_index=True)
    shown = part["model"].isin((SELECTED, "mean12", "bootstrap24"))
    part = part[(part["attack_type"] == "kidnapping") & shown]
    stats = part.groupby(["region_id", "model"]).agg(y=("y", "mean"), mean=("mean", "mean"),
                                                     crps=("crps", "sum")).unstack("model")
    busiest = stats[("y", "mean12")].sort_values(ascending=False).index[:top]
    print("kidnapping by region: observed mean; mean forecast (served, mean12, bootstrap24); "
          "CRPS summed (served, mean12)")
    for region in busiest:
        row = stats.loc[region]
        print(f"  {region:<16} observed {row[('y', 'mean12')]:.2f}; means {row[('mean', SELECTED)]:.2f}, "
              f"{row[('mean', 'mean12')]:.2f}, {row[('mean', 'bootstrap24')]:.2f}; "
              f"CRPS {row[('crps', SELECTED)]:.1f}, {row[('crps', 'mean12')]:.1f}")
    rest = stats.drop(index=busiest)["crps"].sum()
    print(f"  the other {len(stats) - len(busiest)} regions: CRPS {rest[SELECTED]:.1f}, {rest['mean12']:.1f}")


def _all_skills(rows: pd.DataFrame) -> str:
    served = pd.concat([rows, pool_forward(rows)], ignore_index=True)
    parts = []
    post = served[served["post_occupation"].astype(bool)]
    for label, part in (("all rows", served), ("post-occupation", post)):
        if part.empty:
            parts.append(f"{label}: no rows")
            continue
        entry = skill_table(part, SELECTED, BASELINES, ("all",), metrics=("crps", "brier"))["all"]
        parts.append(f"{label} {entry['crps']['skill']:+.3f} / {entry['brier']['skill']:+.3f}")
    return "; ".join(parts)


def poisson_p_any_bound(rows: pd.DataFrame) -> None:
    """Print the served pool's ``all`` skill as served and with pooled_negbin's P(any) Poisson."""
    swapped = rows.copy()
    mask = (swapped["model"] == "pooled_negbin") & (swapped["attack_type"] == "all")
    swapped.loc[mask, "p_any"] = 1.0 - np.exp(-swapped.loc[mask, "mean"].to_numpy(dtype=float))
    print(f"  served pool, all, CRPS / Brier skill: as served {_all_skills(rows)}")
    print(f"  with pooled_negbin's P(any) Poisson:           {_all_skills(swapped)}")


RELIABILITY_BINS = np.linspace(0.0, 1.0, 11)


def all_reliability(rows: pd.DataFrame) -> None:
    """Print the served ``all`` P(any)'s reliability, pooled and reconciled with the types'."""
    print("  served all P(any) by bin: rows, mean forecast, observed share (pooled | reconciled)")
    tables = []
    for reconcile_p in (False, True):
        served = pool_forward(rows, reconcile_p=reconcile_p)
        part = served[served["attack_type"] == "all"]
        p, pos = part["p_any"].to_numpy(dtype=float), part["y"].to_numpy(dtype=float) > 0
        which = np.clip(np.digitize(p, RELIABILITY_BINS[1:-1], right=True), 0, 9)
        tables.append(pd.DataFrame({"bin": which, "p": p, "pos": pos}).groupby("bin")
                      .agg(n=("p", "size"), p=("p", "mean"), obs=("pos", "mean")))
        print(f"    {'reconciled' if reconcile_p else 'pooled'}: mean forecast {p.mean():.3f}, "
              f"observed {pos.mean():.3f}")
    for b in range(10):
        cells = [f"{int(t.loc[b, 'n']):>5} {t.loc[b, 'p']:.3f} {t.loc[b, 'obs']:.3f}" if b in t.index
                 else f"{0:>5}   -     -  " for t in tables]
        low, high = RELIABILITY_BINS[b], RELIABILITY_BINS[b + 1]
        print(f"    {low:.1f}-{high:.1f}: " + " | ".join(cells))


def main() -> None:
    """Print the diagnostics for the ACLED runs."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=None)
    add_prior_months(parser)
    parser.add_argument("--ucdp", action="store_true",
                        help="also print the all P(any) reliability on UCDP (a long backtest unless cached)")
    args = parser.parse_args()
    file_name, _ = RUNS["acled-dev"]
    path = DATA / file_name
    if not path.is_file():
        print(f"{path} not available, skipped")
        return
    prior_weights(path)
    reports = {"acled-dev": (post_occupation_members,),
               "acled-test": (kidnapping_by_year, kidnapping_by_region)}
    for name, steps in reports.items():
        _, origins = RUNS[name]
        print(f"{name} (origins {origins}):")
        rows = family_rows(name, path, origins, args.cache, prior_months=args.prior_months)
        for report in steps:
            report(rows)
        poisson_p_any_bound(rows)
        all_reliability(rows)
    ucdp_file, ucdp_origins = RUNS["ucdp"]
    if args.ucdp and (DATA / ucdp_file).is_file():
        print(f"ucdp (origins {ucdp_origins}):")
        all_reliability(family_rows("ucdp", DATA / ucdp_file, ucdp_origins, args.cache,
                                    prior_months=args.prior_months))


if __name__ == "__main__":
    main()
