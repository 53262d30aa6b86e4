"""The synthetic city generator, on a tiny city (fast)."""

from __future__ import annotations

import pickle
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
import shapely
from pyproj import CRS

from bench.city import load_city, make_city_graph, make_incidents, make_posts, raw_city_graph
from geo.graph import Network, compile_network

SIZE = {"rows": 12, "cols": 12, "seed": 3}


@pytest.fixture(scope="module")
def city() -> nx.MultiDiGraph:
    return make_city_graph(**SIZE)


@pytest.fixture(scope="module")
def net(city: nx.MultiDiGraph) -> Network:
    return compile_network(city)


def _edge_signature(G: nx.MultiDiGraph) -> list[tuple[object, ...]]:
    return sorted(
        (u, v, k, round(d["length"], 9), d["highway"], d["oneway"], d.get("name"))
        for u, v, k, d in G.edges(keys=True, data=True)
    )


def test_deterministic_for_a_seed(city: nx.MultiDiGraph) -> None:
    again = make_city_graph(**SIZE)
    assert _edge_signature(again) == _edge_signature(city)
    assert [(n, d["x"], d["y"]) for n, d in again.nodes(data=True)] == [
        (n, d["x"], d["y"]) for n, d in city.nodes(data=True)
    ]
    other = raw_city_graph(rows=12, cols=12, seed=4)
    assert _edge_signature(other) != _edge_signature(raw_city_graph(**SIZE))


def test_prepared_graph_is_strongly_connected_and_metric(city: nx.MultiDiGraph) -> None:
    assert nx.is_strongly_connected(city)
    assert CRS.from_user_input(city.graph["crs"]).to_epsg() == 32650
    assert city.number_of_nodes() > 100
    for _, d in city.nodes(data=True):
        assert {"x", "y", "street_count"} <= d.keys()
    for _, _, d in city.edges(data=True):
        assert d["travel_time"] > 0
        assert d["highway"] in {"primary", "secondary", "residential", "trunk", "service"}
        assert isinstance(d["oneway"], bool)


def test_one_way_edges_exist_and_have_no_reverse(city: nx.MultiDiGraph) -> None:
    one_way = [(u, v) for u, v, d in city.edges(data=True) if d["oneway"]]
    assert one_way
    for u, v in one_way:
        assert not city.has_edge(v, u)
    two_way = [(u, v) for u, v, d in city.edges(data=True) if not d["oneway"]]
    assert all(city.has_edge(v, u) for u, v in two_way)


def test_lengths_match_geometry(city: nx.MultiDiGraph) -> None:
    bent = 0
    for u, v, d in city.edges(data=True):
        assert d["length"] > 0
        geom = d.get("geometry")
        if geom is None:
            a, b = city.nodes[u], city.nodes[v]
            geom = shapely.LineString([(a["x"], a["y"]), (b["x"], b["y"])])
        else:
            bent += 1
            # oriented u -> v
            assert geom.coords[0] == pytest.approx((city.nodes[u]["x"], city.nodes[u]["y"]))
            assert geom.coords[-1] == pytest.approx((city.nodes[v]["x"], city.nodes[v]["y"]))
        assert abs(geom.length - d["length"]) < 1.0
    assert bent > 0


def test_posts_on_distinct_nodes(net: Network) -> None:
    posts = make_posts(net, 22, seed=1)
    assert list(posts.columns) == ["id", "name", "geometry"]
    assert posts.crs == net.crs
    _, idx = net.node_tree.query(np.column_stack([posts.geometry.x, posts.geometry.y]))
    assert len(set(idx.tolist())) == 22
    d, _ = net.node_tree.query(np.column_stack([posts.geometry.x, posts.geometry.y]))
    assert d.max() < 1e-6
    assert posts["id"].is_unique


def test_incidents_near_roads_and_at_night(net: Network) -> None:
    inc = make_incidents(net, 2_000, seed=2)
    assert list(inc.columns) == ["incident_id", "time", "category", "weight", "geometry"]
    assert str(inc["time"].dt.tz) == "Asia/Shanghai"
    assert inc["incident_id"].is_unique
    assert (inc["weight"] == 1.0).all()
    _, dist = net.seg_tree.query_nearest(inc.geometry.to_numpy(), return_distance=True)
    assert np.median(dist) < 15.0
    night = inc["time"].dt.hour.isin([20, 21, 22, 23, 0, 1, 2, 3]).mean()
    assert night > 0.45  # 8 of 24 hours hold about half of the incidents


def test_load_city_caches(tmp_path: Path, city: nx.MultiDiGraph) -> None:
    G = load_city(tmp_path, **SIZE, quiet=True)
    files = list(tmp_path.glob("*.pickle"))
    assert len(files) == 1
    with files[0].open("rb") as f:
        cached = pickle.load(f)
    assert _edge_signature(cached) == _edge_signature(city) == _edge_signature(G)
    assert _edge_signature(load_city(tmp_path, **SIZE, quiet=True)) == _edge_signature(city)
