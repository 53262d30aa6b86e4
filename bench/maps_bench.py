"""City-scale command map: HTML size and load time in headless Chromium.

The synthetic city with coverage from 22 posts (``planner.coverage`` + ``planner.zones``),
incidents in hourly night slots, 168 control points and 238 patrol lines per the options,
drawn by :func:`maps.command_map.command_map` and loaded from 127.0.0.1 in headless Chromium.
Patrol lines are FAKED as out-and-back shortest paths from a post or point (the line planner
is not in yet): the map's size depends on their number and length, not on their quality.
Budget: under 15 MB of HTML (before Leaflet's own files) and under 5 s to load, every one of
``--loads`` loads (each in a fresh browser; the median and range are reported).

Hook: ``add_parser(sub)`` adds the ``maps`` subcommand; ``run(args)`` runs it.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from scipy.sparse.csgraph import dijkstra

from bench.city import make_incidents, make_posts, stage
from bench.common import format_table, load_city_network, pass_fail, versions, write_result
from geo.graph import Network
from geo.snap import snap_incidents, snap_posts
from planner.coverage import compute_coverage
from planner.demand import parse_slots, slot_of
from planner.zones import blind_spots, isochrones, road_bands

TARGET_HTML_MB = 15.0
TARGET_LOAD_S = 5.0
THRESHOLDS_MIN = (1.0, 3.0, 5.0)


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the ``maps`` subcommand to ``python -m bench``."""
    p = sub.add_parser(
        "maps",
        help="command map of a city-scale plan: HTML size and headless Chromium load time",
        description=__doc__.split("\n\n")[1] if __doc__ else None,
    )
    g = p.add_argument_group("synthetic city")
    g.add_argument("--rows", type=int, default=320, help="grid rows (default 320)")
    g.add_argument("--cols", type=int, default=320, help="grid columns (default 320)")
    g.add_argument("--spacing", type=float, default=110.0, help="block size in m (default 110)")
    g.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    g.add_argument("--no-cache", action="store_true", help="rebuild the city, write no cache")
    g.add_argument("--cache-dir", type=Path, default=Path("bench/.cache"), help="city cache folder")
    g = p.add_argument_group("workload")
    g.add_argument("--posts", type=int, default=22, help="posts (default 22)")
    g.add_argument("--incidents", type=int, default=50_000, help="incidents (default 50000)")
    g.add_argument("--points", type=int, default=168, help="control points (default 168)")
    g.add_argument("--lines", type=int, default=238, help="patrol lines (default 238)")
    g.add_argument(
        "--slots-per-item",
        type=int,
        default=4,
        help="night slots (of 8) each point and each line is staffed in (default 4)",
    )
    g.add_argument(
        "--line-min", type=float, default=4.0, help="one-way travel time of a line (default 4)"
    )
    g.add_argument("--simplify-m", type=float, default=2.0, help="map simplification (m)")
    g.add_argument("--skip-browser", action="store_true", help="measure size only")
    g.add_argument(
        "--loads",
        type=int,
        default=5,
        help="page loads, each in a fresh headless Chromium (default 5; median and range)",
    )
    g.add_argument(
        "--keep", type=Path, default=None, help="keep the map, its assets and a screenshot here"
    )
    g.add_argument(
        "--out",
        type=Path,
        default=Path("bench/results/maps.json"),
        help="JSON results file (default bench/results/maps.json)",
    )
    g.add_argument("--strict", action="store_true", help="exit 1 if a target is missed")
    p.set_defaults(func=run)
    return p


def _fake_lines(
    net: Network, starts: np.ndarray, *, one_way_s: float, seed: int
) -> list[shapely.LineString]:
    """Out-and-back shortest paths: to a node about ``one_way_s`` away and back again."""
    rng = np.random.default_rng(seed)
    lines = []
    for batch in np.array_split(starts, max(1, len(starts) // 40)):
        dist, pred = dijkstra(
            net.csr, indices=batch, limit=one_way_s * 1.2, return_predecessors=True
        )
        for row, s in enumerate(batch):
            ok = np.flatnonzero((dist[row] > 0.7 * one_way_s) & np.isfinite(dist[row]))
            if len(ok) == 0:
                ok = np.flatnonzero(np.isfinite(dist[row]) & (dist[row] > 0))
            target = int(rng.choice(ok))
            path = [target]
            while path[-1] != s:
                path.append(int(pred[row, path[-1]]))
            path.reverse()
            nodes = path + path[-2::-1]
            lines.append(shapely.LineString(np.column_stack([net.x[nodes], net.y[nodes]])))
    return lines


def _plan_layers(net: Network, args: argparse.Namespace) -> tuple[Any, dict[str, Any]]:
    from geo.plan_layers import PlanLayers

    rng = np.random.default_rng(args.seed)
    facts: dict[str, Any] = {}
    slots = parse_slots("20-04")
    labels = [s.label for s in slots]
    with stage(f"posts, {args.incidents:,} incidents, coverage, bands, isochrones, blind spots"):
        posts = make_posts(net, args.posts, seed=args.seed)
        sposts = snap_posts(posts, net)
        inc, _ = snap_incidents(make_incidents(net, args.incidents, seed=args.seed), net)
        cov = compute_coverage(net, sposts, inc, thresholds_min=THRESHOLDS_MIN)
        bands = road_bands(net, cov, simplify_m=args.simplify_m)
        iso = isochrones(net, cov)
        blind = blind_spots(net, cov, inc)
    idx = slot_of(inc["time"], slots)
    incidents = gpd.GeoDataFrame(
        {
            "incident_id": inc["incident_id"],
            "weight": inc["weight"],
            "slot": [labels[i] if i >= 0 else None for i in idx],
        },
        geometry=inc.geometry,
        crs=net.crs,
    )
    per_post = {f"road_km_{m:g}min": [p.road_km[k] for p in cov.posts]
                for k, m in enumerate(THRESHOLDS_MIN)}  # fmt: skip
    per_post |= {f"incidents_{m:g}min": [p.incidents[k] for p in cov.posts]
                 for k, m in enumerate(THRESHOLDS_MIN)}  # fmt: skip
    posts_frame = gpd.GeoDataFrame(
        {"id": sposts["id"], "name": sposts["name"], **per_post},
        geometry=sposts.geometry,
        crs=net.crs,
    )
    k = min(args.slots_per_item, len(slots))
    point_nodes = rng.choice(net.n_nodes, size=args.points, replace=False)
    rows = []
    for i, n in enumerate(point_nodes):
        first = int(rng.integers(0, len(slots) - k + 1))
        for j in range(first, first + k):
            rows.append(
                {
                    "point_id": f"cp-{i + 1:03d}",
                    "slot": labels[j],
                    "slot_index": j,
                    "covered_weight": float(rng.uniform(5, 60)),
                    "geometry": shapely.Point(net.x[n], net.y[n]),
                }
            )
    cps = gpd.GeoDataFrame(rows, geometry="geometry", crs=net.crs)
    with stage(f"faking {args.lines} patrol lines (out-and-back shortest paths)"):
        starts = rng.choice(point_nodes, size=args.lines, replace=True)
        geoms = _fake_lines(net, starts, one_way_s=args.line_min * 60.0, seed=args.seed)
    rows = []
    for i, g in enumerate(geoms):
        first = int(rng.integers(0, len(slots) - k + 1))
        for j in range(first, first + k):
            rows.append(
                {
                    "line_id": f"L{i + 1:03d}",
                    "slot": labels[j],
                    "slot_index": j,
                    "mode": "drive",
                    "length_km": g.length / 1000.0,
                    "duration_min": 2 * args.line_min,
                    "demand_per_km": float(rng.uniform(1, 20)),
                    "start_id": f"cp-{i % args.points + 1:03d}",
                    "control_points": [f"cp-{i % args.points + 1:03d}"],
                    "geometry": g,
                }
            )
    lines = gpd.GeoDataFrame(rows, geometry="geometry", crs=net.crs)
    coverage = cov.to_dict()
    points = {"slots": [{"slot": s, "demand": float((idx == i).sum())}
                        for i, s in enumerate(labels)]}  # fmt: skip
    facts.update(
        {
            "blind_spots": len(blind),
            "control_point_features": len(cps),
            "line_features": len(lines),
            "line_km_mean": float(np.mean([g.length for g in geoms]) / 1000.0),
            "night_incidents": int((idx >= 0).sum()),
        }
    )
    layers = PlanLayers(
        road_minutes=bands,
        isochrones=iso,
        blind_spots=blind,
        posts=posts_frame,
        coverage=coverage,
        control_points=cps,
        points=points,
        incidents=incidents,
        patrol_lines=lines,
    )
    return layers, facts


def _browser_load(folder: Path, name: str, *, loads: int) -> dict[str, Any]:
    """Load the map ``loads`` times, each in a fresh headless Chromium, from 127.0.0.1 (the
    test suite's driver): median and range of the load time, and where it went in the page."""
    from bench.browser import Browser, find_chromium, serve

    if find_chromium() is None:
        return {"skipped": "chromium/chromedriver not installed"}
    reports = []
    with serve(folder) as base:
        for _ in range(max(1, loads)):
            with Browser(width=1600, height=1000) as browser:
                reports.append(browser.open(base + name, folder / "command.png"))
    load_s = [r.load_s for r in reports]
    dcl_ms = [float(r.extra.get("dcl_ms") or 0.0) for r in reports]
    ready_ms = [r.ready_ms for r in reports]
    return {
        "load_s": float(np.median(load_s)),
        "load_s_min": min(load_s),
        "load_s_max": max(load_s),
        "load_s_all": [round(x, 3) for x in load_s],
        # in the page: DOMContentLoaded (HTML read, scripts run, layers built; Chromium may
        # draw a first frame before it), and the second animation frame after it (ready)
        "scripts_done_ms": float(np.median(dcl_ms)),
        "ready_ms": float(np.median(ready_ms)),
        "errors": [e for r in reports for e in r.errors][:5],
        "layers": len(reports[-1].layer_names),
        "heap_mb": (reports[-1].extra.get("heap_bytes") or 0) / 1e6,
    }


def run(args: argparse.Namespace) -> int:
    """Build the plan, draw the command map, measure size and load time; 1 if ``--strict``
    and a target is missed."""
    from maps.assets import save_map
    from maps.command_map import command_map

    city = load_city_network(args)
    layers, facts = _plan_layers(city.net, args)
    with tempfile.TemporaryDirectory(prefix="patrol-maps-bench-") as tmp:
        folder = Path(args.keep) if args.keep else Path(tmp)
        with stage("command_map + write HTML"):
            t0 = time.perf_counter()
            m = command_map(layers, tiles=None, assets="assets/", simplify_m=args.simplify_m)
            build_s = time.perf_counter() - t0
            t0 = time.perf_counter()
            html_path = save_map(m, folder / "command.html")[0]
            write_s = time.perf_counter() - t0
        html_mb = html_path.stat().st_size / 1e6
        load: dict[str, Any] = {"skipped": "--skip-browser"}
        if not args.skip_browser:
            with stage("headless Chromium load"):
                load = _browser_load(folder, "command.html", loads=args.loads)
    load_s = load.get("load_s")
    size_ok = html_mb < TARGET_HTML_MB
    # every load under the target, not only the median
    load_ok = None if load_s is None else (load["load_s_max"] < TARGET_LOAD_S
                                           and not load.get("errors"))  # fmt: skip
    load_text = "-" if load_s is None else (
        f"{load_s:.2f} ({load['load_s_min']:.2f}-{load['load_s_max']:.2f})")  # fmt: skip
    body = [
        ("HTML size (MB, assets apart)", f"{html_mb:.2f}", f"< {TARGET_HTML_MB:g}",
         pass_fail(size_ok)),
        (f"load in headless Chromium (s), median (range) of {args.loads}", load_text,
         f"< {TARGET_LOAD_S:g}", pass_fail(load_ok)),
        ("build map (s)", f"{build_s:.2f}", "", "-"),
        ("write HTML (s)", f"{write_s:.2f}", "", "-"),
    ]  # fmt: skip
    notes = [
        f"network: {city.net.n_nodes:,} nodes, {city.net.road_length_m / 1000:,.0f} km of road",
        f"{facts['control_point_features']:,} control-point features ({args.points} points x "
        f"{args.slots_per_item} slots), {facts['line_features']:,} line features "
        f"({args.lines} FAKE out-and-back lines x {args.slots_per_item} slots, "
        f"mean {facts['line_km_mean']:.1f} km), {facts['blind_spots']:,} blind spots, "
        f"{facts['night_incidents']:,} night incidents in the heat layers",
        f"browser: {json.dumps(load)}",
    ]
    print(format_table(("measure", "value", "target", "result"), body, notes))
    result = {
        "html_mb": html_mb,
        "load": load,
        "build_s": build_s,
        "write_s": write_s,
        "targets": {"html_mb": TARGET_HTML_MB, "load_s": TARGET_LOAD_S},
        "facts": facts,
        "params": {
            k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items() if k != "func"
        },  # fmt: skip
        "versions": versions(["folium", "xstatic-leaflet", "selenium", "geopandas", "shapely"]),
    }
    write_result(args.out, result)
    print(f"[bench] results in {args.out}", file=sys.stderr)
    failed = not size_ok or load_ok is False
    return 1 if (args.strict and failed) else 0


def main(argv: list[str] | None = None) -> int:
    """Run alone: ``python -m bench.maps_bench [options]``."""
    parser = argparse.ArgumentParser(prog="python -m bench.maps_bench")
    sub = parser.add_subparsers(dest="command")
    add_parser(sub)
    args = parser.parse_args(["maps", *(sys.argv[1:] if argv is None else argv)])
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
