"""Schemathesis fuzzes the server against its own ``/openapi.json``: no 5xx, no hang, and
every answer (status, content type, body) is one the schema lists. The model is a scripted
fake, so the budget goes to the HTTP layer."""

from __future__ import annotations

import pytest
import schemathesis
from fakes import FakeOptions
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from server_fakes import ServerMaker

pytestmark = pytest.mark.timeout(120)
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]
EXAMPLES_PER_OPERATION = 25


def test_every_operation_answers_within_its_schema(make_server: ServerMaker) -> None:
    server = make_server(FakeOptions(tokens=("a", "b", "c"), tokens_per_second=2000),
                         request_timeout_s=5.0)
    schema = schemathesis.openapi.from_url(f"{server.base}/openapi.json", timeout=10)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {op.path for op in operations} >= {"/v1/models", "/v1/chat/completions",
                                              "/v1/completions", "/v1/embeddings", "/health"}
    for operation in operations:
        _fuzz(operation, server.base)


def _fuzz(operation, base_url: str) -> None:
    @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy())
    def run(case) -> None:
        case.call_and_validate(base_url=base_url, checks=CHECKS, timeout=10)

    run()
