"""Geometry of coverage, for maps and exports: isochrone polygons and blind-spot zones.

The figures come from :mod:`planner.coverage`; this module draws them. Isochrones are buffers
around the road actually reached (so they never cover land the network does not reach) and are
nested by construction (1 ⊆ 3 ⊆ 5). Blind spots are the road beyond the last threshold,
merged into connected zones and ranked by the incident weight they hold.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import shapely
from scipy import sparse
from scipy.sparse.csgraph import connected_components
from shapely import ops

from geo.graph import Network
from planner.coverage import CoverageResult, segment_reach

# Pieces of road shorter than this are numerical dust, not reach or blind spots.
_MIN_PIECE_M = 0.5


def segment_pieces(
    net: Network,
    seg: npt.NDArray[np.int64],
    start_m: npt.NDArray[np.float64],
    end_m: npt.NDArray[np.float64],
) -> list[shapely.LineString]:
    """Sub-lines of segments between two distances (metres of edge length) from their start."""
    length = net.seg_length_m[seg]
    geoms = net.seg_geometry[seg]
    out = []
    for g, s, e, L in zip(geoms, start_m, end_m, length, strict=True):
        if L <= 0:
            continue
        if s <= 0 and e >= L:
            out.append(g)
        else:
            out.append(ops.substring(g, s / L, e / L, normalized=True))
    return out


def isochrones(
    net: Network, coverage: CoverageResult, *, buffer_m: float = 40.0
) -> gpd.GeoDataFrame:
    """One polygon per threshold (network CRS), nested: each contains the ones before it."""
    rows = []
    previous = None
    for t in coverage.thresholds:
        reach = segment_reach(net, coverage.node_time_s, limit_s=t.minutes * 60.0)
        lines: list[shapely.LineString] = []
        for start, end in (
            (np.zeros(net.n_segments), reach.from_u_m),
            (net.seg_length_m - reach.from_v_m, net.seg_length_m),
        ):
            seg = np.flatnonzero(end - start > _MIN_PIECE_M)
            lines += segment_pieces(net, seg, start[seg], end[seg])
        if lines:
            poly = shapely.union_all(shapely.buffer(lines, buffer_m, quad_segs=4))
        else:
            poly = shapely.Polygon()
        if previous is not None:
            poly = shapely.union(poly, previous)
        previous = poly
        rows.append(
            {
                "minutes": t.minutes,
                "road_km": t.road_km,
                "road_share": t.road_share,
                "area_km2": poly.area / 1e6,
                "geometry": poly,
            }
        )
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=net.crs)


def road_bands(
    net: Network, coverage: CoverageResult, *, simplify_m: float = 2.0
) -> gpd.GeoDataFrame:
    """Road grouped by response time: one MultiLineString per band (0-1, 1-3, 3-5 min, beyond).

    Made for maps: a handful of features however large the city, geometry simplified to
    ``simplify_m``. Columns ``band``, ``minutes_from``, ``minutes_to`` (``None`` beyond the
    last threshold), ``road_km``, ``geometry`` (network CRS).
    """
    L = net.seg_length_m
    prev_u = np.zeros(net.n_segments)
    prev_v = np.zeros(net.n_segments)
    rows = []
    lower = 0.0
    for t in (*coverage.thresholds, None):
        if t is not None:
            reach = segment_reach(net, coverage.node_time_s, limit_s=t.minutes * 60.0)
            cur_u, cur_v = reach.from_u_m, reach.from_v_m
            spans = ((prev_u, cur_u), (L - cur_v, L - prev_v))
        else:
            spans = ((prev_u, L - prev_v),)
        lines: list[shapely.LineString] = []
        length = 0.0
        for start, end in spans:
            seg = np.flatnonzero(end - start > _MIN_PIECE_M)
            lines += segment_pieces(net, seg, start[seg], end[seg])
            length += float((end[seg] - start[seg]).sum())
        # simplify each piece, then group them: simplifying one huge multi-line is very slow
        geom = (
            shapely.multilinestrings(shapely.simplify(np.array(lines, dtype=object), simplify_m))
            if lines
            else None
        )
        upper = None if t is None else t.minutes
        rows.append(
            {
                "band": f"{lower:g}-{upper:g} min" if upper is not None else f"> {lower:g} min",
                "minutes_from": lower,
                "minutes_to": upper,
                "road_km": length / 1000.0,
                "geometry": geom,
            }
        )
        if t is not None:
            prev_u, prev_v, lower = cur_u, cur_v, t.minutes
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=net.crs)


def blind_spots(
    net: Network, coverage: CoverageResult, incidents: gpd.GeoDataFrame | None = None
) -> gpd.GeoDataFrame:
    """Road beyond the last threshold, merged into connected zones, ranked by incident weight.

    Columns: ``rank`` (1 = most incident weight), ``zone_id``, ``road_km``, ``incidents``,
    ``incident_weight``, ``segments``, ``geometry`` (MultiLineString, network CRS).
    """
    limit = coverage.limit_s
    reach = segment_reach(net, coverage.node_time_s, limit_s=limit)
    start = reach.from_u_m
    end = net.seg_length_m - reach.from_v_m
    seg = np.flatnonzero(end - start > _MIN_PIECE_M)
    columns = ["rank", "zone_id", "road_km", "incidents", "incident_weight", "segments"]
    if len(seg) == 0:
        return gpd.GeoDataFrame(columns=[*columns, "geometry"], geometry="geometry", crs=net.crs)

    # zones: blind segments joined through nodes that are themselves beyond the limit
    unreached = ~(coverage.node_time_s <= limit)
    k = len(seg)
    rows, cols = [], []
    for ends in (net.seg_u[seg], net.seg_v[seg]):
        m = unreached[ends]
        rows.append(np.flatnonzero(m))
        cols.append(k + ends[m])
    r = np.concatenate(rows)
    c = np.concatenate(cols)
    adj = sparse.coo_array(
        (np.ones(len(r)), (r, c)), shape=(k + net.n_nodes, k + net.n_nodes)
    ).tocsr()
    _, labels = connected_components(adj, directed=False)
    zone_of_piece = labels[:k]
    _, zone_of_piece = np.unique(zone_of_piece, return_inverse=True)
    n_zones = int(zone_of_piece.max()) + 1

    zone_of_seg = np.full(net.n_segments, -1, dtype=np.int64)
    zone_of_seg[seg] = zone_of_piece
    inc_count = np.zeros(n_zones, dtype=np.int64)
    inc_weight = np.zeros(n_zones)
    if incidents is not None and len(incidents):
        on = incidents["on_network"].to_numpy(dtype=bool)
        blind = on & ~(coverage.incident_time_s <= limit)
        z = zone_of_seg[incidents["segment"].to_numpy(dtype=np.int64)[blind]]
        w = incidents["weight"].to_numpy(dtype=np.float64)[blind]
        ok = z >= 0
        inc_count = np.bincount(z[ok], minlength=n_zones)
        inc_weight = np.bincount(z[ok], weights=w[ok], minlength=n_zones)

    pieces = np.empty(k, dtype=object)
    pieces[:] = segment_pieces(net, seg, start[seg], end[seg])
    piece_len = end[seg] - start[seg]
    road_m = np.bincount(zone_of_piece, weights=piece_len, minlength=n_zones)
    order = np.argsort(zone_of_piece, kind="stable")
    bounds = np.searchsorted(zone_of_piece[order], np.arange(n_zones + 1))
    geoms = [
        shapely.multilinestrings(list(pieces[order[bounds[z] : bounds[z + 1]]]))
        for z in range(n_zones)
    ]
    frame = gpd.GeoDataFrame(
        {
            "zone_id": np.arange(n_zones),
            "road_km": road_m / 1000.0,
            "incidents": inc_count,
            "incident_weight": inc_weight,
            "segments": np.diff(bounds),
        },
        geometry=geoms,
        crs=net.crs,
    )
    frame = frame.sort_values(
        ["incident_weight", "road_km", "zone_id"], ascending=[False, False, True]
    ).reset_index(drop=True)
    frame.insert(0, "rank", np.arange(1, n_zones + 1))
    frame["zone_id"] = frame["rank"]  # stable, meaningful ids: zone 1 is the worst
    return frame
