"""The dashboard's static assets: served by the app itself, self-contained and small."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from svc_support import Store, ready_client

from service.app import STATIC_DIR, create_app

ASSET_BUDGET = 500_000
"""Bytes: every file the page loads, in all."""
SCRIPT_OR_STYLE = {".js", ".css"}


@pytest.fixture(scope="module")
def dashboard(store: Store) -> Iterator[TestClient]:
    with ready_client(create_app(store.settings())) as client:
        yield client


def page_assets(html: str) -> list[str]:
    return re.findall(r'(?:src|href)="(/static/[^"]+)"', html)


def test_index_served_at_root_with_its_assets(dashboard: TestClient) -> None:
    page = dashboard.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert page.text == (STATIC_DIR / "index.html").read_text(encoding="utf-8")
    assets = page_assets(page.text)
    shipped = sorted(f"/static/{p.name}" for p in STATIC_DIR.iterdir() if p.suffix in SCRIPT_OR_STYLE)
    assert sorted(assets) == shipped
    for path in assets:
        reply = dashboard.get(path)
        assert reply.status_code == 200, path
        assert reply.content == (STATIC_DIR / path.removeprefix("/static/")).read_bytes()
    for script in STATIC_DIR.glob("*.js"):
        assert dashboard.get(f"/static/{script.name}").headers["content-type"].split(";")[0] in {
            "text/javascript", "application/javascript"}, script.name
    assert dashboard.get("/static/style.css").headers["content-type"].startswith("text/css")


def test_assets_total_under_budget() -> None:
    files = [p for p in STATIC_DIR.rglob("*") if p.is_file()]
    assert {p.name for p in files} >= {"index.html", "app.js", "style.css"}
    total = sum(p.stat().st_size for p in files)
    assert 0 < total < ASSET_BUDGET, f"dashboard assets weigh {total} bytes"


def test_no_external_resources() -> None:
    """No CDN, web font or remote script: nothing the page loads leaves the service."""
    for path in STATIC_DIR.rglob("*"):
        if not path.is_file():
            continue
        text = path.read_text(encoding="utf-8").replace('"http://www.w3.org/2000/svg"', "SVG namespace")
        assert not re.search(r"https?://|//cdn|@import|url\(", text), path.name
    html = (STATIC_DIR / "index.html").read_text(encoding="utf-8")
    assert not re.search(r'(?:src|href)="(?!/static/|/docs|data:)', html)


def test_page_reads_only_public_endpoints() -> None:
    """Every request the script makes is a GET on a documented ``/v1/...`` endpoint."""
    script = (STATIC_DIR / "app.js").read_text(encoding="utf-8")
    paths = set(re.findall(r"[`\"](/v1/[a-z/]*)", script))
    assert paths == {"/v1/model", "/v1/regions", "/v1/forecasts", "/v1/regions/"}
    assert "method:" not in script and "POST" not in script
    assert "/v1/admin" not in script
