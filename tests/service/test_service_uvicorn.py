"""The service under a real uvicorn server on a loopback port, driven by a real HTTP client."""

from __future__ import annotations

from svc_support import CUTOFF, Store, real_server

from service.app import create_app


def test_real_server_answers_forecasts(store: Store) -> None:
    app = create_app(store.settings(), static_dir=None)
    with real_server(app) as http:  # returns once the background model load has ended
        assert http.get("/health").json() == {"status": "ok"}
        assert http.get("/ready").json()["ready"] is True
        r = http.get("/v1/regions/MLI.tombouctou/forecast", params={"attack_type": "bombing", "horizon": 1})
        assert r.status_code == 200
        body = r.json()
        assert (body["model_version"], body["data_cutoff"]) == ("1", CUTOFF)
        assert body["forecasts"][0]["mean"] == 2.0
        missing = http.get("/v1/regions/MLI.tombouct/forecast")
        assert missing.status_code == 404
        assert missing.json()["details"]["suggestions"][0] == "MLI.tombouctou"
        assert "threatcast_http_requests_total" in http.get("/metrics").text
