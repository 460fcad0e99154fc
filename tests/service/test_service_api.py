"""The real app on a real registered model: every endpoint and its error paths."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from scipy import stats
from svc_support import API_KEY, CUTOFF, Store, ready_client

from models.taxonomy import PANEL_TYPES
from service.app import create_app
from service.schemas import (
    BatchForecast,
    ModelInfo,
    NowcastResponse,
    Ranking,
    RegionDetail,
    RegionForecast,
    RegionHistory,
    RegionList,
)


def rows_by(body: dict, attack_type: str) -> dict[int, dict]:
    return {r["horizon"]: r for r in body["forecasts"] if r["attack_type"] == attack_type}


def test_health_and_ready(client: TestClient) -> None:
    assert client.get("/health").json() == {"status": "ok"}
    ready = client.get("/ready")
    assert ready.status_code == 200
    assert ready.json() == {"ready": True, "model_version": "1", "data_cutoff": CUTOFF, "reason": None}


def test_regions_list_locations_and_occupation(client: TestClient) -> None:
    body = client.get("/v1/regions").json()
    RegionList.model_validate(body)
    assert body["count"] == 3 and body["model_version"] == "1" and body["data_cutoff"] == CUTOFF
    regions = {r["region_id"]: r for r in body["regions"]}
    assert set(regions) == {"BFA.sahel", "MLI.gao", "MLI.tombouctou"}
    tomb = regions["MLI.tombouctou"]
    assert (tomb["latitude"], tomb["longitude"]) == (16.77, -3.0)
    # the catalog's Timbuktu occupation ended 2013-01: 131 months before 2023-12
    assert tomb["occupation"] == {"phase": "after", "months_since_end": 131,
                                  "episode_id": "mli-2012-tombouctou"}
    assert regions["BFA.sahel"]["occupation"]["phase"] == "never"
    assert regions["BFA.sahel"]["last_event_month"] == "2021-01"
    assert tomb["last_event_month"] == CUTOFF


def test_regions_country_filter(client: TestClient) -> None:
    mli = client.get("/v1/regions", params={"country": "mli"}).json()
    assert mli["count"] == 2 and {r["country"] for r in mli["regions"]} == {"MLI"}
    missing = client.get("/v1/regions", params={"country": "NER"})
    assert missing.status_code == 404
    assert missing.json()["details"]["countries"] == ["BFA", "MLI"]
    bad = client.get("/v1/regions", params={"country": "12"})
    assert bad.status_code == 422
    assert bad.json()["details"]["errors"][0]["parameter"] == "country"


def test_region_detail_lists_episodes(client: TestClient) -> None:
    body = client.get("/v1/regions/MLI.gao").json()
    RegionDetail.model_validate(body)
    assert [e["episode_id"] for e in body["episodes"]] == ["mli-2012-gao"]
    assert body["episodes"][0]["start_month"] == "2012-04" and body["episodes"][0]["end_month"] == "2013-01"
    assert client.get("/v1/regions/BFA.sahel").json()["episodes"] == []


def test_region_history_counts(client: TestClient) -> None:
    body = client.get("/v1/regions/MLI.tombouctou/history", params={"months": 14}).json()
    RegionHistory.model_validate(body)
    assert body["months"][0] == "2022-11" and body["months"][-1] == CUTOFF and len(body["months"]) == 14
    assert body["counts"]["bombing"] == [0, 0] + [2] * 12
    assert body["counts"]["all"] == [1, 1] + [3] * 12
    assert body["fatalities"] == [1, 1] + [5] * 12
    gao = client.get("/v1/regions/MLI.gao/history", params={"months": 4}).json()
    assert gao["counts"]["kidnapping"] == [0, 1, 0, 1]
    long = client.get("/v1/regions/MLI.gao/history", params={"months": 240}).json()
    assert len(long["months"]) == 36  # never more than the panel holds


@pytest.mark.parametrize("months", [0, -3, 241, "x"])
def test_region_history_rejects_bad_months(client: TestClient, months: object) -> None:
    r = client.get("/v1/regions/MLI.gao/history", params={"months": months})
    assert r.status_code == 422
    assert r.json()["details"]["errors"][0]["parameter"] == "months"


def test_region_forecast_numbers(client: TestClient) -> None:
    r = client.get("/v1/regions/MLI.tombouctou/forecast")
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    body = r.json()
    RegionForecast.model_validate(body)
    assert (body["model_version"], body["data_cutoff"], body["origin"]) == ("1", CUTOFF, CUTOFF)
    assert body["stale"] is True  # 2023-12 is long past the default 75 days
    assert len(body["forecasts"]) == len(PANEL_TYPES) * 6
    bombing = rows_by(body, "bombing")
    # Mean12Poisson: 2 bombings a month in the last 12 months -> Poisson(2) at every horizon
    assert [bombing[h]["target_month"] for h in (1, 6)] == ["2024-01", "2024-06"]
    assert bombing[1]["mean"] == 2.0
    assert bombing[1]["p_any"] == pytest.approx(1 - math.exp(-2), abs=1e-4)
    assert bombing[1]["risk_tier"] == "severe"
    assert (bombing[1]["q10"], bombing[1]["q50"], bombing[1]["q90"]) == tuple(
        float(stats.poisson.ppf(q, 2.0)) for q in (0.1, 0.5, 0.9))
    assert bombing[1]["recent_mean"] == 2.0 and bombing[1]["change"] == 0.0
    assert bombing[1]["change_ratio"] == 1.0
    kidnap = rows_by(body, "kidnapping")[3]
    assert kidnap["mean"] == 0.0 and kidnap["risk_tier"] == "minimal" and kidnap["change_ratio"] is None
    mix = {m["attack_type"]: m["share"] for m in body["tactic_mix"] if m["horizon"] == 1}
    assert body["tactic_mix_source"] == "forecast"
    assert mix["bombing"] == pytest.approx(2 / 3, abs=1e-4) and mix["armed_assault"] == pytest.approx(1 / 3,
                                                                                                     abs=1e-4)


def test_region_forecast_quiet_region_has_no_mix(client: TestClient) -> None:
    body = client.get("/v1/regions/BFA.sahel/forecast").json()
    assert {r["mean"] for r in body["forecasts"]} == {0.0}
    assert body["tactic_mix"] == []


def test_region_forecast_filters(client: TestClient) -> None:
    body = client.get("/v1/regions/MLI.gao/forecast", params={"attack_type": "all", "horizon": 2}).json()
    RegionForecast.model_validate(body)
    assert [(r["attack_type"], r["horizon"]) for r in body["forecasts"]] == [("all", 1), ("all", 2)]
    assert body["forecasts"][0]["mean"] == 0.5  # 6 kidnappings in the last 12 months
    assert {m["horizon"] for m in body["tactic_mix"]} == {1, 2}


@pytest.mark.parametrize(("params", "parameter"), [
    ({"horizon": 7}, "horizon"), ({"horizon": 0}, "horizon"), ({"horizon": "soon"}, "horizon"),
    ({"attack_type": "arson"}, "attack_type"),
])
def test_region_forecast_bad_parameters(client: TestClient, params: dict, parameter: str) -> None:
    r = client.get("/v1/regions/MLI.gao/forecast", params=params)
    assert r.status_code == 422
    body = r.json()
    assert body["error"] == "invalid_request" and parameter in body["message"]
    assert body["details"]["errors"][0]["parameter"] == parameter


def test_unknown_region_suggests_close_ids(client: TestClient) -> None:
    r = client.get("/v1/regions/MLI.tombouctu/forecast")
    assert r.status_code == 404
    body = r.json()
    assert body["error"] == "unknown_region" and body["details"]["suggestions"][0] == "MLI.tombouctou"
    assert client.get("/v1/regions/mli.GAO/history").json()["details"]["suggestions"][0] == "MLI.gao"
    assert client.get("/v1/regions/zzz").json()["details"]["suggestions"] == []


def test_ranking(client: TestClient) -> None:
    body = client.get("/v1/forecasts").json()
    Ranking.model_validate(body)
    assert [i["region_id"] for i in body["items"]] == ["MLI.tombouctou", "MLI.gao", "BFA.sahel"]
    assert [i["rank"] for i in body["items"]] == [1, 2, 3] and body["total"] == 3
    assert body["items"][0]["mean"] == 3.0 and body["model_version"] == "1" and body["stale"] is True
    kid = client.get("/v1/forecasts", params={"attack_type": "kidnapping", "horizon": 6, "top": 1}).json()
    assert kid["total"] == 3 and [i["region_id"] for i in kid["items"]] == ["MLI.gao"]
    assert kid["items"][0]["target_month"] == "2024-06"
    bfa = client.get("/v1/forecasts", params={"country": "BFA"}).json()
    assert [i["region_id"] for i in bfa["items"]] == ["BFA.sahel"]
    for params in ({"top": 0}, {"horizon": 8}, {"attack_type": "x"}, {"top": 5000}):
        assert client.get("/v1/forecasts", params=params).status_code == 422


def test_batch(client: TestClient) -> None:
    r = client.post("/v1/forecasts", json={"region_ids": ["MLI.gao", "BFA.sahel", "MLI.gao"],
                                           "attack_type": "kidnapping", "horizon": 3})
    assert r.status_code == 200
    body = r.json()
    BatchForecast.model_validate(body)
    assert body["model_version"] == "1" and body["data_cutoff"] == CUTOFF and body["stale"] is True
    assert [x["region"]["region_id"] for x in body["results"]] == ["MLI.gao", "BFA.sahel"]
    assert [len(x["forecasts"]) for x in body["results"]] == [3, 3]
    full = client.post("/v1/forecasts", json={"region_ids": ["MLI.tombouctou"]}).json()
    assert len(full["results"][0]["forecasts"]) == 66


def test_batch_errors(client: TestClient) -> None:
    unknown = client.post("/v1/forecasts", json={"region_ids": ["MLI.gao", "MLI.gaoo", "XXX.y"]})
    assert unknown.status_code == 404
    assert unknown.json()["details"]["unknown"] == ["MLI.gaoo", "XXX.y"]
    assert unknown.json()["details"]["suggestions"]["MLI.gaoo"][0] == "MLI.gao"
    too_many = client.post("/v1/forecasts", json={"region_ids": ["MLI.gao"] * 201})
    assert too_many.status_code == 413
    assert too_many.json()["details"] == {"limit": 200, "given": 201}
    assert client.post("/v1/forecasts", json={"region_ids": []}).status_code == 422
    extra = client.post("/v1/forecasts", json={"region_ids": ["MLI.gao"], "colour": "red"})
    assert extra.status_code == 422 and extra.json()["details"]["errors"][0]["parameter"] == "colour"
    broken = client.post("/v1/forecasts", content=b"{not json", headers={"content-type": "application/json"})
    assert broken.status_code == 422 and broken.json()["error"] == "invalid_request"


def event(i: int, date: str = "2024-01-15", **fields: object) -> dict:
    return {"event_id": f"now:{i}", "date": date, "country": "MLI", "admin1": "Gao",
            "attack_type": "bombing", **fields}


def test_nowcast_updates_touched_regions(client: TestClient) -> None:
    events = [event(1), event(2, attack_type="kidnapping", fatalities=2),
              event(3, date="2024-02-03", country="BFA", admin1="Sahel", attack_type="armed_clash")]
    r = client.post("/v1/nowcast", json={"events": events, "attack_type": "all", "horizon": 1})
    assert r.status_code == 200, r.text
    body = r.json()
    NowcastResponse.model_validate(body)
    assert body["origin"] == "2024-02" and body["data_cutoff"] == CUTOFF and body["events_used"] == 3
    assert body["model_version"] == "1"
    results = {x["region"]["region_id"]: x for x in body["results"]}
    assert set(results) == {"BFA.sahel", "MLI.gao"}
    # Gao, months 2023-03..2024-02: kidnappings in 2023-04,06,08,10,12 plus the 2 January events,
    # February taken as quiet -> 7 / 12
    gao = results["MLI.gao"]["forecasts"][0]
    assert (gao["target_month"], gao["mean"]) == ("2024-03", round(7 / 12, 4))
    assert results["BFA.sahel"]["forecasts"][0]["mean"] == round(1 / 12, 4)
    assert results["MLI.gao"]["region"]["last_event_month"] == "2024-01"
    # the served model itself is untouched
    served = client.get("/v1/regions/MLI.gao/forecast", params={"attack_type": "all", "horizon": 1}).json()
    assert served["forecasts"][0]["mean"] == 0.5 and served["origin"] == CUTOFF


@pytest.mark.parametrize(("bad", "index", "field"), [
    (event(1, date="2023-12-31"), 1, "date"),
    (event(1, date="2031-01-01"), 1, "date"),
    (event(1, country="NER", admin1="Tillaberi"), 1, "region_id"),
    (event(1, attack_type="arson"), 1, "attack_type"),
    (event(1, fatalities=-1), 1, "fatalities"),
    (event(1, region_id="MLI.mopti"), 1, "region_id"),
    (event(1, admin1="!!"), 1, "admin1"),
    (event(0), 1, "event_id"),
    (event(1, latitude=123.0), 1, "latitude"),
    ({"event_id": "x", "country": "MLI", "admin1": "Gao", "attack_type": "bombing"}, 1, "date"),
])
def test_nowcast_names_the_bad_event(client: TestClient, bad: dict, index: int, field: str) -> None:
    r = client.post("/v1/nowcast", json={"events": [event(0), bad]})
    assert r.status_code == 422, r.text
    problem = r.json()["details"]["errors"][0]
    assert (problem["event_index"], problem["field"]) == (index, field)
    assert f"event {index}" in r.json()["message"]


def test_nowcast_limits(client: TestClient) -> None:
    assert client.post("/v1/nowcast", json={"events": []}).status_code == 422
    big = client.post("/v1/nowcast", json={"events": [{}] * 5001})
    assert big.status_code == 413 and big.json()["error"] == "too_many_events"
    far = client.post("/v1/nowcast", json={"events": [event(0)], "horizon": 7})
    assert far.status_code == 422 and far.json()["details"]["errors"][0]["parameter"] == "horizon"


def test_model_provenance(client: TestClient) -> None:
    body = client.get("/v1/model").json()
    ModelInfo.model_validate(body)
    assert body["model_name"] == "threatcast" and body["model_version"] == "1"
    assert body["alias"] == "champion" and len(body["run_id"]) == 32
    assert body["model_uri"] == "models:/threatcast@champion"
    assert body["data_cutoff"] == CUTOFF and body["stale"] is True
    assert body["trained_at"] == "2024-01-05T10:00:00+00:00"
    assert body["data_fingerprint"] == "sha256:test-v1"
    assert body["backtest"] == {"crps_all_h1": 0.42, "skill_vs_mean12": 0.0}
    assert (body["horizon"], body["regions"]) == (6, 3)


def test_admin_reload_needs_a_valid_key(client: TestClient) -> None:
    missing = client.post("/v1/admin/reload")
    assert missing.status_code == 401 and missing.json()["error"] == "missing_api_key"
    wrong = client.post("/v1/admin/reload", headers={"X-API-Key": "nope"})
    assert wrong.status_code == 403 and wrong.json()["error"] == "invalid_api_key"
    ok = client.post("/v1/admin/reload", headers={"X-API-Key": API_KEY})
    assert ok.status_code == 200 and ok.json()["model_version"] == "1"


def test_metrics(client: TestClient) -> None:
    client.get("/v1/regions/MLI.gao/forecast", params={"attack_type": "all", "horizon": 2})
    client.get("/no/such/path")
    text = client.get("/metrics").text
    info = 'threatcast_model_info{data_cutoff="2023-12",model_name="threatcast",model_version="1"} 1.0'
    assert info in text
    route = 'route="/v1/regions/{region_id}/forecast"'
    assert f'threatcast_http_requests_total{{method="GET",{route},status="200"}}' in text
    assert f'threatcast_http_request_seconds_count{{{route}}}' in text
    assert 'threatcast_http_requests_total{method="GET",route="unmatched",status="404"}' in text
    assert 'threatcast_forecasts_served_total{endpoint="region"}' in text


def test_unknown_route_and_method_are_json(client: TestClient) -> None:
    r = client.get("/v2/nothing")
    assert r.status_code == 404 and r.json()["error"] == "not_found"
    r = client.delete("/v1/regions")
    assert r.status_code == 405 and r.json()["error"] == "method_not_allowed"


def test_openapi_documents_every_endpoint(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path in ("/health", "/ready", "/metrics", "/v1/regions", "/v1/regions/{region_id}",
                 "/v1/regions/{region_id}/history", "/v1/regions/{region_id}/forecast", "/v1/forecasts",
                 "/v1/nowcast", "/v1/model", "/v1/admin/reload"):
        assert path in paths
    assert "404" in paths["/v1/regions/{region_id}/forecast"]["get"]["responses"]
    assert "413" in paths["/v1/nowcast"]["post"]["responses"]


def test_unexpected_errors_reveal_nothing(store: Store) -> None:
    app = create_app(store.settings(), static_dir=None)

    @app.get("/explode")
    async def explode() -> None:
        raise RuntimeError("secret internal detail")

    with ready_client(app, raise_server_exceptions=False) as c:
        r = c.get("/explode")
    assert r.status_code == 500
    assert r.json() == {"error": "internal_error", "message": "internal error; the failure has been logged",
                        "details": {}}


def test_fresh_cutoff_is_not_stale_and_dashboard_hook(store: Store, tmp_path: Path) -> None:
    (tmp_path / "index.html").write_text("<h1>dashboard</h1>")
    app = create_app(store.settings(stale_after_days=100_000), static_dir=tmp_path)
    with ready_client(app) as c:
        assert c.get("/v1/regions/MLI.gao/forecast").json()["stale"] is False
        assert c.get("/v1/model").json()["stale"] is False
        assert c.get("/").text == "<h1>dashboard</h1>"
        assert c.get("/static/index.html").status_code == 200
    with ready_client(create_app(store.settings(), static_dir=tmp_path / "absent")) as c:
        r = c.get("/", follow_redirects=False)
        assert r.status_code == 307 and r.headers["location"] == "/docs"


def test_starts_without_a_model(store: Store) -> None:
    app = create_app(store.settings(model_uri="models:/threatcast@nosuchalias"), static_dir=None)
    with ready_client(app) as c:
        assert c.get("/health").status_code == 200
        ready = c.get("/ready")
        assert ready.status_code == 503 and "nosuchalias" in ready.json()["reason"]
        for path in ("/v1/regions", "/v1/regions/MLI.gao/forecast", "/v1/forecasts", "/v1/model"):
            r = c.get(path)
            assert r.status_code == 503 and r.json()["error"] == "no_model", path
        assert c.post("/v1/forecasts", json={"region_ids": ["MLI.gao"]}).status_code == 503
        assert c.get("/metrics").status_code == 200
