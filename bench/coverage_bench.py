"""Coverage at city scale, side by side with the baselines, in one run.

Measures on the synthetic city (:mod:`bench.city`, ~105k nodes, 22 posts, 100,000 incidents):

- coverage: :func:`planner.coverage.compute_coverage` for the posts (bounded multi-source
  Dijkstra + segment reach for 1/3/5 min), without and with the incidents, and
  :func:`planner.coverage.node_times` alone; baseline networkx
  ``multi_source_dijkstra_path_length(G, posts, cutoff=300, weight="travel_time")`` on the
  same graph; node times must agree to 1e-6 s on the same set of reached nodes;
- snapping: :func:`geo.snap.snap_incidents` (cold, including the spatial index, and warm);
  baseline osmnx ``ox.distance.nearest_edges`` on the same points (in a forked child, given up
  after a time limit);
- :func:`geo.graph.compile_network`; peak memory.

Results go to a table on stdout and to ``bench/results/coverage.json``.
"""

from __future__ import annotations

import argparse
import gc
import multiprocessing as mp
import resource
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np

from bench.city import make_incidents, make_posts, stage
from bench.common import format_table, load_city_network, pass_fail, result_header, write_result
from geo.snap import snap_incidents, snap_posts
from planner.coverage import compute_coverage, node_times, segment_reach

THRESHOLDS_MIN = (1, 3, 5)
CUTOFF_S = 300.0
TARGET_COVERAGE_S = 0.1
TARGET_COVERAGE_SPEEDUP = 20.0
TARGET_SNAP_S = 5.0
TIME_AGREEMENT_S = 1e-6
DEFAULT_OUT = Path("bench/results/coverage.json")


@dataclass
class Row:
    """One line of the table."""

    what: str
    ours_s: float | None
    baseline_s: float | None = None
    baseline: str = ""
    target: str = ""
    passed: bool | None = None
    note: str = ""

    @property
    def ratio(self) -> float | None:
        if self.ours_s is None or self.baseline_s is None or self.ours_s <= 0:
            return None
        return self.baseline_s / self.ours_s


def timed(fn: Callable[[], Any], repeat: int) -> tuple[float, list[float], Any]:
    """Median seconds of ``repeat`` calls, all the times, and the last result."""
    times = []
    result = None
    for _ in range(repeat):
        gc.collect()
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), times, result


def _nearest_edges_child(conn: Any, G: nx.MultiDiGraph, xs: np.ndarray, ys: np.ndarray) -> None:
    import osmnx as ox

    t0 = time.perf_counter()
    edges = ox.distance.nearest_edges(G, xs, ys)
    conn.send((time.perf_counter() - t0, [tuple(map(int, e)) for e in edges]))
    conn.close()


def osmnx_nearest_edges(
    G: nx.MultiDiGraph, xs: np.ndarray, ys: np.ndarray, *, limit_s: float
) -> tuple[float | None, list[tuple[int, int, int]] | None]:
    """Run ``ox.distance.nearest_edges`` in a forked child (it shares the graph without
    copying); ``(None, None)`` if it does not finish within ``limit_s``."""
    try:
        ctx = mp.get_context("fork")
    except ValueError:  # no fork on this platform
        return None, None
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_nearest_edges_child, args=(child, G, xs, ys), daemon=True)
    proc.start()
    child.close()
    out = None
    if parent.poll(limit_s):
        try:
            out = parent.recv()
        except EOFError:
            out = None
    if proc.is_alive():
        proc.terminate()
    proc.join()
    return (None, None) if out is None else out


def _fmt(v: float | None, digits: int = 3) -> str:
    if v is None:
        return "-"
    if v >= 100:
        return f"{v:,.0f}"
    return f"{v:.{digits}f}" if v >= 0.001 else f"{v:.2e}"


def table(rows: list[Row]) -> str:
    head = ("what", "ours (s)", "baseline (s)", "ratio", "target", "pass/fail")
    body = [
        (
            r.what,
            _fmt(r.ours_s, 4),
            _fmt(r.baseline_s, 3) + (f" [{r.baseline}]" if r.baseline else ""),
            f"{r.ratio:.1f}x" if r.ratio is not None else "-",
            r.target or "-",
            pass_fail(r.passed),
        )
        for r in rows
    ]
    return format_table(head, body, [f"  {r.what}: {r.note}" for r in rows if r.note])


def run(args: argparse.Namespace) -> int:
    """Build or load the city and run every measurement; returns the exit code (1 if a target
    fails and ``--strict`` was given)."""
    repeat = int(args.repeat)
    rows: list[Row] = []
    extra: dict[str, Any] = {}

    city = load_city_network(args, keep_graph=True)
    net, G = city.net, city.graph
    extra["city_from_cache"] = city.from_cache
    extra["city_s"] = city.city_s
    compile_s = city.compile_s
    with stage(f"making {args.posts} posts and {args.incidents:,} incidents"):
        posts = make_posts(net, args.posts, seed=args.seed)
        incidents = make_incidents(net, args.incidents, seed=args.seed)
        sposts = snap_posts(posts, net)

    # (c) snapping: the first call builds the segment index (cached on the network)
    with stage("snapping incidents (cold, builds the spatial index)"):
        t0 = time.perf_counter()
        sinc, report = snap_incidents(incidents, net)
        snap_cold_s = time.perf_counter() - t0
    with stage(f"snapping incidents (warm, x{repeat})"):
        snap_warm_s, snap_times, _ = timed(lambda: snap_incidents(incidents, net), repeat)
    print(f"[bench] {report.summary('incidents')}", file=sys.stderr)

    nearest_s: float | None = None
    agree_share: float | None = None
    snap_note = ""
    if args.skip_osmnx:
        snap_note = "osmnx nearest_edges skipped (--skip-osmnx)"
    else:
        xs = incidents.geometry.x.to_numpy()
        ys = incidents.geometry.y.to_numpy()
        with stage(f"baseline: osmnx nearest_edges (limit {args.osmnx_limit:g} s)"):
            nearest_s, edges = osmnx_nearest_edges(G, xs, ys, limit_s=args.osmnx_limit)
        if nearest_s is None or edges is None:
            snap_note = f"osmnx nearest_edges skipped: not done within {args.osmnx_limit:g} s"
        else:
            index = {k: j for j, k in enumerate(net.edge_keys)}
            their_seg = net.edge_segment[np.array([index[e] for e in edges], dtype=np.int64)]
            same = their_seg == sinc["segment"].to_numpy()
            # a different segment at the same distance is a tie, not a disagreement
            pts = sinc.geometry.to_numpy()
            d_theirs = np.asarray(
                [pts[i].distance(net.seg_geometry[their_seg[i]]) for i in np.flatnonzero(~same)]
            )
            ties = int((np.abs(d_theirs - sinc["snap_distance_m"].to_numpy()[~same]) < 1e-6).sum())
            agree_share = float((same.sum() + ties) / len(same))
            snap_note = (
                f"osmnx nearest_edges time includes its graph_to_gdfs + index build; "
                f"same segment (or a tie at equal distance) for {agree_share:.2%} of points"
            )

    rows.append(
        Row(
            f"snap {args.incidents:,} incidents (cold, incl. index)",
            snap_cold_s,
            nearest_s,
            "osmnx nearest_edges" if nearest_s is not None else "",
            f"< {TARGET_SNAP_S:g} s",
            snap_cold_s < TARGET_SNAP_S,
            snap_note,
        )
    )
    rows.append(
        Row(
            f"snap {args.incidents:,} incidents (warm, median of {repeat})",
            snap_warm_s,
            nearest_s,
            "osmnx nearest_edges" if nearest_s is not None else "",
            f"< {TARGET_SNAP_S:g} s",
            snap_warm_s < TARGET_SNAP_S,
        )
    )

    # (a) coverage; the first call fills the network's cached arrays
    post_nodes = sposts["node"].to_numpy(dtype=np.int64)
    with stage("coverage: first call (fills cached segment arrays)"):
        t0 = time.perf_counter()
        compute_coverage(net, sposts, None, thresholds_min=THRESHOLDS_MIN)
        cov_first_s = time.perf_counter() - t0
    with stage(f"coverage and node times (x{repeat})"):
        nt_s, nt_times, (time_s, _) = timed(
            lambda: node_times(net, post_nodes, limit_s=CUTOFF_S), repeat
        )
        reach_s, reach_times, _ = timed(
            lambda: [segment_reach(net, time_s, limit_s=m * 60.0) for m in THRESHOLDS_MIN],
            repeat,
        )
        cov_s, cov_times, cov = timed(
            lambda: compute_coverage(net, sposts, None, thresholds_min=THRESHOLDS_MIN), repeat
        )
        covi_s, covi_times, covi = timed(
            lambda: compute_coverage(net, sposts, sinc, thresholds_min=THRESHOLDS_MIN), repeat
        )

    # (b) baseline: networkx on the same graph from the same nodes
    source_ids = [int(net.node_ids[i]) for i in np.unique(post_nodes)]
    with stage(f"baseline: networkx multi_source_dijkstra_path_length (x{repeat})"):
        nx_s, nx_times, nx_dist = timed(
            lambda: nx.multi_source_dijkstra_path_length(
                G, source_ids, cutoff=CUTOFF_S, weight="travel_time"
            ),
            repeat,
        )
    ours_reached = np.flatnonzero(np.isfinite(time_s) & (time_s <= CUTOFF_S))
    index = net.node_index
    nx_idx = np.fromiter((index[int(n)] for n in nx_dist), dtype=np.int64, count=len(nx_dist))
    nx_t = np.fromiter(nx_dist.values(), dtype=np.float64, count=len(nx_dist))
    same_set = np.array_equal(np.sort(nx_idx), ours_reached)
    max_diff = float(np.max(np.abs(time_s[nx_idx] - nx_t))) if len(nx_idx) else 0.0
    agree = same_set and max_diff < TIME_AGREEMENT_S
    agree_note = (
        f"{len(nx_idx):,} nodes reached by networkx, {len(ours_reached):,} by ours; "
        f"max |difference| {max_diff:.2e} s ({'agree' if agree else 'DISAGREE'})"
    )
    rows.insert(
        0,
        Row(
            f"coverage 1/3/5 min, {args.posts} posts (shortest paths + reach)",
            cov_s,
            nx_s,
            "networkx multi-source Dijkstra",
            f"< {TARGET_COVERAGE_S:g} s, >= {TARGET_COVERAGE_SPEEDUP:g}x",
            cov_s < TARGET_COVERAGE_S and nx_s / cov_s >= TARGET_COVERAGE_SPEEDUP,
            f"first call {cov_first_s:.3f} s (fills cached segment arrays)",
        ),
    )
    rows.insert(
        1,
        Row(
            "node_times alone (scipy Dijkstra, cut-off 300 s)",
            nt_s,
            nx_s,
            "networkx multi-source Dijkstra",
            f"agree < {TIME_AGREEMENT_S:g} s",
            agree,
            agree_note,
        ),
    )
    rows.insert(
        2,
        Row(
            f"segment_reach for {len(THRESHOLDS_MIN)} thresholds (part of coverage)",
            reach_s,
            note="every segment, every threshold; the rest of coverage is bookkeeping",
        ),
    )
    rows.insert(3, Row(f"coverage incl. {args.incidents:,} snapped incidents", covi_s))
    rows.append(Row("compile_network", compile_s, note="once; Python loop over the edges"))
    rows.append(
        Row(
            "load the cached city graph" if extra["city_from_cache"] else "build the city graph",
            extra["city_s"],
        )
    )

    # (e) memory
    with stage("tracemalloc peak of one coverage call with incidents"):
        tracemalloc.start()
        compute_coverage(net, sposts, sinc, thresholds_min=THRESHOLDS_MIN)
        _, trace_peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    maxrss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux

    print(table(rows))
    print(
        f"\npeak memory: process max RSS {maxrss_mb:,.0f} MB; tracemalloc peak of one coverage "
        f"call with incidents {trace_peak / 2**20:,.1f} MB"
    )
    cov_rows = [
        {"minutes": t.minutes, "road_share": t.road_share, "incident_share": t.incident_share}
        for t in covi.thresholds
    ]
    print(
        "coverage figures: "
        + "; ".join(
            f"{r['minutes']:g} min: road {r['road_share']:.1%}, incidents {r['incident_share']:.1%}"
            for r in cov_rows
        )
    )

    result = {
        **result_header(
            "coverage", ("numpy", "scipy", "networkx", "osmnx", "shapely", "geopandas")
        ),
        "parameters": {
            "rows": args.rows,
            "cols": args.cols,
            "spacing_m": args.spacing,
            "seed": args.seed,
            "posts": args.posts,
            "incidents": args.incidents,
            "thresholds_min": list(THRESHOLDS_MIN),
            "cutoff_s": CUTOFF_S,
            "repeat": repeat,
        },
        "network": {
            "nodes": net.n_nodes,
            "edges": net.n_edges,
            "segments": net.n_segments,
            "road_km": net.road_length_m / 1000.0,
            "report": G.graph.get("report"),
        },
        "rows": [{**asdict(r), "ratio": r.ratio} for r in rows],
        "timings_s": {
            "node_times": nt_times,
            "coverage_posts": cov_times,
            "segment_reach_all_thresholds": reach_times,
            "coverage_posts_first_call": cov_first_s,
            "coverage_with_incidents": covi_times,
            "networkx": nx_times,
            "snap_cold": snap_cold_s,
            "snap_warm": snap_times,
            "osmnx_nearest_edges": nearest_s,
            "compile_network": compile_s,
            "city": extra["city_s"],
            "city_from_cache": extra["city_from_cache"],
        },
        "agreement": {
            "same_reached_set": bool(same_set),
            "max_abs_diff_s": max_diff,
            "reached_nodes": len(ours_reached),
            "nearest_edges_agree_share": agree_share,
        },
        "snap_report": asdict(report),
        "coverage": cov_rows,
        "coverage_posts_only_road_share": [t.road_share for t in cov.thresholds],
        "memory": {"max_rss_mb": maxrss_mb, "tracemalloc_coverage_peak_mb": trace_peak / 2**20},
        "all_passed": all(r.passed for r in rows if r.passed is not None),
    }
    out = write_result(args.out, result)
    print(f"\nwritten: {out}")
    return 1 if args.strict and not result["all_passed"] else 0
