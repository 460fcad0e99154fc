"""Nowcasting: extending a panel state with events after its cutoff, and forecasting from it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from models.bundle import ForecastBundle
from models.episodes import load_catalog
from models.estimators.baselines import Mean12Poisson
from models.nowcast import NowcastError, check_events, extend_state, nowcast
from models.panel import build_panel
from models.schema import conform_events
from models.taxonomy import PANEL_TYPES


def events(rows: list[tuple[str, str, str, int]]) -> pd.DataFrame:
    """Canonical events from (region_id, date, attack_type, fatalities)."""
    frame = pd.DataFrame(rows, columns=["region_id", "date", "attack_type", "fatalities"])
    frame["country"] = frame["region_id"].str[:3]
    frame["admin1"] = frame["region_id"].str[4:].str.title()
    frame["event_id"] = [f"e{i}" for i in range(len(frame))]
    frame["source"] = "test"
    frame["date_precision"] = "day"
    return conform_events(frame)


@pytest.fixture
def state() -> pd.DataFrame:
    history = [("MLI.gao", f"2023-{m:02d}-10", "bombing", 1) for m in range(1, 13)]
    history += [("NER.tillaberi", "2023-03-01", "kidnapping", 0)]
    return build_panel(events(history))


def test_extends_with_zero_filled_months(state) -> None:
    new = events([("MLI.gao", "2024-03-02", "kidnapping", 4), ("MLI.gao", "2024-03-20", "kidnapping", 1),
                  ("NER.tillaberi", "2024-01-31", "bombing", 2)])
    out = extend_state(state, new)
    assert out.cutoff == pd.Period("2024-03", freq="M")
    gao = out.wide("kidnapping").loc["MLI.gao"]
    assert list(gao[-3:]) == [0, 0, 2]
    assert list(out.wide("bombing").loc["MLI.gao"][-4:]) == [1, 0, 0, 0]
    assert list(out.wide("all").loc["NER.tillaberi"][-3:]) == [1, 0, 0]
    assert out.wide("all", "fatalities").loc["MLI.gao"].iloc[-1] == 5
    assert str(out.regions.loc["MLI.gao", "last_event_month"]) == "2024-03"
    assert str(out.regions.loc["NER.tillaberi", "last_event_month"]) == "2024-01"
    # one row per region x type x month, in the panel's order, old months untouched
    assert len(out.counts) == len(PANEL_TYPES) * (15 + 13)  # NER covered from 2023-03
    assert not out.counts.duplicated(["region_id", "attack_type", "month"]).any()
    old = out.counts[out.counts["month"] <= state.cutoff].reset_index(drop=True)
    pd.testing.assert_frame_equal(old, state.counts.reset_index(drop=True), check_dtype=False)
    assert state.cutoff == pd.Period("2023-12", freq="M")  # the input is not modified
    assert out.meta["nowcast_events"] == 3


@pytest.mark.parametrize(("row", "field"), [
    (("MLI.mopti", "2024-01-05", "bombing", 0), "region_id"),
    (("MLI.gao", "2023-12-31", "bombing", 0), "date"),
    (("MLI.gao", "2024-01-05", "arson", 0), "attack_type"),
    (("MLI.gao", "2024-01-05", "bombing", -2), "fatalities"),
])
def test_rejects_events_it_cannot_use(state, row, field) -> None:
    bad = events([("MLI.gao", "2024-01-02", "bombing", 0), row])
    bad.loc[1, "fatalities"] = row[3]
    with pytest.raises(NowcastError) as err:
        check_events(state, bad)
    assert (err.value.index, err.value.field) == (1, field)


def test_rejects_year_precision_and_no_events(state) -> None:
    yearly = events([("MLI.gao", "2024-01-01", "bombing", 0)])
    yearly["date_precision"] = "year"
    with pytest.raises(NowcastError, match="date_precision"):
        extend_state(state, yearly)
    with pytest.raises(NowcastError, match="no events"):
        extend_state(state, events([]))


def test_nowcast_forecasts_touched_regions_without_refitting(state) -> None:
    forecaster = Mean12Poisson().fit(state)
    bundle = ForecastBundle(forecaster=forecaster, state=state, catalog=load_catalog(), horizon=2)
    result = nowcast(bundle, events([("MLI.gao", "2024-02-11", "bombing", 0)] * 3))
    assert result.regions == ("MLI.gao",)
    assert set(result.forecast["region_id"]) == {"MLI.gao"}
    assert set(result.forecast["origin"]) == {"2024-02"}
    bombing = result.forecast[(result.forecast["attack_type"] == "bombing")]
    # last 12 months 2023-03..2024-02: ten single bombings, a quiet January, three in February
    assert np.allclose(bombing["mean"], 13 / 12)
    assert list(bombing["target_month"]) == ["2024-03", "2024-04"]
    assert bundle.state is state and bundle.forecaster is forecaster
