from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from models.episodes import load_catalog
from models.features import (
    REGION_FEATURES,
    TYPE_FEATURES,
    LevelPrior,
    as_level_prior,
    build_cube,
    design_names,
    design_rows,
    gamma_prior,
    known_regions,
    level_prior,
    make_features,
    recent_level,
    recent_prior,
    shrunken_level,
    training_rows,
)
from models.panel import build_panel
from models.schema import conform_events
from models.taxonomy import ATTACK_TYPES, PANEL_TYPES


def _events(rows: list[tuple[str, str, str]]) -> pd.DataFrame:
    """Events from (region_id, date, attack type) triples."""
    frame = pd.DataFrame({
        "event_id": [f"t:{i}" for i in range(len(rows))],
        "source": "canonical",
        "date": [r[1] for r in rows],
        "date_precision": "day",
        "country": [r[0][:3] for r in rows],
        "admin1": [r[0][4:].title() for r in rows],
        "region_id": [r[0] for r in rows],
        "latitude": 15.0,
        "longitude": -2.0,
        "attack_type": [r[2] for r in rows],
        "perpetrator": "",
        "target": "",
        "fatalities": 0,
        "suicide": False,
    })
    return conform_events(frame)


def _catalog(rows: list[tuple[str, str, str, str]]) -> pd.DataFrame:
    """A catalog from (country, admin1, start, end) tuples, read through load_catalog."""
    return pd.DataFrame({
        "episode_id": [f"ep{i}" for i in range(len(rows))],
        "country": [r[0] for r in rows], "admin1": [r[1] for r in rows],
        "start_month": pd.PeriodIndex([r[2] for r in rows], freq="M"),
        "end_month": pd.PeriodIndex([r[3] for r in rows], freq="M"),
        "groups": "g", "note": "", "source": "test",
        "region_id": [f"{r[0]}.{r[1].lower()}" for r in rows],
    })


def _random_events(rng: np.random.Generator, n: int, start: str = "2014-01",
                   months: int = 48) -> pd.DataFrame:
    regions = ["MLI.gao", "MLI.kidal", "MLI.mopti", "BFA.sahel", "BFA.est"]
    base = pd.Period(start, freq="M")
    rows = []
    for _ in range(n):
        m = base + int(rng.integers(0, months))
        day = int(rng.integers(1, 28))
        rows.append((str(rng.choice(regions)), f"{m}-{day:02d}", str(rng.choice(ATTACK_TYPES[:6]))))
    return _events(rows)


@pytest.fixture
def small_panel():
    rows = [("MLI.gao", "2018-01-05", "bombing"), ("MLI.gao", "2018-03-05", "bombing"),
            ("MLI.gao", "2018-03-09", "kidnapping"), ("MLI.gao", "2018-04-01", "bombing"),
            ("MLI.kidal", "2018-02-11", "armed_assault"), ("BFA.sahel", "2018-04-20", "armed_clash")]
    return build_panel(_events(rows), "2018-06")


def _feature(frame: pd.DataFrame, region: str, attack_type: str, month: str, name: str) -> float:
    row = frame[(frame["region_id"] == region) & (frame["attack_type"] == attack_type)
                & (frame["month"] == pd.Period(month, freq="M"))]
    assert len(row) == 1
    return float(row.iloc[0][name])


def test_lags_rolls_and_since_event_on_known_series(small_panel):
    f = make_features(small_panel, load_catalog())
    # Gao bombings: Jan 1, Feb 0, Mar 1, Apr 1, May 0, Jun 0.
    assert _feature(f, "MLI.gao", "bombing", "2018-04", "lag0") == 1.0
    assert _feature(f, "MLI.gao", "bombing", "2018-04", "lag1") == 1.0
    assert _feature(f, "MLI.gao", "bombing", "2018-04", "lag2") == 0.0
    assert _feature(f, "MLI.gao", "bombing", "2018-04", "roll3") == pytest.approx(2 / 3)
    # Only four covered months by April: the 6-month mean averages over those four.
    assert _feature(f, "MLI.gao", "bombing", "2018-04", "roll6") == pytest.approx(3 / 4)
    assert _feature(f, "MLI.gao", "bombing", "2018-06", "since_event") == 2.0
    assert _feature(f, "MLI.gao", "all", "2018-03", "lag0") == 2.0
    assert _feature(f, "MLI.gao", "bombing", "2018-03", "all_lag0") == 2.0
    # Mali's coverage starts 2018-01: region age counts covered months.
    assert _feature(f, "MLI.kidal", "all", "2018-06", "age") == 5.0
    # Country activity sums Gao and Kidal (Mali) but not Burkina Faso.
    assert _feature(f, "MLI.kidal", "all", "2018-03", "country_roll3") == pytest.approx((1 + 1 + 2) / 3)
    assert _feature(f, "BFA.sahel", "all", "2018-04", "country_roll3") == pytest.approx(1.0)
    # Before any event the months-since counter equals the region age.
    assert _feature(f, "MLI.kidal", "bombing", "2018-03", "since_event") == 2.0


def test_one_row_per_panel_row_and_no_nan(small_panel):
    f = make_features(small_panel, load_catalog())
    assert len(f) == len(small_panel.counts)
    expected = {*TYPE_FEATURES, *(f"all_{n}" for n in TYPE_FEATURES), *REGION_FEATURES}
    assert expected <= set(f.columns)
    assert not f[list(expected)].isna().any().any()
    assert set(f["attack_type"]) == set(PANEL_TYPES)


def test_occupation_phase_features():
    events = _events([("MLI.gao", "2011-01-05", "bombing"), ("MLI.gao", "2014-06-05", "bombing")])
    panel = build_panel(events, "2014-06")
    cat = _catalog([("MLI", "Gao", "2012-04", "2013-01")])
    f = make_features(panel, cat)
    assert _feature(f, "MLI.gao", "all", "2012-03", "phase_during") == 0.0
    assert _feature(f, "MLI.gao", "all", "2012-06", "phase_during") == 1.0
    # The end month itself is still "during"; the month after is the first "after" month.
    assert _feature(f, "MLI.gao", "all", "2013-01", "phase_after") == 0.0
    assert _feature(f, "MLI.gao", "all", "2013-02", "phase_after") == 1.0
    assert _feature(f, "MLI.gao", "all", "2013-02", "since_end") == 1.0
    assert _feature(f, "MLI.gao", "all", "2014-06", "post_window") == 1.0
    assert _feature(f, "MLI.gao", "all", "2014-06", "since_end") == 17.0


def test_seasonality_is_the_calendar_month(small_panel):
    f = make_features(small_panel, load_catalog())
    jan = [_feature(f, "MLI.gao", "all", "2018-01", n) for n in ("month_sin", "month_cos")]
    apr = [_feature(f, "MLI.gao", "all", "2018-04", n) for n in ("month_sin", "month_cos")]
    assert jan == pytest.approx((0.0, 1.0))
    assert apr == pytest.approx((1.0, 0.0), abs=1e-12)


def test_known_regions_excludes_regions_without_events_yet():
    events = _events([("MLI.gao", "2018-01-05", "bombing"), ("MLI.kidal", "2018-05-05", "bombing")])
    panel = build_panel(events, "2018-06").truncate("2018-03")
    assert list(panel.regions.index) == ["MLI.gao", "MLI.kidal"]
    assert known_regions(panel).tolist() == [True, False]


def _modify_after(events: pd.DataFrame, t: pd.Period, rng: np.random.Generator) -> pd.DataFrame:
    """Add, drop and re-type events after month t; add a new region and a new country after t."""
    months = events["date"].dt.to_period("M")
    later = events[months > t]
    kept = later.sample(frac=0.5, random_state=int(rng.integers(1 << 30))) if len(later) else later
    retyped = kept.copy()
    retyped["attack_type"] = "kidnapping"
    day = (t + 1).to_timestamp() + pd.Timedelta(days=3)
    when = str(day.date())
    extra = _events([("MLI.gao", when, "suicide_attack"), ("MLI.tombouctou", when, "bombing"),
                     ("NER.tillaberi", when, "bombing")])
    extra["event_id"] = [f"x:{i}" for i in range(len(extra))]
    return conform_events(pd.concat([events[months <= t], retyped, extra], ignore_index=True))


@pytest.mark.parametrize("seed", range(6))
def test_no_feature_at_or_before_t_depends_on_later_events(seed):
    rng = np.random.default_rng(seed)
    events = _random_events(rng, 250)
    t = pd.Period("2014-01", freq="M") + int(rng.integers(6, 40))
    altered = _modify_after(events, t, rng)
    cat = _catalog([("MLI", "Gao", "2015-01", "2015-08")])
    a = make_features(build_panel(events, "2017-12"), cat)
    b = make_features(build_panel(altered, "2018-01"), cat)
    a = a[a["month"] <= t].set_index(["region_id", "attack_type", "month"]).sort_index()
    b = b[b["month"] <= t].set_index(["region_id", "attack_type", "month"]).sort_index()
    b = b.loc[b.index.isin(a.index)]
    assert len(b) == len(a)
    pd.testing.assert_frame_equal(a, b)


def test_design_rows_width_and_level(small_panel):
    fc = build_cube(small_panel, load_catalog())
    r = np.array([0, 1, 2])
    m = np.array([5, 5, 5])
    for k in (PANEL_TYPES.index("bombing"), len(PANEL_TYPES) - 1):
        prior = gamma_prior(fc, k, np.ones(3, dtype=bool), 5)
        x = design_rows(fc, k, r, m, 2, prior)
        assert x.shape == (3, len(design_names(k)))
        assert np.isfinite(x).all()
    k = PANEL_TYPES.index("bombing")
    level = shrunken_level(fc, k, np.array([0]), np.array([5]), (1.0, 2.0))
    gao = list(fc.regions).index("MLI.gao")
    level_gao = shrunken_level(fc, k, np.array([gao]), np.array([5]), (1.0, 2.0))
    assert level_gao[0] == pytest.approx((3 + 1) / (6 + 2))
    assert level.shape == (1,)


def test_training_rows_respect_horizon_window_and_subsample(small_panel):
    fc = build_cube(small_panel, load_catalog())
    known = known_regions(small_panel)
    r, m = training_rows(fc, known, 2, None, None, 0)
    assert (m + 2 <= len(fc.months) - 1).all()
    # Gao and Kidal are covered from 2018-01 (4 feasible origins), Sahel from 2018-04 (1).
    assert len(r) == 4 + 4 + 1
    _, m2 = training_rows(fc, known, 2, 2, None, 0)
    assert set(m2) == {2, 3}
    r3, _ = training_rows(fc, known, 1, None, 4, 0)
    r4, _ = training_rows(fc, known, 1, None, 4, 0)
    assert len(r3) == 4 and (r3 == r4).all()
    assert training_rows(fc, known, 10, None, None, 0)[0].size == 0


def test_recent_level_is_the_shrunken_last_year_mean():
    counts = [("MLI.gao", f"{2016 + (i // 12)}-{i % 12 + 1:02d}-05", "bombing") for i in range(0, 24, 2)]
    panel = build_panel(_events(counts), "2017-12")
    fc = build_cube(panel, load_catalog())
    k = PANEL_TYPES.index("bombing")
    last = np.array([len(fc.months) - 1])
    # Events every other month: 6 in the last 12 months.
    assert recent_level(fc, k, np.array([0]), last, (0.0, 0.0)) == pytest.approx(0.5)
    assert recent_level(fc, k, np.array([0]), last, (1.0, 4.0)) == pytest.approx(7 / 16)
    # Fewer than 12 covered months: the mean of those covered.
    assert recent_level(fc, k, np.array([0]), np.array([3]), (0.0, 0.0)) == pytest.approx(2 / 4)


def _surge_panel():
    """40 regions with one kidnapping every 24 months for ten years; the first has 2 a month in 2017."""
    regions = [f"MLI.r{i:02d}" for i in range(40)]
    rows = [(r, f"{2008 + y}-{i % 12 + 1:02d}-10", "kidnapping") for i, r in enumerate(regions)
            for y in range(0, 10, 2)]
    rows += [("MLI.r00", f"2017-{mo:02d}-{d:02d}", "kidnapping") for mo in range(1, 13) for d in (3, 23)]
    return build_panel(_events(rows), "2017-12")


def test_the_recent_prior_weighs_at_most_the_year_it_shrinks():
    panel = _surge_panel()
    fc = build_cube(panel, load_catalog())
    k = PANEL_TYPES.index("kidnapping")
    known, end = known_regions(panel), len(fc.months) - 1
    long_run, recent = gamma_prior(fc, k, known, end), recent_prior(fc, k, known, end)
    # Over ten years the regions' rates barely differ: the moment prior is worth ~80 months.
    assert long_run[1] == pytest.approx(79.6, abs=0.5)
    assert recent[1] == pytest.approx(12.0)
    assert recent[0] / recent[1] == pytest.approx(long_run[0] / long_run[1])  # same pooled rate
    surge, last = np.array([0]), np.array([end])
    # 24 kidnappings in the surge region's last 12 months: a raw mean of 2 a month.
    assert recent_level(fc, k, surge, last, long_run)[0] == pytest.approx(0.30, abs=0.01)
    assert recent_level(fc, k, surge, last, recent)[0] == pytest.approx((24 + recent[0]) / 24)
    assert level_prior(fc, k, known, end) == LevelPrior(long_run, recent)


def test_a_weak_prior_is_left_as_it_is():
    # Three regions, one busy: the rates differ widely and the moment prior weighs under a year.
    rows = [("MLI.gao", f"2016-{mo:02d}-{d:02d}", "bombing") for mo in range(1, 13) for d in (3, 13, 23)]
    rows += [("MLI.kidal", "2016-01-10", "bombing"), ("MLI.mopti", "2016-01-10", "armed_assault")]
    panel = build_panel(_events(rows), "2016-12")
    fc = build_cube(panel, load_catalog())
    k = PANEL_TYPES.index("bombing")
    known, end = known_regions(panel), len(fc.months) - 1
    assert gamma_prior(fc, k, known, end)[1] < 12.0
    assert recent_prior(fc, k, known, end) == gamma_prior(fc, k, known, end)


def test_a_bare_prior_tuple_serves_both_levels_as_before():
    panel = _surge_panel()
    fc = build_cube(panel, load_catalog())
    k = PANEL_TYPES.index("kidnapping")
    r, m = np.arange(3), np.full(3, len(fc.months) - 1)
    prior = (0.5, 20.0)
    assert as_level_prior(prior) == LevelPrior(prior, prior)
    np.testing.assert_array_equal(design_rows(fc, k, r, m, 1, prior),
                                  design_rows(fc, k, r, m, 1, LevelPrior(prior, prior)))
    mixed = design_rows(fc, k, r, m, 1, LevelPrior(prior, (0.5, 2.0)))
    # Only the last column (the recent level) uses the recent prior.
    np.testing.assert_array_equal(mixed[:, :-1], design_rows(fc, k, r, m, 1, prior)[:, :-1])
    assert (mixed[:, -1] != design_rows(fc, k, r, m, 1, prior)[:, -1]).all()
