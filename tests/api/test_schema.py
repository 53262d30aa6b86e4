"""schemathesis against the service's own OpenAPI document (ASGI): no 500, no response that
breaks its schema. Bounded: a few examples per operation."""

from __future__ import annotations

import contextlib

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from api.config import Settings
from api.main import create_app


@pytest.fixture(scope="module")
def app_with_key(tmp_path_factory, city):
    from fastapi.testclient import TestClient

    from api.security import create_key

    app = create_app(Settings(data_dir=tmp_path_factory.mktemp("schema")), city=city)
    with TestClient(app):  # runs the lifespan
        key = create_key(app.state.storage, name="schemathesis").key
        yield app, key


def test_openapi_has_examples(app_with_key):
    from fastapi.testclient import TestClient

    app, _ = app_with_key
    doc = TestClient(app).get("/openapi.json").json()
    schemas = doc["components"]["schemas"]
    assert schemas["DispatchRequest"]["examples"]
    assert schemas["PlanRequest"]["examples"]


def _exercise(operation: object, key: str, checks: list, failures: list[str]) -> None:
    """Up to 15 generated requests to one operation; failures are collected."""

    @settings(
        max_examples=15, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )
    @given(operation.as_strategy())  # type: ignore[attr-defined]
    def run(case: schemathesis.Case) -> None:
        if case.method.upper() == "POST" and case.path == "/v1/plans":
            case.body = {"unknown_field": True}  # never start real plans here
        case.headers = {**(case.headers or {}), "X-API-Key": key}
        response = case.call()
        try:
            case.validate_response(response, checks=checks)
        except Exception as exc:
            failures.append(f"{case.method} {case.path}: {exc}")
            raise

    with contextlib.suppress(Exception):  # reported through ``failures``
        run()


def test_schemathesis(app_with_key):
    app, key = app_with_key
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    checks = [
        schemathesis.checks.not_a_server_error,
        schemathesis.checks.response_schema_conformance,
        schemathesis.checks.status_code_conformance,
        schemathesis.checks.content_type_conformance,
    ]
    failures: list[str] = []
    n = 0
    for op in schema.get_all_operations():
        _exercise(op.ok(), key, checks, failures)
        n += 1
    assert n >= 12
    assert not failures, "\n".join(failures[:5])
