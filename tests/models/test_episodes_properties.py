"""Properties of episode detection and occupation phases over generated inputs (hypothesis)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from models.episode_detection import detect_episodes
from models.episodes import occupation_status, parse_catalog, regions_status

BASE = pd.Period("2010-01", freq="M")
ADMIN1 = ("Gao", "Kidal")


def _events(draw_months: list[tuple[int, int]]) -> pd.DataFrame:
    rows = [("MLI", ADMIN1[a], (BASE + m).to_timestamp() + pd.Timedelta(days=3)) for a, m in draw_months]
    return pd.DataFrame(rows, columns=["country", "admin1", "date"])


month_events = st.lists(st.tuples(st.integers(0, 1), st.integers(0, 60)), max_size=25)


@settings(max_examples=60, deadline=None)
@given(seizures=month_events, regains=month_events, max_open=st.integers(0, 40))
def test_candidates_are_ordered_disjoint_and_anchored_on_events(
        seizures: list[tuple[int, int]], regains: list[tuple[int, int]], max_open: int) -> None:
    seize, regain = _events(seizures), _events(regains)
    end = BASE + 60
    found = detect_episodes(seize, regain, max_open_months=max_open, data_end=end)
    seize_months = {(a, BASE + m) for a, m in ((ADMIN1[i], m) for i, m in seizures)}
    regain_months = {(a, BASE + m) for a, m in ((ADMIN1[i], m) for i, m in regains)}
    for admin1, rows in found.groupby("admin1"):
        previous_end: pd.Period | None = None
        for start, stop in zip(rows["start_month"], rows["end_month"], strict=True):
            assert (admin1, start) in seize_months  # every candidate starts on a seizure
            if pd.isna(stop):
                assert (end - start).n <= max_open  # ongoing ones are recent
            else:
                assert (admin1, stop) in regain_months  # and ends on a regain
                assert stop >= start
                assert (stop - start).n <= max_open
            if previous_end is not None:
                assert start > previous_end  # candidates of one region never overlap
            previous_end = stop if not pd.isna(stop) else end
    assert found["episode_id"].is_unique
    assert set(found["source"]) <= {"detected"}


spans = st.lists(st.tuples(st.integers(0, 48), st.integers(0, 24), st.booleans()), min_size=1, max_size=4)


@settings(max_examples=60, deadline=None)
@given(spans=spans, month=st.integers(0, 90))
def test_phases_agree_with_a_direct_reading_of_the_catalog(spans: list[tuple[int, int, bool]],
                                                            month: int) -> None:
    rows = [(f"e{i}", "MLI", "Gao", str(BASE + s), "" if ongoing else str(BASE + s + d))
            for i, (s, d, ongoing) in enumerate(spans)]
    catalog = parse_catalog(pd.DataFrame(rows, columns=["episode_id", "country", "admin1", "start_month",
                                                        "end_month"]))
    at = BASE + month
    status = occupation_status(np.array(["MLI.gao"]), pd.period_range(at, at, freq="M"), catalog).iloc[0]
    started = [(s, None if ongoing else s + d) for s, d, ongoing in spans if s <= month]
    active = [s for s, e in started if e is None or month <= e]
    if not started:
        assert status["phase"] == "never"
    elif active:
        assert status["phase"] == "during"
        assert status["months_since_start"] == month - min(active)
    else:
        assert status["phase"] == "after"
        assert status["months_since_end"] == month - max(e for _, e in started if e is not None)
    single = regions_status(["MLI.gao"], at, catalog).iloc[0]
    assert single["phase"] == status["phase"]
    assert single["episode_id"] == status["episode_id"]
