"""What every benchmark shares: loading the city network, the result table, versions."""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import geopandas as gpd
import networkx as nx

from bench.city import cache_key, load_city, make_incidents, stage
from geo.graph import Network, compile_network
from geo.snap import SnapReport, snap_incidents
from planner.demand import Demand, build_demand


def add_city_options(p: argparse.ArgumentParser) -> None:
    """The synthetic-city options every benchmark takes."""
    g = p.add_argument_group("synthetic city")
    g.add_argument("--rows", type=int, default=320, help="grid rows (default 320)")
    g.add_argument("--cols", type=int, default=320, help="grid columns (default 320)")
    g.add_argument("--spacing", type=float, default=110.0, help="block size in m (default 110)")
    g.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    g.add_argument(
        "--no-cache", action="store_true", help="rebuild the city and do not write the cache"
    )
    g.add_argument(
        "--cache-dir",
        type=Path,
        default=Path("bench/.cache"),
        help="where the prepared city is pickled (default bench/.cache)",
    )


@dataclass(frozen=True)
class CityNetwork:
    """The compiled city and how long it took to get it."""

    net: Network
    graph: nx.MultiDiGraph | None  # kept only when asked for (it costs ~1 GB at full size)
    from_cache: bool
    city_s: float
    compile_s: float


def load_city_network(args: argparse.Namespace, *, keep_graph: bool = False) -> CityNetwork:
    """Build or load the synthetic city of ``args`` (rows, cols, spacing, seed, cache) and
    compile it; the graph itself is dropped once compiled unless ``keep_graph``."""
    params = {"rows": args.rows, "cols": args.cols, "spacing_m": args.spacing, "seed": args.seed}
    from_cache = not args.no_cache and (Path(args.cache_dir) / cache_key(**params)).exists()
    t0 = time.perf_counter()
    G = load_city(Path(args.cache_dir), use_cache=not args.no_cache, **params)
    city_s = time.perf_counter() - t0
    with stage("compile_network"):
        t0 = time.perf_counter()
        net = compile_network(G)
        compile_s = time.perf_counter() - t0
    print(
        f"[bench] network: {net.n_nodes:,} nodes, {net.n_edges:,} edges, "
        f"{net.n_segments:,} segments, {net.road_length_m / 1000:,.0f} km of road",
        file=sys.stderr,
    )
    return CityNetwork(
        net=net,
        graph=G if keep_graph else None,
        from_cache=from_cache,
        city_s=city_s,
        compile_s=compile_s,
    )


@dataclass(frozen=True)
class NightDemand:
    """Synthetic incidents snapped to the city, and their night demand per segment."""

    snapped: gpd.GeoDataFrame
    report: SnapReport
    demand: Demand
    snap_s: float
    demand_s: float


def night_demand(net: Network, *, incidents: int, seed: int, bandwidth_m: float) -> NightDemand:
    """Make ``incidents`` synthetic incidents, snap them and build the 20-04 demand."""
    with stage(f"making and snapping {incidents:,} incidents"):
        frame = make_incidents(net, incidents, seed=seed)
        t0 = time.perf_counter()
        snapped, report = snap_incidents(frame, net)
        snap_s = time.perf_counter() - t0
    with stage(f"build_demand (slots 20-04, bandwidth {bandwidth_m:g} m)"):
        t0 = time.perf_counter()
        demand = build_demand(net, snapped, slots="20-04", bandwidth_m=bandwidth_m)
        demand_s = time.perf_counter() - t0
    return NightDemand(
        snapped=snapped, report=report, demand=demand, snap_s=snap_s, demand_s=demand_s
    )


@dataclass
class Row:
    """One line of a result table: cells as printed, figures kept for the JSON."""

    what: str
    ours: str
    baseline: str = "-"
    ratio: str = "-"
    target: str = "-"
    passed: bool | None = None
    note: str = ""


def rows_table(rows: list[Row]) -> str:
    """The standard table of :class:`Row` lines, notes after it."""
    head = ("what", "ours", "baseline", "ratio", "target", "pass/fail")
    body = [(r.what, r.ours, r.baseline, r.ratio, r.target, pass_fail(r.passed)) for r in rows]
    return format_table(head, body, [f"  {r.what}: {r.note}" for r in rows if r.note])


def pass_fail(passed: bool | None) -> str:
    return "-" if passed is None else ("PASS" if passed else "FAIL")


def format_table(
    head: Sequence[str], body: Iterable[Sequence[str]], notes: Iterable[str] = ()
) -> str:
    """A plain left-aligned table, then the notes."""
    body = [tuple(str(c) for c in row) for row in body]
    widths = [max(len(str(x)) for x in col) for col in zip(head, *body, strict=True)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(head, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in body]
    notes = list(notes)
    if notes:
        lines += ["", "notes:", *notes]
    return "\n".join(lines)


def versions(packages: Sequence[str]) -> dict[str, str]:
    """Python's and the given packages' versions ("?" where not installed)."""
    out = {"python": platform.python_version()}
    for pkg in packages:
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = "?"
    return out


def result_header(name: str, packages: Sequence[str]) -> dict[str, object]:
    """The opening fields of every results file: which benchmark, when, on what."""
    import os

    return {
        "benchmark": name,
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
        "versions": versions(packages),
    }


def write_result(
    path: str | Path, result: dict[str, object], *, default: Callable[[object], object] = float
) -> Path:
    """Write a benchmark's results file (indented JSON; ``default`` turns what JSON does not
    know, numpy scalars by default, into what it does), making its folder; returns its path."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2, default=default) + "\n", encoding="utf-8")
    return out
