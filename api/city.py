"""The city the service answers for, loaded once at start-up: network, posts, dispatcher."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd

from api.config import Settings
from geo.graph import Network
from geo.network import NetworkReport
from planner.dispatch import Dispatcher

log = logging.getLogger("patrol.api")


@dataclass(frozen=True, eq=False)
class City:
    """What the configuration names, loaded: the service's shared, read-only state."""

    network_source: str
    posts_path: Path
    profile: Path | None
    mode: str
    timezone: str | None
    demo_incidents: Path | None  # incidents a plan uses when none are uploaded (demo only)
    net: Network = field(repr=False)
    posts: gpd.GeoDataFrame = field(repr=False)
    dispatcher: Dispatcher = field(repr=False)
    report: NetworkReport | None = field(default=None, repr=False)  # how the network was made


def demo_inputs(data_dir: Path) -> tuple[Path, Path]:
    """The demo posts and incidents in ``data_dir/demo``, built there on first use."""
    from data.demo import build_demo

    folder = data_dir / "demo"
    posts, incidents = folder / "posts.csv", folder / "incidents.csv"
    if not (posts.exists() and incidents.exists()):
        build_demo(folder)
    return posts, incidents


def load_city(settings: Settings) -> City:
    """Load and compile the network, read and snap the posts, build the dispatcher."""
    from geo.graph import compile_network
    from geo.network import load_network
    from geo.points import read_posts
    from geo.snap import snap_posts
    from geo.travel_time import load_profile

    demo_incidents = None
    timezone = settings.timezone
    if settings.is_demo:
        from data.demo import DEMO_TIMEZONE, demo_network_path

        source = str(demo_network_path())
        posts_path, demo_incidents = demo_inputs(settings.data_dir)
        if settings.posts is not None:
            posts_path = settings.posts
        timezone = timezone or DEMO_TIMEZONE
    else:
        source = str(settings.network)
        if settings.posts is None:
            msg = "PATROL_POSTS: a posts file is needed with PATROL_NETWORK"
            from geo.errors import InputError

            raise InputError(msg)
        posts_path = settings.posts
    profile = load_profile(settings.profile) if settings.profile else load_profile()
    loaded = load_network(source, mode=settings.mode, profile=profile)
    net = compile_network(loaded.graph)
    report = loaded.report
    del loaded
    posts = snap_posts(read_posts(posts_path).frame, net, max_snap_m=settings.max_snap_m)
    dispatcher = Dispatcher(
        net,
        posts,
        max_snap_m=settings.max_snap_m,
        table_max_cells=settings.dispatch_table_max_cells,
        limit_s=settings.dispatch_limit_s,
    )
    log.info("city loaded: %d nodes, %d posts from %s", net.n_nodes, len(posts), source)
    return City(
        network_source=source,
        posts_path=Path(posts_path),
        profile=settings.profile,
        mode=settings.mode,
        timezone=timezone,
        demo_incidents=demo_incidents,
        net=net,
        posts=posts,
        dispatcher=dispatcher,
        report=report,
    )
