"""``patrol coverage``: 1/3/5-minute response coverage from the posts, and blind spots."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from cli.common import Stages, Workspace, add_network_args, add_points_args, thresholds_arg


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


def run(args: argparse.Namespace, stages: Stages, ws: Workspace, *, mode: str) -> Any:
    """The coverage stage on the ``mode`` network; writes its files, returns the result."""
    from geo.errors import InputError
    from geo.export import geojson_text, json_text, write_files
    from planner.coverage import check_thresholds, compute_coverage
    from planner.zones import blind_spots, isochrones, road_bands

    thresholds = check_thresholds(args.thresholds)
    if ws.posts is None:
        msg = "coverage needs posts (--posts)"
        raise InputError(msg)
    loaded, net = ws.network(mode)
    sposts = ws.snapped_posts(mode)
    sinc = ws.snapped_incidents(mode)
    result = stages.run(
        "computing coverage",
        lambda: compute_coverage(net, sposts, sinc, thresholds_min=thresholds),
    )
    zones = stages.run(
        "blind spots, isochrones and road bands",
        lambda: (blind_spots(net, result, sinc), isochrones(net, result), road_bands(net, result)),
    )
    post_frame = sposts[["id", "name", "node_id", "geometry"]].copy()
    for i, t in enumerate(result.thresholds):
        post_frame[f"road_km_{t.minutes:g}min"] = [p.road_km[i] for p in result.posts]
        post_frame[f"incidents_{t.minutes:g}min"] = [p.incidents[i] for p in result.posts]
    report = loaded.report
    doc = result.to_dict()
    doc["network"] = {
        "source": report.source,
        "mode": report.mode,
        "crs": report.crs,
        "nodes": report.nodes,
        "edges": report.edges,
        "nodes_dropped": report.nodes_dropped,
        "edges_dropped": report.edges_dropped,
    }
    doc["profile"] = ws.profile.to_dict()
    doc["inputs"] = {
        "posts": args.posts,
        "incidents": args.incidents,
        "notes": list(ws.posts.notes) + (list(ws.incidents.notes) if ws.incidents else []),
    }
    doc["blind_spots"] = len(zones[0])
    stages.run(
        "writing coverage",
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


def cmd(args: argparse.Namespace) -> int:
    stages = Stages(quiet=args.quiet)
    result = run(args, stages, Workspace(args, stages), mode=args.mode)
    print_table(result)
    print(f"wrote {Path(args.out) / 'coverage.json'}, blind_spots.geojson, isochrones.geojson")
    return 0
