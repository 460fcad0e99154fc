"""Benchmark: ingest synthetic ACLED-format rows and print rows/s and peak memory.

Usage: ``python bench/bench_ingest.py [--rows 1000000] [--seed 7]``

The parent process writes a synthetic ACLED export (HDX column layout, a realistic mix of
sub-event types, actor types, countries and admin1 names, a few per cent of malformed rows) into
a temporary directory, then runs each measurement in a fresh child process so that its peak
resident memory (``VmHWM``) belongs to that measurement alone. Measured side by side on the
same file: a plain ``pandas.read_csv`` with the same Arrow parser (the floor) and the full
``ingest`` plus ``write_ingest``. Target: 1,000,000 rows in under 60 s and under 2 GB.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]

SUB_EVENTS = {
    "Attack": ("Violence against civilians", 0.22), "Armed clash": ("Battles", 0.20),
    "Remote explosive/landmine/IED": ("Explosions/Remote violence", 0.06),
    "Abduction/forced disappearance": ("Violence against civilians", 0.05),
    "Suicide bomb": ("Explosions/Remote violence", 0.005), "Grenade": ("Explosions/Remote violence", 0.005),
    "Shelling/artillery/missile attack": ("Explosions/Remote violence", 0.02),
    "Looting/property destruction": ("Strategic developments", 0.02),
    "Non-state actor overtakes territory": ("Battles", 0.01),
    "Government regains territory": ("Battles", 0.01),
    "Air/drone strike": ("Explosions/Remote violence", 0.03),
    "Peaceful protest": ("Protests", 0.22), "Violent demonstration": ("Riots", 0.08),
    "Mob violence": ("Riots", 0.05),
}
PLACES = {
    "Mali": ["Gao", "Kidal", "Tombouctou", "Mopti", "Segou", "Bamako", "Kayes", "Koulikoro", "Sikasso"],
    "Burkina Faso": ["Sahel", "Est", "Nord", "Centre", "Boucle du Mouhoun", "Centre-Nord", "Hauts-Bassins"],
    "Niger": ["Tillaberi", "Diffa", "Tahoua", "Agadez", "Niamey", "Maradi", "Zinder"],
    "Mozambique": ["Cabo Delgado", "Sofala", "Manica", "Nampula", "Maputo City", "Tete", "Zambezia"],
}
PREFIX = {"Mali": "MLI", "Burkina Faso": "BFO", "Niger": "NIG", "Mozambique": "MOZ"}
ACTORS = ["JNIM: Group for Support of Islam and Muslims", "Islamic State (Greater Sahara)",
          "Military Forces of Mali (2013-)", "Civilians (Mali)", "Unidentified Armed Group (Niger)",
          "Protesters (Burkina Faso)", "Rioters (Mozambique)", "Ansaroul Islam"]


def synthetic_acled(rows: int, seed: int) -> pd.DataFrame:
    """A synthetic ACLED export with ``rows`` rows (about 2 % malformed on purpose)."""
    rng = np.random.default_rng(seed)
    names = np.array(list(SUB_EVENTS), dtype=object)
    kinds = np.array([kind for kind, _ in SUB_EVENTS.values()], dtype=object)
    weights = np.array([w for _, w in SUB_EVENTS.values()])
    pick = rng.choice(len(names), rows, p=weights / weights.sum())
    sub, event_type = names[pick], kinds[pick]
    countries = np.array(list(PLACES), dtype=object)
    country_pick = rng.integers(0, len(countries), rows)
    country = countries[country_pick]
    admin1 = np.empty(rows, dtype=object)
    for c in countries:
        mask = country == c
        admin1[mask] = np.array(PLACES[c], dtype=object)[rng.integers(0, len(PLACES[c]), mask.sum())]
    days = rng.integers(0, 22 * 365, rows)
    dates = (np.datetime64("1997-01-01") + days).astype(str).astype(object)
    lat = np.round(rng.uniform(-26, 25, rows), 4).astype(str).astype(object)
    lon = np.round(rng.uniform(-12, 40, rows), 4).astype(str).astype(object)
    fatalities = rng.poisson(1.5, rows).astype(str).astype(object)
    bad = rng.random(rows)
    dates[bad < 0.005] = "not a date"
    admin1[(bad >= 0.005) & (bad < 0.01)] = ""
    lat[(bad >= 0.01) & (bad < 0.015)] = "12,5N"
    fatalities[(bad >= 0.015) & (bad < 0.02)] = "-3"
    prefixes = np.array([PREFIX[c] for c in countries], dtype=object)[country_pick]
    ids = prefixes + np.arange(1, rows + 1).astype(str).astype(object)
    dup = rng.random(rows) < 0.001
    ids[dup] = ids[0]
    return pd.DataFrame({
        "data_id": np.arange(rows) + 6_000_000, "event_id_cnty": ids, "event_date": dates,
        "year": days // 365 + 1997, "time_precision": rng.choice([1, 2, 3], rows, p=[0.9, 0.07, 0.03]),
        "event_type": event_type, "sub_event_type": sub,
        "actor1": np.array(ACTORS)[rng.integers(0, len(ACTORS), rows)], "assoc_actor_1": "",
        "inter1": rng.choice([1, 2, 3, 4, 5, 6, 7, 8], rows),
        "actor2": np.array(ACTORS)[rng.integers(0, len(ACTORS), rows)],
        "assoc_actor_2": "", "inter2": rng.choice([0, 1, 2, 3, 4, 7], rows), "interaction": 0,
        "country": country, "admin1": admin1, "admin2": "", "admin3": "", "location": "Somewhere",
        "latitude": lat, "longitude": lon, "geo_precision": 1, "fatalities": fatalities,
        "notes": "On a date, an armed group attacked a village; several people were reported killed.",
        "timestamp": 1582579225,
    })


def _peak_mb() -> float:
    """Peak resident memory of this process image in MB.

    ``VmHWM`` is reset by ``exec``, unlike ``ru_maxrss``, which a child inherits from the process that
    forked it (here: the parent holding the synthetic table).
    """
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(mode: str, path: str, out_dir: str) -> None:
    """Run one measurement and print its figures as JSON."""
    start = time.perf_counter()
    if mode == "read_csv":
        rows = len(pd.read_csv(path, dtype=str, keep_default_na=False, engine="pyarrow"))
        figures: dict[str, object] = {"rows": rows}
    else:
        sys.path.insert(0, str(ROOT))
        from training.ingest import ingest, write_ingest

        result = ingest([path])
        mid = time.perf_counter()
        write_ingest(result, out_dir)
        figures = {"rows": result.summary["rows_read"], "accepted": result.summary["accepted"],
                   "rejected": result.summary["rejected"], "ingest_s": mid - start,
                   "rejected_by_reason": result.summary["rejected_by_reason"]}
    figures["seconds"] = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_SELF)
    figures["cpu_s"] = usage.ru_utime + usage.ru_stime
    figures["peak_mb"] = _peak_mb()
    print(json.dumps(figures))


def measure(mode: str, path: Path, out_dir: Path) -> dict[str, object]:
    """Run ``mode`` in a child process and return its figures."""
    done = subprocess.run([sys.executable, __file__, "--child", mode, str(path), str(out_dir)],
                          check=True, capture_output=True, text=True)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def main() -> None:
    """Generate the file, measure, print."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--child", nargs=3, metavar=("MODE", "PATH", "OUT"))
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "acled_synthetic.csv"
        start = time.perf_counter()
        synthetic_acled(args.rows, args.seed).to_csv(path, index=False)
        size_mb = path.stat().st_size / 1e6
        print(f"synthetic ACLED file: {args.rows:,} rows, {size_mb:,.0f} MB, "
              f"written in {time.perf_counter() - start:.1f} s")
        floor = measure("read_csv", path, Path(tmp) / "out")
        full = measure("ingest", path, Path(tmp) / "out")
    rows = float(full["rows"])  # type: ignore[arg-type]
    seconds = float(full["seconds"])  # type: ignore[arg-type]
    floor_s = float(floor["seconds"])  # type: ignore[arg-type]
    print(f"pandas.read_csv only : {floor_s:6.1f} s  {rows / floor_s:>10,.0f} rows/s  "
          f"peak RSS {floor['peak_mb']:,.0f} MB  CPU {floor['cpu_s']:.1f} s")
    print(f"ingest (no write)    : {full['ingest_s']:6.1f} s  "
          f"{rows / float(full['ingest_s']):>10,.0f} rows/s")  # type: ignore[arg-type]
    print(f"ingest + write       : {seconds:6.1f} s  {rows / seconds:>10,.0f} rows/s  "
          f"peak RSS {full['peak_mb']:,.0f} MB  CPU {full['cpu_s']:.1f} s")
    print(f"load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores "
          "(wall times stretch when the machine is shared)")
    print(f"accepted {full['accepted']:,}  rejected {full['rejected']:,}  "
          f"by reason {full['rejected_by_reason']}")
    print(f"ingest / read_csv time ratio: {seconds / floor_s:.2f}x")
    ok = seconds < 60 and float(full["peak_mb"]) < 2048  # type: ignore[arg-type]
    print(f"target (< 60 s, < 2048 MB): {'met' if ok else 'NOT met'}")


if __name__ == "__main__":
    main()
