"""``patrol coverage``: 1/3/5-minute response coverage from the posts, and blind spots."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from cli.common import add_network_args, add_points_args, thresholds_arg
from pipeline.job import Job
from pipeline.stages import Stages
from pipeline.workspace import Workspace


def add_options(p: argparse.ArgumentParser) -> None:
    """The coverage options (also taken by ``patrol plan``)."""
    p.add_argument(
        "--thresholds",
        type=thresholds_arg,
        default=[1.0, 3.0, 5.0],
        metavar="MIN,MIN,...",
        help="response times in minutes (default 1,3,5)",
    )


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "coverage",
        help="1/3/5-minute response coverage from posts, and blind spots",
        description="Network travel time from all posts at once: road length and incidents "
        "reached within each threshold, per post, blind-spot zones and isochrones. Writes "
        "coverage.json, blind_spots.geojson, isochrones.geojson, road_minutes.geojson and "
        "posts.geojson (EPSG:4326) to --out.",
    )
    add_network_args(p)
    p.add_argument("--posts", required=True, metavar="FILE", help="posts (CSV/GeoJSON/...)")
    p.add_argument("--incidents", metavar="FILE", help="incidents (CSV/GeoJSON/...)")
    add_options(p)
    p.add_argument("--out", required=True, metavar="DIR", help="output folder")
    add_points_args(p)
    p.set_defaults(func=cmd)


def print_table(result: Any, *, out: Any = None) -> None:
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


def cmd(args: argparse.Namespace) -> int:
    from pipeline.coverage import run

    job = Job.from_args(args)
    stages = Stages(quiet=args.quiet)
    result = run(job, stages, Workspace(job, stages), mode=job.mode)
    print_table(result)
    print(f"wrote {Path(args.out) / 'coverage.json'}, blind_spots.geojson, isochrones.geojson")
    return 0
