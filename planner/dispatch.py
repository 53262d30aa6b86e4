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

import itertools
import math
import threading
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import shapely
from pyproj import Transformer
from scipy.sparse.csgraph import dijkstra

from geo.errors import InputError, PatrolError, UnreachableError
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
        found = self.locate_many([lon], [lat])[0]
        if isinstance(found, InputError):
            raise found
        return found

    def locate_many(
        self, lon: Sequence[float], lat: Sequence[float]
    ) -> list[Location | InputError]:
        """:meth:`locate` for many points in one pass: each one's Location, or the error that
        puts it outside the network's area."""
        lon_a = np.asarray(lon, dtype=np.float64)
        lat_a = np.asarray(lat, dtype=np.float64)
        x, y = self._transformers()[0].transform(lon_a, lat_a)
        x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
        placed = np.isfinite(x) & np.isfinite(y)
        seg = np.full(len(lon_a), -1, dtype=np.int64)
        frac = np.zeros(len(lon_a))
        dist = np.full(len(lon_a), np.inf)
        if placed.any():
            seg[placed], frac[placed], dist[placed] = snap_to_segments(
                shapely.points(x[placed], y[placed]), self.net
            )
        out: list[Location | InputError] = []
        for lo, la, ok, sg, fr, d in zip(
            lon_a.tolist(), lat_a.tolist(), placed.tolist(), seg.tolist(), frac.tolist(),
            dist.tolist(), strict=True,
        ):  # fmt: skip
            if not ok:
                out.append(
                    InputError(f"point ({lo:g}, {la:g}) cannot be placed in the network's CRS")
                )
            elif not d <= self.max_snap_m:
                out.append(
                    InputError(
                        f"point ({lo:g}, {la:g}) lies outside the network's area: the nearest "
                        f"road is {d:,.0f} m away (at most {self.max_snap_m:g} m)"
                    )
                )
            else:
                out.append(Location(lo, la, sg, fr, d))
        return out

    def post_times(self, loc: Location) -> tuple[FloatArray, npt.NDArray[np.bool_], object]:
        """Seconds from every post to ``loc`` (``inf`` where unreached), whether each enters
        its segment at the start node, and the search behind it (for the routes)."""
        t, from_u, searches = self.post_times_many([loc])
        return t[0], from_u[0], searches[0]

    def post_times_many(
        self, locs: Sequence[Location]
    ) -> tuple[FloatArray, npt.NDArray[np.bool_], list[object]]:
        """:meth:`post_times` of many points: rows of times and start flags, one per point."""
        if self._table is not None:
            seg = np.fromiter((loc.segment for loc in locs), dtype=np.int64, count=len(locs))
            frac = np.fromiter((loc.fraction for loc in locs), dtype=np.float64, count=len(locs))
            # rows of the table are sources: as "time of each node" they go in transposed,
            # giving one time per post for each point
            t, from_u = position_times(self.net, self._table[0].T, seg, frac)
            return t[:, self._post_row], from_u[:, self._post_row], [None] * len(locs)
        found = [self._search_times(loc, self.post_nodes, self.limit_s) for loc in locs]
        n = len(self.post_nodes)
        t = np.array([f[0] for f in found]).reshape(len(locs), n)
        from_u = np.array([f[1] for f in found], dtype=bool).reshape(len(locs), n)
        return t, from_u, [f[2] for f in found]

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
        self, ways: list[tuple[int, int | None, bool, object, Location]]
    ) -> list[tuple[float, list[list[float]]]]:
        """Length (m) and lon/lat geometry of each way ``(source node, table row, to_u,
        search, point)`` (see :meth:`_edge_path`), all built in one pass of array work."""
        net = self.net
        paths = [self._edge_path(source, row, to_u, loc, search) for source, row, to_u, search,
                 loc in ways]  # fmt: skip
        edges = np.asarray([e for path in paths for e in path], dtype=np.int64)
        bounds = np.zeros(len(paths) + 1, dtype=np.int64)
        np.cumsum([len(path) for path in paths], out=bounds[1:])
        # each way's own exact sum: an answer does not depend on the questions asked with it
        # (numpy's sums of slices can round differently with where the slice starts)
        metres = net.edge_length_m[edges].tolist()
        cuts = bounds.tolist()
        walked = np.array([math.fsum(metres[i:j]) for i, j in itertools.pairwise(cuts)])
        segs = np.array([way[4].segment for way in ways], dtype=np.int64)
        fraction = np.array([way[4].fraction for way in ways])
        to_u = [way[2] for way in ways]
        tail = np.where(to_u, fraction, 1.0 - fraction) * net.seg_length_m[segs]
        shapes = self._vertices.routes(
            edges, bounds, net.seg_fwd[segs].tolist(), fraction.tolist(), to_u
        )
        return list(zip((walked + tail).tolist(), shapes, strict=True))

    def nearest(
        self, lon: float, lat: float, *, k: int, points: StaffedPoints | None = None
    ) -> tuple[Location, list[Route]]:
        """The ``k`` responders that reach ``(lon, lat)`` first, fastest first: the posts, and
        the staffed control ``points`` when given (ties: posts first, then in given order).

        The points' times come from one search on the reversed graph, bounded by the k-th
        best post's time: a point slower than that cannot be among the k.
        """
        found = self.nearest_many([lon], [lat], k=[k], points=points)[0]
        if isinstance(found, PatrolError):
            raise found
        return found

    def nearest_many(
        self,
        lon: Sequence[float],
        lat: Sequence[float],
        *,
        k: Sequence[int],
        points: StaffedPoints | None = None,
    ) -> list[tuple[Location, list[Route]] | PatrolError]:
        """:meth:`nearest` for many questions at once (a server answers those that arrive
        together this way): the snapping, the posts' times and the routes' geometry are each
        one pass of array work for all of them. Each question gets its answer, or the error
        that refuses it (:class:`InputError` off the network, :class:`UnreachableError`)."""
        out: list[tuple[Location, list[Route]] | PatrolError] = []
        out.extend(self.locate_many(lon, lat))
        asked = [i for i, loc in enumerate(out) if isinstance(loc, Location)]
        locs: list[Location] = [out[i] for i in asked]  # type: ignore[misc]
        if not locs:
            return out
        t_all, from_u_all, searches = self.post_times_many(locs)
        ways: list[tuple[int, int | None, bool, object, Location]] = []
        answered: list[tuple[int, Location, list[tuple[float, int, int]]]] = []
        for j, (i, loc) in enumerate(zip(asked, locs, strict=True)):
            t, from_u, search = t_all[j], from_u_all[j], searches[j]
            kk = int(k[i])
            reached = np.flatnonzero(np.isfinite(t))
            order = reached[np.argsort(t[reached], kind="stable")][:kk]
            picks = [(float(t[p]), 0, int(p)) for p in order]
            p_from_u = p_search = None
            if points is not None and len(points.nodes):
                limit = float(t[order[-1]]) if len(order) == kk else self.limit_s
                p_t, p_from_u, p_search = self._search_times(loc, points.nodes, limit)
                picks += [(float(p_t[q]), 1, int(q)) for q in np.flatnonzero(np.isfinite(p_t))]
                picks = sorted(picks)[:kk]
            if not picks:
                out[i] = UnreachableError(
                    f"no post reaches the point ({loc.lon:g}, {loc.lat:g}) on the network"
                )
                continue
            for _, kind, p in picks:
                if kind == 0:
                    row = int(self._post_row[p]) if self._table is not None else None
                    ways.append((int(self.post_nodes[p]), row, bool(from_u[p]), search, loc))
                else:
                    assert points is not None and p_from_u is not None
                    ways.append((int(points.nodes[p]), None, bool(p_from_u[p]), p_search, loc))
            answered.append((i, loc, picks))
        made = iter(self._routes(ways) if ways else [])
        for i, loc, picks in answered:
            routes = []
            for (eta, kind, p), (distance, coords) in zip(picks, made, strict=False):
                if kind == 0:
                    routes.append(
                        Route(p, self.post_ids[p], self.post_names[p], eta, distance, coords)
                    )
                else:
                    assert points is not None
                    routes.append(
                        Route(p, points.ids[p], points.names[p], eta, distance, coords,
                              "control_point")
                    )  # fmt: skip
            out[i] = (loc, routes)
        return out

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
        seg_edge: list[int],
        fraction: list[float],
        to_start: list[bool],
    ) -> list[list[list[float]]]:
        """Route ``r``'s vertices: those of its ``edges[bounds[r]:bounds[r + 1]]`` in order,
        then the piece of the segment whose forward edge is ``seg_edge[r]`` from its start
        (``to_start[r]``) or its end to ``fraction[r]`` of its length; a vertex equal to the
        one before it is dropped, and a route of one vertex gets it twice (a valid
        LineString)."""
        n = len(to_start)
        starts = self.offset[edges]
        counts = self.offset[edges + 1] - starts
        first = np.cumsum(counts) - counts
        idx = np.repeat(starts - first, counts) + np.arange(int(counts.sum()))
        # where each route's edge vertices begin in idx
        v_bounds = np.concatenate([[0], np.cumsum(counts)])[bounds].tolist()
        seg_a = self.offset[seg_edge].tolist()
        seg_b = self.offset[np.asarray(seg_edge, dtype=np.int64) + 1].tolist()
        parts: list[IntArray] = []
        sizes = []
        cut_j, cut_t = [], []
        for r in range(n):
            a, b = seg_a[r], seg_b[r]
            along = self.along[a:b].tolist()
            cut = fraction[r] * along[-1]
            j = min(max(bisect_right(along, cut), 1), b - a - 1)
            span = along[j] - along[j - 1]
            cut_j.append(a + j)
            cut_t.append((cut - along[j - 1]) / span if span > 0 else 0.0)
            # from the segment's start through the vertices before the cut, or from its end
            # back; then the cut point itself (filled in below)
            piece = np.arange(a, a + j) if to_start[r] else np.arange(b - 1, a + j - 1, -1)
            mine = idx[v_bounds[r] : v_bounds[r + 1]]
            parts += (mine, piece, [-1])
            sizes.append(len(mine) + len(piece) + 1)
        hi = np.cumsum(sizes)
        lo = hi - sizes
        xy = self.lonlat[np.concatenate(parts)]
        j_a = np.asarray(cut_j, dtype=np.int64)
        p0 = self.lonlat[j_a - 1]
        xy[hi - 1] = np.round(p0 + np.asarray(cut_t)[:, None] * (self.lonlat[j_a] - p0), 7)
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
