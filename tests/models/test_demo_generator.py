"""The SYNTHETIC demo generator: schema, determinism, dynamics and the post-occupation shift."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from models.demo import COUNTRY_BOXES, SHIFT_TYPES, DemoData, generate_demo, post_occupation_shift
from models.episodes import CATALOG_COLUMNS, load_catalog, occupation_status, parse_catalog
from models.schema import validate_events


@pytest.fixture(scope="module")
def demo() -> DemoData:
    return generate_demo()


def test_events_are_canonical_and_obviously_synthetic(demo: DemoData) -> None:
    events = validate_events(demo.events)
    assert 20_000 <= len(events) <= 40_000
    assert set(events["source"]) == {"demo"}
    assert events["event_id"].str.startswith("demo:").all()
    assert events["admin1"].str.startswith("Demo ").all()
    assert events["region_id"].nunique() == 30
    assert set(events["country"]) == set(COUNTRY_BOXES)
    named = events["perpetrator"] != ""
    assert named.mean() > 0.85
    assert events.loc[named, "perpetrator"].str.endswith("(synthetic)").all()
    assert events["target"].str.endswith("(synthetic)").all()
    assert events["date"].min() >= pd.Timestamp("2004-01-01")
    assert events["date"].max() < pd.Timestamp("2019-01-01")
    assert events["date"].is_monotonic_increasing
    assert (events["suicide"] == (events["attack_type"] == "suicide_attack")).all()
    assert set(events["date_precision"]) == {"day", "week", "month"}


def test_coordinates_fall_near_the_country(demo: DemoData) -> None:
    for code, (south, north, west, east) in COUNTRY_BOXES.items():
        rows = demo.events[demo.events["country"] == code]
        assert rows["latitude"].between(south - 2, north + 2).all()
        assert rows["longitude"].between(west - 2, east + 2).all()
        spread = rows.groupby("region_id")["latitude"].std()
        assert spread.between(0.2, 0.4).all()  # events scatter around a region centroid


def test_fatalities_depend_on_the_attack_type(demo: DemoData) -> None:
    mean = demo.events.groupby("attack_type")["fatalities"].mean()
    assert mean["suicide_attack"] > mean["bombing"] > mean["kidnapping"]
    assert mean["armed_clash"] > 2.5
    assert demo.events["fatalities"].max() > 20


def test_same_seed_same_frames_other_seed_other_frames(demo: DemoData) -> None:
    again = generate_demo(seed=7)
    pd.testing.assert_frame_equal(again.events, demo.events)
    pd.testing.assert_frame_equal(again.episodes, demo.episodes)
    other = generate_demo(seed=8)
    assert len(other.events) != len(demo.events) or not other.events.equals(demo.events)
    assert not other.episodes["episode_id"].equals(demo.episodes["episode_id"])


def test_episodes_are_in_the_catalog_schema(demo: DemoData) -> None:
    episodes = demo.episodes
    assert list(episodes.columns) == [*CATALOG_COLUMNS, "region_id"]
    assert len(episodes) == 5
    assert set(episodes["source"]) == {"demo"}
    assert episodes["note"].str.startswith("SYNTHETIC").all()
    assert set(episodes["region_id"]) <= set(demo.events["region_id"])
    pd.testing.assert_frame_equal(parse_catalog(episodes[list(CATALOG_COLUMNS)].astype(
        {"start_month": str, "end_month": str})), episodes)
    assert (episodes["end_month"] >= episodes["start_month"]).all()
    latest_end = episodes["end_month"].max()
    assert pd.Period("2016-12", "M") <= latest_end <= pd.Period("2018-06", "M")


def test_post_occupation_shift_is_present(demo: DemoData) -> None:
    shift = post_occupation_shift(demo.events, demo.episodes)
    assert shift["episodes"] == 5
    assert shift["during_events"] > 150
    assert shift["after_events"] > 300
    assert shift["during_share"] < 0.12
    assert shift["after_share"] > 0.3
    assert shift["after_share"] > 1.4 * shift["other_share"]
    assert shift["other_share"] > 2 * shift["during_share"]


def test_the_shift_decays_over_about_two_years(demo: DemoData) -> None:
    ev = demo.events
    status = occupation_status(np.asarray(demo.episodes["region_id"].unique()),
                               pd.period_range("2004-01", "2018-12", freq="M"), demo.episodes)
    months = ev["date"].dt.to_period("M")
    keyed = ev.assign(month=months).merge(status, on=["region_id", "month"])
    after = keyed[keyed["phase"] == "after"]
    early = after[after["months_since_end"] <= 12]["attack_type"].isin(SHIFT_TYPES).mean()
    late = after[after["months_since_end"] > 36]["attack_type"].isin(SHIFT_TYPES).mean()
    assert early > late + 0.1


def test_occupations_bring_territory_seizures_and_clashes(demo: DemoData) -> None:
    ev = demo.events
    status = occupation_status(np.asarray(demo.episodes["region_id"].unique()),
                               pd.period_range("2004-01", "2018-12", freq="M"), demo.episodes)
    keyed = ev.assign(month=ev["date"].dt.to_period("M")).merge(status, on=["region_id", "month"])
    during = keyed[keyed["phase"] == "during"]["attack_type"]
    never = keyed[keyed["phase"] == "never"]["attack_type"]
    assert (during == "territory_seizure").mean() > 5 * (never == "territory_seizure").mean()
    assert (during == "armed_clash").mean() > 1.3 * (never == "armed_clash").mean()


def test_monthly_counts_are_persistent_and_overdispersed(demo: DemoData) -> None:
    totals = (demo.events.assign(month=demo.events["date"].dt.to_period("M"))
              .groupby(["region_id", "month"]).size().unstack(fill_value=0))
    lag1 = [np.corrcoef(row[:-1], row[1:])[0, 1] for row in totals.to_numpy()]
    assert np.median(lag1) > 0.3
    dispersion = totals.var(axis=1) / totals.mean(axis=1)
    assert (dispersion > 1.5).mean() > 0.8
    rates = totals.mean(axis=1)
    assert rates.max() > 4 * rates.min()  # regions differ in their base rate


def test_size_and_period_arguments() -> None:
    small = generate_demo(seed=3, n_regions=4, start="2010-01", end="2011-12")
    assert small.events["region_id"].nunique() == 4
    assert small.events["date"].min() >= pd.Timestamp("2010-01-01")
    assert small.events["date"].max() < pd.Timestamp("2012-01-01")
    assert len(small.episodes) == 1
    many = generate_demo(seed=3, n_regions=35)
    assert many.events["region_id"].nunique() == 35
    assert "Demo North 2" in set(many.events["admin1"])
    with pytest.raises(ValueError, match="n_regions must be >= 1"):
        generate_demo(n_regions=0)
    with pytest.raises(ValueError, match="at least 24 months"):
        generate_demo(start="2010-01", end="2010-12")


def test_post_occupation_shift_on_hand_made_events() -> None:
    catalog = parse_catalog(pd.DataFrame({"episode_id": ["e"], "country": ["MLI"], "admin1": ["Gao"],
                                          "start_month": ["2012-04"], "end_month": ["2013-01"]}))
    rows = [("2012-05-02", "armed_clash"), ("2012-06-02", "kidnapping"), ("2012-07-02", "armed_clash"),
            ("2012-08-02", "territory_seizure"), ("2013-02-02", "bombing"), ("2013-03-02", "kidnapping"),
            ("2014-12-02", "armed_assault"), ("2015-02-01", "suicide_attack"), ("2010-01-01", "bombing")]
    events = pd.DataFrame({"region_id": "MLI.gao", "date": pd.to_datetime([r[0] for r in rows]),
                           "attack_type": [r[1] for r in rows]})
    shift = post_occupation_shift(events, catalog)
    assert shift["during_share"] == 0.25
    assert shift["after_share"] == 2 / 3  # 2013-02, 2013-03, 2014-12 are within 24 months of 2013-01
    assert shift["other_share"] == 1.0
    assert shift["during_events"] == 4 and shift["after_events"] == 3
    no_match = post_occupation_shift(events.assign(region_id="MLI.kidal"), catalog)
    assert np.isnan(no_match["during_share"]) and no_match["episodes"] == 0


ACLED_FILE = (Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
              / "acled_hdx_2020_selected_to2018.csv.gz")


@pytest.mark.realdata
def test_post_occupation_shift_on_real_acled_mali_is_in_the_same_direction_but_smaller() -> None:
    if not ACLED_FILE.exists():
        pytest.skip("shared ACLED data absent")
    ingest = pytest.importorskip("training.ingest").ingest
    events = ingest([ACLED_FILE]).events
    mali = events[events["country"] == "MLI"]
    shift = post_occupation_shift(mali, load_catalog())
    assert shift["episodes"] == 4
    assert 100 <= shift["during_events"] <= 200
    assert 150 <= shift["after_events"] <= 300
    assert shift["after_share"] > shift["during_share"]
    assert shift["after_share"] > shift["other_share"]
    assert shift["after_share"] - shift["during_share"] < 0.15
