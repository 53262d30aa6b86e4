"""Snapping points to the road network: incidents to street segments, posts to nodes."""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import shapely

from geo.errors import CRSError, InputError
from geo.graph import Network

DEFAULT_MAX_SNAP_M = 250.0


@dataclass(frozen=True)
class SnapReport:
    """How many points were snapped and how many lie off the network."""

    total: int
    on_network: int
    off_network: int
    max_snap_m: float
    median_distance_m: float

    def summary(self, what: str = "points") -> str:
        text = (
            f"{self.on_network:,} of {self.total:,} {what} snapped to the network "
            f"(median {self.median_distance_m:.1f} m)"
        )
        if self.off_network:
            text += (
                f"; {self.off_network:,} lie more than {self.max_snap_m:g} m from any road "
                "and are counted as off the network"
            )
        return text


def to_network_crs(frame: gpd.GeoDataFrame, net: Network, *, what: str) -> gpd.GeoDataFrame:
    """``frame`` in the network's CRS; :class:`CRSError` if it has none."""
    if frame.crs is None:
        msg = f"{what}: the points have no CRS"
        raise CRSError(msg)
    return frame.to_crs(net.crs)


def _point_xy(frame: gpd.GeoDataFrame, *, what: str) -> npt.NDArray[np.object_]:
    geoms = frame.geometry.to_numpy()
    bad = ~shapely.is_valid_input(geoms) | shapely.is_empty(geoms)
    bad |= shapely.get_type_id(geoms) != 0
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        msg = f"{what}: row {i + 1} is not a point: {geoms[i]!r}"
        raise InputError(msg)
    return geoms


def snap_to_segments(
    points: npt.NDArray[np.object_], net: Network
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Nearest street segment of each point (in the network CRS).

    Returns
    -------
    segment, fraction, distance_m
        Segment index; position along the segment's forward edge as a fraction 0..1 of its
        length; distance from the point to the segment in metres.
    """
    if len(points) == 0:
        return np.empty(0, np.int64), np.empty(0), np.empty(0)
    idx, dist = net.seg_tree.query_nearest(points, return_distance=True, all_matches=False)
    segment = np.full(len(points), -1, dtype=np.int64)
    distance = np.full(len(points), np.inf)
    segment[idx[0]] = idx[1]
    distance[idx[0]] = dist
    fraction = shapely.line_locate_point(net.seg_geometry[segment], points, normalized=True)
    # a zero-length segment gives NaN: any position on it is the same place
    fraction = np.clip(fraction, 0.0, 1.0)
    fraction[np.isnan(fraction)] = 0.0
    return segment, fraction, distance


def snap_incidents(
    frame: gpd.GeoDataFrame, net: Network, *, max_snap_m: float = DEFAULT_MAX_SNAP_M
) -> tuple[gpd.GeoDataFrame, SnapReport]:
    """Snap incident points to the nearest street segment.

    Adds ``segment``, ``edge`` (the segment's forward edge), ``fraction`` (0..1 along that
    edge), ``snap_distance_m`` and ``on_network`` (False beyond ``max_snap_m``; such incidents
    stay in the frame, are counted, and reach no coverage threshold). The frame is returned in
    the network's CRS. If every point is off the network, the coordinates are surely in the
    wrong place and :class:`CRSError` says so.
    """
    out = to_network_crs(frame, net, what="incidents")
    pts = _point_xy(out, what="incidents")
    seg, frac, dist = snap_to_segments(pts, net)
    on = dist <= max_snap_m
    if len(out) and not on.any():
        msg = (
            f"incidents: all {len(out):,} points lie more than {max_snap_m:g} m from the road "
            f"network (nearest {np.min(dist):,.0f} m): wrong CRS, swapped lon/lat, or "
            "GCJ-02/BD-09 coordinates (see --coords)?"
        )
        raise CRSError(msg)
    out = out.assign(
        segment=seg,
        edge=net.seg_fwd[seg],
        fraction=frac,
        snap_distance_m=dist,
        on_network=on,
    )
    report = SnapReport(
        total=len(out),
        on_network=int(on.sum()),
        off_network=int((~on).sum()),
        max_snap_m=max_snap_m,
        median_distance_m=float(np.median(dist[on])) if on.any() else float("nan"),
    )
    return out, report


def snap_posts(
    frame: gpd.GeoDataFrame, net: Network, *, max_snap_m: float = DEFAULT_MAX_SNAP_M
) -> gpd.GeoDataFrame:
    """Snap posts to their nearest network node; adds ``node``, ``node_id``, ``snap_distance_m``.

    A post farther than ``max_snap_m`` from every node is an :class:`InputError` naming it:
    a response cannot start from a post that is not on the roads.
    """
    out = to_network_crs(frame, net, what="posts")
    pts = _point_xy(out, what="posts")
    if len(out) == 0:
        msg = "posts: no posts given"
        raise InputError(msg)
    dist, node = net.node_tree.query(np.column_stack([shapely.get_x(pts), shapely.get_y(pts)]))
    far = np.flatnonzero(dist > max_snap_m)
    if len(far):
        ids = out["id"].to_numpy() if "id" in out else np.arange(len(out))
        shown = ", ".join(f"{ids[i]} ({dist[i]:,.0f} m)" for i in far[:5])
        msg = (
            f"posts: {len(far)} post(s) lie more than {max_snap_m:g} m from the road network: "
            f"{shown}"
        )
        raise InputError(msg)
    return out.assign(
        node=node.astype(np.int64),
        node_id=net.node_ids[node],
        snap_distance_m=dist,
    )
