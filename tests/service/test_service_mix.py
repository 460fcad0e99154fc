"""The tactic mix leaves out what a region's sources cannot observe, and nowcast answers carry the
target mix, served from bundles registered in a real MLflow store through the real HTTP client."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from svc_support import CUTOFF, Store, new_store, ready_client, target_bundle, target_events

from models.bundle import ForecastBundle
from models.estimators.mix import TacticMix, observed_only
from models.nowcast import extend_state
from models.panel import build_panel
from models.schema import conform_events
from models.targets import TARGET_CLASSES
from models.taxonomy import ATTACK_TYPES
from service.app import create_app
from service.schemas import NowcastResponse, RegionForecast

GAO_TYPES = ["armed_assault", "kidnapping"]
"""What Gao's sources observe in the bundle of this module (Tombouctou is not listed: it sees all)."""


def mix_bundle() -> ForecastBundle:
    """:func:`target_bundle` with a fitted tactic-mix model and a coverage map."""
    bundle = target_bundle()
    panel = build_panel(target_events(), cutoff=CUTOFF)
    mix = TacticMix(catalog=bundle.catalog).fit(panel)
    return dataclasses.replace(bundle, mix_model=mix,
                               coverage={"MLI.gao": GAO_TYPES, "BFA.sahel": ["armed_clash", "armed_assault"]})


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    store = new_store(Path(tmp_path_factory.mktemp("mix")))
    store.register(mix_bundle())
    return store


@pytest.fixture(scope="module")
def client(store: Store) -> Iterator[TestClient]:
    with ready_client(create_app(store.settings(), static_dir=None), raise_server_exceptions=False) as c:
        yield c


def _mix(items: list[dict[str, object]], key: str, horizon: int) -> dict[str, float]:
    return {str(r[key]): float(r["share"]) for r in items if r["horizon"] == horizon}  # type: ignore[arg-type]


def test_unobserved_types_get_no_share_and_the_rest_sum_to_one(client: TestClient) -> None:
    body = client.get("/v1/regions/MLI.gao/forecast").json()
    RegionForecast.model_validate(body)
    assert body["tactic_mix_source"] == "model"
    model = mix_bundle().tactic_mix(horizon=6)
    own = model[model["region_id"] == "MLI.gao"]
    for h in range(1, 7):
        shares = _mix(body["tactic_mix"], "attack_type", h)
        assert sorted(shares) == GAO_TYPES
        assert sum(shares.values()) == pytest.approx(1.0, abs=1e-3)
        raw = own[own["horizon"] == h].set_index("attack_type")["share"]
        kept = float(raw[GAO_TYPES].sum())
        assert kept < 0.999  # the model gave the unobserved types some share ...
        for name in GAO_TYPES:  # ... which goes back to the observed ones in proportion
            assert shares[name] == pytest.approx(float(raw[name]) / kept, abs=1e-4)
    rows = {r["attack_type"]: r for r in body["forecasts"] if r["horizon"] == 1}
    assert not rows["bombing"]["observed"] and rows["kidnapping"]["observed"]


def test_a_region_outside_the_coverage_map_keeps_every_type(client: TestClient) -> None:
    body = client.get("/v1/regions/MLI.tombouctou/forecast?horizon=1").json()
    shares = _mix(body["tactic_mix"], "attack_type", 1)
    assert sorted(shares) == sorted(ATTACK_TYPES)
    assert sum(shares.values()) == pytest.approx(1.0, abs=1e-3)
    assert max(shares, key=shares.__getitem__) == "bombing"  # 2 bombings, 1 assault a month in 2023


def test_observed_only_drops_and_renormalises_per_region_and_horizon() -> None:
    mix = pd.DataFrame({"region_id": ["a", "a", "a", "b", "b", "c"], "horizon": [1, 1, 1, 1, 1, 1],
                        "attack_type": ["bombing", "kidnapping", "armed_clash", "bombing", "armed_clash",
                                        "bombing"], "share": [0.5, 0.3, 0.2, 0.9, 0.1, 1.0]})
    out = observed_only(mix, {"a": ["kidnapping", "armed_clash"], "b": ["bombing"], "c": ["armed_clash"]})
    got = {(r, t): s for r, t, s in zip(out["region_id"], out["attack_type"], out["share"], strict=True)}
    assert got == {("a", "kidnapping"): pytest.approx(0.6), ("a", "armed_clash"): pytest.approx(0.4),
                   ("b", "bombing"): pytest.approx(1.0)}  # c observes nothing it was given: no rows
    assert observed_only(mix, None) is mix


def _event(i: int, **fields: object) -> dict[str, object]:
    return {"event_id": f"now:{i}", "date": "2024-01-15", "country": "MLI", "admin1": "Gao",
            "attack_type": "kidnapping", **fields}


NOWCAST_EVENTS = [
    _event(1, target_class="civilians"), _event(2, target_class="civilians"),
    _event(3, attack_type="armed_assault", target="soldiers at a checkpoint"),  # keyword: security forces
    _event(4, date="2024-02-02", target_class="civilians"),
]


def test_nowcast_answers_carry_the_target_mix_of_the_extended_record(client: TestClient) -> None:
    r = client.post("/v1/nowcast", json={"events": NOWCAST_EVENTS})
    assert r.status_code == 200, r.text
    body = r.json()
    NowcastResponse.model_validate(body)
    (gao,) = body["results"]
    assert body["origin"] == "2024-02" and len(gao["target_mix"]) == 6 * len(TARGET_CLASSES)
    # what the bundle's target-mix model gives on the state extended by the same events
    bundle = mix_bundle()
    frame = pd.DataFrame([{**e, "date": pd.Timestamp(str(e["date"])), "region_id": "MLI.gao"}
                          for e in NOWCAST_EVENTS])
    state = extend_state(bundle.state, conform_events(frame))
    expected = bundle.target_mix(state, 6)
    expected = expected[expected["region_id"] == "MLI.gao"]
    before = _mix(client.get("/v1/regions/MLI.gao/forecast").json()["target_mix"], "target_class", 1)
    for h in range(1, 7):
        shares = _mix(gao["target_mix"], "target_class", h)
        assert set(shares) == set(TARGET_CLASSES) and sum(shares.values()) == pytest.approx(1.0, abs=1e-3)
        model = expected[expected["horizon"] == h].set_index("target_class")["share"]
        assert shares == {k: pytest.approx(float(model[k]), abs=1e-4) for k in TARGET_CLASSES}
    after = _mix(gao["target_mix"], "target_class", 1)
    # Gao's record is kidnappings of foreigners; the new events add civilians and security forces
    assert after["civilians"] > before["civilians"] + 0.05
    assert after["security_forces"] > before["security_forces"]
    assert after["international"] < before["international"]
    # the nowcast's tactic mix is restricted to what Gao's sources observe, too
    assert sorted(_mix(gao["tactic_mix"], "attack_type", 1)) == GAO_TYPES


def test_the_extended_state_counts_each_event_once_by_target_class() -> None:
    bundle = mix_bundle()
    frame = pd.DataFrame([{**e, "date": pd.Timestamp(str(e["date"])), "region_id": "MLI.gao"}
                          for e in NOWCAST_EVENTS])
    state = extend_state(bundle.state, conform_events(frame))
    assert state.targets is not None and bundle.state.targets is not None
    new = state.targets[state.targets["month"] > pd.Period(CUTOFF, "M")]
    got = {(str(m), k): int(c)
           for m, k, c in zip(new["month"], new["target_class"], new["count"], strict=True)}
    assert got == {("2024-01", "civilians"): 2, ("2024-01", "security_forces"): 1,
                   ("2024-02", "civilians"): 1}
    old = state.targets[state.targets["month"] <= pd.Period(CUTOFF, "M")].reset_index(drop=True)
    pd.testing.assert_frame_equal(old, bundle.state.targets.reset_index(drop=True))


def test_a_bad_target_class_is_refused_naming_the_event(client: TestClient) -> None:
    r = client.post("/v1/nowcast", json={"events": [_event(1), _event(2, target_class="aliens")]})
    assert r.status_code == 422
    body = r.json()
    assert body["error"] == "invalid_request" and "target_class" in r.text and "Traceback" not in r.text


def test_a_bundle_without_target_mix_answers_nowcasts_with_an_empty_one(store: Store) -> None:
    bundle = dataclasses.replace(mix_bundle(), target_model=None)
    store.register(bundle, name="no-targets")
    app = create_app(store.settings(model_uri="models:/no-targets@champion"), static_dir=None)
    with ready_client(app, raise_server_exceptions=False) as c:
        r = c.post("/v1/nowcast", json={"events": NOWCAST_EVENTS})
        region = c.get("/v1/regions/MLI.gao/forecast").json()
    assert r.status_code == 200, r.text
    assert r.json()["results"][0]["target_mix"] == [] == region["target_mix"]
