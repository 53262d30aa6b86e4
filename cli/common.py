"""What the commands share: their common options (the runs themselves live in pipeline/)."""

from __future__ import annotations

import argparse
import sys


def add_network_args(p: argparse.ArgumentParser, *, required: bool = True) -> None:
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


def add_points_args(p: argparse.ArgumentParser) -> None:
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


def thresholds_arg(text: str) -> list[float]:
    try:
        return [float(x) for x in text.split(",") if x.strip()]
    except ValueError:
        msg = f"--thresholds: expected minutes separated by commas, e.g. 1,3,5; got {text!r}"
        raise argparse.ArgumentTypeError(msg) from None


def add_night_options(p: argparse.ArgumentParser) -> None:
    """Options of the night's demand and of the solvers, shared by points, lines and plan."""
    p.add_argument(
        "--slots", default="20-04", help="night window (cut hourly) or slot list, e.g. 20-22,22-02"
    )
    p.add_argument("--bandwidth-m", type=float, default=150.0, help="network kernel (m)")
    p.add_argument("--half-life-days", type=float, help="recency decay of incident weight")
    p.add_argument(
        "--time-limit-s", type=float, default=5.0, help="time for each solver's local search"
    )
    p.add_argument("--seed", type=int, default=0, help="seed of random choices and baselines")


def silence_highs_banner() -> None:
    """HiGHS prints a copyright banner to the process's stdout the first time a solver is
    made; make that first one with stdout pointed elsewhere, so tables stay clean."""
    import os

    import highspy

    sys.stdout.flush()
    saved = os.dup(1)
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, 1)
        highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(null)
