"""Service test fixtures: a temporary MLflow store with a registered champion, and the real app."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from svc_support import Store, make_bundle, new_store, ready_client

from service.app import create_app


@pytest.fixture(scope="session")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    """A store with version 1 of ``threatcast`` as the champion, shared by every service test.

    Tests that register more versions use registered-model names of their own.
    """
    s = new_store(tmp_path_factory.mktemp("mlflow"))
    s.register(make_bundle())
    return s


@pytest.fixture(scope="module")
def client(store: Store) -> Iterator[TestClient]:
    """The real app serving the store's champion."""
    app = create_app(store.settings(), static_dir=None)
    with ready_client(app, raise_server_exceptions=False) as c:
        yield c


_MLFLOW_HTTP = ("MLFLOW_HTTP_REQUEST_TIMEOUT", "MLFLOW_HTTP_REQUEST_MAX_RETRIES",
                "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR", "MLFLOW_HTTP_REQUEST_BACKOFF_JITTER")


@pytest.fixture(autouse=True)
def _restore_mlflow_http_limits() -> Iterator[None]:
    """Each app bounds MLflow's HTTP calls process-wide; put the environment back after each test."""
    saved = {k: os.environ.get(k) for k in _MLFLOW_HTTP}
    yield
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
