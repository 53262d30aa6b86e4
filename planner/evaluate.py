"""Back-testing plans on incidents they were not built from, against common baselines.

A plan is built on the earlier weeks and scored on the later ones: the hit rate (share of test
incidents on road the plan covers) and the Predictive Accuracy Index, ``PAI = hit rate /
covered share``, with the covered share measured as area (road area: a buffer around the
streets) and as road length. Two baselines are scored on the same test incidents in the same
run: the N densest cells of a planar kernel density grid of the training incidents (the common
practice), and N random candidate sites with the plan's cover radius. Sites are scored at the
exact place of each incident on the network (not by whole streets), so they are measured as
finely as the grid is.

The covered area is measured with the same rule that makes an incident a hit, so that a PAI of
1 means "no better than chance" for every method alike: it is the share of a regular lattice
over the road area that would count as hits. For sites, a lattice point counts when its
nearest street position is reached (test incidents are scored at their snapped position); for
grid cells, when it lies in a cell (exactly the cells' share of the road area). Measuring the
sites' area as a buffer around the streets they reach instead would charge them for road area
around neighbouring streets and past the ends of their reach, where no incident can score for
them (on the demo district that buffer was 1.8 times the area their hits come from).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely
from scipy import ndimage

from geo.errors import InputError
from geo.graph import Metric, Network
from geo.snap import snap_to_segments
from planner.control_points import cover_metric
from planner.coverage import node_times, position_times, segment_reach

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class Score:
    """How one set of places did on the test incidents."""

    name: str
    hit_rate: float
    test_incidents: int
    covered_road_share: float
    covered_area_share: float
    pai_area: float
    pai_road: float

    def to_dict(self) -> dict[str, float | int | str]:
        return asdict(self)


def split_by_time(times: pd.Series, *, test_weeks: float) -> tuple[BoolArray, BoolArray]:
    """Train (earlier) and test (the last ``test_weeks`` weeks) masks; rows without time in neither."""
    t = pd.to_datetime(times)
    has = t.notna().to_numpy()
    if not has.any():
        msg = "incidents have no times: a back-test needs them"
        raise InputError(msg)
    cut = t.max() - pd.Timedelta(weeks=test_weeks)
    test = has & (t > cut).to_numpy()
    train = has & ~test
    if not train.any() or not test.any():
        msg = (
            f"the incidents span {(t.max() - t.min()).days} days: too short to hold out "
            f"{test_weeks:g} test weeks and still train on earlier ones"
        )
        raise InputError(msg)
    return train, test


class RoadArea:
    """The road area (streets buffered), a lattice over it, and shares of it, measured once
    per network."""

    def __init__(self, net: Network, *, buffer_m: float = 40.0, samples: int = 100_000) -> None:
        self.net = net
        self.buffer_m = buffer_m
        # buffering each street then merging is much faster than buffering one multi-line
        self.total = shapely.union_all(shapely.buffer(net.seg_geometry, buffer_m, quad_segs=2))
        self.area = self.total.area
        # a regular lattice of about ``samples`` points over the road area, each snapped to
        # its nearest street position as incidents are
        self.step_m = max(1.0, float(np.sqrt(self.area / samples)))
        minx, miny, maxx, maxy = self.total.bounds
        gx, gy = np.meshgrid(
            np.arange(minx + self.step_m / 2, maxx, self.step_m),
            np.arange(miny + self.step_m / 2, maxy, self.step_m),
        )
        gx, gy = gx.ravel(), gy.ravel()
        inside = shapely.contains_xy(self.total, gx, gy)
        self.lattice = shapely.points(gx[inside], gy[inside])
        self.lattice_segment, self.lattice_fraction, _ = snap_to_segments(self.lattice, net)

    def share_reached(self, dist: FloatArray, *, limit: float, metric: Metric) -> float:
        """Share of the road area whose nearest street position is within ``limit`` of the
        sources of ``dist`` (node distances in ``metric``): where an incident would be a hit."""
        if len(self.lattice) == 0:
            return 0.0
        t, _ = position_times(
            self.net, dist, self.lattice_segment, self.lattice_fraction, metric=metric
        )
        return float((t <= limit).mean())

    def share_of_polygon(self, poly: shapely.Geometry) -> float:
        return shapely.intersection(self.total, poly).area / self.area

    def share_of_cells(self, cells: list[shapely.Polygon]) -> float:
        """Share of the road area inside disjoint axis-aligned cells (fast rectangle clips)."""
        return sum(shapely.clip_by_rect(self.total, *c.bounds).area for c in cells) / self.area


def _score(
    name: str,
    hits: BoolArray,
    road_share: float,
    area_share: float,
) -> Score:
    hit = float(hits.mean()) if len(hits) else 0.0
    return Score(
        name=name,
        hit_rate=hit,
        test_incidents=len(hits),
        covered_road_share=road_share,
        covered_area_share=area_share,
        pai_area=hit / area_share if area_share > 0 else 0.0,
        pai_road=hit / road_share if road_share > 0 else 0.0,
    )


def score_sites(
    name: str,
    net: Network,
    nodes: npt.NDArray[np.int64],
    test: gpd.GeoDataFrame,
    area: RoadArea,
    *,
    cover_m: float | None = None,
    cover_min: float | None = None,
) -> Score:
    """Score sites (node indices) with a cover radius: a test incident is a hit if a site
    reaches its exact place on the network within the radius; the covered road is the
    street length so reached, part-way where a street is reached part-way; the covered area
    is the road area whose nearest street position is so reached."""
    metric, limit = cover_metric(net, cover_m=cover_m, cover_min=cover_min)
    dist, _ = node_times(net, nodes, limit_s=limit, metric=metric)
    t, _ = position_times(
        net,
        dist,
        test["segment"].to_numpy(dtype=np.int64),
        test["fraction"].to_numpy(dtype=np.float64),
        metric=metric,
    )
    reach = segment_reach(net, dist, limit_s=limit, metric=metric)
    road = float(reach.reached_m.sum() / net.road_length_m)
    return _score(name, t <= limit, road, area.share_reached(dist, limit=limit, metric=metric))


def kde_grid_cells(
    xy: FloatArray, *, n: int, cell_m: float, bandwidth_m: float, bounds: tuple[float, ...]
) -> list[shapely.Polygon]:
    """The ``n`` densest cells of a planar Gaussian kernel density of the points."""
    minx, miny, maxx, maxy = bounds
    nx_ = max(1, int(np.ceil((maxx - minx) / cell_m)))
    ny_ = max(1, int(np.ceil((maxy - miny) / cell_m)))
    hist, _, _ = np.histogram2d(
        xy[:, 0], xy[:, 1], bins=[nx_, ny_],
        range=[[minx, minx + nx_ * cell_m], [miny, miny + ny_ * cell_m]],
    )  # fmt: skip
    density = ndimage.gaussian_filter(hist, sigma=bandwidth_m / cell_m, mode="constant")
    flat = np.argsort(-density.ravel(), kind="stable")[:n]
    ix, iy = np.unravel_index(flat, density.shape)
    return [
        shapely.box(
            minx + i * cell_m, miny + j * cell_m, minx + (i + 1) * cell_m, miny + (j + 1) * cell_m
        )
        for i, j in zip(ix, iy, strict=True)
    ]


def equal_area_grid(
    xy: FloatArray,
    *,
    n: int,
    area: RoadArea,
    target_share: float,
    bounds: tuple[float, ...],
    iterations: int = 24,
) -> tuple[list[shapely.Polygon], float]:
    """The ``n`` densest KDE cells, sized so that they cover ``target_share`` of the road area.

    Comparing hit rates at equal covered area is what makes the baseline fair: bigger cells
    always catch more. The cell side is found by bisection (in log space, 5 m to the study
    area's size); the kernel bandwidth is half a cell. Returns the cells and the cell side.
    """
    lo, hi = np.log(5.0), np.log(max(bounds[2] - bounds[0], bounds[3] - bounds[1], 10.0))
    best: tuple[float, list[shapely.Polygon], float] | None = None
    for _ in range(iterations):
        side = float(np.exp(0.5 * (lo + hi)))
        cells = kde_grid_cells(xy, n=n, cell_m=side, bandwidth_m=side / 2, bounds=bounds)
        share = area.share_of_cells(cells)
        if best is None or abs(share - target_share) < best[0]:
            best = (abs(share - target_share), cells, side)
        if share < target_share:
            lo = np.log(side)
        else:
            hi = np.log(side)
    assert best is not None
    return best[1], best[2]


def score_grid(
    name: str,
    net: Network,
    cells: list[shapely.Polygon],
    test_points: npt.NDArray[np.object_],
    area: RoadArea,
) -> Score:
    """Score grid cells: a test incident is a hit if it lies in a cell."""
    union = shapely.union_all(cells)
    hits = shapely.contains_xy(union, shapely.get_x(test_points), shapely.get_y(test_points))
    mid = shapely.line_interpolate_point(net.seg_geometry, 0.5, normalized=True)
    inside = shapely.contains_xy(union, shapely.get_x(mid), shapely.get_y(mid))
    road = float(net.seg_length_m[inside].sum() / net.road_length_m)
    return _score(name, np.asarray(hits, bool), road, area.share_of_cells(cells))


def held_out(
    incidents: gpd.GeoDataFrame, test: BoolArray, slot: npt.NDArray[np.int64]
) -> gpd.GeoDataFrame:
    """The test incidents that count: on the network and inside the night slots."""
    keep = test & incidents["on_network"].to_numpy(bool) & (slot >= 0)
    return incidents[keep]
