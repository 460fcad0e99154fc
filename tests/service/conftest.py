"""Service test fixtures: a temporary MLflow store with a registered champion, and the real app."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from svc_support import Store, make_bundle, new_store

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
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c
