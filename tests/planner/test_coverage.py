"""Coverage on tiny graphs, answers worked out by hand (10 m/s everywhere)."""

from __future__ import annotations

import numpy as np
import pytest

from geo.errors import InputError
from geo.graph import build_csr
from planner.coverage import compute_coverage, node_times
from planner.zones import blind_spots, isochrones
from tests.conftest import incidents_at, posts_at, tiny_network


def test_two_way_street_counts_once(line_graph):
    # A-B 600, B-C 600, C->D 600, E-F 600: 2,400 m of road, each street once.
    assert line_graph.road_length_m == pytest.approx(2400.0)
    assert line_graph.n_segments == 4
    assert line_graph.n_edges == 7


def test_coverage_grows_along_the_line(line_graph):
    cov = compute_coverage(line_graph, posts_at(line_graph, [(0, 0)]), thresholds_min=(1, 2, 3))
    # 60 s: A-B; 120 s: + B-C; 180 s: + C->D. E-F is never reached.
    assert [t.road_km for t in cov.thresholds] == pytest.approx([0.6, 1.2, 1.8])
    assert [t.road_share for t in cov.thresholds] == pytest.approx([0.25, 0.5, 0.75])
    assert cov.road_km_total == pytest.approx(2.4)


def test_edge_reached_part_way_counts_part_way(line_graph):
    cov = compute_coverage(line_graph, posts_at(line_graph, [(0, 0)]), thresholds_min=(1.5,))
    # 90 s at 10 m/s: all of A-B and 300 m of B-C
    assert cov.thresholds[0].road_km == pytest.approx(0.9)


def test_one_way_street_is_reached_only_one_way(line_graph):
    # From D nothing is reachable: C->D is one-way into D.
    from_d = compute_coverage(line_graph, posts_at(line_graph, [(1800, 0)]), thresholds_min=(5,))
    assert from_d.thresholds[0].road_km == pytest.approx(0.0)
    # From C the one-way street is driven forward: 30 s reach 300 m of it and 300 m of C-B.
    from_c = compute_coverage(line_graph, posts_at(line_graph, [(1200, 0)]), thresholds_min=(0.5,))
    assert from_c.thresholds[0].road_km == pytest.approx(0.6)
    # An incident in the middle of C->D: 30 s from C, unreachable from D.
    inc = incidents_at(line_graph, [(1500, 5)])
    t_c = compute_coverage(line_graph, posts_at(line_graph, [(1200, 0)]), inc)
    t_d = compute_coverage(line_graph, posts_at(line_graph, [(1800, 0)]), inc)
    assert t_c.incident_time_s[0] == pytest.approx(30.0)
    assert np.isinf(t_d.incident_time_s[0])


def test_part_of_the_graph_no_post_reaches_is_a_blind_spot(line_graph):
    inc = incidents_at(line_graph, [(5300, 10), (5100, 0), (300, 0)], weights=[2.0, 1.0, 1.0])
    cov = compute_coverage(line_graph, posts_at(line_graph, [(0, 0)]), inc, thresholds_min=(1, 3))
    assert cov.thresholds[-1].incidents == 1
    assert cov.thresholds[-1].incident_share == pytest.approx(1.0 / 4.0)
    zones = blind_spots(line_graph, cov, inc)
    assert len(zones) == 1
    assert zones.loc[0, "road_km"] == pytest.approx(0.6)
    assert zones.loc[0, "incidents"] == 2
    assert zones.loc[0, "incident_weight"] == pytest.approx(3.0)
    assert zones.loc[0, "rank"] == 1


def test_two_posts_meet_mid_edge():
    # A ==600== B ==300== D, posts at A and D. D reaches B at 30 s; on A-B the two meet where
    # s/10 = 30 + (600 - s)/10, i.e. at s = 450 m from A.
    net = tiny_network({1: (0, 0), 2: (600, 0), 3: (600, 300)}, two_way=[(1, 2), (2, 3)])
    posts = posts_at(net, [(0, 0), (600, 300)])
    inc = incidents_at(net, [(440, 0), (460, 0)])
    cov = compute_coverage(net, posts, inc, thresholds_min=(1, 5))
    a, d = cov.posts
    # within 60 s: A reaches 600 m but serves first only [0, 450]; D serves 300 + 150
    assert a.road_km[0] == pytest.approx(0.45)
    assert d.road_km[0] == pytest.approx(0.45)
    assert cov.thresholds[0].road_km == pytest.approx(0.9)
    # the incident at 440 m is A's (44 s), the one at 460 m is D's (30 + 14 = 44 s)
    assert list(cov.incident_post) == [0, 1]
    assert cov.incident_time_s == pytest.approx([44.0, 44.0])
    assert a.incidents == (1, 1) and d.incidents == (1, 1)


def test_partial_reach_from_both_ends_of_one_edge():
    # posts at both ends of one 600 m street; in 20 s each reaches 200 m: 400 m of 600.
    net = tiny_network({1: (0, 0), 2: (600, 0)}, two_way=[(1, 2)])
    cov = compute_coverage(net, posts_at(net, [(0, 0), (600, 0)]), thresholds_min=(20 / 60, 1))
    assert cov.thresholds[0].road_km == pytest.approx(0.4)
    assert cov.thresholds[1].road_km == pytest.approx(0.6)
    zones = blind_spots(net, cov)
    assert len(zones) == 0


def test_blind_spot_in_the_middle_of_a_street():
    # 20 s from each end of a 600 m street leaves its middle 200 m beyond reach
    net = tiny_network({1: (0, 0), 2: (600, 0)}, two_way=[(1, 2)])
    cov = compute_coverage(net, posts_at(net, [(0, 0), (600, 0)]), thresholds_min=(20 / 60,))
    zones = blind_spots(net, cov)
    assert len(zones) == 1
    assert zones.loc[0, "road_km"] == pytest.approx(0.2)
    assert zones.geometry[0].length == pytest.approx(200.0)


def test_isochrones_are_nested_and_stay_near_reached_roads(line_graph):
    cov = compute_coverage(line_graph, posts_at(line_graph, [(0, 0)]), thresholds_min=(1, 2, 3))
    iso = isochrones(line_graph, cov, buffer_m=40.0)
    polys = list(iso.geometry)
    assert polys[0].buffer(1e-6).contains(polys[0])
    for small, big in zip(polys, polys[1:], strict=False):
        assert big.buffer(1e-6).contains(small)
    # the unreached street E-F (x >= 5000) is never covered
    assert polys[-1].bounds[2] <= 1800 + 40 + 1e-6
    assert polys[0].bounds[2] == pytest.approx(640.0)


def test_node_times_cut_off(line_graph):
    t, src = node_times(line_graph, np.array([0]), limit_s=90.0)
    assert t[:2] == pytest.approx([0.0, 60.0])
    assert np.isinf(t[2:]).all()
    assert list(src[:2]) == [0, 0]
    assert (src[2:] == -1).all()


def test_parallel_edges_use_the_fastest_and_zero_times_stay_edges():
    csr = build_csr(3, np.array([0, 0, 1]), np.array([1, 1, 2]), np.array([100.0, 60.0, 0.0]))
    assert csr[0, 1] == pytest.approx(60.0)  # not 160: parallel edges are not summed
    assert csr[1, 2] > 0  # a zero travel time is kept as an edge, not dropped
    t, _ = node_times_from_csr(csr)
    assert t == pytest.approx([0.0, 60.0, 60.0])


def test_bad_thresholds(line_graph):
    posts = posts_at(line_graph, [(0, 0)])
    with pytest.raises(InputError, match="positive"):
        compute_coverage(line_graph, posts, thresholds_min=(0,))
    with pytest.raises(InputError, match="repeated"):
        compute_coverage(line_graph, posts, thresholds_min=(1, 1))


def node_times_from_csr(csr):
    from scipy.sparse.csgraph import dijkstra

    return dijkstra(csr, indices=[0], min_only=True, return_predecessors=True)[:2]


def test_road_bands_partition_the_road(line_graph):
    from planner.zones import road_bands

    cov = compute_coverage(line_graph, posts_at(line_graph, [(0, 0)]), thresholds_min=(1, 1.5))
    bands = road_bands(line_graph, cov)
    # 0-1 min: A-B (600 m); 1-1.5 min: 300 m of B-C; beyond: the rest (1,500 m)
    assert list(bands["band"]) == ["0-1 min", "1-1.5 min", "> 1.5 min"]
    assert list(bands["road_km"]) == pytest.approx([0.6, 0.3, 1.5])
    assert bands.geometry.length.sum() == pytest.approx(2400.0)
