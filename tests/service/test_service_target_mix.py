"""Region forecasts carry the bundle's target mix (who is attacked), served from bundles registered in
a real MLflow store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from svc_support import Store, make_bundle, new_store, ready_client, target_bundle

from models.targets import TARGET_CLASSES
from service.app import create_app
from service.schemas import RegionForecast


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    store = new_store(Path(tmp_path_factory.mktemp("target-mix")))
    store.register(target_bundle())
    store.register(make_bundle(), name="older")  # a bundle without a target-mix model
    return store


@pytest.fixture(scope="module")
def client(store: Store) -> Iterator[TestClient]:
    with ready_client(create_app(store.settings(), static_dir=None), raise_server_exceptions=False) as c:
        yield c


def _shares(body: dict[str, object], horizon: int) -> dict[str, float]:
    return {r["target_class"]: r["share"] for r in body["target_mix"]  # type: ignore[attr-defined]
            if r["horizon"] == horizon}


def test_the_target_mix_is_the_models_shares_at_every_horizon(client: TestClient) -> None:
    expected = target_bundle().target_mix(horizon=6)
    for region in ("MLI.tombouctou", "MLI.gao", "BFA.sahel"):
        body = client.get(f"/v1/regions/{region}/forecast").json()
        RegionForecast.model_validate(body)
        assert len(body["target_mix"]) == 6 * len(TARGET_CLASSES)
        own = expected[expected["region_id"] == region]
        for h in range(1, 7):
            shares = _shares(body, h)
            assert set(shares) == set(TARGET_CLASSES)
            assert sum(shares.values()) == pytest.approx(1.0, abs=1e-3)
            model = own[own["horizon"] == h].set_index("target_class")["share"]
            assert shares == {k: pytest.approx(float(model[k]), abs=1e-4) for k in TARGET_CLASSES}


def test_the_mix_follows_each_regions_record(client: TestClient) -> None:
    tombouctou = _shares(client.get("/v1/regions/MLI.tombouctou/forecast").json(), 1)
    gao = _shares(client.get("/v1/regions/MLI.gao/forecast").json(), 1)
    sahel = _shares(client.get("/v1/regions/BFA.sahel/forecast").json(), 1)
    # Tombouctou: 2 bombings (civilians) and 1 assault (security forces) a month in 2023
    assert max(tombouctou, key=tombouctou.__getitem__) == "civilians"
    assert tombouctou["civilians"] > tombouctou["security_forces"] > tombouctou["international"]
    # Gao's kidnappings of foreigners: far more 'international' than its neighbour
    assert gao["international"] > 2 * tombouctou["international"]
    # Sahel has no event in the window: its country has none either, so it gets the global mix
    global_shares = target_bundle().target_model.fit_report()["global_shares"]  # type: ignore[union-attr]
    assert sahel == {k: pytest.approx(v, abs=1e-3) for k, v in global_shares.items()}


def test_horizon_filter_applies_to_the_target_mix(client: TestClient) -> None:
    body = client.get("/v1/regions/MLI.gao/forecast?horizon=2&attack_type=kidnapping").json()
    assert {r["horizon"] for r in body["target_mix"]} == {1, 2}
    assert len(body["forecasts"]) == 2


def test_a_bundle_without_target_mix_serves_an_empty_list(store: Store) -> None:
    app = create_app(store.settings(model_uri="models:/older@champion"), static_dir=None)
    with ready_client(app, raise_server_exceptions=False) as client:
        body = client.get("/v1/regions/MLI.gao/forecast").json()
    RegionForecast.model_validate(body)
    assert body["target_mix"] == [] and body["tactic_mix"]
