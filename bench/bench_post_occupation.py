"""Benchmark: the post-occupation slice and the occupation-feature ablation on the shared extracts.

For each extract in ../shared/data (skipped when absent) the script runs
``threatcast backtest --ablation`` over origins that cover post-occupation windows (ACLED: northern
Mali after 2013-01, origins 2013-01..2015-12; UCDP: Iraq, Nigeria, the Philippines, origins
2015-01..2018-06), then prints, from the files the command wrote:

* the post-occupation slice (rows whose region was within 24 months after an occupation ended):
  CRPS and Brier skill of the served model (``selected``: the equal-weight pool) and of each fitted family
  against the best baseline, per attack type;
* the ablation: the gain of the occupation features (1 - score with / without) with its 90%
  block-bootstrap interval, per model, on the slice and overall, for ``all`` and the seed's types;
* the wall time of the two backtests against one (the ablation's cost).

Usage: .venv/bin/python bench/bench_post_occupation.py [--out DIR] [--workers N] [--only acled|ucdp]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / ".." / "shared" / "data"
RUNS = {
    "acled": ("acled_hdx_2020_selected_to2018.csv.gz", "2013-01:2015-12"),
    "ucdp": ("ucdp_ged_hdx_191-221_selected_to2018.csv.gz", "2015-01:2018-06"),
}
SHOWN_TYPES = ("all", "kidnapping", "bombing", "suicide_attack", "armed_assault", "indirect_fire")


def _fmt(value: object) -> str:
    return "   -  " if value is None else f"{float(str(value)):+.3f}"


def _slice_table(scores: dict[str, object]) -> None:
    post = scores.get("post_occupation") or {}
    assert isinstance(post, dict)
    models = [m for m in post if m not in scores.get("baselines", [])]  # type: ignore[operator]
    print("  post-occupation slice, skill against the best baseline (CRPS / Brier):")
    print("    " + f"{'type':<16}{'n':>7}  " + "  ".join(f"{m[:22]:>22}" for m in models))
    types = [t for t in SHOWN_TYPES if any(t in post[m] for m in models)]
    for attack_type in types:
        n = max(post[m].get(attack_type, {}).get("n", 0) or 0 for m in models)
        cells = []
        for model in models:
            entry = post[model].get(attack_type, {})
            cells.append(f"{_fmt(entry.get('crps_skill')) if 'crps' in entry else '   -  '} / "
                         f"{_fmt(entry.get('brier_skill'))}".rjust(22))
        print("    " + f"{attack_type:<16}{int(n):>7}  " + "  ".join(cells))


def _ablation_table(ablation: dict[str, object]) -> None:
    rows = ablation["rows"]
    assert isinstance(rows, list)
    print("  ablation: gain of the occupation features [90% interval] verdict")
    for row in rows:
        if row["attack_type"] not in SHOWN_TYPES:
            continue
        print(f"    {row['model']:<24}{row['attack_type']:<16}{row['slice']:<16}{row['metric']:<6}"
              f"{_fmt(row['gain'])} [{_fmt(row['gain_lower'])}, {_fmt(row['gain_upper'])}] {row['verdict']}")
    print(f"  verdicts: {json.dumps(ablation.get('verdicts'))}")


def main() -> None:
    """Run the backtest with the ablation on each extract and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("bench-out/post_occupation"))
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--only", choices=sorted(RUNS), default=None)
    args = parser.parse_args()
    cli = Path(sys.executable).with_name("threatcast")
    for key, (name, origins) in RUNS.items():
        if args.only and key != args.only:
            continue
        path = DATA / name
        if not path.is_file():
            print(f"{name}: not available, skipped")
            continue
        out = args.out / key
        started = time.perf_counter()
        subprocess.run([str(cli), "backtest", "-e", str(path), "--origins", origins, "--horizon", "6",
                        "--ablation", "--workers", str(args.workers), "--out", str(out), "--json"],
                       check=True, stdout=subprocess.DEVNULL)
        seconds = time.perf_counter() - started
        scores = json.loads((out / "scores.json").read_text(encoding="utf-8"))
        ablation = json.loads((out / "ablation.json").read_text(encoding="utf-8"))
        one = float(scores["timings"]["total"])
        print(f"{name}: origins {origins}, horizons 1-6; two backtests {seconds:.0f} s wall, one backtest "
              f"{one:.0f} s ({seconds / one:.1f}x)")
        _slice_table(scores)
        _ablation_table(ablation)


if __name__ == "__main__":
    main()
