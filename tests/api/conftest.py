"""The demo district's city loaded once per session; apps around it per test module."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.city import City, load_city
from api.config import Settings
from api.main import create_app
from api.security import create_key

# a plan that finishes in a few seconds on the demo district
FAST_PLAN = {"time_limit_s": 0.5, "points": {"exact_limit_s": 0}, "lines": {"count": 2}}


@pytest.fixture(scope="session")
def data_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("api")


@pytest.fixture(scope="session")
def city(data_root: Path) -> City:
    return load_city(Settings(data_dir=data_root / "shared"))


def settings_in(folder: Path, **extra: object) -> Settings:
    return Settings(data_dir=folder, **extra)


@pytest.fixture(scope="session")
def app_client(data_root: Path, city: City) -> Iterator[TestClient]:
    app = create_app(settings_in(data_root / "main"), city=city)
    with TestClient(app) as client:
        yield client


@pytest.fixture(scope="session")
def client(app_client: TestClient) -> TestClient:
    return app_client


@pytest.fixture(scope="session")
def api_key(app_client: TestClient) -> str:
    return create_key(app_client.app.state.storage, name="tests").key


@pytest.fixture(scope="session")
def auth(api_key: str) -> dict[str, str]:
    return {"X-API-Key": api_key}


def wait_for(client: TestClient, plan_id: str, auth: dict[str, str], timeout_s: float = 90.0):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        body = client.get(f"/v1/plans/{plan_id}", headers=auth).json()
        if body["status"] in ("done", "failed"):
            return body
        time.sleep(0.3)
    raise AssertionError(f"plan {plan_id} did not finish in {timeout_s} s")


@pytest.fixture(scope="session")
def done_plan(client: TestClient, auth: dict[str, str]) -> dict:
    r = client.post("/v1/plans", json=FAST_PLAN, headers=auth)
    assert r.status_code == 202, r.text
    body = wait_for(client, r.json()["id"], auth)
    assert body["status"] == "done", body["error"]
    return body
