from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest

from models.estimators.base import NotFittedError, forecast_index
from models.estimators.baselines import (
    BASELINES,
    Bootstrap24,
    LastValuePoisson,
    Mean12Poisson,
    ZeroForecaster,
    recent_counts,
)
from models.forecast import check_forecast_frame
from models.panel import build_panel
from models.schema import conform_events
from models.taxonomy import PANEL_TYPES


def _events(rows: list[tuple[str, str, str]]) -> pd.DataFrame:
    """Events from (region admin1, date, attack type) triples, all in Mali."""
    frame = pd.DataFrame({
        "event_id": [f"t:{i}" for i in range(len(rows))],
        "source": "canonical",
        "date": [r[1] for r in rows],
        "date_precision": "day",
        "country": "MLI",
        "admin1": [r[0] for r in rows],
        "region_id": [f"MLI.{r[0].lower()}" for r in rows],
        "latitude": 15.0,
        "longitude": -2.0,
        "attack_type": [r[2] for r in rows],
        "perpetrator": "",
        "target": "",
        "fatalities": 0,
        "suicide": False,
    })
    return conform_events(frame)


@pytest.fixture
def panel():
    # Region "gao": 2 bombings in 2018-12, 1 in 2018-11, 3 kidnappings in 2018-01; "mopti": one event
    # in 2016-01 (coverage starts then for both, MLI's first month).
    rows = [("Gao", "2018-12-03", "bombing"), ("Gao", "2018-12-20", "bombing"),
            ("Gao", "2018-11-05", "bombing"),
            ("Gao", "2018-01-02", "kidnapping"), ("Gao", "2018-01-09", "kidnapping"),
            ("Gao", "2018-01-30", "kidnapping"), ("Mopti", "2016-01-15", "armed_assault")]
    return build_panel(_events(rows))


def _row(frame: pd.DataFrame, region: str, attack_type: str, horizon: int = 1) -> pd.Series:
    sel = frame[(frame["region_id"] == region) & (frame["attack_type"] == attack_type)
                & (frame["horizon"] == horizon)]
    assert len(sel) == 1
    return sel.iloc[0]


def test_recent_counts_shape_and_values(panel):
    cube = recent_counts(panel, 3)
    assert cube.shape == (2, len(PANEL_TYPES), 3)
    gao = list(panel.regions.index).index("MLI.gao")
    bombing = PANEL_TYPES.index("bombing")
    assert cube[gao, bombing].tolist() == [0.0, 1.0, 2.0]
    with pytest.raises(ValueError, match="window"):
        recent_counts(panel, 0)


def test_recent_counts_nan_before_coverage(panel):
    cube = recent_counts(panel, 40)  # the panel starts 2016-01, 36 months before 2018-12
    assert np.isnan(cube[:, :, :4]).all()
    assert np.isfinite(cube[:, :, 4:]).all()


def test_zero_is_a_point_mass_at_zero(panel):
    frame = ZeroForecaster().fit(panel).predict(panel, 3)
    check_forecast_frame(frame)
    assert (frame["mean"] == 0).all() and (frame["q90"] == 0).all() and (frame["p_any"] == 0).all()
    _, dist = ZeroForecaster().fit(panel).predict_dist(panel, 1)
    crps = dist.crps(np.full(len(dist), 3.0))
    assert np.allclose(crps, 3.0)  # CRPS of a point mass at 0 for y=3 is |y - 0|


def test_last_value_uses_last_month(panel):
    frame = LastValuePoisson().fit(panel).predict(panel, 2)
    row = _row(frame, "MLI.gao", "bombing", 2)
    assert row["mean"] == pytest.approx(2.0)
    assert row["p_any"] == pytest.approx(1 - np.exp(-2.0))
    assert _row(frame, "MLI.gao", "all")["mean"] == pytest.approx(2.0)
    assert _row(frame, "MLI.mopti", "all")["mean"] == 0.0


def test_mean12_averages_the_last_twelve_months(panel):
    frame = Mean12Poisson().fit(panel).predict(panel, 1)
    assert _row(frame, "MLI.gao", "bombing")["mean"] == pytest.approx(3 / 12)
    assert _row(frame, "MLI.gao", "kidnapping")["mean"] == pytest.approx(3 / 12)
    assert _row(frame, "MLI.gao", "all")["mean"] == pytest.approx(6 / 12)
    short = Mean12Poisson(window=2).fit(panel).predict(panel, 1)
    assert _row(short, "MLI.gao", "bombing")["mean"] == pytest.approx(1.5)


def test_bootstrap_replays_the_last_24_months(panel):
    frame = Bootstrap24().fit(panel).predict(panel, 1, quantiles=(0.5, 0.95, 0.99))
    row = _row(frame, "MLI.gao", "kidnapping")
    assert row["mean"] == pytest.approx(3 / 24)
    assert row["p_any"] == pytest.approx(1 / 24)
    assert row["q50"] == 0 and row["q99"] == 3
    bomb = _row(frame, "MLI.gao", "bombing")
    assert bomb["p_any"] == pytest.approx(2 / 24)


def test_bootstrap_with_short_coverage_uses_what_exists():
    # Coverage starts 2018-10 (3 months), counts 0, 0, 6: every value gets 8 of the 24 samples.
    panel = build_panel(_events([("Gao", "2018-10-01", "bombing")] * 0 + [
        ("Gao", "2018-12-01", "bombing")] * 6 + [("Kidal", "2018-10-05", "other")]))
    assert len(panel.months) == 3
    frame = Bootstrap24().fit(panel).predict(panel, 1)
    row = _row(frame, "MLI.gao", "bombing")
    assert row["mean"] == pytest.approx(2.0)
    assert row["p_any"] == pytest.approx(1 / 3)


def test_all_zero_and_single_event_series(panel):
    for cls in BASELINES.values():
        model = cls().fit(panel)
        index, dist = model.predict_dist(panel, 4)
        pd.testing.assert_frame_equal(index, forecast_index(panel, 4))
        frame = model.predict(panel, 4)
        check_forecast_frame(frame)
        zero = frame[(frame["region_id"] == "MLI.mopti") & (frame["attack_type"] == "bombing")]
        assert (zero["mean"] == 0).all() and (zero["p_any"] == 0).all()
        assert np.isfinite(dist.crps(np.ones(len(dist)))).all()


def test_predict_before_fit_raises(panel):
    with pytest.raises(NotFittedError):
        Mean12Poisson().predict(panel, 1)


def test_same_forecast_at_every_horizon_and_picklable(panel):
    model = pickle.loads(pickle.dumps(Bootstrap24().fit(panel)))
    frame = model.predict(panel, 3)
    per_h = frame.pivot_table(index=["region_id", "attack_type"], columns="horizon", values="mean")
    assert np.allclose(per_h[1], per_h[3])
    assert model.fit_report()["family"] == "bootstrap24"


def test_forecast_uses_the_state_not_the_training_panel(panel):
    model = Mean12Poisson().fit(panel.truncate("2017-06"))
    frame = model.predict(panel, 1)
    assert _row(frame, "MLI.gao", "bombing")["mean"] == pytest.approx(3 / 12)
