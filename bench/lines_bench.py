"""Patrol lines at city scale, against random closed walks and top-edges loops.

On the synthetic city (:mod:`bench.city`, ~105k nodes) with 50,000 incidents:

- instance: incidents snapped with :func:`geo.snap.snap_incidents`, the night's demand per
  segment from :func:`planner.demand.build_demand` (slots 20-04 summed, 150 m kernel); starts
  are the 22 posts of :func:`bench.city.make_posts` plus 168 control-point-like nodes (the
  highest-demand nodes, at least ``--spacing-m`` apart), which are also passed as control
  points;
- ours: :func:`planner.patrol_lines.design_lines` for 238 lines of 3-8 km, greedy only and
  greedy + local search within ``--time-limit``;
- baselines, on the lines built: :func:`~planner.patrol_lines.random_walk_baseline` (random
  closed walks of the same lengths from the same starts) and
  :func:`~planner.patrol_lines.top_edges_baseline` (loops through as many top-demand segments
  near the start as the line collects, nearest first).

One measure for all three: per route, the demand of the segments it runs on (each once, in
full) per km of that route; the table compares means over the lines. Each route is scored on
its own, so a route keeps the demand of streets other routes also run on: the baselines'
routes overlap freely, ours are asked not to, and the overlap share of all three route sets
is printed. "All lines together" counts every segment once over the whole set (overlap
earns nothing twice). Random walks match the lines' lengths; top-edges loops do not (they
take as long as visiting their segments takes), so their mean length is printed too.

Stage lines go to stderr, the table to stdout, every figure to ``bench/results/lines.json``.
Hook into ``bench/__main__.py`` with :func:`add_parser` (subcommand ``lines``).
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from bench.city import make_posts, stage
from bench.common import (
    Row,
    add_city_options,
    load_city_network,
    night_demand,
    result_header,
    rows_table,
    write_result,
)
from geo.graph import Network
from geo.snap import snap_posts
from planner.patrol_lines import (
    DEFAULT_OVERLAP_PENALTY,
    LinesResult,
    design_lines,
    random_walk_baseline,
    top_edges_baseline,
    union_demand_per_km,
)

TARGET_TOTAL_S = 10.0
TARGET_VS_RANDOM = 3.0
TARGET_VS_TOP = 1.0
DEFAULT_OUT = Path("bench/results/lines.json")


def spaced_hot_nodes(
    net: Network, seg_demand: np.ndarray, n: int, *, spacing_m: float
) -> np.ndarray:
    """The ``n`` highest-demand nodes (demand of the segments touching them), greedily kept
    at least ``spacing_m`` apart (straight line): control-point-like starts."""
    node_demand = np.zeros(net.n_nodes)
    np.add.at(node_demand, net.seg_u, seg_demand)
    np.add.at(node_demand, net.seg_v, seg_demand)
    tree = net.node_tree
    blocked = np.zeros(net.n_nodes, dtype=bool)
    chosen: list[int] = []
    for i in np.argsort(-node_demand, kind="stable"):
        if blocked[i] or node_demand[i] <= 0:
            continue
        chosen.append(int(i))
        blocked[tree.query_ball_point([net.x[i], net.y[i]], spacing_m)] = True
        if len(chosen) == n:
            break
    return np.array(chosen, dtype=np.int64)


def overlap_share(net: Network, routes: list[np.ndarray]) -> float:
    """Share of the routes' total length on segments that two or more of them run on (the
    measure of :class:`~planner.patrol_lines.LinesResult`, for baseline routes too)."""
    count = np.zeros(net.n_segments, dtype=np.int64)
    for r in routes:
        count[np.unique(net.edge_segment[r])] += 1
    edges = np.concatenate(routes)
    total = float(net.edge_length_m[edges].sum())
    shared = float(net.edge_length_m[edges[count[net.edge_segment[edges]] > 1]].sum())
    return shared / total if total > 0 else 0.0


def _summary(res: LinesResult) -> dict[str, Any]:
    lengths = np.array([ln.length_m for ln in res.lines])
    return {
        "lines": len(res.lines),
        "seconds": res.seconds,
        "demand_per_km": res.demand_per_km,
        "mean_line_demand_per_km": float(np.mean([ln.demand_per_km for ln in res.lines])),
        "total_demand": res.total_demand,
        "overlap_share": res.overlap_share,
        "length_m": {
            "min": float(lengths.min()),
            "median": float(np.median(lengths)),
            "max": float(lengths.max()),
            "total": float(lengths.sum()),
        },
        "lines_with_control_points": int(sum(len(ln.control_points) > 0 for ln in res.lines)),
        "notes": list(res.notes),
    }


def run(args: argparse.Namespace) -> int:
    """Build the instance, design the lines, run the baselines; returns the exit code."""
    rows: list[Row] = []
    timings: dict[str, float] = {}
    city = load_city_network(args)
    net = city.net
    timings["city"] = city.city_s
    timings["compile_network"] = city.compile_s
    nd = night_demand(net, incidents=args.incidents, seed=args.seed, bandwidth_m=args.bandwidth_m)
    demand = nd.demand
    timings["snap_incidents"] = nd.snap_s
    timings["build_demand"] = nd.demand_s
    d = np.asarray(demand.night, dtype=np.float64)
    with stage(f"starts: {args.posts} posts + {args.control_points} spaced hot nodes"):
        posts = snap_posts(make_posts(net, args.posts, seed=args.seed), net)
        post_nodes = posts["node"].to_numpy(dtype=np.int64)
        hot = spaced_hot_nodes(net, d, args.control_points, spacing_m=args.spacing_m)
        starts = np.concatenate([post_nodes, hot])
    n, lo, hi = args.count, args.min_m, args.max_m
    common = {
        "count": n,
        "min_m": lo,
        "max_m": hi,
        "control_nodes": hot,
        "seed": args.seed,
        "overlap_penalty": args.overlap_penalty,
        "stop_early": args.stop_early,
    }
    with stage(f"design_lines, greedy only ({n} lines, {lo:g}-{hi:g} m)"):
        c0 = time.process_time()
        greedy = design_lines(net, d, starts, improve=False, **common)
        timings["design_lines_greedy_cpu"] = time.process_time() - c0
    with stage(f"design_lines, greedy + local search (time limit {args.time_limit:g} s)"):
        c0 = time.process_time()
        ours = design_lines(net, d, starts, improve=True, time_limit_s=args.time_limit, **common)
        timings["design_lines_cpu"] = time.process_time() - c0
    with stage(f"baseline: random closed walks ({args.walks} per line)"):
        t0 = time.perf_counter()
        rw_routes: list[np.ndarray] = []
        rw = random_walk_baseline(
            net, d, ours.lines, seed=args.seed, walks=args.walks, routes=rw_routes
        )
        timings["random_walk_baseline"] = time.perf_counter() - t0
    with stage("baseline: top-edges loops"):
        t0 = time.perf_counter()
        top_routes: list[np.ndarray] = []
        top = top_edges_baseline(net, d, ours.lines, routes=top_routes)
        timings["top_edges_baseline"] = time.perf_counter() - t0
    per_line = np.array([ln.demand_per_km for ln in ours.lines])
    per_line_g = np.array([ln.demand_per_km for ln in greedy.lines])
    vs_rw = per_line.mean() / rw.mean() if rw.mean() > 0 else float("inf")
    vs_top = per_line.mean() / top.mean() if top.mean() > 0 else float("inf")

    rows.append(
        Row(
            f"time: design_lines, greedy + local search ({n} lines)",
            f"{ours.seconds:.2f} s",
            target=f"< {TARGET_TOTAL_S:g} s",
            passed=ours.seconds < TARGET_TOTAL_S,
            note=f"CPU {timings['design_lines_cpu']:.1f} s (the rest: other work on the "
            "machine); " + "; ".join(ours.notes),
        )
    )
    rows.append(
        Row(
            "time: design_lines, greedy only",
            f"{greedy.seconds:.2f} s",
            target=f"< {TARGET_TOTAL_S:g} s",
            passed=greedy.seconds < TARGET_TOTAL_S,
            note=f"CPU {timings['design_lines_greedy_cpu']:.1f} s",
        )
    )
    rows.append(
        Row(
            "lines built / requested",
            f"{len(ours.lines)} / {n}",
            target="all",
            passed=len(ours.lines) == n,
        )
    )
    rows.append(
        Row(
            "demand/km (mean over lines) vs random closed walks",
            f"{per_line.mean():,.2f}",
            f"{rw.mean():,.2f}",
            f"{vs_rw:.2f}x",
            f">= {TARGET_VS_RANDOM:g}x",
            vs_rw >= TARGET_VS_RANDOM,
            note=f"per line: median ratio {np.median(per_line / np.maximum(rw, 1e-12)):.2f}x, "
            f"lowest {np.min(per_line / np.maximum(rw, 1e-12)):.2f}x",
        )
    )
    rows.append(
        Row(
            "demand/km (mean over lines) vs top-edges loops",
            f"{per_line.mean():,.2f}",
            f"{top.mean():,.2f}",
            f"{vs_top:.2f}x",
            f"> {TARGET_VS_TOP:g}x",
            vs_top > TARGET_VS_TOP,
            note=f"lines beating their top-edges loop: {int((per_line > top).sum())} of {len(top)}",
        )
    )
    u_ours = union_demand_per_km(net, d, [ln.edges for ln in ours.lines])
    u_rw = union_demand_per_km(net, d, rw_routes)
    u_top = union_demand_per_km(net, d, top_routes)
    rows.append(
        Row(
            "all lines together (each segment once) vs random walks",
            f"{u_ours:,.2f}",
            f"{u_rw:,.2f}",
            f"{u_ours / u_rw:.2f}x" if u_rw > 0 else "-",
            note="demand of the union of the routes per km of all routes; one walk per line",
        )
    )
    rows.append(
        Row(
            "all lines together (each segment once) vs top-edges loops",
            f"{u_ours:,.2f}",
            f"{u_top:,.2f}",
            f"{u_ours / u_top:.2f}x" if u_top > 0 else "-",
        )
    )
    rows.append(
        Row(
            "demand/km greedy only (mean over lines)",
            f"{per_line_g.mean():,.2f}",
            ratio=f"{per_line.mean() / per_line_g.mean():.3f} (search / greedy)",
        )
    )
    ov_rw, ov_top = overlap_share(net, rw_routes), overlap_share(net, top_routes)
    km_ours = np.mean([ln.length_m for ln in ours.lines]) / 1000.0
    km_top = np.mean([float(net.edge_length_m[r].sum()) for r in top_routes]) / 1000.0
    rows.append(
        Row(
            "overlap share (length on segments used by 2+ lines)",
            f"{ours.overlap_share:.1%}",
            note=f"greedy only {greedy.overlap_share:.1%}; overlap penalty {args.overlap_penalty:g}; "
            f"the baselines' routes: random walks {ov_rw:.1%}, top-edges loops {ov_top:.1%}",
        )
    )
    rows.append(
        Row(
            "mean length, km (ours; top-edges loops)",
            f"{km_ours:.2f}",
            f"{km_top:.2f}",
            note="random walks have the lines' lengths; top-edges loops go through as many "
            "top segments as the line collects, however long that takes",
        )
    )
    rows.append(
        Row(
            "demand collected by all lines (each segment once) / total",
            f"{ours.total_demand:,.1f} / {d.sum():,.1f}",
            ratio=f"{ours.total_demand / d.sum():.1%}",
        )
    )
    print(rows_table(rows))
    print(
        f"\ninstance: {net.n_nodes:,} nodes, {net.n_segments:,} segments, "
        f"{int((d > 0).sum()):,} with demand; {len(starts)} starts ({len(post_nodes)} posts, "
        f"{len(hot)} hot nodes); city {timings['city']:.1f} s, compile "
        f"{timings['compile_network']:.1f} s, build_demand {timings['build_demand']:.2f} s"
    )
    result = {
        **result_header("lines", ("numpy", "scipy", "networkx", "geopandas")),
        "parameters": {
            "rows": args.rows,
            "cols": args.cols,
            "spacing": args.spacing,
            "seed": args.seed,
            "incidents": args.incidents,
            "bandwidth_m": args.bandwidth_m,
            "posts": args.posts,
            "control_points": args.control_points,
            "spacing_m": args.spacing_m,
            "count": n,
            "min_m": lo,
            "max_m": hi,
            "time_limit_s": args.time_limit,
            "overlap_penalty": args.overlap_penalty,
            "stop_early": args.stop_early,
            "walks": args.walks,
            "city_from_cache": city.from_cache,
        },
        "network": {"nodes": net.n_nodes, "segments": net.n_segments},
        "rows": [asdict(r) for r in rows],
        "timings_s": timings,
        "ours": _summary(ours),
        "greedy_only": _summary(greedy),
        "baselines": {
            "random_walk_demand_per_km_mean": float(rw.mean()),
            "top_edges_demand_per_km_mean": float(top.mean()),
            "ratio_vs_random": float(vs_rw),
            "ratio_vs_top_edges": float(vs_top),
            "union_demand_per_km": {"ours": u_ours, "random_walk": u_rw, "top_edges": u_top},
            "overlap_share": {
                "ours": ours.overlap_share,
                "random_walk": ov_rw,
                "top_edges": ov_top,
            },
            "mean_length_km": {"ours": km_ours, "top_edges": km_top},
        },
        "all_passed": all(r.passed for r in rows if r.passed is not None),
    }
    out = write_result(args.out, result)
    print(f"\nwritten: {out}")
    return 1 if args.strict and not result["all_passed"] else 0


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the ``lines`` subcommand to ``python -m bench``."""
    p = sub.add_parser(
        "lines",
        help="patrol lines (greedy + local search) vs random closed walks and top-edges loops",
        description=(
            "Patrol lines: planner.patrol_lines.design_lines for 238 closed lines of 3-8 km "
            "from 22 posts and 168 spaced hot nodes on the synthetic city with 50,000 "
            "incidents (night demand), timed, against random closed walks of the same lengths "
            "and loops through the top-demand segments."
        ),
    )
    add_city_options(p)
    g = p.add_argument_group("workload")
    g.add_argument(
        "--incidents", type=int, default=50_000, help="number of incidents (default 50000)"
    )
    g.add_argument(
        "--bandwidth-m", type=float, default=150.0, help="demand kernel bandwidth (default 150)"
    )
    g.add_argument("--posts", type=int, default=22, help="posts (default 22)")
    g.add_argument("--control-points", type=int, default=168, help="hot-node starts (default 168)")
    g.add_argument(
        "--spacing-m", type=float, default=400.0, help="least distance between hot nodes (400)"
    )
    g.add_argument("--count", type=int, default=238, help="lines to design (default 238)")
    g.add_argument("--min-m", type=float, default=3000.0, help="shortest line, m (3000)")
    g.add_argument("--max-m", type=float, default=8000.0, help="longest line, m (8000)")
    g.add_argument(
        "--time-limit", type=float, default=9.0, help="time limit of design_lines, s (9)"
    )
    g.add_argument(
        "--walks",
        type=int,
        default=20,
        help="random walks per line (default 20: with 5 the ratio moved by +-3%% between seeds)",
    )
    g.add_argument(
        "--overlap-penalty",
        type=float,
        default=DEFAULT_OVERLAP_PENALTY,
        help=f"demand share lost on segments an earlier line collects ({DEFAULT_OVERLAP_PENALTY})",
    )
    g.add_argument(
        "--stop-early", action="store_true", help="design_lines(stop_early=True): denser lines"
    )
    g.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"JSON file ({DEFAULT_OUT})")
    g.add_argument("--strict", action="store_true", help="exit 1 if a target is missed")
    p.set_defaults(func=run)
    return p


def main(argv: list[str] | None = None) -> int:
    """Run on its own: ``python -m bench.lines_bench [options]``."""
    parser = argparse.ArgumentParser(prog="python -m bench.lines_bench")
    add_parser(parser.add_subparsers(dest="command", required=False))
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] != "lines":
        argv = ["lines", *argv]
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
