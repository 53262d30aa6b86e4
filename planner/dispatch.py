"""Who reaches a place fastest: each post's network travel time TO a point, and its route.

Built on the planner's own measure (:func:`planner.coverage.position_times`): a point on a
street segment at ``fraction`` of its forward edge is reached from a node's times ``d`` at
``min(d[u] + f * t_fwd, d[v] + (1 - f) * t_rev)``. The node times ``d`` of each post come from

- a table of every post's travel times to every node (scipy Dijkstra from the posts, once at
  start-up) when posts x nodes fits ``table_max_cells``: then a question costs a few array
  reads, or
- one bounded Dijkstra on the reversed graph from the point's two segment ends per question.

Routes follow the predecessors of the same searches, so the ETA, the distance and the drawn
route belong together.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import shapely
from pyproj import Transformer
from scipy.sparse.csgraph import dijkstra
from shapely import ops

from geo.errors import InputError, UnreachableError
from geo.graph import Network
from geo.snap import snap_to_segments
from planner.coverage import position_times

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
THRESHOLDS_MIN = (1.0, 3.0, 5.0)


@dataclass(frozen=True)
class Location:
    """A point snapped to a street segment."""

    lon: float
    lat: float
    segment: int
    fraction: float
    snap_distance_m: float


@dataclass(frozen=True)
class Route:
    """One post's way to a point."""

    post_index: int
    post_id: str
    post_name: str
    eta_s: float
    distance_m: float
    coordinates: list[list[float]]  # lon, lat


class Dispatcher:
    """Answers "which posts reach this point first" on one network, for one set of posts.

    Parameters
    ----------
    net
        The compiled network.
    posts
        Posts snapped with :func:`geo.snap.snap_posts` (``id``, ``name``, ``node``).
    max_snap_m
        A point farther than this from every road is outside the network's area.
    table_max_cells
        Keep every post's node times in memory when posts x nodes is at most this.
    limit_s
        Cut-off of the per-question search (no table).
    """

    def __init__(
        self,
        net: Network,
        posts: gpd.GeoDataFrame,
        *,
        max_snap_m: float,
        table_max_cells: int,
        limit_s: float,
    ) -> None:
        self.net = net
        self.max_snap_m = max_snap_m
        self.limit_s = limit_s
        self.post_nodes = posts["node"].to_numpy(dtype=np.int64)
        self.post_ids = [str(v) for v in posts["id"]]
        self.post_names = [str(v) for v in (posts["name"] if "name" in posts else posts["id"])]
        self._local = threading.local()
        # the edge each (u, v) step of a shortest path takes: the fastest of parallel edges,
        # as in geo.graph.build_csr
        n = net.n_nodes
        order = np.lexsort((net.edge_time_s, net.edge_v, net.edge_u))
        keys = net.edge_u[order] * n + net.edge_v[order]
        first = np.ones(len(keys), dtype=bool)
        first[1:] = keys[1:] != keys[:-1]
        self._step_keys = keys[first]
        self._step_edge = order[first]
        unique, self._post_row = np.unique(self.post_nodes, return_inverse=True)
        self._table: tuple[FloatArray, npt.NDArray[np.int32]] | None = None
        self._reverse = None
        if len(unique) * n <= table_max_cells:
            dist, pred = dijkstra(net.csr, directed=True, indices=unique, return_predecessors=True)
            self._table = (dist, pred.astype(np.int32))
        else:
            self._reverse = net.csr.T.tocsr()

    @property
    def uses_table(self) -> bool:
        return self._table is not None

    def _transformers(self) -> tuple[Transformer, Transformer]:
        pair = getattr(self._local, "pair", None)
        if pair is None:  # pyproj transformers are not shared between threads
            pair = (
                Transformer.from_crs("EPSG:4326", self.net.crs, always_xy=True),
                Transformer.from_crs(self.net.crs, "EPSG:4326", always_xy=True),
            )
            self._local.pair = pair
        return pair

    def locate(self, lon: float, lat: float) -> Location:
        """Snap ``(lon, lat)`` to the nearest street segment; :class:`InputError` if it lies
        outside the network's area."""
        x, y = self._transformers()[0].transform(lon, lat)
        if not (np.isfinite(x) and np.isfinite(y)):
            msg = f"point ({lon:g}, {lat:g}) cannot be placed in the network's CRS"
            raise InputError(msg)
        seg, frac, dist = snap_to_segments(np.array([shapely.Point(x, y)]), self.net)
        if not dist[0] <= self.max_snap_m:
            msg = (
                f"point ({lon:g}, {lat:g}) lies outside the network's area: the nearest road is "
                f"{dist[0]:,.0f} m away (at most {self.max_snap_m:g} m)"
            )
            raise InputError(msg)
        return Location(lon, lat, int(seg[0]), float(frac[0]), float(dist[0]))

    def post_times(self, loc: Location) -> tuple[FloatArray, npt.NDArray[np.bool_], object]:
        """Seconds from every post to ``loc`` (``inf`` where unreached), whether each enters
        its segment at the start node, and the search behind it (for :meth:`route`)."""
        seg = np.array([loc.segment])
        frac = np.array([loc.fraction])
        if self._table is not None:
            # rows of the table are sources: as "time of each node" they go in transposed,
            # giving one time per post for the point
            node_t = self._table[0].T
            t, from_u = position_times(self.net, node_t, seg, frac)
            return t[0][self._post_row], from_u[0][self._post_row], None
        u, v = int(self.net.seg_u[loc.segment]), int(self.net.seg_v[loc.segment])
        dist, pred = dijkstra(
            self._reverse, directed=True, indices=[u, v], limit=self.limit_s,
            return_predecessors=True,
        )  # fmt: skip
        # dist[0, n] / dist[1, n]: time from node n to u / v; then position_times' formula
        m = self.net.time_metric
        t_u = dist[0][self.post_nodes] + loc.fraction * m.seg_cost_fwd[loc.segment]
        with np.errstate(invalid="ignore"):
            t_v = dist[1][self.post_nodes] + (1.0 - loc.fraction) * m.seg_cost_rev[loc.segment]
        t_v = np.where(np.isnan(t_v), np.inf, t_v)
        from_u = t_u <= t_v
        return np.where(from_u, t_u, t_v), from_u, pred

    def _node_path(self, i: int, to_u: bool, loc: Location, search: object) -> list[int]:
        target = int(self.net.seg_u[loc.segment] if to_u else self.net.seg_v[loc.segment])
        source = int(self.post_nodes[i])
        if self._table is not None:
            pred = self._table[1][self._post_row[i]]
            path = [target]
            while path[-1] != source:
                path.append(int(pred[path[-1]]))
            return path[::-1]
        rpred = search[0 if to_u else 1]  # type: ignore[index]
        path = [source]
        while path[-1] != target:
            path.append(int(rpred[path[-1]]))
        return path

    def route(self, i: int, eta_s: float, to_u: bool, loc: Location, search: object) -> Route:
        """Post ``i``'s route to ``loc`` with its ETA, length and geometry (lon/lat)."""
        net = self.net
        path = np.asarray(self._node_path(i, to_u, loc, search), dtype=np.int64)
        steps = path[:-1] * net.n_nodes + path[1:]
        edges = self._step_edge[np.searchsorted(self._step_keys, steps)]
        seg_geom = net.seg_geometry[loc.segment]
        length = float(net.seg_length_m[loc.segment])
        if to_u:
            piece = ops.substring(seg_geom, 0.0, loc.fraction, normalized=True)
            tail_m = loc.fraction * length
        else:
            piece = ops.substring(seg_geom, 1.0, loc.fraction, normalized=True)
            tail_m = (1.0 - loc.fraction) * length
        parts = [*net.edge_geometry[edges], piece]
        xy = shapely.get_coordinates(np.asarray(parts, dtype=object))
        if len(xy) == 0:
            xy = np.array([[net.x[path[0]], net.y[path[0]]]])
        keep = np.ones(len(xy), dtype=bool)
        keep[1:] = np.any(xy[1:] != xy[:-1], axis=1)
        xy = xy[keep]
        if len(xy) == 1:
            xy = np.vstack([xy, xy])
        lon, lat = self._transformers()[1].transform(xy[:, 0], xy[:, 1])
        coords = np.round(np.column_stack([lon, lat]), 7).tolist()
        return Route(
            post_index=i,
            post_id=self.post_ids[i],
            post_name=self.post_names[i],
            eta_s=float(eta_s),
            distance_m=float(net.edge_length_m[edges].sum() + tail_m),
            coordinates=coords,
        )

    def nearest(self, lon: float, lat: float, *, k: int) -> tuple[Location, list[Route]]:
        """The ``k`` posts that reach ``(lon, lat)`` first, fastest first (ties: post order)."""
        loc = self.locate(lon, lat)
        t, from_u, search = self.post_times(loc)
        reached = np.flatnonzero(np.isfinite(t))
        if len(reached) == 0:
            msg = f"no post reaches the point ({lon:g}, {lat:g}) on the network"
            raise UnreachableError(msg)
        order = reached[np.argsort(t[reached], kind="stable")][:k]
        routes = [self.route(int(i), t[i], bool(from_u[i]), loc, search) for i in order]
        return loc, routes

    def nearest_time(self, lon: float, lat: float) -> tuple[Location, float, int]:
        """Seconds from the nearest post to ``(lon, lat)`` (``inf`` if none), and that post."""
        loc = self.locate(lon, lat)
        t, _, _ = self.post_times(loc)
        i = int(np.argmin(t))
        return loc, float(t[i]), i
