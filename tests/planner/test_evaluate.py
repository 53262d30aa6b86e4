"""Back-test scoring on hand-built graphs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import shapely

from geo.errors import InputError
from planner.evaluate import RoadArea, equal_area_grid, score_grid, score_sites, split_by_time
from tests.conftest import incidents_at, tiny_network


def test_score_sites_by_walking_distance(line_graph):
    # a site at B (x=600) with 300 m reaches x in [300, 900] on A-B-C: 600 of 2,400 m
    inc = incidents_at(line_graph, [(350, 0), (890, 0), (950, 0), (1500, 0)])
    area = RoadArea(line_graph, buffer_m=10.0)
    score = score_sites("plan", line_graph, np.array([1]), inc, area, cover_m=300)
    assert score.hit_rate == pytest.approx(0.5)
    assert score.covered_road_share == pytest.approx(0.25)
    # the road area whose nearest street point lies in [300, 900] on A-B-C: 600 m x 20 m
    assert score.covered_area_share == pytest.approx(600 * 20 / area.area, abs=0.005)
    assert score.pai_road == pytest.approx(2.0)


def test_score_sites_by_response_time_respects_one_way(line_graph):
    # from D (x=1800) nothing is reachable on the one-way C->D
    inc = incidents_at(line_graph, [(1500, 0)])
    area = RoadArea(line_graph)
    assert score_sites("d", line_graph, np.array([3]), inc, area, cover_min=5).hit_rate == 0.0
    assert score_sites("c", line_graph, np.array([2]), inc, area, cover_min=0.5).hit_rate == 1.0


def test_equal_area_grid_matches_the_target_share(line_graph):
    area = RoadArea(line_graph)
    xy = np.array([[300.0, 0.0], [310.0, 0.0], [1500.0, 0.0]])
    cells, side = equal_area_grid(xy, n=1, area=area, target_share=0.25, bounds=line_graph.bounds)
    assert len(cells) == 1
    assert area.share_of_polygon(cells[0]) == pytest.approx(0.25, abs=0.02)
    assert cells[0].contains(cells[0].centroid) and cells[0].bounds[0] < 310 < cells[0].bounds[2]
    assert side > 0


def test_split_by_time_needs_enough_weeks():
    t = pd.Series(pd.date_range("2026-01-01", periods=10, freq="D", tz="UTC"))
    with pytest.raises(InputError, match="too short"):
        split_by_time(t, test_weeks=4)
    train, test = split_by_time(t, test_weeks=0.5)
    # the last 3.5 days before 2026-01-10: 7, 8, 9 and 10 January
    assert test.sum() == 4 and train.sum() == 6


def parallel_streets():
    """Two 1 km streets 50 m apart, joined only at their ends: a site on the lower one reaches
    none of the upper one within 200 m, though the upper one is 50 m away in a straight line.

    ::

        3 ========================= 4    y = 50
        |                           |
        1 ============ 5 ========== 2    y = 0
        0             500          1000
    """
    return tiny_network(
        {1: (0, 0), 5: (500, 0), 2: (1000, 0), 3: (0, 50), 4: (1000, 50)},
        two_way=[(1, 5), (5, 2), (3, 4), (1, 3), (2, 4)],
    )


def uniform_in(area, n, seed):
    """``n`` points uniform in the road area (rejection sampling)."""
    rng = np.random.default_rng(seed)
    minx, miny, maxx, maxy = area.total.bounds
    out = []
    while len(out) < n:
        x, y = rng.uniform(minx, maxx, 4 * n), rng.uniform(miny, maxy, 4 * n)
        keep = shapely.contains_xy(area.total, x, y)
        out += list(zip(x[keep], y[keep], strict=True))
    return out[:n]


def test_chance_scores_a_pai_of_one_for_sites_and_cells():
    # incidents uniform over the road area carry no signal: every method should score PAI ~1;
    # a buffer around the reached street would charge the site for the upper street's side
    # of the gap too (no incident there snaps to the lower street) and score it ~0.8
    net = parallel_streets()
    area = RoadArea(net)
    inc = incidents_at(net, uniform_in(area, 4000, seed=1))
    site = score_sites("site", net, np.array([net.node_index[5]]), inc, area, cover_m=200)
    assert 0.1 < site.covered_area_share < 0.3
    assert site.pai_area == pytest.approx(1.0, abs=0.08)
    cells = [shapely.box(300, -60, 700, 25)]
    grid = score_grid("cell", net, cells, inc.geometry.to_numpy(), area)
    assert grid.pai_area == pytest.approx(1.0, abs=0.08)
