"""Coverage on the demo district against an independent reference built on networkx."""

from __future__ import annotations

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
from shapely.geometry import Point

from geo.snap import snap_incidents, snap_posts
from planner.coverage import compute_coverage

THRESHOLDS = (0.5, 1.0, 2.0)


def reference_coverage(G, post_nodes, incidents, thresholds_min):
    """Road length and incident weight reached, written plainly on networkx.

    Node times from networkx's multi-source Dijkstra; along a street, the place at ``s`` metres
    from ``u`` is reached at min(d[u] + s/L * t(u->v), d[v] + (L-s)/L * t(v->u)).
    """
    dist = nx.multi_source_dijkstra_path_length(G, set(post_nodes), weight="travel_time")
    d = lambda n: dist.get(n, np.inf)  # noqa: E731

    def reverse_time(u, v, length):
        times = [
            d2["travel_time"]
            for d2 in G.get_edge_data(v, u, default={}).values()
            if u != v and abs(d2["length"] - length) <= 0.5
        ]
        return min(times) if times else None

    seen = set()
    streets = []  # (u, v, length, t_fwd, t_rev or inf)
    for u, v, k, data in G.edges(keys=True, data=True):
        if (u, v, k) in seen:
            continue
        seen.add((u, v, k))
        t_rev = np.inf
        for k2, d2 in G.get_edge_data(v, u, default={}).items():
            if u != v and (v, u, k2) not in seen and abs(d2["length"] - data["length"]) <= 0.5:
                seen.add((v, u, k2))
                t_rev = d2["travel_time"]
                break
        streets.append((u, v, data["length"], data["travel_time"], t_rev))
    total = sum(s[2] for s in streets)
    out = []
    for minutes in thresholds_min:
        T = minutes * 60
        reached = 0.0
        for u, v, L, tf, tr in streets:
            if L <= 0:
                continue
            a = min(L, max(0.0, (T - d(u)) / (tf / L))) if np.isfinite(d(u)) else 0.0
            b = (
                min(L, max(0.0, (T - d(v)) / (tr / L)))
                if np.isfinite(d(v)) and np.isfinite(tr)
                else 0.0
            )
            reached += min(L, a + b)
        w_hit = 0.0
        for u, v, k, f, w, on in incidents:
            if not on:
                continue
            edge = G.edges[u, v, k]
            t_fwd = edge["travel_time"]
            t_rev = reverse_time(u, v, edge["length"])
            best = d(u) + f * t_fwd
            if t_rev is not None:
                best = min(best, d(v) + (1 - f) * t_rev)
            if best <= T:
                w_hit += w
        out.append((reached / total, w_hit))
    return out


@pytest.fixture(scope="module")
def demo_case(demo_net):
    net = demo_net
    rng = np.random.default_rng(7)
    post_idx = rng.choice(net.n_nodes, 3, replace=False)
    posts = gpd.GeoDataFrame(
        {"id": ["a", "b", "c"], "name": ["a", "b", "c"]},
        geometry=[Point(net.x[i], net.y[i]) for i in post_idx],
        crs=net.crs,
    )
    minx, miny, maxx, maxy = net.bounds
    n = 400
    inc = gpd.GeoDataFrame(
        {"incident_id": [str(i) for i in range(n)], "weight": rng.uniform(0.5, 2.0, n)},
        geometry=[
            Point(x, y)
            for x, y in zip(rng.uniform(minx, maxx, n), rng.uniform(miny, maxy, n), strict=True)
        ],
        crs=net.crs,
    )
    sposts = snap_posts(posts, net)
    sinc, _ = snap_incidents(inc, net)
    return net, sposts, sinc


def test_coverage_equals_networkx_reference(demo_network, demo_case):
    net, posts, inc = demo_case
    G = demo_network.graph
    cov = compute_coverage(net, posts, inc, thresholds_min=THRESHOLDS)
    post_nodes = [int(net.node_ids[i]) for i in posts["node"]]
    # incidents as (u, v, fraction along u->v, weight, on_network) of the segment's forward edge
    rows = []
    for seg, f, w, on in zip(
        inc["segment"], inc["fraction"], inc["weight"], inc["on_network"], strict=True
    ):
        e = net.seg_fwd[seg]
        u, v, k = net.edge_keys[e]
        rows.append((u, v, k, f, w, on))
    ref = reference_coverage(G, post_nodes, rows, THRESHOLDS)
    total_w = inc["weight"].sum()
    assert len(cov.thresholds) == len(THRESHOLDS)
    for got, (road_share, w_hit) in zip(cov.thresholds, ref, strict=True):
        assert got.road_share == pytest.approx(road_share, abs=1e-9)
        assert got.incident_share == pytest.approx(w_hit / total_w, abs=1e-9)
    # the shares are not trivial: some but not all road is reached at the smallest threshold
    assert 0.0 < cov.thresholds[0].road_share < 1.0


def test_node_times_equal_networkx(demo_network, demo_case):
    net, posts, _ = demo_case
    cov = compute_coverage(net, posts, thresholds_min=(5,))
    post_nodes = {int(net.node_ids[i]) for i in posts["node"]}
    ref = nx.multi_source_dijkstra_path_length(demo_network.graph, post_nodes, weight="travel_time")
    for i, n in enumerate(net.node_ids):
        want = ref.get(int(n), np.inf)
        got = cov.node_time_s[i]
        if want <= 300:
            assert got == pytest.approx(want, abs=1e-9)
        else:
            assert np.isinf(got)
