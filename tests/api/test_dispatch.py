"""Dispatch and point coverage against the planner and an independent networkx check."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
import shapely
from fastapi.testclient import TestClient
from pyproj import Transformer

from api.city import load_city
from api.config import Settings
from api.main import create_app
from api.schemas import DispatchResponse
from geo.errors import InputError
from geo.network import load_network
from planner.coverage import node_times, position_times


def _points_on_network(city, n: int, seed: int = 1) -> list[tuple[float, float]]:
    """Places along random street segments, in lon/lat."""
    net = city.net
    rng = np.random.default_rng(seed)
    segs = rng.integers(0, net.n_segments, n)
    pts = shapely.line_interpolate_point(
        net.seg_geometry[segs], rng.uniform(0.05, 0.95, n), normalized=True
    )
    to_ll = Transformer.from_crs(net.crs, "EPSG:4326", always_xy=True)
    lon, lat = to_ll.transform(shapely.get_x(pts), shapely.get_y(pts))
    return list(zip(lon.tolist(), lat.tolist(), strict=True))


def test_nearest_answers_with_routes(client, city):
    lon, lat = _points_on_network(city, 1)[0]
    r = client.post("/v1/dispatch/nearest", json={"lon": lon, "lat": lat, "k": 5})
    assert r.status_code == 200, r.text
    body = r.json()
    n_posts = len(city.posts)
    assert len(body["responders"]) == min(5, n_posts)
    etas = [x["eta_s"] for x in body["responders"]]
    assert etas == sorted(etas)
    assert body["nearest_eta_s"] == etas[0]
    assert body["within_min"] == {
        "1": etas[0] <= 60, "3": etas[0] <= 180, "5": etas[0] <= 300
    }  # fmt: skip
    for x in body["responders"]:
        assert x["route"]["type"] == "LineString"
        assert len(x["route"]["coordinates"]) >= 2
        assert x["distance_m"] > 0


def test_route_geometry_runs_from_the_post_to_the_point(client, city):
    """The drawn route starts at the post, ends where the point snaps, follows the streets
    (its length is the reported distance) and the body has DispatchResponse's shape."""
    to_xy = Transformer.from_crs("EPSG:4326", city.net.crs, always_xy=True)
    posts_xy = {
        str(p): (city.net.x[n], city.net.y[n])
        for p, n in zip(city.posts["id"], city.posts["node"], strict=True)
    }
    for lon, lat in _points_on_network(city, 8, seed=5):
        r = client.post("/v1/dispatch/nearest", json={"lon": lon, "lat": lat, "k": 3})
        assert r.status_code == 200, r.text
        body = DispatchResponse.model_validate(r.json()).model_dump()
        loc = city.dispatcher.locate(lon, lat)
        snapped = shapely.line_interpolate_point(
            city.net.seg_geometry[loc.segment], loc.fraction, normalized=True
        )
        for x in body["responders"]:
            xy = np.array(to_xy.transform(*np.array(x["route"]["coordinates"]).T)).T
            assert np.hypot(*(xy[0] - posts_xy[x["id"]])) < 0.05  # 7 decimals: ~1 cm
            assert np.hypot(xy[-1, 0] - snapped.x, xy[-1, 1] - snapped.y) < 0.05
            drawn = float(np.hypot(*np.diff(xy, axis=0).T).sum())
            assert drawn == pytest.approx(x["distance_m"], rel=0.01, abs=1.0)


def test_eta_equals_planner_travel_time(client, city):
    """Per post, the planner's own node_times + position_times give the same seconds."""
    net = city.net
    for lon, lat in _points_on_network(city, 25):
        body = client.post(
            "/v1/dispatch/nearest", json={"lon": lon, "lat": lat, "k": len(city.posts)}
        ).json()
        loc = city.dispatcher.locate(lon, lat)
        for x in body["responders"]:
            node = int(city.posts.loc[city.posts["id"].astype(str) == x["id"], "node"].iloc[0])
            time_s, _ = node_times(net, np.array([node]))
            t, _ = position_times(net, time_s, np.array([loc.segment]), np.array([loc.fraction]))
            assert round(x["eta_s"]) == round(float(t[0]))
            assert x["eta_s"] == pytest.approx(float(t[0]), abs=1e-6)


@pytest.fixture(scope="module")
def osm_graph(city):
    return load_network(city.network_source, mode="drive").graph


@pytest.fixture(scope="module")
def city8(city, tmp_path_factory):
    """The demo district with 8 posts at spread-out nodes (the demo ships 2)."""
    net = city.net
    nodes = np.linspace(0, net.n_nodes - 1, 8).astype(int)
    to_ll = Transformer.from_crs(net.crs, "EPSG:4326", always_xy=True)
    lon, lat = to_ll.transform(net.x[nodes], net.y[nodes])
    folder = tmp_path_factory.mktemp("city8")
    rows = [f"p{i},Post {i},{a:.8f},{b:.8f}" for i, (a, b) in enumerate(zip(lon, lat, strict=True))]
    (folder / "posts.csv").write_text("id,name,lon,lat\n" + "\n".join(rows) + "\n")
    return load_city(Settings(data_dir=city.posts_path.parent.parent, posts=folder / "posts.csv"))


@pytest.fixture(scope="module")
def client8(city8, tmp_path_factory):
    app = create_app(Settings(data_dir=tmp_path_factory.mktemp("app8")), city=city8)
    with TestClient(app) as c:
        yield c


def test_ranking_equals_networkx(client8, city8, osm_graph):
    client, city = client8, city8
    """An independent check: networkx Dijkstra on the osmnx graph, point reached part-way."""
    net, G = city.net, osm_graph
    post_ids = [int(net.node_ids[n]) for n in city.posts["node"]]
    lengths = [nx.single_source_dijkstra_path_length(G, p, weight="travel_time") for p in post_ids]
    for lon, lat in _points_on_network(city, 20, seed=7):
        loc = city.dispatcher.locate(lon, lat)
        e_fwd = int(net.seg_fwd[loc.segment])
        u, v, k = net.edge_keys[e_fwd]
        t_fwd = G.edges[u, v, k]["travel_time"]
        rev = [d["travel_time"] for d in G.get_edge_data(v, u, default={}).values()]
        t_rev = min(rev) if int(net.seg_rev[loc.segment]) >= 0 else np.inf
        expected = []
        for i, d in enumerate(lengths):
            t = min(
                d.get(u, np.inf) + loc.fraction * t_fwd,
                d.get(v, np.inf) + (1 - loc.fraction) * t_rev,
            )
            expected.append((t, i))
        expected.sort()
        body = client.post(
            "/v1/dispatch/nearest", json={"lon": lon, "lat": lat, "k": len(post_ids)}
        ).json()
        got = [x["id"] for x in body["responders"]]
        want = [str(city.posts["id"].iloc[i]) for t, i in expected if np.isfinite(t)]
        assert got == want
        for x, (t, _) in zip(body["responders"], expected, strict=False):
            assert x["eta_s"] == pytest.approx(t, abs=1e-6)


def test_search_without_table_gives_the_same_answer(city):
    from planner.dispatch import Dispatcher

    slow = Dispatcher(city.net, city.posts, max_snap_m=250, table_max_cells=0, limit_s=3600)
    assert not slow.uses_table and city.dispatcher.uses_table
    for lon, lat in _points_on_network(city, 10, seed=3):
        _, a = city.dispatcher.nearest(lon, lat, k=5)
        _, b = slow.nearest(lon, lat, k=5)
        assert [r.post_id for r in a] == [r.post_id for r in b]
        assert [r.eta_s for r in a] == pytest.approx([r.eta_s for r in b], abs=1e-9)
        assert [r.distance_m for r in a] == pytest.approx([r.distance_m for r in b], abs=1e-6)


@pytest.mark.parametrize("table", [True, False])
def test_questions_asked_together_get_the_answers_asked_alone(city, table):
    """nearest_many is nearest for each question, to the bit; a question off the network gets
    its error without spoiling the others; staffed control points join the ranking."""
    from planner.dispatch import Dispatcher, StaffedPoints

    d = city.dispatcher
    if not table:
        d = Dispatcher(city.net, city.posts, max_snap_m=250, table_max_cells=0, limit_s=3600)
    nodes = np.random.default_rng(4).integers(0, city.net.n_nodes, 5)
    names = [f"cp{i}" for i in range(5)]
    places = _points_on_network(city, 9, seed=21)
    places.insert(4, (25.9, 60.2))  # off the network
    ks = [1 + i % 4 for i in range(len(places))]
    for points in (None, StaffedPoints(nodes, names, names)):
        many = d.nearest_many([p[0] for p in places], [p[1] for p in places], k=ks, points=points)
        for (lon, lat), k, got in zip(places, ks, many, strict=True):
            try:
                alone = d.nearest(lon, lat, k=k, points=points)
            except InputError as exc:
                assert isinstance(got, InputError) and str(got) == str(exc)
                continue
            assert got == alone
        if points is not None:
            kinds = {r.kind for found in many if isinstance(found, tuple) for r in found[1]}
            assert kinds == {"post", "control_point"}


def test_point_outside_the_network_is_422(client):
    r = client.post("/v1/dispatch/nearest", json={"lon": 25.9, "lat": 60.2, "k": 1})
    assert r.status_code == 422
    assert "outside the network's area" in r.json()["detail"]
    r = client.get("/v1/coverage/point", params={"lon": 25.9, "lat": 60.2})
    assert r.status_code == 422


@pytest.mark.parametrize(
    "body",
    [
        {"lon": 24.94, "lat": 60.17, "k": 1, "extra": 1},
        {"lon": 24.94, "lat": 60.17, "k": 0},
        {"lon": 200, "lat": 60.17},
        {"lat": 60.17},
        {"lon": 24.94, "lat": 60.17, "mode": "bike"},
        {"lon": 24.94, "lat": 60.17, "mode": "walk"},
    ],
)
def test_bad_dispatch_requests_are_422(client, body):
    r = client.post("/v1/dispatch/nearest", json=body)
    assert r.status_code == 422
    assert r.json()["detail"]


def test_coverage_point_minutes(client, city):
    lon, lat = _points_on_network(city, 1, seed=5)[0]
    cov = client.get("/v1/coverage/point", params={"lon": lon, "lat": lat}).json()
    near = client.post("/v1/dispatch/nearest", json={"lon": lon, "lat": lat, "k": 1}).json()
    assert cov["minutes"] == pytest.approx(near["nearest_eta_s"] / 60)
    assert cov["post_id"] == near["responders"][0]["id"]


def test_healthz(client, city):
    body = client.get("/healthz").json()
    assert body["status"] == "ok" and body["nodes"] == city.net.n_nodes
