"""The post-occupation effect applied to forecasts: which episode, which phase, which study effects."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from models.episodes import parse_catalog
from models.post_occupation import EFFECT_FIELDS, applied_effects, phase_of, post_occupation


def _catalog(*rows: tuple[str, str, str, str, str]) -> pd.DataFrame:
    return parse_catalog(pd.DataFrame(list(rows), columns=["episode_id", "country", "admin1", "start_month",
                                                           "end_month"]))


STUDY: dict[str, Any] = {
    "effects": [
        {"attack_type": "bombing", "phase": "after_1_6", "rate_ratio": 2.5, "ci_low": 1.2, "ci_high": 5.1,
         "p_value": 0.01, "n_events": 30, "method": "glm", "note": ""},
        {"attack_type": "suicide_attack", "phase": "after_1_6", "rate_ratio": None, "ci_low": 3.0,
         "ci_high": None, "p_value": 0.001, "n_events": 12, "method": "exact", "note": "none before"},
        {"attack_type": "kidnapping", "phase": "after_1_6", "rate_ratio": None, "ci_low": None,
         "ci_high": None, "p_value": None, "n_events": 0, "method": "exact", "note": "no events"},
        {"attack_type": "bombing", "phase": "after_7_12", "rate_ratio": 1.1, "ci_low": 0.6, "ci_high": 2.0,
         "p_value": 0.7, "n_events": 14, "method": "glm", "note": ""},
    ],
    "placebo": [{"attack_type": "bombing", "phase": "after_1_6", "draws": 20, "estimable": 20,
                 "unbounded": 0, "p5": 0.5, "p50": 1.0, "p95": 1.9, "share_above": 0.05}],
}


@pytest.mark.parametrize(("since", "phase"), [(-2, "during"), (0, "during"), (1, "after_1_6"),
                                              (6, "after_1_6"), (7, "after_7_12"), (12, "after_7_12"),
                                              (13, "after_13_24"), (24, "after_13_24"),
                                              (25, "after_25_36"), (36, "after_25_36")])
def test_phase_bins(since: int, phase: str) -> None:
    assert phase_of(since) == phase


def test_beyond_the_window_is_refused() -> None:
    with pytest.raises(ValueError, match="outside"):
        phase_of(37)


def test_effects_of_the_phase_with_placebo_share_and_unbounded_flag() -> None:
    effects = applied_effects(STUDY, "after_1_6")
    assert [e["attack_type"] for e in effects] == ["bombing", "suicide_attack", "kidnapping"]
    assert all(tuple(e) == EFFECT_FIELDS for e in effects)
    bombing, suicide, kidnapping = effects
    assert bombing == {"attack_type": "bombing", "phase": "after_1_6", "rate_ratio": 2.5, "ci_low": 1.2,
                       "ci_high": 5.1, "unbounded": False, "placebo_share_above": 0.05, "n_events": 30}
    assert suicide["unbounded"] and suicide["ci_low"] == 3.0 and suicide["placebo_share_above"] is None
    assert not kidnapping["unbounded"] and kidnapping["rate_ratio"] is None
    assert applied_effects(None, "after_1_6") == [] and applied_effects({}, "after_1_6") == []
    assert applied_effects(STUDY, "after_25_36") == []


def test_regions_in_and_out_of_a_post_occupation_window() -> None:
    catalog = _catalog(("a", "MLI", "Tombouctou", "2012-04", "2013-01"),   # ended 11 months before
                       ("b", "MLI", "Gao", "2012-04", ""),                 # ongoing
                       ("c", "MLI", "Kidal", "2008-01", "2010-06"),        # ended long before
                       ("d", "MLI", "Mopti", "2013-11", "2014-02"))       # ends inside the horizon
    regions = ["MLI.tombouctou", "MLI.gao", "MLI.kidal", "MLI.mopti", "MLI.bamako"]
    out = post_occupation(regions, pd.Period("2013-12", freq="M"), 6, catalog, STUDY)
    assert out["MLI.tombouctou"] == {"episode_id": "a", "end_month": "2013-01", "months_since_end": 12,
                                     "phase": "after_7_12", "effects": applied_effects(STUDY, "after_7_12")}
    assert out["MLI.gao"] is None and out["MLI.kidal"] is None and out["MLI.bamako"] is None
    mopti = out["MLI.mopti"]
    assert mopti is not None
    assert (mopti["episode_id"], mopti["months_since_end"], mopti["phase"]) == ("d", -1, "during")
    assert mopti["effects"] == []  # the study has no 'during' effect here


def test_the_window_ends_36_months_after_the_end() -> None:
    catalog = _catalog(("a", "MLI", "Tombouctou", "2012-04", "2013-01"))
    last = post_occupation(["MLI.tombouctou"], pd.Period("2015-12", freq="M"), 1, catalog, None)
    assert last["MLI.tombouctou"] is not None
    assert last["MLI.tombouctou"]["months_since_end"] == 36
    assert last["MLI.tombouctou"]["phase"] == "after_25_36"
    assert last["MLI.tombouctou"]["effects"] == []
    gone = post_occupation(["MLI.tombouctou"], pd.Period("2016-01", freq="M"), 6, catalog, STUDY)
    assert gone == {"MLI.tombouctou": None}


def test_a_later_episode_of_the_region_wins() -> None:
    catalog = _catalog(("old", "MLI", "Tombouctou", "2012-04", "2013-01"),
                       ("new", "MLI", "Tombouctou", "2013-04", "2013-06"))
    out = post_occupation(["MLI.tombouctou"], pd.Period("2013-08", freq="M"), 3, catalog, STUDY)
    found = out["MLI.tombouctou"]
    assert found is not None and found["episode_id"] == "new" and found["months_since_end"] == 3
    assert found["phase"] == "after_1_6" and len(found["effects"]) == 3
