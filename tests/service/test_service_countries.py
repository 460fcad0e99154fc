"""Country totals, track records and model skills over HTTP (the shared test store's champion)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient


def test_countries_list_and_totals_agree_with_regions(client: TestClient) -> None:
    listed = client.get("/v1/countries")
    assert listed.status_code == 200
    body = listed.json()
    assert {c["country"] for c in body["countries"]} == {"MLI", "BFA"}
    mali = client.get("/v1/countries/mli/forecast", params={"attack_type": "all", "horizon": 2})
    assert mali.status_code == 200
    data = mali.json()
    assert data["country"] == "MLI" and data["regions"] == ["MLI.gao", "MLI.tombouctou"]
    assert [r["horizon"] for r in data["forecasts"]] == [1, 2]
    regions = [client.get(f"/v1/regions/{r}/forecast", params={"attack_type": "all", "horizon": 1}).json()
               for r in data["regions"]]
    means = [r["forecasts"][0]["mean"] for r in regions]
    p_any = [r["forecasts"][0]["p_any"] for r in regions]
    first = data["forecasts"][0]
    assert first["mean"] == pytest.approx(sum(means), abs=1e-3)
    assert first["p_any"] == pytest.approx(1 - (1 - p_any[0]) * (1 - p_any[1]), abs=1e-3)
    assert first["q10"] <= first["q50"] <= first["q90"]
    assert first["regions"] == 2


def test_country_errors_are_precise(client: TestClient) -> None:
    missing = client.get("/v1/countries/XYZ/forecast")
    assert missing.status_code == 404 and missing.json()["error"] == "unknown_country"
    assert "MLI" in missing.json()["details"]["countries"]
    assert client.get("/v1/countries/ML/forecast").status_code == 422
    assert client.get("/v1/countries/MLI/forecast", params={"horizon": 99}).status_code == 422


def test_track_record_and_model_skill_fields(client: TestClient) -> None:
    record = client.get("/v1/regions/MLI.gao/track-record")
    assert record.status_code == 200
    assert record.json()["region_id"] == "MLI.gao"
    assert record.json()["count"] == 0  # this bundle carries no backtest
    assert client.get("/v1/regions/MLI.nowhere/track-record").status_code == 404
    info = client.get("/v1/model").json()
    assert info["headline"] == {} and info["skill"] == {}
    forecast = client.get("/v1/regions/MLI.gao/forecast").json()
    assert all(row["drivers"] == [] for row in forecast["forecasts"])
