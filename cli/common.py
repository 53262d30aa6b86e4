"""What the commands share: stage lines, common options, and the inputs read once per run."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from functools import cached_property
from typing import Any


class Stages:
    """Stage lines on stderr: ``[2] snapping incidents ... 0.4 s``."""

    def __init__(self, *, quiet: bool = False) -> None:
        self.done = 0
        self.quiet = quiet

    def run(self, label: str, fn: Callable[[], Any]) -> Any:
        self.done += 1
        if not self.quiet:
            print(f"[{self.done}] {label} ...", end="", file=sys.stderr, flush=True)
        t = time.perf_counter()
        result = fn()
        if not self.quiet:
            print(f" {time.perf_counter() - t:.2f} s", file=sys.stderr, flush=True)
        return result

    def note(self, text: str) -> None:
        if not self.quiet:
            print(f"      {text}", file=sys.stderr, flush=True)


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


def read_points(args: argparse.Namespace, path: str, *, kind: str) -> Any:
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


def staffing_arg(text: str | None, n_slots: int, count: int) -> list[int] | None:
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


class Workspace:
    """The inputs of one command, each read, loaded, compiled or snapped once however many
    stages use it: the profile, the network of each mode, posts and incidents."""

    def __init__(self, args: argparse.Namespace, stages: Stages) -> None:
        self.args = args
        self.stages = stages
        self._networks: dict[str, Any] = {}
        self._incidents: dict[str, Any] = {}
        self._posts: dict[str, Any] = {}

    @cached_property
    def profile(self) -> Any:
        from geo.travel_time import load_profile

        return load_profile(self.args.profile) if self.args.profile else load_profile()

    @cached_property
    def incidents(self) -> Any:
        """LoadedPoints of ``--incidents``, or None."""
        if not getattr(self.args, "incidents", None):
            return None
        loaded = self.stages.run(
            "reading incidents",
            lambda: read_points(self.args, self.args.incidents, kind="incidents"),
        )
        for n in loaded.notes:
            self.stages.note(n)
        return loaded

    @cached_property
    def posts(self) -> Any:
        """LoadedPoints of ``--posts``, or None."""
        if not getattr(self.args, "posts", None):
            return None
        loaded = self.stages.run(
            "reading posts", lambda: read_points(self.args, self.args.posts, kind="posts")
        )
        for n in loaded.notes:
            self.stages.note(n)
        return loaded

    def network(self, mode: str) -> tuple[Any, Any]:
        """(LoadedNetwork, compiled Network) of ``mode``."""
        if mode not in self._networks:
            from geo.graph import compile_network
            from geo.network import load_network

            a = self.args
            loaded = self.stages.run(
                f"loading the {mode} network",
                lambda: load_network(a.network, mode=mode, profile=self.profile, online=a.online),
            )
            self.stages.note(loaded.report.summary())
            net = self.stages.run("compiling network", lambda: compile_network(loaded.graph))
            self._networks[mode] = (loaded, net)
        return self._networks[mode]

    def snapped_incidents(self, mode: str) -> Any:
        """Incidents snapped to the ``mode`` network, or None."""
        if self.incidents is None:
            return None
        if mode not in self._incidents:
            from geo.snap import snap_incidents

            _, net = self.network(mode)
            frame, report = self.stages.run(
                "snapping incidents",
                lambda: snap_incidents(self.incidents.frame, net, max_snap_m=self.args.max_snap_m),
            )
            self.stages.note(report.summary("incidents"))
            self._incidents[mode] = frame
        return self._incidents[mode]

    def snapped_posts(self, mode: str) -> Any:
        """Posts snapped to the ``mode`` network, or None."""
        if self.posts is None:
            return None
        if mode not in self._posts:
            from geo.snap import snap_posts

            _, net = self.network(mode)
            self._posts[mode] = self.stages.run(
                "snapping posts",
                lambda: snap_posts(self.posts.frame, net, max_snap_m=self.args.max_snap_m),
            )
        return self._posts[mode]
