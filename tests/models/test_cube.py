"""The panel's count cube: shape, zero fill, coverage, caching, and the numbers of the long panel."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest

from models.cube import ALL_INDEX, CountCube
from models.demo import generate_demo
from models.panel import Panel, build_panel
from models.taxonomy import ATTACK_TYPES, PANEL_TYPES
from service.table import History, recent_means
from tests.spell_events import one_event

BOMBING = PANEL_TYPES.index("bombing")
KIDNAPPING = PANEL_TYPES.index("kidnapping")


@pytest.fixture
def panel() -> Panel:
    # MLI covered from 2018-01 (Gao's first event), NER only from 2018-04 (Tillaberi's first event).
    # Gao: 1 kidnapping 2018-01 (3 dead), 2 bombings 2018-03 (4 and 1 dead), 1 bombing 2018-06.
    rows = [("MLI.gao", "2018-01-10", "kidnapping", 3), ("MLI.gao", "2018-03-02", "bombing", 4),
            ("MLI.gao", "2018-03-20", "bombing", 1), ("MLI.gao", "2018-06-05", "bombing", 0),
            ("MLI.mopti", "2018-02-11", "armed_assault", 2), ("NER.tillaberi", "2018-04-07", "bombing", 5)]
    events = pd.concat([one_event(r, d, t).assign(fatalities=f) for r, d, t, f in rows], ignore_index=True)
    return build_panel(events, cutoff="2018-06")


def test_axes_and_shape_follow_the_panel(panel: Panel) -> None:
    cube = panel.cube
    assert list(cube.regions) == list(panel.regions.index) == ["MLI.gao", "MLI.mopti", "NER.tillaberi"]
    assert cube.types == PANEL_TYPES
    assert list(cube.months) == list(pd.period_range("2018-01", "2018-06", freq="M"))
    assert cube.counts.shape == cube.fatalities.shape == (3, len(PANEL_TYPES), 6)
    assert cube.covered.shape == (3, 6)
    assert cube.counts.dtype == np.float64 and cube.covered.dtype == np.bool_


def test_counts_are_zero_filled_and_all_sums_the_types(panel: Panel) -> None:
    cube = panel.cube
    assert cube.counts[0, BOMBING].tolist() == [0, 0, 2, 0, 0, 1]
    assert cube.counts[0, KIDNAPPING].tolist() == [1, 0, 0, 0, 0, 0]
    assert cube.fatalities[0, BOMBING].tolist() == [0, 0, 5, 0, 0, 0]
    assert cube.counts[0, ALL_INDEX].tolist() == [1, 0, 2, 0, 0, 1]
    assert cube.fatalities[0, ALL_INDEX].tolist() == [3, 0, 5, 0, 0, 0]
    np.testing.assert_array_equal(cube.counts[:, ALL_INDEX], cube.counts[:, :len(ATTACK_TYPES)].sum(axis=1))
    assert cube.counts.sum() == 2 * 6  # every event once in its type and once in "all"


def test_the_coverage_mask_starts_at_the_country_start(panel: Panel) -> None:
    cube = panel.cube
    assert cube.covered[:2].all()
    assert cube.covered[2].tolist() == [False, False, False, True, True, True]
    assert cube.counts[2, :, :3].sum() == 0  # uncovered months hold zeros ...
    masked = cube.masked()
    assert np.isnan(masked[2, :, :3]).all() and not np.isnan(masked[2, :, 3:]).any()  # ... masked NaN
    assert np.isnan(cube.masked("fatalities")[2, :, :3]).all()
    wide = panel.wide("bombing")
    assert wide.loc["NER.tillaberi"].isna().tolist() == [True] * 3 + [False] * 3
    assert wide.loc["NER.tillaberi"].iloc[3] == 1
    history = History.from_state(panel)
    assert history.counts[2, BOMBING].tolist() == [-1, -1, -1, 1, 0, 0]
    assert history.fatalities[2].tolist() == [-1, -1, -1, 5, 0, 0]


def test_recent_months_pad_with_nan_and_means_use_covered_months_only(panel: Panel) -> None:
    cube = panel.cube
    recent = cube.recent(8)  # two months before the panel starts
    assert recent.shape == (3, len(PANEL_TYPES), 8)
    assert np.isnan(recent[:, :, :2]).all()
    assert recent[0, BOMBING, 2:].tolist() == [0, 0, 2, 0, 0, 1]
    mean, n = cube.recent_mean(4)
    assert n[:, BOMBING].tolist() == [4, 4, 3]
    assert mean[0, BOMBING] == pytest.approx(3 / 4)
    assert mean[2, BOMBING] == pytest.approx(1 / 3)
    assert recent_means(panel, 4)[("NER.tillaberi", "bombing")] == pytest.approx(1 / 3)
    with pytest.raises(ValueError, match="window must be >= 1"):
        cube.recent(0)


def test_unknown_types_and_values_are_refused(panel: Panel) -> None:
    with pytest.raises(ValueError, match="unknown panel type 'arson'"):
        panel.wide("arson")
    with pytest.raises(ValueError, match="'count' or 'fatalities'"):
        panel.cube.masked("deaths")


def test_the_cube_is_built_once_read_only_and_not_pickled(panel: Panel) -> None:
    cube = panel.cube
    assert panel.cube is cube
    for array in (cube.counts, cube.fatalities, cube.covered):
        with pytest.raises(ValueError, match="read-only"):
            array[0, 0] = 7
    restored = pickle.loads(pickle.dumps(panel))
    assert "cube" not in restored.__dict__
    assert len(pickle.dumps(panel)) == len(pickle.dumps(build_panel_like(panel)))
    np.testing.assert_array_equal(restored.cube.counts, cube.counts)
    np.testing.assert_array_equal(restored.cube.covered, cube.covered)


def build_panel_like(panel: Panel) -> Panel:
    """The same panel fields, never asked for its cube."""
    return Panel(counts=panel.counts, regions=panel.regions, cutoff=panel.cutoff, meta=panel.meta,
                 targets=panel.targets)


def test_truncating_gives_a_new_cube_of_the_state_known_then(panel: Panel) -> None:
    full = panel.cube
    state = panel.truncate("2018-03")
    cube = state.cube
    assert cube is not full
    assert list(cube.regions) == ["MLI.gao", "MLI.mopti"]  # Tillaberi is not covered yet
    assert list(cube.months) == list(pd.period_range("2018-01", "2018-03", freq="M"))
    np.testing.assert_array_equal(cube.counts, full.counts[:2, :, :3])
    np.testing.assert_array_equal(cube.fatalities, full.fatalities[:2, :, :3])
    assert full.counts.shape[2] == 6  # the full panel's cube is unchanged


def test_an_empty_panel_has_an_empty_cube() -> None:
    regions = pd.DataFrame({"first_month": pd.PeriodIndex([], freq="M")},
                           index=pd.Index([], name="region_id"))
    rows = pd.DataFrame(columns=["region_id", "month", "attack_type", "count", "fatalities"])
    cube = CountCube.from_rows(regions, pd.period_range("2018-01", "2018-01", freq="M"), rows)
    assert cube.counts.shape == (0, len(PANEL_TYPES), 1)
    assert len(cube.frame()) == 0
    assert cube.recent(3).shape == (0, len(PANEL_TYPES), 3)


def _reference_wide(panel: Panel, attack_type: str, value: str) -> pd.DataFrame:
    """The region x month table straight from the long frame (a pivot), NaN before coverage."""
    rows = panel.counts[panel.counts["attack_type"] == attack_type]
    table = rows.pivot(index="region_id", columns="month", values=value)
    return table.reindex(index=panel.regions.index, columns=panel.months)


@pytest.fixture(scope="module")
def demo_panels() -> list[Panel]:
    events = generate_demo().events
    first = events["country"].iloc[0]
    # one country's events start four years later: its regions are covered from then only
    late = build_panel(events[(events["country"] != first) | (events["date"] >= "2008-01-15")])
    assert late.cube.covered.sum() < late.cube.covered.size
    return [build_panel(events), late, late.truncate("2008-03"), late.truncate("2006-12")]


def test_the_demo_panels_cube_holds_the_long_panels_numbers(demo_panels: list[Panel]) -> None:
    for panel in demo_panels:
        cube = panel.cube
        pd.testing.assert_frame_equal(cube.frame(), panel.counts)
        for attack_type in PANEL_TYPES:
            for value in ("count", "fatalities"):
                expected = _reference_wide(panel, attack_type, value)
                pd.testing.assert_frame_equal(panel.wide(attack_type, value), expected)
            k = PANEL_TYPES.index(attack_type)
            np.testing.assert_array_equal(cube.counts[:, k], _reference_wide(panel, attack_type, "count")
                                          .fillna(0).to_numpy(dtype=float))
        start = panel.regions["first_month"]
        expected_cover = np.asarray([[m >= s for m in panel.months] for s in start], dtype=bool)
        np.testing.assert_array_equal(cube.covered, expected_cover)


def test_the_demo_panels_recent_means_match_a_grouped_mean(demo_panels: list[Panel]) -> None:
    for panel in demo_panels:
        counts = panel.counts
        rows = counts[counts["month"] > panel.cutoff - 12]
        grouped = rows.groupby(["region_id", "attack_type"])["count"].mean()
        expected = {(str(r), str(t)): float(v) for (r, t), v in grouped.items()}
        assert recent_means(panel) == expected
