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
    """One responder's way to a point: a post, or a staffed control point."""

    post_index: int  # index among the responders of its kind
    post_id: str
    post_name: str
    eta_s: float
    distance_m: float
    coordinates: list[list[float]]  # lon, lat
    kind: str = "post"


@dataclass(frozen=True)
class StaffedPoints:
    """Control points staffed now, as extra responders: each at its nearest network node."""

    nodes: IntArray
    ids: list[str]
    names: list[str]

    def __len__(self) -> int:
        return len(self.ids)

    @classmethod
    def at(
        cls, net: Network, lon: FloatArray, lat: FloatArray, ids: list[str], names: list[str]
    ) -> StaffedPoints:
        """Points given in lon/lat, placed on their nearest node of ``net``."""
        to_xy = Transformer.from_crs("EPSG:4326", net.crs, always_xy=True)
        x, y = to_xy.transform(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
        if len(ids) == 0:
            return cls(np.empty(0, dtype=np.int64), [], [])
        _, nodes = net.node_tree.query(np.column_stack([x, y]))
        return cls(np.asarray(nodes, dtype=np.int64), list(ids), list(names))


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
        self._vertices = _EdgeVertices(net)
        unique, self._post_row = np.unique(self.post_nodes, return_inverse=True)
        self._table: tuple[FloatArray, npt.NDArray[np.int32]] | None = None  # times, edges in
        # the reversed graph: searches towards a point (posts without a table, control points)
        self._reverse = net.csr.T.tocsr()
        if len(unique) * n <= table_max_cells:
            dist, pred = dijkstra(net.csr, directed=True, indices=unique, return_predecessors=True)
            # the edge by which each post's shortest path enters each node (-1: none), so a
            # route is read off edge by edge with no look-up per step
            pred_edge = np.full(pred.shape, -1, dtype=np.int32)
            nodes = np.arange(n, dtype=np.int64)
            for row in range(len(unique)):
                has = pred[row] >= 0
                steps = pred[row][has].astype(np.int64) * n + nodes[has]
                pred_edge[row][has] = self._step_edge[np.searchsorted(self._step_keys, steps)]
            self._table = (dist, pred_edge)
            self._edge_u = net.edge_u.astype(np.int32)

    @property
    def uses_table(self) -> bool:
        return self._table is not None

    def prepare_thread(self) -> None:
        """Make this thread's projections now (e.g. before forking server workers)."""
        self._transformers()

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
        seg, frac, dist = snap_to_segments(shapely.points([x], [y]), self.net)
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
        return self._search_times(loc, self.post_nodes, self.limit_s)

    def _search_times(
        self, loc: Location, nodes: IntArray, limit_s: float
    ) -> tuple[FloatArray, npt.NDArray[np.bool_], object]:
        """Seconds from ``nodes`` to ``loc`` by one bounded search on the reversed graph from
        the point's segment ends (``inf`` beyond ``limit_s``), as in :meth:`post_times`."""
        u, v = int(self.net.seg_u[loc.segment]), int(self.net.seg_v[loc.segment])
        dist, pred = dijkstra(
            self._reverse, directed=True, indices=[u, v], limit=limit_s,
            return_predecessors=True,
        )  # fmt: skip
        # dist[0, n] / dist[1, n]: time from node n to u / v; then position_times' formula
        m = self.net.time_metric
        t_u = dist[0][nodes] + loc.fraction * m.seg_cost_fwd[loc.segment]
        with np.errstate(invalid="ignore"):
            t_v = dist[1][nodes] + (1.0 - loc.fraction) * m.seg_cost_rev[loc.segment]
        t_v = np.where(np.isnan(t_v), np.inf, t_v)
        from_u = t_u <= t_v
        return np.where(from_u, t_u, t_v), from_u, pred

    def _edge_path(self, source: int, row: int | None, to_u: bool, loc: Location,
                   search: object) -> list[int]:  # fmt: skip
        """The edges of the shortest path from node ``source`` to the start (``to_u``) or end
        node of the point's segment, in driving order: from row ``row`` of the posts' table,
        or (``row`` None) from the predecessors of a search of :meth:`_search_times`."""
        target = int(self.net.seg_u[loc.segment] if to_u else self.net.seg_v[loc.segment])
        if row is not None:
            assert self._table is not None
            # memoryviews hand out Python ints: the walk stays cheap without copying a row
            pred_edge = memoryview(self._table[1][row])
            edge_u = memoryview(self._edge_u)
            edges = []
            node = target
            while node != source:
                e = pred_edge[node]
                edges.append(e)
                node = edge_u[e]
            return edges[::-1]
        rpred = memoryview(search[0 if to_u else 1])  # type: ignore[index]
        path = [source]
        node = source
        while node != target:
            node = rpred[node]
            path.append(node)
        nodes = np.asarray(path, dtype=np.int64)
        steps = nodes[:-1] * self.net.n_nodes + nodes[1:]
        return self._step_edge[np.searchsorted(self._step_keys, steps)].tolist()

    def _routes(
        self, ways: list[tuple[int, int | None, bool, object]], loc: Location
    ) -> list[tuple[float, list[list[float]]]]:
        """Length (m) and lon/lat geometry of each way ``(source node, table row, to_u,
        search)`` to ``loc`` (see :meth:`_edge_path`), all built in one pass of array work."""
        net = self.net
        paths = [self._edge_path(source, row, to_u, loc, search) for source, row, to_u, search
                 in ways]  # fmt: skip
        edges = np.asarray([e for path in paths for e in path], dtype=np.int64)
        bounds = np.zeros(len(paths) + 1, dtype=np.int64)
        np.cumsum([len(path) for path in paths], out=bounds[1:])
        walked = np.concatenate([[0.0], np.cumsum(net.edge_length_m[edges])])[bounds]
        seg_m = float(net.seg_length_m[loc.segment])
        to_u = [way[2] for way in ways]
        lengths = np.diff(walked) + np.where(to_u, loc.fraction, 1.0 - loc.fraction) * seg_m
        shapes = self._vertices.routes(
            edges, bounds, int(net.seg_fwd[loc.segment]), loc.fraction, to_u
        )
        return list(zip(lengths.tolist(), shapes, strict=True))

    def nearest(
        self, lon: float, lat: float, *, k: int, points: StaffedPoints | None = None
    ) -> tuple[Location, list[Route]]:
        """The ``k`` responders that reach ``(lon, lat)`` first, fastest first: the posts, and
        the staffed control ``points`` when given (ties: posts first, then in given order).

        The points' times come from one search on the reversed graph, bounded by the k-th
        best post's time: a point slower than that cannot be among the k.
        """
        loc = self.locate(lon, lat)
        t, from_u, search = self.post_times(loc)
        reached = np.flatnonzero(np.isfinite(t))
        order = reached[np.argsort(t[reached], kind="stable")][:k]
        picks = [(float(t[i]), 0, int(i)) for i in order]
        p_t = p_from_u = p_search = None
        if points is not None and len(points.nodes):
            limit = float(t[order[-1]]) if len(order) == k else self.limit_s
            p_t, p_from_u, p_search = self._search_times(loc, points.nodes, limit)
            picks += [(float(p_t[j]), 1, int(j)) for j in np.flatnonzero(np.isfinite(p_t))]
            picks = sorted(picks)[:k]
        if not picks:
            msg = f"no post reaches the point ({lon:g}, {lat:g}) on the network"
            raise UnreachableError(msg)
        ways: list[tuple[int, int | None, bool, object]] = []
        for _, kind, i in picks:
            if kind == 0:
                row = int(self._post_row[i]) if self._table is not None else None
                ways.append((int(self.post_nodes[i]), row, bool(from_u[i]), search))
            else:
                assert points is not None and p_from_u is not None
                ways.append((int(points.nodes[i]), None, bool(p_from_u[i]), p_search))
        routes = []
        for (eta, kind, i), (distance, coords) in zip(picks, self._routes(ways, loc), strict=True):
            if kind == 0:
                routes.append(Route(i, self.post_ids[i], self.post_names[i], eta, distance, coords))
            else:
                assert points is not None
                routes.append(
                    Route(i, points.ids[i], points.names[i], eta, distance, coords, "control_point")
                )
        return loc, routes

    def nearest_time(self, lon: float, lat: float) -> tuple[Location, float, int]:
        """Seconds from the nearest post to ``(lon, lat)`` (``inf`` if none), and that post."""
        loc = self.locate(lon, lat)
        t, _, _ = self.post_times(loc)
        i = int(np.argmin(t))
        return loc, float(t[i]), i


class _EdgeVertices:
    """Every edge's vertices in lon/lat (rounded to 7 decimals, ~1 cm), laid end to end once,
    with the distance along the edge of each vertex: a route's geometry is then a gather of
    slices, and the cut into the last segment an interpolation, with no projection per
    question."""

    def __init__(self, net: Network) -> None:
        geoms = net.edge_geometry
        counts = shapely.get_num_coordinates(geoms).astype(np.int64)
        self.offset = np.zeros(len(counts) + 1, dtype=np.int64)
        np.cumsum(counts, out=self.offset[1:])
        xy = shapely.get_coordinates(geoms)
        step = np.hypot(*np.diff(xy, axis=0).T)
        along = np.concatenate([[0.0], np.cumsum(step)])
        # distance from each edge's first vertex
        self.along = along - np.repeat(along[self.offset[:-1]], counts)
        to_ll = Transformer.from_crs(net.crs, "EPSG:4326", always_xy=True)
        lon, lat = to_ll.transform(xy[:, 0], xy[:, 1])
        self.lonlat = np.round(np.column_stack([lon, lat]), 7)

    def routes(
        self,
        edges: IntArray,
        bounds: IntArray,
        seg_edge: int,
        fraction: float,
        to_start: list[bool],
    ) -> list[list[list[float]]]:
        """Each route's vertices: those of its ``edges[bounds[r]:bounds[r + 1]]`` in order,
        then the piece of the segment whose forward edge is ``seg_edge`` from its start
        (``to_start[r]``) or its end to ``fraction`` of its length; a vertex equal to the one
        before it is dropped, and a route of one vertex gets it twice (a valid LineString)."""
        starts = self.offset[edges]
        counts = self.offset[edges + 1] - starts
        first = np.cumsum(counts) - counts
        idx = np.repeat(starts - first, counts) + np.arange(int(counts.sum()))
        # where each route's edge vertices begin in idx
        v_bounds = np.concatenate([[0], np.cumsum(counts)])[bounds]
        a, b = int(self.offset[seg_edge]), int(self.offset[seg_edge + 1])
        along = self.along[a:b]
        cut = fraction * along[-1]
        j = min(max(int(np.searchsorted(along, cut, side="right")), 1), b - a - 1)
        span = along[j] - along[j - 1]
        t = (cut - along[j - 1]) / span if span > 0 else 0.0
        point = np.round(
            self.lonlat[a + j - 1] + t * (self.lonlat[a + j] - self.lonlat[a + j - 1]), 7
        )
        # from the segment's start through the vertices before the cut, or from its end back
        pieces = (np.arange(b - 1, a + j - 1, -1), np.arange(a, a + j))
        parts: list[IntArray] = []
        for r, start in enumerate(to_start):
            parts += (idx[v_bounds[r] : v_bounds[r + 1]], pieces[start], [-1])
        order = np.concatenate(parts)
        xy = self.lonlat[order]
        xy[order < 0] = point
        # route r spans rows [lo[r], hi[r]) of xy
        sizes = np.array([len(p) for p in parts]).reshape(-1, 3).sum(axis=1)
        hi = np.cumsum(sizes)
        lo = hi - sizes
        keep = np.ones(len(xy), dtype=bool)
        keep[1:] = np.any(xy[1:] != xy[:-1], axis=1)
        keep[lo] = True
        kept = np.cumsum(keep)
        rows = xy[keep].tolist()
        out = []
        for r0, r1 in zip((kept[lo] - 1).tolist(), kept[hi - 1].tolist(), strict=True):
            shape = rows[r0:r1]
            out.append(shape if len(shape) > 1 else shape * 2)
        return out
