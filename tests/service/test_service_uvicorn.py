"""The service under a real uvicorn server on a loopback port, driven by a real HTTP client."""

from __future__ import annotations

import threading
import time

import httpx
import uvicorn
from svc_support import CUTOFF, Store

from service.app import create_app


def test_real_server_answers_forecasts(store: Store) -> None:
    app = create_app(store.settings(), static_dir=None)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning",
                                           lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not server.started:
            assert time.monotonic() < deadline, "uvicorn did not start"
            assert thread.is_alive(), "uvicorn exited"
            time.sleep(0.05)
        port = server.servers[0].sockets[0].getsockname()[1]
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as http:
            assert http.get("/health").json() == {"status": "ok"}
            # the model loads behind /health: /ready turns true once the first load finished
            while not http.get("/ready").json()["ready"]:
                assert time.monotonic() < deadline + 60, "the model never became ready"
                time.sleep(0.1)
            r = http.get("/v1/regions/MLI.tombouctou/forecast",
                         params={"attack_type": "bombing", "horizon": 1})
            assert r.status_code == 200
            body = r.json()
            assert (body["model_version"], body["data_cutoff"]) == ("1", CUTOFF)
            assert body["forecasts"][0]["mean"] == 2.0
            missing = http.get("/v1/regions/MLI.tombouct/forecast")
            assert missing.status_code == 404
            assert missing.json()["details"]["suggestions"][0] == "MLI.tombouctou"
            assert "threatcast_http_requests_total" in http.get("/metrics").text
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    assert not thread.is_alive()
