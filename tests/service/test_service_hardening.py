"""Hardened request handling: body limits, strict bodies, precise errors, bounded echoes and labels."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import httpx
import pytest
from fastapi.testclient import TestClient
from svc_support import API_KEY, Store, ready_client, real_server

from service.app import create_app
from service.limits import FailureLimiter
from service.settings import Settings

FIVE_MB = 5_000_000


@pytest.fixture(scope="module")
def served_http(store: Store) -> Iterator[httpx.Client]:
    """A real uvicorn server on the store's champion."""
    with real_server(create_app(store.settings(), static_dir=None)) as http:
        yield http


def chunks(total: int, size: int = 64 * 1024) -> Iterator[bytes]:
    """``total`` bytes of a JSON-looking body in chunks (sent with Transfer-Encoding: chunked)."""
    yield b'{"region_ids": ["'
    sent = 17
    while sent < total:
        step = min(size, total - sent)
        yield b"x" * step
        sent += step


# --- 1. body-size limit ------------------------------------------------------------------------

def test_oversized_body_is_413_before_parsing(client: TestClient) -> None:
    body = b'{"region_ids": ["' + b"x" * FIVE_MB + b'"]}'
    r = client.post("/v1/forecasts", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 413
    assert r.json() == {"error": "request_too_large",
                        "message": f"the request body of {len(body)} bytes exceeds the limit of "
                                   f"{4 * 1024 * 1024} bytes",
                        "details": {"limit": 4 * 1024 * 1024, "given": len(body)}}


def test_streamed_body_without_length_is_cut_at_the_limit(client: TestClient) -> None:
    r = client.post("/v1/nowcast", content=chunks(FIVE_MB), headers={"content-type": "application/json"})
    assert r.status_code == 413
    assert r.json()["error"] == "request_too_large"
    assert "given" not in r.json()["details"]


def test_small_streamed_body_reaches_the_route(client: TestClient) -> None:
    def small() -> Iterator[bytes]:
        yield b'{"region_ids": '
        yield b'["MLI.gao"]}'

    r = client.post("/v1/forecasts", content=small(), headers={"content-type": "application/json"})
    assert r.status_code == 200, r.text
    assert [x["region"]["region_id"] for x in r.json()["results"]] == ["MLI.gao"]


def test_largest_nowcast_fits_under_the_default_limit(client: TestClient) -> None:
    settings = Settings()
    event = {"event_id": "ops:2024-07-000001", "source": "field-reports-2024", "date": "2025-07-14",
             "date_precision": "day", "country": "MLI", "admin1": "Tombouctou", "region_id": "MLI.tombouctou",
             "latitude": 16.773456, "longitude": -3.007456, "attack_type": "suicide_attack",
             "perpetrator": "Jama'at Nusrat al-Islam wal-Muslimin (JNIM)", "target": "military outpost",
             "fatalities": 12, "suicide": True}
    body = json.dumps({"events": [{**event, "event_id": f"ops:{i:06d}"}
                                  for i in range(settings.max_nowcast_events)], "horizon": 3}).encode()
    assert len(body) < settings.max_body_bytes
    r = client.post("/v1/nowcast", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 200, r.text[:300]
    assert r.json()["events_used"] == settings.max_nowcast_events
    assert r.json()["origin"] == "2025-07"


def test_real_server_refuses_a_5mb_body(served_http: httpx.Client) -> None:
    body = b'{"region_ids": ["' + b"x" * FIVE_MB + b'"]}'
    r = served_http.post("/v1/forecasts", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 413
    assert r.json()["details"] == {"limit": 4 * 1024 * 1024, "given": len(body)}
    streamed = served_http.post("/v1/forecasts", content=chunks(FIVE_MB),
                                headers={"content-type": "application/json"})
    assert streamed.status_code == 413
    assert streamed.json()["error"] == "request_too_large"
    assert served_http.get("/ready").status_code == 200


# --- 2. strict request bodies and precise validation messages ----------------------------------

def event(**overrides: object) -> dict[str, object]:
    """A valid nowcast event in MLI.gao, one month after the test cutoff."""
    return {"event_id": "now:1", "date": "2024-01-10", "country": "MLI", "admin1": "Gao",
            "attack_type": "bombing", **overrides}


@pytest.mark.parametrize("horizon", [True, "3", 2.0, "2"])
def test_batch_horizon_must_be_a_json_integer(client: TestClient, horizon: object) -> None:
    r = client.post("/v1/forecasts", json={"region_ids": ["MLI.gao"], "horizon": horizon})
    assert r.status_code == 422
    body = r.json()
    assert body["message"] == "body field 'horizon': Input should be a valid integer"
    assert body["details"]["errors"][0] == {"location": "body", "parameter": "horizon",
                                            "message": "Input should be a valid integer"}
    assert "query" not in r.text


@pytest.mark.parametrize(("field", "value"), [("fatalities", "2"), ("suicide", "true"), ("suicide", 1),
                                              ("latitude", "16.2"), ("date", 1_704_844_800),
                                              ("country", 123)])
def test_nowcast_event_fields_are_strict(client: TestClient, field: str, value: object) -> None:
    r = client.post("/v1/nowcast", json={"events": [event(**{field: value})]})
    assert r.status_code == 422, r.text
    problem = r.json()["details"]["errors"][0]
    assert (problem["event_index"], problem["field"], problem["location"]) == (0, field, "body")
    assert r.json()["message"].startswith(f"event 0 field {field}: ")


def test_nowcast_horizon_is_strict_and_bounded_in_the_body(client: TestClient) -> None:
    r = client.post("/v1/nowcast", json={"events": [event()], "horizon": True})
    assert r.status_code == 422
    assert r.json()["message"] == "body field 'horizon': Input should be a valid integer"
    over = client.post("/v1/nowcast", json={"events": [event()], "horizon": 7})
    assert over.status_code == 422
    assert over.json()["message"] == "body field 'horizon': the served model forecasts horizons 1..6"
    assert over.json()["details"]["errors"][0]["location"] == "body"
    ok = client.post("/v1/nowcast", json={"events": [event(fatalities=3, latitude=16)], "horizon": 2})
    assert ok.status_code == 200, ok.text
    assert {f["horizon"] for f in ok.json()["results"][0]["forecasts"]} == {1, 2}


def test_invalid_json_names_line_and_column(client: TestClient) -> None:
    r = client.post("/v1/forecasts", content=b'{"region_ids": [\n  "MLI.gao",\n]}',
                    headers={"content-type": "application/json"})
    assert r.status_code == 422
    body = r.json()
    assert body["message"] == "invalid JSON body: Expecting value at line 3 column 1"
    assert body["details"]["errors"] == [{"location": "body", "parameter": "body", "line": 3, "column": 1,
                                          "message": "Expecting value at line 3 column 1"}]


def test_missing_body_and_wrong_shape_say_body(client: TestClient) -> None:
    missing = client.post("/v1/forecasts", headers={"content-type": "application/json"})
    assert missing.status_code == 422
    assert missing.json()["message"] == "body: Field required"
    listed = client.post("/v1/forecasts", json=["MLI.gao"])
    assert listed.status_code == 422
    assert listed.json()["message"].startswith("body: ")
    query = client.get("/v1/regions/MLI.gao/forecast", params={"horizon": "x"})
    assert query.json()["message"].startswith("query parameter 'horizon': ")


# --- 3. non-JSON bodies ------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/v1/forecasts", "/v1/nowcast"])
@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded",
                                          "multipart/form-data; boundary=x", None])
def test_non_json_body_is_415(client: TestClient, path: str, content_type: str | None) -> None:
    headers = {"content-type": content_type} if content_type else {}
    r = client.post(path, content=b'{"region_ids": ["MLI.gao"]}', headers=headers)
    assert r.status_code == 415, r.text
    body = r.json()
    assert body["error"] == "unsupported_media_type"
    assert body["details"] == {"content_type": content_type or "none", "accepted": ["application/json"]}
    assert "application/json" in body["message"]


def test_json_with_charset_and_suffix_types_are_accepted(client: TestClient) -> None:
    for content_type in ("application/json; charset=utf-8", "application/problem+json"):
        r = client.post("/v1/forecasts", content=b'{"region_ids": ["MLI.gao"]}',
                        headers={"content-type": content_type})
        assert r.status_code == 200, (content_type, r.text)


# --- 4. bounded echoes -------------------------------------------------------------------------

def test_long_unknown_region_id_is_echoed_clipped(client: TestClient) -> None:
    long_id = "MLI." + "z" * 50_000
    r = client.get(f"/v1/regions/{long_id}/forecast")
    assert r.status_code == 404
    assert len(r.content) < 1_000
    assert r.json()["details"]["region_id"] == long_id[:200] + "..."
    assert r.json()["details"]["suggestions"] == []


def test_batch_with_many_unknown_ids_lists_twenty_and_counts_all(client: TestClient) -> None:
    ids = ["MLI.gao"] + [f"XXX.{i}-" + "q" * 10_000 for i in range(150)]
    r = client.post("/v1/forecasts", json={"region_ids": ids})
    assert r.status_code == 404
    assert len(r.content) < 12_000  # the request held 1.5 MB of ids
    details = r.json()["details"]
    assert details["unknown_count"] == 150
    assert len(details["unknown"]) == 20
    assert all(len(u) == 203 and u.endswith("...") for u in details["unknown"])
    assert set(details["suggestions"]) == set(details["unknown"])
    assert "(and 130 more)" in r.json()["message"]


def test_close_misspelling_still_gets_suggestions(client: TestClient) -> None:
    r = client.post("/v1/forecasts", json={"region_ids": ["MLI.gao", "MLI.tombouctu"]})
    assert r.status_code == 404
    details = r.json()["details"]
    assert (details["unknown"], details["unknown_count"]) == (["MLI.tombouctu"], 1)
    assert details["suggestions"]["MLI.tombouctu"][0] == "MLI.tombouctou"
    assert r.json()["message"] == "1 unknown region id(s): MLI.tombouctu"


# --- 5. bounded metric labels ------------------------------------------------------------------

def metric_lines(client: TestClient) -> list[str]:
    return [line for line in client.get("/metrics").text.splitlines()
            if line.startswith("threatcast_http_requests_total{")]


def test_unknown_methods_and_raw_paths_do_not_become_labels(store: Store) -> None:
    app = create_app(store.settings(), static_dir=None)
    with ready_client(app, raise_server_exceptions=False) as c:
        for i in range(300):
            c.request(f"X{i}METHOD", "/v1/forecasts")
            c.get(f"/v1/regions/RND.{i}/forecast")
            c.get(f"/random/{i}")
        c.get("/openapi.json")
        lines = metric_lines(c)
    assert len(lines) < 10, lines
    labels = "\n".join(lines)
    assert 'method="other",route="/v1/forecasts",status="405"} 300.0' in labels
    assert 'method="GET",route="/v1/regions/{region_id}/forecast",status="404"} 300.0' in labels
    assert 'method="GET",route="unmatched",status="404"} 300.0' in labels
    assert 'method="GET",route="/openapi.json",status="200"} 1.0' in labels
    assert "RND." not in labels and "/random/" not in labels and "X1METHOD" not in labels


# --- 6. no redirect to the Host header ---------------------------------------------------------

def test_trailing_slash_never_redirects_to_the_host(client: TestClient) -> None:
    for path in ("/v1/regions/", "/v1/forecasts/", "/v1/regions/MLI.gao/forecast/"):
        r = client.get(path, headers={"host": "evil.example"}, follow_redirects=False)
        assert r.status_code == 404, path
        assert "location" not in r.headers
        assert "evil.example" not in r.text


def test_real_server_trailing_slash_has_no_location(served_http: httpx.Client) -> None:
    r = served_http.get("/v1/regions/", headers={"host": "evil.example"}, follow_redirects=False)
    assert r.status_code == 404
    assert "location" not in r.headers


# --- 7. OPTIONS tells the truth ----------------------------------------------------------------

@pytest.mark.parametrize(("path", "allowed"), [("/v1/forecasts", "GET, POST"), ("/v1/nowcast", "POST"),
                                                ("/v1/admin/reload", "POST"),
                                                ("/v1/regions/MLI.gao/forecast", "GET")])
def test_options_is_405_with_every_allowed_method(client: TestClient, path: str, allowed: str) -> None:
    r = client.options(path)
    assert r.status_code == 405
    assert r.headers["allow"] == allowed
    assert r.json()["error"] == "method_not_allowed"
    assert r.json()["message"] == f"OPTIONS is not allowed here; allowed: {allowed}"
    put = client.put(path, json={})
    assert (put.status_code, put.headers["allow"]) == (405, allowed)


# --- 8. the schema says what the server accepts ------------------------------------------------

def query_maximum(schema: dict[str, object], path: str, name: str) -> int:
    """The maximum of a (possibly nullable) integer query parameter in the served schema."""
    operation = schema["paths"][path]["get"]  # type: ignore[index]
    parameter = next(p for p in operation["parameters"] if p["name"] == name)
    alternatives = parameter["schema"].get("anyOf", [parameter["schema"]])
    return int(next(a["maximum"] for a in alternatives if a.get("type") == "integer"))


def test_schema_limits_equal_the_server_limits(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    assert query_maximum(schema, "/v1/regions/{region_id}/forecast", "horizon") == 6
    assert query_maximum(schema, "/v1/forecasts", "horizon") == 6
    assert query_maximum(schema, "/v1/regions/{region_id}/history", "months") == 240
    components = schema["components"]["schemas"]
    assert components["BatchRequest"]["properties"]["region_ids"]["maxItems"] == 200
    assert components["NowcastRequest"]["properties"]["events"]["maxItems"] == 5000
    batch_horizon = components["BatchRequest"]["properties"]["horizon"]["anyOf"][0]
    assert (batch_horizon["minimum"], batch_horizon["maximum"]) == (1, 6)
    # the edges: the largest advertised value is answered, one more is refused
    assert client.get("/v1/regions/MLI.gao/forecast", params={"horizon": 6}).status_code == 200
    assert client.get("/v1/regions/MLI.gao/forecast", params={"horizon": 7}).status_code == 422
    assert client.get("/v1/regions/MLI.gao/history", params={"months": 240}).status_code == 200
    assert client.get("/v1/regions/MLI.gao/history", params={"months": 241}).status_code == 422


def test_schema_limits_follow_the_settings(store: Store) -> None:
    app = create_app(store.settings(max_horizon=3, max_history_months=12, max_batch_regions=5),
                     static_dir=None)
    with ready_client(app) as c:
        schema = c.get("/openapi.json").json()
        assert query_maximum(schema, "/v1/regions/{region_id}/forecast", "horizon") == 3
        assert query_maximum(schema, "/v1/regions/{region_id}/history", "months") == 12
        assert schema["components"]["schemas"]["BatchRequest"]["properties"]["region_ids"]["maxItems"] == 5
        assert c.get("/v1/regions/MLI.gao/forecast", params={"horizon": 4}).status_code == 422
        assert c.get("/v1/regions/MLI.gao/history", params={"months": 13}).status_code == 422


def test_schema_examples_are_accepted(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    for path in ("/v1/nowcast", "/v1/forecasts"):
        example = schema["paths"][path]["post"]["requestBody"]["content"]["application/json"]["example"]
        r = client.post(path, json=example)
        assert r.status_code == 200, (path, example, r.text)
    nowcast = schema["paths"]["/v1/nowcast"]["post"]["requestBody"]["content"]["application/json"]
    assert nowcast["example"]["events"][0]["date"] == "2024-01-14"  # the month after the cutoff


def test_error_statuses_are_documented(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path in ("/v1/nowcast", "/v1/forecasts"):
        documented = set(paths[path]["post"]["responses"])
        assert {"200", "404", "413", "415", "422", "503"} <= documented, path
    assert {"401", "403", "409", "429"} <= set(paths["/v1/admin/reload"]["post"]["responses"])


# --- 10. rejected admin calls: logged without the key, rate-limited per client ------------------

def test_refused_admin_calls_are_logged_without_the_key(store: Store,
                                                       caplog: pytest.LogCaptureFixture) -> None:
    app = create_app(store.settings(), static_dir=None)
    secret = "wrong-key-4f1d9c"
    with ready_client(app) as c, caplog.at_level(logging.WARNING, logger="threatcast.service"):
        assert c.post("/v1/admin/reload", headers={"X-API-Key": secret}).status_code == 403
        assert c.post("/v1/admin/reload").status_code == 401
    refused = [r.getMessage() for r in caplog.records if "admin call refused" in r.getMessage()]
    assert len(refused) == 2
    assert "invalid_api_key" in refused[0] and "testclient" in refused[0]
    assert "missing_api_key" in refused[1]
    assert all(secret not in r.getMessage() and API_KEY not in r.getMessage() for r in caplog.records)


def test_refused_admin_calls_are_rate_limited_per_client(store: Store) -> None:
    app = create_app(store.settings(admin_max_failures=3), static_dir=None)
    with ready_client(app) as c:
        codes = [c.post("/v1/admin/reload", headers={"X-API-Key": f"bad-{i}"}).status_code for i in range(3)]
        assert codes == [403, 403, 403]
        blocked = c.post("/v1/admin/reload", headers={"X-API-Key": API_KEY})  # even the right key
        assert blocked.status_code == 429
        assert 55 <= int(blocked.headers["retry-after"]) <= 60
        assert blocked.json()["error"] == "too_many_failures"
        # another client address is not blocked
        with TestClient(app, client=("10.0.0.9", 5000)) as other:
            assert other.post("/v1/admin/reload", headers={"X-API-Key": API_KEY}).status_code == 200


def test_failure_limiter_window_slides() -> None:
    now = [1000.0]
    limiter = FailureLimiter(max_failures=2, window_seconds=60, max_clients=2, clock=lambda: now[0])
    assert limiter.retry_after("a") is None
    assert limiter.failed("a") == 1
    now[0] += 10
    assert limiter.failed("a") == 2
    assert limiter.retry_after("a") == pytest.approx(50.0)
    now[0] += 50.5  # the first failure left the window
    assert limiter.retry_after("a") is None
    assert limiter.failed("a") == 2
    limiter.failed("b")
    limiter.failed("c")  # a third client: the least recent ("a") is forgotten
    assert limiter.retry_after("a") is None
    assert len(limiter._failures) == 2
