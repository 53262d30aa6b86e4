"""Load run of ``POST /v1/dispatch/nearest`` on the city-scale network, over real HTTP.

A uvicorn server on 127.0.0.1 (a child process: the clients do not share its interpreter)
serves the synthetic city (:func:`bench.common.load_city_network`) with the posts of
:func:`bench.city.make_posts`; ``--clients`` concurrent httpx AsyncClients send requests for
random places on the network until ``--requests`` are answered or ``--seconds`` pass.
Reported: p50/p99 latency, requests per second, errors; target p99 < 50 ms at 50 clients.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from bench.common import add_city_options, format_table, load_city_network, pass_fail, versions

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
        "--out",
        type=Path,
        default=Path("bench/results/api.json"),
        help="JSON results file (default bench/results/api.json)",
    )
    g.add_argument("--strict", action="store_true", help="exit 1 if the target is missed")
    p.set_defaults(func=run)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(argv: list[str], port: int) -> None:
    """Child process: load the city, serve it on 127.0.0.1:``port``."""
    import tempfile

    import uvicorn

    from api.city import City
    from api.config import Settings
    from api.main import create_app
    from bench.city import TZ, make_posts
    from geo.snap import snap_posts
    from planner.dispatch import Dispatcher

    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers()
    add_parser(sub)
    args = parser.parse_args(["api", *argv])
    net = load_city_network(args).net
    posts = snap_posts(make_posts(net, args.posts, seed=args.seed), net)
    settings = Settings(data_dir=Path(tempfile.mkdtemp(prefix="patrol-bench-")))
    dispatcher = Dispatcher(
        net,
        posts,
        max_snap_m=settings.max_snap_m,
        table_max_cells=settings.dispatch_table_max_cells,
        limit_s=settings.dispatch_limit_s,
    )
    city = City("bench city", Path("-"), None, "drive", TZ, None, net, posts, dispatcher)
    app = create_app(settings, city=city)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


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


async def _load(
    base: str,
    places: list[tuple[float, float]],
    *,
    clients: int,
    total: int,
    seconds: float,
    k: int,
) -> tuple[list[float], int, float]:
    import httpx

    latencies: list[float] = []
    errors = 0
    sent = 0
    deadline = time.perf_counter() + seconds

    async def worker() -> None:
        nonlocal sent, errors
        async with httpx.AsyncClient(base_url=base, timeout=30) as client:
            while sent < total and time.perf_counter() < deadline:
                lon, lat = places[sent % len(places)]
                sent += 1
                t = time.perf_counter()
                r = await client.post("/v1/dispatch/nearest", json={"lon": lon, "lat": lat, "k": k})
                latencies.append(time.perf_counter() - t)
                errors += r.status_code != 200

    t0 = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(clients)))
    return latencies, errors, time.perf_counter() - t0


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


def run(args: argparse.Namespace) -> int:
    city_argv = [
        "--rows", str(args.rows), "--cols", str(args.cols), "--spacing", str(args.spacing),
        "--seed", str(args.seed), "--cache-dir", str(args.cache_dir), "--posts", str(args.posts),
    ] + (["--no-cache"] if args.no_cache else [])  # fmt: skip
    net = load_city_network(args).net  # builds the cache the server then reads
    places = _places(net, 2000, args.seed + 1)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    code = f"from bench.api_bench import serve; serve({city_argv!r}, {port})"
    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": str(root)}
    proc = subprocess.Popen([sys.executable, "-c", code], env=env, cwd=root)
    try:
        _wait_up(base, proc)
        # warm-up: a few requests so that first-use costs are not measured
        asyncio.run(_load(base, places, clients=4, total=200, seconds=10, k=args.k))
        lat, errors, wall = asyncio.run(
            _load(
                base, places, clients=args.clients, total=args.requests, seconds=args.seconds,
                k=args.k,
            )
        )  # fmt: skip
    finally:
        proc.terminate()
        proc.wait(30)
    ms = np.asarray(lat) * 1000.0
    p50, p99 = float(np.percentile(ms, 50)), float(np.percentile(ms, 99))
    rps = len(ms) / wall
    passed = p99 < TARGET_P99_MS and errors == 0
    result = {
        "network": {"nodes": net.n_nodes, "edges": net.n_edges},
        "posts": args.posts,
        "clients": args.clients,
        "requests": len(ms),
        "errors": errors,
        "seconds": wall,
        "p50_ms": p50,
        "p99_ms": p99,
        "max_ms": float(ms.max()),
        "requests_per_s": rps,
        "target_p99_ms": TARGET_P99_MS,
        "passed": passed,
        "versions": versions(["fastapi", "uvicorn", "httpx", "scipy", "numpy"]),
        "cpus": os.cpu_count(),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(
        format_table(
            ["measure", "value", "target", "result"],
            [
                ["requests", f"{len(ms):,} in {wall:.1f} s", "-", "-"],
                ["errors", str(errors), "0", pass_fail(errors == 0)],
                ["p50 latency", f"{p50:.1f} ms", "-", "-"],
                [
                    "p99 latency",
                    f"{p99:.1f} ms",
                    f"< {TARGET_P99_MS:g} ms",
                    pass_fail(p99 < TARGET_P99_MS),
                ],
                ["throughput", f"{rps:,.0f} req/s", "-", "-"],
            ],
            [
                f"{args.clients} concurrent httpx clients and one uvicorn worker on 127.0.0.1, "
                f"{os.cpu_count()} CPUs; {net.n_nodes:,} nodes, {args.posts} posts, k={args.k}.",
                "Client and server share the machine: the clients' own CPU is in the latency.",
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
