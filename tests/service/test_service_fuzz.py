"""Property-based fuzzing of every operation in the OpenAPI schema: no input yields a 5xx."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error, response_schema_conformance
from svc_support import Store, ready_client

from service.app import create_app

EXAMPLES_PER_OPERATION = 30


@pytest.fixture(scope="module")
def api_schema(store: Store) -> Iterator[schemathesis.BaseSchema]:
    app = create_app(store.settings(), static_dir=None)
    with ready_client(app):  # runs the lifespan: the model is loaded before fuzzing starts
        yield schemathesis.openapi.from_asgi("/openapi.json", app)


@pytest.mark.slow
def test_no_operation_answers_a_server_error(api_schema: schemathesis.BaseSchema) -> None:
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 11
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))
        def fuzz(case: schemathesis.Case) -> None:
            case.call_and_validate(checks=[not_a_server_error, response_schema_conformance])

        fuzz()
