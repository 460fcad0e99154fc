"""TargetMix: target-class shares from the panel's target counts, shrinkage, truncation, errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from models.estimators.base import NotFittedError
from models.estimators.target_mix import TargetMix, observed_mix, target_cube
from models.panel import build_panel
from models.schema import conform_events
from models.targets import TARGET_CLASSES


def _events() -> pd.DataFrame:
    rows = []
    months = pd.period_range("2015-01", "2016-12", freq="M")
    for i, month in enumerate(months):
        day = month.start_time
        # Gao: mostly attacks on the army; Kidal: on peacekeepers from 2016 on; Mopti: civilians
        rows.append(("gao", day, "security_forces" if i % 4 else "civilians"))
        rows.append(("kidal", day, "international" if month.year == 2016 else "security_forces"))
        rows.append(("mopti", day, "civilians"))
    return conform_events(pd.DataFrame({
        "event_id": [f"e{i}" for i in range(len(rows))], "source": "test",
        "date": [r[1] for r in rows], "date_precision": "day", "country": "MLI",
        "admin1": [r[0].capitalize() for r in rows], "region_id": [f"MLI.{r[0]}" for r in rows],
        "attack_type": "armed_clash", "target_class": [r[2] for r in rows],
    }))


def test_panel_carries_target_counts_and_truncates_them() -> None:
    panel = build_panel(_events())
    assert panel.targets is not None
    assert int(panel.targets["count"].sum()) == 72
    gao = panel.targets[panel.targets["region_id"] == "MLI.gao"].groupby("target_class")["count"].sum()
    assert gao.to_dict() == {"civilians": 6, "security_forces": 18}
    early = panel.truncate("2015-06")
    assert early.targets is not None and int(early.targets["count"].sum()) == 18
    cube = target_cube(early)
    assert cube.shape == (3, len(TARGET_CLASSES), 6) and cube.sum() == 18


def test_shares_follow_each_region_and_sum_to_one() -> None:
    panel = build_panel(_events())
    model = TargetMix(tune_months=6).fit(panel)
    mix = model.predict_mix(panel, 2)
    assert len(mix) == 3 * 2 * len(TARGET_CLASSES)
    sums = mix.groupby(["region_id", "horizon"])["share"].sum()
    assert np.allclose(sums, 1.0)
    share = mix[mix["horizon"] == 1].pivot(index="region_id", columns="target_class", values="share")
    assert share.loc["MLI.kidal"].idxmax() == "international"  # the recent months weigh more
    assert share.loc["MLI.gao"].idxmax() == "security_forces"
    assert share.loc["MLI.mopti", "civilians"] > 0.6
    assert share.loc["MLI.mopti", "government"] < 0.1
    assert model.fit_report()["strength"] in (1.0, 3.0, 10.0, 30.0)


def test_observed_mix_and_errors() -> None:
    panel = build_panel(_events())
    observed = observed_mix(panel, ["MLI.kidal"], "2016-01", "2016-12")
    assert observed["international"] == 1.0 and observed.sum() == 1.0
    assert observed_mix(panel, ["MLI.nowhere"], "2016-01", "2016-12").sum() == 0.0
    with pytest.raises(NotFittedError):
        TargetMix().predict_mix(panel, 1)
    with pytest.raises(ValueError, match="horizon must be >= 1"):
        TargetMix(tune_months=6).fit(panel).predict_mix(panel, 0)
    with pytest.raises(ValueError, match="strengths"):
        TargetMix(strengths=()).fit(panel)
    bare = build_panel(_events().drop(columns=["target_class"]))
    with pytest.raises(ValueError, match="no target-class counts"):
        TargetMix().fit(bare)
