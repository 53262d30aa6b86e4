"""``patrol lines``: patrol lines on the road network, slot by slot, points and lines combined."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from cli.common import add_network_args, add_night_options, add_points_args
from pipeline.job import Job
from pipeline.stages import Stages
from pipeline.workspace import Workspace
from planner.patrol_lines import DEFAULT_OVERLAP_PENALTY


def add_options(
    p: argparse.ArgumentParser,
    *,
    count_flag: str = "--count",
    dest: str = "count",
    shared: bool = True,
) -> None:
    """The patrol-line options; ``patrol plan`` names the count ``--lines``."""
    p.add_argument(count_flag, dest=dest, type=int, required=True, metavar="M",
                   help="patrol lines per slot")  # fmt: skip
    p.add_argument("--min-km", type=float, required=True, help="shortest line (km)")
    p.add_argument("--max-km", type=float, required=True, help="longest line (km)")
    p.add_argument("--speed-kph", type=float, help="patrol speed (default: drive 25, walk 4.5)")
    p.add_argument(
        "--overlap-penalty",
        type=float,
        default=DEFAULT_OVERLAP_PENALTY,
        help="how much lines of a slot avoid each other's streets: while building, a later "
        "line keeps 1 - P of a taken street's demand; the local search prices each shared metre "
        f"at 1 + P metres (default {DEFAULT_OVERLAP_PENALTY:g}); higher spreads lines out, "
        "lower packs them on hot streets",
    )
    if shared:
        add_night_options(p)


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "lines",
        help="patrol lines through the risk, starting at posts and control points",
        description="Closed patrol lines of bounded length on the directed network for each "
        "slot, collecting as much incident demand per km as possible, passing control points, "
        "overlapping little. Writes patrol_lines.geojson, lines.json (turn lists, stops, "
        "baselines) and gpx/<line>.gpx to --out.",
    )
    add_network_args(p)
    p.add_argument("--incidents", required=True, metavar="FILE", help="incidents file")
    p.add_argument("--posts", metavar="FILE", help="posts: lines may start there")
    p.add_argument(
        "--points",
        metavar="DIR_OR_FILE",
        help="control points (control_points.geojson or its folder): lines start and pass there",
    )
    add_options(p)
    p.add_argument("--out", required=True, metavar="DIR", help="output folder")
    add_points_args(p)
    p.set_defaults(func=cmd)


def print_summary(summary: dict[str, Any]) -> None:
    q = summary["quality"]
    lines = sum(s["lines"] for s in summary["slots"])
    print(
        f"{lines} patrol lines ({summary['mode']}, {summary['min_km']:g}-{summary['max_km']:g} km) "
        f"in {len(summary['slots'])} slots: {q['demand_per_km']:.1f} demand/km; random closed "
        f"walks {q['random_walks_demand_per_km']:.1f} ({q['vs_random_walks']:.1f}x), "
        f"top-edges loops {q['top_edges_loops_demand_per_km']:.1f} "
        f"({q['vs_top_edges_loops']:.2f}x)"
    )
    print("slot          lines  demand/km  overlap")
    for s in summary["slots"]:
        print(
            f"{s['slot']:<13} {s['lines']:>5}  {s['demand_per_km']:>9.1f}  "
            f"{100 * s['overlap_share']:>6.1f}%"
        )


def cmd(args: argparse.Namespace) -> int:
    from pipeline.lines import run

    job = Job.from_args(args)
    stages = Stages(quiet=args.quiet)
    summary, _ = run(job, stages, Workspace(job, stages), mode=job.mode)
    print_summary(summary)
    print(f"wrote {Path(args.out) / 'patrol_lines.geojson'}, lines.json and gpx/")
    return 0
