"""Back-test scoring on hand-built graphs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geo.errors import InputError
from planner.evaluate import RoadArea, equal_area_grid, score_sites, split_by_time
from tests.conftest import incidents_at


def test_score_sites_by_walking_distance(line_graph):
    # a site at B (x=600) with 300 m reaches x in [300, 900] on A-B-C: 600 of 2,400 m
    inc = incidents_at(line_graph, [(350, 0), (890, 0), (950, 0), (1500, 0)])
    area = RoadArea(line_graph, buffer_m=10.0)
    score = score_sites("plan", line_graph, np.array([1]), inc, area, cover_m=300)
    assert score.hit_rate == pytest.approx(0.5)
    assert score.covered_road_share == pytest.approx(0.25)
    assert score.covered_area_share == pytest.approx(0.25, abs=0.02)  # buffered ends add a bit
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
