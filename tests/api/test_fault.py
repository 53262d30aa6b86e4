"""The real server killed with SIGKILL during a plan: finished plans survive, the other fails."""

from __future__ import annotations

import shutil
import signal
import time

import httpx

from api.runner import INTERRUPTED
from api.security import create_key
from api.storage import Storage
from tests.api.conftest import FAST_PLAN
from tests.api.live import free_port, serve


def _wait(client: httpx.Client, pid: str, statuses: set[str], timeout_s: float = 90) -> dict:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        body = client.get(f"/v1/plans/{pid}").json()
        if body["status"] in statuses:
            return body
        time.sleep(0.2)
    raise AssertionError(f"plan {pid} never reached {statuses}")


def test_sigkill_during_a_plan(tmp_path, city):
    data = tmp_path / "data"
    shutil.copytree(city.posts_path.parent, data / "demo")  # no demo rebuild
    key = create_key(Storage(data / "patrol.db"), name="fault").key
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = serve(data, port)
    try:
        with httpx.Client(base_url=base, headers={"X-API-Key": key}, timeout=30) as c:
            first = c.post("/v1/plans", json=FAST_PLAN).json()["id"]
            done = _wait(c, first, {"done", "failed"})
            assert done["status"] == "done"
            layer = c.get(f"/v1/plans/{first}/layers/patrol_lines.geojson").content
            slow = {**FAST_PLAN, "time_limit_s": 20}
            second = c.post("/v1/plans", json=slow).json()["id"]
            third = c.post("/v1/plans", json=FAST_PLAN).json()["id"]  # queued behind it
            _wait(c, second, {"running"})
            time.sleep(1.0)
            assert c.get(f"/v1/plans/{second}").json()["status"] == "running"
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        proc = serve(data, port)
        with httpx.Client(base_url=base, headers={"X-API-Key": key}, timeout=30) as c:
            again = c.get(f"/v1/plans/{first}").json()
            assert again["status"] == "done" and again["summary"] == done["summary"]
            assert again["files"] == done["files"]
            assert c.get(f"/v1/plans/{first}/layers/patrol_lines.geojson").content == layer
            for pid in (second, third):
                body = c.get(f"/v1/plans/{pid}").json()
                assert body["status"] == "failed" and body["error"] == INTERRUPTED
    finally:
        proc.kill()
        proc.wait(10)
