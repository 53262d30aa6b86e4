"""``patrol points``: night control points over the hot spots, tidal slot by slot."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from cli.common import add_network_args, add_night_options, add_points_args
from pipeline.job import Job
from pipeline.stages import Stages
from pipeline.workspace import Workspace


def add_options(
    p: argparse.ArgumentParser, *, count_flag: str = "--count", shared: bool = True
) -> None:
    """The control-point options; ``patrol plan`` names the count ``--points`` and adds the
    options it shares with lines (``shared``) only once."""
    p.add_argument(
        count_flag, dest="count", type=int, required=True, metavar="N", help="control points"
    )
    p.add_argument(
        "--spacing-m", type=float, required=True, metavar="M", help="least distance between two"
    )
    cover = p.add_mutually_exclusive_group(required=True)
    cover.add_argument("--cover-m", type=float, metavar="M", help="cover radius, walking metres")
    cover.add_argument("--cover-min", type=float, metavar="T", help="cover radius, minutes")
    if shared:
        add_night_options(p)
    p.add_argument(
        "--staffing",
        metavar="K[,K...]",
        help="points staffed per slot: one number for all, or one per slot (default: N)",
    )
    p.add_argument("--test-weeks", type=float, default=4.0, help="weeks held out to test")
    p.add_argument(
        "--exact-limit-s", type=float, default=30.0, help="time for the HiGHS MILP (0: skip)"
    )


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "points",
        help="night control points over the hot spots, tidal slot by slot",
        description="Maximal covering location of N control points on the network with a "
        "minimum spacing, staffed slot by slot through the night; the quality is reported "
        "(objective, bound, gap to the HiGHS optimum) and the plan is back-tested on the last "
        "weeks against a planar KDE grid and random sites. Writes control_points.geojson and "
        "points.json to --out.",
    )
    add_network_args(p)
    p.add_argument("--incidents", required=True, metavar="FILE", help="incidents file")
    p.add_argument("--posts", metavar="FILE", help="posts: what they cover counts as covered")
    add_options(p)
    p.add_argument("--out", required=True, metavar="DIR", help="output folder")
    add_points_args(p)
    p.set_defaults(func=cmd)


def print_summary(summary: dict[str, Any]) -> None:
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


def cmd(args: argparse.Namespace) -> int:
    from pipeline.points import run

    job = Job.from_args(args)
    stages = Stages(quiet=args.quiet)
    summary, _ = run(job, stages, Workspace(job, stages), mode=job.mode)
    print_summary(summary)
    print(f"wrote {Path(args.out) / 'control_points.geojson'} and points.json")
    return 0
