"""Region forecasts carry the post-occupation effect of the bundle's episode study, served from a
bundle registered in a real MLflow store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from svc_support import new_store, ready_client, study_bundle

from service.app import create_app
from service.schemas import BatchForecast, RegionForecast


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    store = new_store(Path(tmp_path_factory.mktemp("post-occupation")))
    store.register(study_bundle())
    with ready_client(create_app(store.settings(), static_dir=None), raise_server_exceptions=False) as c:
        yield c


def test_a_region_after_its_occupation_carries_the_study_effects_of_its_phase(client: TestClient) -> None:
    body = client.get("/v1/regions/MLI.tombouctou/forecast").json()
    RegionForecast.model_validate(body)
    post = body["post_occupation"]
    # the episode ended 2022-06; horizon 1 is 2024-01, 19 months later
    assert (post["episode_id"], post["end_month"], post["months_since_end"], post["phase"]) == (
        "mli-test-tombouctou", "2022-06", 19, "after_13_24")
    effects = {e["attack_type"]: e for e in post["effects"]}
    assert len(effects) == 10 and {e["phase"] for e in post["effects"]} == {"after_13_24"}
    bombing = effects["bombing"]  # 12 bombings in months 13-18 after the end, none before the start
    assert bombing["n_events"] == 12 and bombing["unbounded"] and bombing["rate_ratio"] is None
    assert bombing["ci_low"] == pytest.approx(5.557, abs=1e-3) and bombing["ci_high"] is None
    assault = effects["armed_assault"]  # one a month throughout: no change
    assert assault["rate_ratio"] == pytest.approx(1.0) and not assault["unbounded"]
    assert assault["ci_low"] < 1.0 < assault["ci_high"] and assault["n_events"] == 6
    assert all(e["placebo_share_above"] is None for e in post["effects"])  # the study ran no placebo


def test_the_effects_are_the_bundles_own(client: TestClient) -> None:
    study = study_bundle().provenance["study"]
    stored = {e["attack_type"]: e for e in study["effects"] if e["phase"] == "after_13_24"}
    served = client.get("/v1/regions/MLI.tombouctou/forecast?horizon=1&attack_type=bombing").json()
    for effect in served["post_occupation"]["effects"]:
        own = stored[effect["attack_type"]]
        assert (effect["rate_ratio"], effect["ci_low"], effect["ci_high"], effect["n_events"]) == (
            own["rate_ratio"], own["ci_low"], own["ci_high"], own["n_events"])


def test_regions_never_occupied_or_still_occupied_carry_null(client: TestClient) -> None:
    for region in ("MLI.gao", "BFA.sahel"):  # Gao's episode is ongoing; Sahel has none
        body = client.get(f"/v1/regions/{region}/forecast").json()
        assert "post_occupation" in body and body["post_occupation"] is None


def test_batch_items_carry_it_too(client: TestClient) -> None:
    reply = client.post("/v1/forecasts", json={"region_ids": ["MLI.tombouctou", "MLI.gao"], "horizon": 2})
    assert reply.status_code == 200
    body = BatchForecast.model_validate(reply.json())
    posts = [item.post_occupation for item in body.results]
    assert posts[0] is not None and posts[0].phase == "after_13_24" and posts[1] is None


def test_a_nowcast_moves_the_phase_with_its_origin(client: TestClient) -> None:
    event = {"event_id": "ops:1", "date": "2024-02-10", "country": "MLI", "admin1": "Tombouctou",
             "attack_type": "bombing"}
    reply = client.post("/v1/nowcast", json={"events": [event]})
    assert reply.status_code == 200, reply.text
    item = reply.json()["results"][0]
    assert reply.json()["origin"] == "2024-02"
    assert item["post_occupation"]["months_since_end"] == 21  # horizon 1 is now 2024-03
    assert item["post_occupation"]["phase"] == "after_13_24"
    assert item["target_mix"] == []  # the nowcast state carries no target-class counts
