"""A real server for the tests that need one: ``patrol serve`` in a child process."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(
    data_dir: Path, port: int, *, workers: int = 1, timeout_s: float = 90
) -> subprocess.Popen:
    """``patrol serve`` on 127.0.0.1:``port`` with ``data_dir``, once it answers /healthz."""
    env = {**os.environ, "PATROL_DATA_DIR": str(data_dir), "PYTHONPATH": str(ROOT)}
    code = (
        "import sys; from cli.main import main; "
        f"sys.exit(main(['serve', '--port', '{port}', '--workers', '{workers}']))"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], env=env, cwd=ROOT)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        if proc.poll() is not None:
            pytest.fail(f"server exited with {proc.returncode}")
        time.sleep(0.2)
    proc.kill()
    pytest.fail("server did not start")
