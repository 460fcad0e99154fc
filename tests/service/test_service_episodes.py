"""`/v1/episodes`: the catalog with status at the cutoff, and one episode's counts, study and forecast,
served from a bundle registered in a real MLflow store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from svc_support import CUTOFF, new_store, ready_client, study_bundle

from service.app import create_app
from service.routes.episodes import EpisodeDetail, EpisodeList


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    store = new_store(Path(tmp_path_factory.mktemp("episodes")))
    store.register(study_bundle())
    with ready_client(create_app(store.settings(), static_dir=None), raise_server_exceptions=False) as c:
        yield c


def test_the_list_gives_each_episode_its_phase_now(client: TestClient) -> None:
    body = client.get("/v1/episodes").json()
    EpisodeList.model_validate(body)
    by_id = {e["episode_id"]: e for e in body["episodes"]}
    assert body["count"] == 3 and body["data_cutoff"] == CUTOFF
    done = by_id["mli-test-tombouctou"]
    assert done["phase"] == "after" and done["months_since_end"] == 18  # 2022-06 -> 2023-12
    assert done["region_in_data"] and done["used_in_study"]
    assert by_id["mli-test-gao-open"]["phase"] == "during"
    assert by_id["mli-test-gao-open"]["months_since_end"] is None
    assert by_id["mli-test-gao-open"]["study_reason"] == "episode is ongoing: no months after its end"
    assert not by_id["ner-test"]["region_in_data"]


def test_one_episode_has_counts_around_it_the_effects_and_the_forecast(client: TestClient) -> None:
    body = client.get("/v1/episodes/mli-test-tombouctou").json()
    EpisodeDetail.model_validate(body)
    # data start 2021-01 (12 months before the start), to the cutoff (18 months after the end)
    assert body["months"][0] == "2021-01" and body["months"][-1] == CUTOFF
    assert body["months_since_end"][0] == -17 and body["months_since_end"][-1] == 18
    assert body["counts"]["armed_assault"] == [1] * 36  # one a month, as made
    assert sum(body["counts"]["bombing"]) == 24  # 2 a month in 2023
    assert {e["phase"] for e in body["effects"] if e["attack_type"] == "bombing"} >= {"after_1_6"}
    assert body["forecast"]["region"]["region_id"] == "MLI.tombouctou"
    assert body["forecast"] == client.get("/v1/regions/MLI.tombouctou/forecast").json()


def test_unknown_episode_is_a_404_with_a_short_echo(client: TestClient) -> None:
    reply = client.get("/v1/episodes/" + "x" * 150)
    assert reply.status_code == 404
    assert reply.json()["error"] == "unknown_episode"
    assert len(reply.json()["message"]) < 130
    too_long = client.get("/v1/episodes/" + "y" * 300)
    assert too_long.status_code == 422
