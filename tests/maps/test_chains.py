"""Road pieces joined into strokes: hand-built crossings whose strokes are known by hand."""

from __future__ import annotations

import numpy as np
import shapely

from maps._chains import chain_lines


def _parts(geom: shapely.Geometry) -> list[list[tuple[float, float]]]:
    return [[tuple(map(float, c)) for c in shapely.get_coordinates(p)] for p in geom.geoms]


def _same_road(a: shapely.Geometry, b: shapely.Geometry) -> bool:
    return shapely.equals(shapely.line_merge(a), shapely.line_merge(b)) or (
        abs(a.length - b.length) < 1e-9 and shapely.difference(a, b.buffer(1e-9)).length < 1e-9
    )


def test_a_crossing_becomes_two_straight_strokes():
    # four arms meeting at (0, 0): west-east and south-north go straight across
    arms = shapely.MultiLineString(
        [[(-1, 0), (0, 0)], [(0, 0), (1, 0)], [(0, -1), (0, 0)], [(0, 1), (0, 0)]]
    )
    (out,) = chain_lines([arms])
    assert out.geom_type == "MultiLineString" and len(out.geoms) == 2
    strokes = sorted(sorted(p) for p in _parts(out))
    assert strokes == [[(-1.0, 0.0), (0.0, 0.0), (1.0, 0.0)], [(0.0, -1.0), (0.0, 0.0), (0.0, 1.0)]]
    assert _same_road(out, arms)


def test_a_t_junction_keeps_the_through_street_whole():
    # a bent through street (10 degrees at the node) and a side street at right angles
    t = shapely.MultiLineString([[(-2, 0), (0, 0)], [(0, 0), (2, 0.35)], [(0, 0), (0, -2)]])
    (out,) = chain_lines([t])
    parts = sorted(_parts(out), key=len)
    assert [len(p) for p in parts] == [2, 3]
    assert sorted(parts[1]) == [(-2.0, 0.0), (0.0, 0.0), (2.0, 0.35)]


def test_sharp_turns_at_crossings_stay_apart_but_two_pieces_always_join():
    # at a crossing only pieces turning less than max_turn_deg join ...
    corner = shapely.MultiLineString([[(-1, 0), (0, 0)], [(0, 0), (0, 1)], [(0, 0), (1, -1)]])
    (out,) = chain_lines([corner], max_turn_deg=30)
    assert len(out.geoms) == 3
    # ... where only two meet they join whatever the angle (as shapely.line_merge does)
    bend = shapely.MultiLineString([[(-1, 0), (0, 0)], [(0, 1), (0, 0)]])
    (out,) = chain_lines([bend], max_turn_deg=30)
    assert len(out.geoms) == 1 and out.length == bend.length


def test_a_ring_of_pieces_and_geometries_apart():
    ring = shapely.MultiLineString([[(0, 0), (1, 0)], [(1, 0), (1, 1)], [(1, 1), (0, 0)]])
    other = shapely.LineString([(1, 0), (2, 0)])  # touches the ring, but is another feature
    point = shapely.Point(5, 5)
    out = chain_lines(np.array([ring, other, None, point], dtype=object))
    assert len(out[0].geoms) == 1 and out[0].geoms[0].is_ring
    assert _same_road(out[0], ring)
    assert out[1].geom_type == "MultiLineString" and _same_road(out[1], other)
    assert out[2] is None and out[3] is point


def test_a_grid_keeps_every_metre_in_far_fewer_parts():
    rng = np.random.default_rng(0)
    n = 12
    xy = np.stack(np.meshgrid(np.arange(n), np.arange(n)), axis=-1) + rng.normal(0, 0.05, (n, n, 2))
    pieces = []
    for i in range(n):
        for j in range(n - 1):
            if rng.random() > 0.1:  # a few blocks missing
                pieces.append([xy[i, j], xy[i, j + 1]])
                pieces.append([xy[j, i], xy[j + 1, i]])
    grid = shapely.MultiLineString(pieces)
    (out,) = chain_lines([grid])
    assert len(out.geoms) < len(grid.geoms) / 4
    assert abs(out.length - grid.length) < 1e-9
    assert shapely.get_num_coordinates(out) < shapely.get_num_coordinates(grid) * 0.7
    assert shapely.difference(grid, out.buffer(1e-6)).length < 1e-9
