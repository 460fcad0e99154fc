from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest

from models.demo import generate_demo
from models.episodes import load_catalog
from models.estimators.base import NotFittedError
from models.estimators.mix import TacticMix, mix_shares
from models.panel import build_panel
from models.schema import conform_events
from models.taxonomy import ATTACK_TYPES


def _events(rows: list[tuple[str, str, str]]) -> pd.DataFrame:
    return conform_events(pd.DataFrame({
        "event_id": [f"m:{i}" for i in range(len(rows))], "source": "canonical",
        "date": [pd.Timestamp(r[1]) for r in rows], "date_precision": "day",
        "country": [r[0][:3] for r in rows], "admin1": [r[0][4:] for r in rows],
        "region_id": [r[0] for r in rows], "latitude": 0.0, "longitude": 0.0,
        "attack_type": [r[2] for r in rows], "perpetrator": "", "target": "", "fatalities": 0,
        "suicide": False}))


@pytest.fixture(scope="module")
def demo():
    return generate_demo(seed=3, n_regions=20)


def test_shares_sum_to_one_and_follow_recent_mix():
    rows = [("MLI.gao", f"2018-{m:02d}-0{d}", "kidnapping") for m in range(1, 13) for d in (1, 2, 3)]
    rows += [("MLI.kidal", f"2018-{m:02d}-05", "armed_clash") for m in range(1, 13)]
    panel = build_panel(_events(rows), "2018-12")
    model = TacticMix(catalog=load_catalog()).fit(panel)
    mix = model.predict_mix(panel, 3)
    assert list(mix.columns) == ["region_id", "horizon", "attack_type", "share"]
    assert len(mix) == 2 * 3 * len(ATTACK_TYPES)
    sums = mix.groupby(["region_id", "horizon"])["share"].sum()
    np.testing.assert_allclose(sums.to_numpy(), 1.0)
    assert (mix["share"] > 0).all()
    gao = mix[(mix["region_id"] == "MLI.gao") & (mix["horizon"] == 1)].set_index("attack_type")["share"]
    assert gao.idxmax() == "kidnapping" and gao["kidnapping"] > 0.5


def test_shrinkage_toward_country_then_global():
    recent = np.zeros((2, len(ATTACK_TYPES)))
    recent[1, 0] = 10.0
    global_shares = np.full(len(ATTACK_TYPES), 1 / len(ATTACK_TYPES))
    shares = mix_shares(recent, np.array(["MLI", "MLI"], dtype=object), global_shares, 5.0)
    # A region without events takes its country's mix, itself pulled toward the global mix.
    country = (np.eye(len(ATTACK_TYPES))[0] * 10 + 5 * global_shares) / 15
    np.testing.assert_allclose(shares[0], country)
    np.testing.assert_allclose(shares.sum(axis=1), 1.0)


def test_post_occupation_shift_is_learned_from_demo_data(demo):
    panel = build_panel(demo.events)
    model = TacticMix(catalog=demo.episodes).fit(panel)
    factors = model.report_["post_factors"]
    assert model.report_["post_occupation_events"] > 0
    # The synthetic generator shifts the mix toward kidnapping, bombing and suicide attacks.
    assert factors["kidnapping"] > 1.0
    assert factors["bombing"] > 1.0
    assert model.strength_ in model.strengths


def test_post_window_regions_get_adjusted_shares(demo):
    panel = build_panel(demo.events)
    model = TacticMix(catalog=demo.episodes).fit(panel)
    ended = demo.episodes.dropna(subset=["end_month"])
    episode = ended.sort_values("end_month").iloc[-1]
    origin = min(episode["end_month"] + 2, panel.cutoff)
    state = panel.truncate(origin)
    adjusted = model.predict_mix(state, 2)
    plain = TacticMix(catalog=demo.episodes.iloc[0:0]).fit(panel)
    plain.global_shares_, plain.strength_ = model.global_shares_, model.strength_
    base = plain.predict_mix(state, 2)
    region = episode["region_id"]
    a = adjusted[adjusted["region_id"] == region].set_index(["horizon", "attack_type"])["share"]
    b = base[base["region_id"] == region].set_index(["horizon", "attack_type"])["share"]
    assert a[(1, "kidnapping")] / b[(1, "kidnapping")] == pytest.approx(
        model.post_factors_[ATTACK_TYPES.index("kidnapping")] * (b * 0 + 1).iloc[0]
        / (b.loc[1] * model.post_factors_).sum(), rel=1e-6)
    other = adjusted[adjusted["region_id"] != region]
    assert np.isfinite(other["share"]).all()


def test_unseen_region_determinism_pickle_and_errors(demo):
    panel = build_panel(demo.events)
    origin = panel.cutoff - 24
    model = TacticMix(catalog=demo.episodes).fit(panel.truncate(origin))
    again = TacticMix(catalog=demo.episodes).fit(panel.truncate(origin))
    new = _events([("XYZ.new", "2018-06-01", "bombing")])
    state = build_panel(conform_events(pd.concat([demo.events, new], ignore_index=True)), panel.cutoff)
    mix = model.predict_mix(state, 2)
    assert "XYZ.new" in set(mix["region_id"])
    pd.testing.assert_frame_equal(mix, again.predict_mix(state, 2))
    pd.testing.assert_frame_equal(mix, pickle.loads(pickle.dumps(model)).predict_mix(state, 2))
    with pytest.raises(NotFittedError):
        TacticMix().predict_mix(panel, 1)
    with pytest.raises(ValueError, match="horizon"):
        model.predict_mix(panel, 0)
    with pytest.raises(ValueError, match="strengths"):
        TacticMix(strengths=(), catalog=demo.episodes).fit(panel)


def test_no_leakage_after_the_origin(demo):
    events = demo.events
    origin = pd.Period("2014-06", freq="M")
    later = (events["date"].dt.to_period("M") > origin).to_numpy()
    altered = events.copy()
    altered.loc[later, "attack_type"] = "suicide_attack"
    a = build_panel(events).truncate(origin)
    b = build_panel(conform_events(altered)).truncate(origin)
    ma = TacticMix(catalog=demo.episodes).fit(a).predict_mix(a, 3)
    mb = TacticMix(catalog=demo.episodes).fit(b).predict_mix(b, 3)
    pd.testing.assert_frame_equal(ma, mb)
