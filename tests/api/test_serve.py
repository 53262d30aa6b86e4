"""``patrol serve --workers 2``: pre-forked workers on one socket, stopped together."""

from __future__ import annotations

import os
import shutil
import signal
import time
from pathlib import Path

import httpx
import pytest

from api.runner import INTERRUPTED
from api.storage import Storage
from tests.api.live import free_port, serve
from tests.api.test_dispatch import _points_on_network


def _children(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            # the parent pid is the second field after the command name in parentheses
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(entry.name))
    return out


@pytest.mark.skipif(not hasattr(os, "fork") or not Path("/proc").is_dir(), reason="Linux only")
def test_two_workers_answer_and_stop_together(tmp_path, city):
    data = tmp_path / "data"
    shutil.copytree(city.posts_path.parent, data / "demo")  # no demo rebuild
    # a plan a dead process left running: the parent marks it failed once, before the fork
    storage = Storage(data / "patrol.db")
    storage.create_plan("left-running", {"k": 1})
    storage.set_progress("left-running", 0.5, "points")
    port = free_port()
    proc = serve(data, port, workers=2)
    try:
        workers = _children(proc.pid)
        assert len(workers) == 2
        plan = storage.get_plan("left-running")
        assert plan.status == "failed" and plan.error == INTERRUPTED
        lon, lat = _points_on_network(city, 1, seed=7)[0]
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as c:
            answers = [
                c.post("/v1/dispatch/nearest", json={"lon": lon, "lat": lat, "k": 1}).json()
                for _ in range(20)
            ]
        assert all(a == answers[0] for a in answers)
        # a worker that dies takes the service down with a non-zero status (a supervisor
        # restarts it, and that start fails the plans the dead worker was computing)
        os.kill(workers[0], signal.SIGKILL)
        assert proc.wait(30) == 1
        assert all(not Path(f"/proc/{w}").exists() or _zombie(w) for w in workers)
    finally:
        if proc.poll() is None:
            proc.kill()


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


@pytest.mark.skipif(not hasattr(os, "fork") or not Path("/proc").is_dir(), reason="Linux only")
def test_sigterm_stops_every_worker_cleanly(tmp_path, city):
    data = tmp_path / "data"
    shutil.copytree(city.posts_path.parent, data / "demo")
    port = free_port()
    proc = serve(data, port, workers=2)
    workers = _children(proc.pid)
    assert len(workers) == 2
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(30) == 0
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(Path(f"/proc/{w}").exists() for w in workers):
        time.sleep(0.1)
    assert not any(Path(f"/proc/{w}").exists() and not _zombie(w) for w in workers)


def test_workers_starting_together_share_one_link_secret(tmp_path):
    """Map links signed by one worker must open on another: the generated secret is one."""
    from concurrent.futures import ThreadPoolExecutor
    from threading import Barrier

    from api.security import link_secret

    for attempt in range(5):
        folder = tmp_path / str(attempt)
        barrier = Barrier(8)

        def start(_: int, folder: Path = folder, barrier: Barrier = barrier) -> bytes:
            barrier.wait()
            return link_secret(None, folder)

        with ThreadPoolExecutor(8) as pool:
            secrets = set(pool.map(start, range(8)))
        assert len(secrets) == 1
        assert [p.name for p in folder.iterdir()] == ["map_link.secret"]
