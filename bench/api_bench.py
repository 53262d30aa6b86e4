"""Load run of ``POST /v1/dispatch/nearest`` on the city-scale network, over real HTTP.

A server on 127.0.0.1 (a child process: the clients do not share its interpreter) serves the
synthetic city (:func:`bench.common.load_city_network`) with the posts of
:func:`bench.city.make_posts`, through :func:`api.serve.run` with ``--workers`` processes (the
way ``patrol serve --workers N`` runs). ``--clients`` concurrent keep-alive HTTP/1.1 clients
(plain asyncio streams: a few dozen microseconds of client CPU per request, where an httpx
client spent about a millisecond of the same two cores) ask for random places on the network:

- closed loop: each client sends its next request as soon as the last is answered, until
  ``--requests`` are answered or ``--seconds`` pass: the saturation throughput, and the latency
  at saturation (50 back-to-back clients: latency = 50 / throughput, by Little's law);
- open loop: the clients together send ``--rate`` requests per second on a fixed schedule,
  latency counted from the scheduled send time (no coordinated omission): the latency a
  dispatch centre sees at that load.

Baseline, in the same run: the closed loop against the same server with the dispatch fast
path off (``dispatch_fast_path=False``), each question through the FastAPI route on its own.

Reported: p50/p99 latency, requests per second, errors; target p99 < 50 ms at 50 clients.
Beside them (Linux), where the two cores went during each phase: server and client CPU per
request, and the cores other processes on the machine took, which the figures depend on.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench.common import (
    add_city_options,
    format_table,
    load_city_network,
    pass_fail,
    versions,
    write_result,
)

TARGET_P99_MS = 50.0


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "api",
        help="dispatch/nearest over HTTP: p50/p99 latency and requests/s at 50 clients",
        description="A bounded load run of POST /v1/dispatch/nearest against a uvicorn server "
        "on 127.0.0.1 serving the synthetic city.",
    )
    add_city_options(p)
    g = p.add_argument_group("workload")
    g.add_argument("--posts", type=int, default=22, help="number of posts (default 22)")
    g.add_argument("--clients", type=int, default=50, help="concurrent clients (default 50)")
    g.add_argument("--requests", type=int, default=5000, help="stop after this many (5000)")
    g.add_argument("--seconds", type=float, default=60.0, help="or after this long (60)")
    g.add_argument("--k", type=int, default=3, help="responders per request (default 3)")
    g.add_argument(
        "--workers",
        type=int,
        default=os.cpu_count() or 1,
        help="server processes (default: the number of CPUs)",
    )
    g.add_argument(
        "--rate",
        type=float,
        default=200.0,
        help="requests/s of the open-loop phase, over all clients (default 200; 0: skip it)",
    )
    g.add_argument(
        "--out",
        type=Path,
        default=Path("bench/results/api.json"),
        help="JSON results file (default bench/results/api.json)",
    )
    g.add_argument(
        "--skip-baseline",
        action="store_true",
        help="skip the baseline: the same server answering each question through the FastAPI "
        "route on its own (PATROL_DISPATCH_FAST_PATH=false)",
    )
    g.add_argument("--strict", action="store_true", help="exit 1 if the target is missed")
    p.set_defaults(func=run)


class _CpuMeter:
    """CPU the server's processes, this client process and everything else on the machine used
    over a phase, from ``/proc`` (Linux; elsewhere :meth:`stop` gives None)."""

    def __init__(self, server_pid: int) -> None:
        self.server_pid = server_pid
        self.tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
        self.ok = Path("/proc/stat").exists()

    def _tree(self, pid: int) -> list[int]:
        out = [pid]
        for f in Path(f"/proc/{pid}/task").glob("*/children"):
            with contextlib.suppress(OSError):
                for child in f.read_text().split():
                    out += self._tree(int(child))
        return out

    def _cpu_s(self, pid: int) -> float:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / self.tick  # utime + stime

    def _machine_s(self) -> float:
        # busy time of all CPUs: user, nice, system, irq, softirq, steal
        f = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
        return sum(int(f[i]) for i in (0, 1, 2, 5, 6, 7)) / self.tick

    def start(self) -> None:
        if not self.ok:
            return
        self.t0 = time.perf_counter()
        self.pids = self._tree(self.server_pid)
        self.server0 = sum(self._cpu_s(p) for p in self.pids)
        self.client0 = time.process_time()
        self.machine0 = self._machine_s()

    def stop(self, requests: int) -> dict[str, float] | None:
        if not self.ok or requests == 0:
            return None
        wall = time.perf_counter() - self.t0
        server = sum(self._cpu_s(p) for p in self.pids) - self.server0
        client = time.process_time() - self.client0
        other = self._machine_s() - self.machine0 - server - client
        return {
            "server_cpu_ms_per_request": 1000.0 * server / requests,
            "client_cpu_ms_per_request": 1000.0 * client / requests,
            "other_processes_cores": max(other, 0.0) / wall,
        }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(argv: list[str], port: int, fast_path: bool = True) -> None:
    """Child process: load the city, serve it on 127.0.0.1:``port`` (``fast_path`` False: every
    question through the FastAPI route on its own, the baseline)."""
    import tempfile

    from api.city import City
    from api.config import Settings
    from api.serve import run
    from bench.city import TZ, make_posts
    from geo.snap import snap_posts
    from planner.dispatch import Dispatcher

    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers()
    add_parser(sub)
    args = parser.parse_args(["api", *argv])
    net = load_city_network(args).net
    posts = snap_posts(make_posts(net, args.posts, seed=args.seed), net)
    settings = Settings(
        data_dir=Path(tempfile.mkdtemp(prefix="patrol-bench-")), dispatch_fast_path=fast_path
    )
    dispatcher = Dispatcher(
        net,
        posts,
        max_snap_m=settings.max_snap_m,
        table_max_cells=settings.dispatch_table_max_cells,
        limit_s=settings.dispatch_limit_s,
    )
    city = City("bench city", Path("-"), None, "drive", TZ, None, net, posts, dispatcher)
    sys.exit(
        run(
            settings, host="127.0.0.1", port=port, workers=args.workers, city=city,
            log_level="warning", access_log=False,
        )
    )  # fmt: skip


def _places(net: object, n: int, seed: int) -> list[tuple[float, float]]:
    import shapely
    from pyproj import Transformer

    rng = np.random.default_rng(seed)
    segs = rng.integers(0, net.n_segments, n)  # type: ignore[attr-defined]
    pts = shapely.line_interpolate_point(
        net.seg_geometry[segs],
        rng.uniform(0, 1, n),
        normalized=True,  # type: ignore[attr-defined]
    )
    to_ll = Transformer.from_crs(net.crs, "EPSG:4326", always_xy=True)  # type: ignore[attr-defined]
    lon, lat = to_ll.transform(shapely.get_x(pts), shapely.get_y(pts))
    return list(zip(lon.tolist(), lat.tolist(), strict=True))


class _Connection:
    """One keep-alive HTTP/1.1 connection that POSTs JSON and reads the answer's status."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, path: str, body: bytes) -> int:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {self.host}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        )
        self.writer.write(head.encode() + body)
        header = await self.reader.readuntil(b"\r\n\r\n")
        lines = header.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        length = 0
        for line in lines[1:]:
            name, _, value = line.partition(":")
            if name.strip().lower() == "content-length":
                length = int(value)
        await self.reader.readexactly(length)
        return status

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(OSError):
                await self.writer.wait_closed()


async def _load(
    port: int,
    bodies: list[bytes],
    *,
    clients: int,
    total: int,
    seconds: float,
    rate: float | None = None,
) -> tuple[list[float], int, float]:
    """Send requests; per answer its latency (s). ``rate``: open loop at that many requests
    per second over all clients, latency from each request's scheduled time."""
    latencies: list[float] = []
    errors = 0
    sent = 0
    t0 = time.perf_counter()
    deadline = t0 + seconds

    async def worker(c: int) -> None:
        nonlocal sent, errors
        conn = _Connection("127.0.0.1", port)
        n = 0
        try:
            while sent < total and time.perf_counter() < deadline:
                if rate is None:
                    start = time.perf_counter()
                else:  # this client's n-th slot of the schedule
                    start = t0 + (n * clients + c) / rate
                    n += 1
                    wait = start - time.perf_counter()
                    if wait > 0:
                        await asyncio.sleep(wait)
                    if sent >= total:
                        break
                body = bodies[sent % len(bodies)]
                sent += 1
                try:
                    status = await conn.post("/v1/dispatch/nearest", body)
                except (OSError, asyncio.IncompleteReadError):
                    status = 0
                    await conn.close()
                    conn = _Connection("127.0.0.1", port)
                latencies.append(time.perf_counter() - start)
                errors += status != 200
        finally:
            await conn.close()

    await asyncio.gather(*(worker(c) for c in range(clients)))
    return latencies, errors, time.perf_counter() - t0


def _run(coro: Any) -> Any:
    """Run the clients on uvloop when installed (uvicorn[standard] brings it): less client CPU
    on the cores the server needs."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coro)
    return uvloop.run(coro)


def _wait_up(base: str, proc: subprocess.Popen, timeout_s: float = 600) -> None:
    import httpx

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            msg = f"the server exited with status {proc.returncode}"
            raise RuntimeError(msg)
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    msg = "the server did not come up"
    raise RuntimeError(msg)


def _summary(lat: list[float], errors: int, wall: float) -> dict[str, float | int]:
    ms = np.asarray(lat) * 1000.0
    return {
        "requests": len(ms),
        "errors": errors,
        "seconds": wall,
        "p50_ms": float(np.percentile(ms, 50)),
        "p99_ms": float(np.percentile(ms, 99)),
        "max_ms": float(ms.max()),
        "requests_per_s": len(ms) / wall,
    }


def _rows(
    name: str, r: dict[str, float | int], cpu: dict[str, float] | None, *, target: bool = True
) -> list[list[str]]:
    ok = r["p99_ms"] < TARGET_P99_MS and r["errors"] == 0
    goal = f"< {TARGET_P99_MS:g} ms" if target else "-"
    extra = []
    if cpu is not None:
        extra = [
            [
                f"{name}: CPU per request",
                f"server {cpu['server_cpu_ms_per_request']:.2f} ms, "
                f"client {cpu['client_cpu_ms_per_request']:.2f} ms",
                "-",
                "-",
            ],
            [f"{name}: other processes", f"{cpu['other_processes_cores']:.2f} cores", "-", "-"],
        ]
    return [
        [f"{name}: requests", f"{r['requests']:,} in {r['seconds']:.1f} s", "-", "-"],
        [f"{name}: errors", str(r["errors"]), "0", pass_fail(r["errors"] == 0)],
        [f"{name}: p50 latency", f"{r['p50_ms']:.1f} ms", "-", "-"],
        [f"{name}: p99 latency", f"{r['p99_ms']:.1f} ms", goal, pass_fail(ok) if target else "-"],
        [f"{name}: throughput", f"{r['requests_per_s']:,.0f} req/s", "-", "-"],
        *extra,
    ]


def _measure(
    args: argparse.Namespace,
    city_argv: list[str],
    bodies: list[bytes],
    *,
    fast_path: bool,
    open_loop: bool = True,
) -> tuple[dict, dict | None, dict | None, dict | None]:
    """Start a server, warm it up, run the closed loop (and the open loop), stop it."""
    port = _free_port()
    code = f"from bench.api_bench import serve; serve({city_argv!r}, {port}, {fast_path!r})"
    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": str(root)}
    proc = subprocess.Popen([sys.executable, "-c", code], env=env, cwd=root)
    load = functools.partial(_load, port, bodies, clients=args.clients, seconds=args.seconds)
    try:
        _wait_up(f"http://127.0.0.1:{port}", proc)
        # warm-up: every worker answers a few requests before anything is measured
        _run(_load(port, bodies, clients=8, total=400, seconds=20))
        meter = _CpuMeter(proc.pid)
        meter.start()
        closed = _summary(*_run(load(total=args.requests)))
        closed_cpu = meter.stop(int(closed["requests"]))
        opened = opened_cpu = None
        if open_loop and args.rate > 0:
            total = min(args.requests, int(args.rate * args.seconds))
            meter.start()
            opened = _summary(*_run(load(total=total, rate=args.rate)))
            opened_cpu = meter.stop(int(opened["requests"]))
    finally:
        proc.terminate()
        proc.wait(30)
    return closed, closed_cpu, opened, opened_cpu


def run(args: argparse.Namespace) -> int:
    city_argv = [
        "--rows", str(args.rows), "--cols", str(args.cols), "--spacing", str(args.spacing),
        "--seed", str(args.seed), "--cache-dir", str(args.cache_dir), "--posts", str(args.posts),
        "--workers", str(args.workers),
    ] + (["--no-cache"] if args.no_cache else [])  # fmt: skip
    net = load_city_network(args).net  # builds the cache the server then reads
    bodies = [
        json.dumps({"lon": lon, "lat": lat, "k": args.k}).encode()
        for lon, lat in _places(net, 2000, args.seed + 1)
    ]
    closed, closed_cpu, opened, opened_cpu = _measure(args, city_argv, bodies, fast_path=True)
    baseline = baseline_cpu = None
    if not args.skip_baseline:
        baseline, baseline_cpu, _, _ = _measure(
            args, city_argv, bodies, fast_path=False, open_loop=False
        )
    passed = closed["p99_ms"] < TARGET_P99_MS and closed["errors"] == 0
    result = {
        "network": {"nodes": net.n_nodes, "edges": net.n_edges},
        "posts": args.posts,
        "clients": args.clients,
        "workers": args.workers,
        "closed_loop": {**closed, "cpu": closed_cpu},
        "baseline_closed_loop": None
        if baseline is None
        else {
            "what": "the same server with dispatch_fast_path=False: each question through "
            "the FastAPI route on its own",
            **baseline,
            "cpu": baseline_cpu,
        },
        "open_loop": None
        if opened is None
        else {"rate_per_s": args.rate, **opened, "cpu": opened_cpu},
        "target_p99_ms": TARGET_P99_MS,
        "passed": passed,
        "passed_open_loop": None
        if opened is None
        else bool(opened["p99_ms"] < TARGET_P99_MS and opened["errors"] == 0),
        "versions": versions(["fastapi", "uvicorn", "starlette", "pydantic", "scipy", "numpy"]),
        "cpus": os.cpu_count(),
    }
    write_result(args.out, result)
    rows = _rows("closed loop", closed, closed_cpu)
    if baseline is not None:
        rows += _rows("baseline closed loop", baseline, baseline_cpu, target=False)
        ratio = closed["requests_per_s"] / baseline["requests_per_s"]
        rows.append(["closed loop: throughput vs baseline", f"{ratio:.2f}x", "-", "-"])
    if opened is not None:
        rows += _rows(f"open loop {args.rate:g}/s", opened, opened_cpu)
    print(
        format_table(
            ["measure", "value", "target", "result"],
            rows,
            [
                f"{args.clients} concurrent keep-alive clients and {args.workers} server "
                f"worker(s) on 127.0.0.1, {os.cpu_count()} CPUs; {net.n_nodes:,} nodes, "
                f"{args.posts} posts, k={args.k}.",
                "Closed loop: back-to-back requests (saturation). Open loop: a fixed schedule, "
                "latency from the scheduled time. Clients and server share the machine.",
            ],
        )
    )
    return 1 if args.strict and not passed else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.api_bench")
    sub = parser.add_subparsers(required=True)
    add_parser(sub)
    args = parser.parse_args(["api", *(argv if argv is not None else sys.argv[1:])])
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
