"""Benchmark: the attack-method classifier and the target mix on the real files, with timings.

Usage: ``python bench/bench_methods.py [--data ../shared/data] [--json]``

Prints the shipped classifier's ACLED held-out figures (stored in the artefact when it was
trained: ``threatcast methods train --events ACLED...``), the transfer to the hand-labelled UCDP
headlines, the abstention on 2015+ UCDP headlines, UCDP events by attack type without and with text
methods, and the target mix of northern Mali (Tombouctou, Gao, Kidal, Mopti) before, during and
after the 2012 occupation (observed shares, and the TargetMix forecast made at the end of each
period before the next).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import pandas as pd

from models.estimators.target_mix import TargetMix, observed_mix
from models.methods import shipped_classifier, text_methods_off
from models.methods_eval import abstention_rate, load_headline_sample, transfer_scores
from models.panel import build_panel
from training.ingest import ingest

ROOT = Path(__file__).resolve().parents[1]
UCDP = "ucdp_ged_hdx_191-221_selected_to2018.csv.gz"
ACLED = "acled_hdx_2020_selected_to2018.csv.gz"
NORTH_MALI = ["MLI.tombouctou", "MLI.gao", "MLI.kidal", "MLI.mopti"]
PERIODS = {"before": ("2010-04", "2012-03"), "during": ("2012-04", "2013-01"),
           "after": ("2013-02", "2015-01")}


def mali_target_mix(acled: Path) -> dict[str, Any]:
    """Observed shares per period, and TargetMix forecasts of the next period's shares."""
    events = ingest([acled]).events
    panel = build_panel(events)
    out: dict[str, Any] = {"observed": {}, "forecast": {}}
    for name, (start, end) in PERIODS.items():
        observed = observed_mix(panel, NORTH_MALI, start, end)
        n = int(window_counts(panel, NORTH_MALI, start, end).sum())
        out["observed"][name] = {"events": n, **{k: round(float(v), 3) for k, v in observed.items()}}
    for origin, target in (("2012-03", "during"), ("2013-01", "after")):
        state = panel.truncate(origin)
        model = TargetMix().fit(state)
        mix = model.predict_mix(state, 1)
        rows = mix[mix["region_id"].isin(NORTH_MALI)]
        weights = window_counts(state, NORTH_MALI, str(pd.Period(origin, "M") - 23), origin)
        shares = rows.pivot(index="region_id", columns="target_class", values="share")
        pooled = (shares.mul(weights.reindex(shares.index).fillna(0) + 1, axis=0).sum()
                  / (weights.reindex(shares.index).fillna(0) + 1).sum())
        out["forecast"][f"at {origin} for {target}"] = {k: round(float(v), 3) for k, v in pooled.items()}
    return out


def window_counts(panel: Any, regions: list[str], start: str, end: str) -> pd.Series:
    """Each region's events in months ``start`` .. ``end`` (all target classes)."""
    rows = panel.targets
    months = pd.PeriodIndex(rows["month"], freq="M")
    keep = (rows["region_id"].isin(regions).to_numpy() & (months >= pd.Period(start, "M"))
            & (months <= pd.Period(end, "M")))
    return rows[keep].groupby("region_id")["count"].sum()


def main() -> None:
    """Run every measurement and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    classifier = shipped_classifier()
    assert classifier is not None, "text methods are off (THREATCAST_METHODS_MODEL=off)"
    figures: dict[str, Any] = {"threshold": classifier.threshold,
                               "acled_held_out": classifier.info["held_out_scores"]}
    started = time.perf_counter()
    figures["ucdp_transfer"] = transfer_scores(classifier, load_headline_sample(args.data / UCDP))
    raw = pd.read_csv(args.data / UCDP, usecols=["year", "source_headline"])
    recent = raw.loc[raw["year"] >= 2015, "source_headline"]
    figures["ucdp_2015_abstention"] = abstention_rate(classifier, recent)
    figures["classify_seconds"] = round(time.perf_counter() - started, 2)
    with text_methods_off():
        before = ingest([args.data / UCDP]).summary
    started = time.perf_counter()
    after = ingest([args.data / UCDP]).summary
    figures["ucdp_ingest_seconds"] = round(time.perf_counter() - started, 2)
    figures["ucdp_by_type"] = {"default": before["by_attack_type"], "text": after["by_attack_type"],
                               "rejected_air_strikes": after["rejected_by_reason"].get("not_threat_event", 0)}
    figures["north_mali_target_mix"] = mali_target_mix(args.data / ACLED)
    if args.json:
        print(json.dumps(figures))
        return
    print(json.dumps(figures, indent=1))


if __name__ == "__main__":
    main()
