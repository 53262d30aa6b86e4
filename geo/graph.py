"""The compiled network: the road graph turned once into arrays for fast shortest paths.

Nodes and edges get stable integer indices (node ``i`` is ``node_ids[i]``; edge ``j`` is
``edge_keys[j]`` = ``(u, v, key)`` of the graph). Shortest paths run on ``csr``, a
``scipy.sparse.csr_array`` of travel times in seconds where parallel edges are merged to the
fastest one.

Street segments: a two-way street is two directed edges but one piece of road. Each directed
edge belongs to a segment; a segment has a forward edge (``seg_fwd``) and, on two-way streets,
a reverse edge (``seg_rev``, ``-1`` where there is none). Road length is measured on segments,
so a two-way street counts once, as a person measures streets.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import networkx as nx
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely
from pyproj import CRS
from scipy import sparse
from scipy.spatial import cKDTree

from geo.errors import CRSError, InputError
from geo.travel_time import first_tag

# scipy's csgraph reads an explicit zero as "no edge": zero travel times become this instead.
MIN_TRAVEL_TIME_S = 1e-9
# Two opposite edges between the same nodes form one two-way segment if their lengths agree
# to within this many metres.
PAIR_TOLERANCE_M = 0.5

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, eq=False)
class Metric:
    """A way of measuring along the network: edge costs for shortest paths, and the cost of
    each street segment in both directions (``inf`` backwards on a one-way street)."""

    csr: sparse.csr_array = field(repr=False)
    seg_cost_fwd: FloatArray = field(repr=False)
    seg_cost_rev: FloatArray = field(repr=False)
    seg_rate_fwd: FloatArray = field(repr=False)  # cost per metre along the segment
    seg_rate_rev: FloatArray = field(repr=False)


def _metric(
    csr: sparse.csr_array, length: FloatArray, cost_fwd: FloatArray, cost_rev: FloatArray
) -> Metric:
    safe = np.where(length > 0, length, 1.0)
    return Metric(
        csr=csr,
        seg_cost_fwd=cost_fwd,
        seg_cost_rev=cost_rev,
        seg_rate_fwd=np.maximum(cost_fwd, MIN_TRAVEL_TIME_S) / safe,
        seg_rate_rev=np.maximum(cost_rev, MIN_TRAVEL_TIME_S) / safe,
    )


@dataclass(frozen=True, eq=False)
class Network:
    """Arrays of a road graph in a metric CRS. Build with :func:`compile_network`."""

    crs: str
    mode: str
    node_ids: npt.NDArray[np.int64]
    x: FloatArray
    y: FloatArray
    edge_u: IntArray
    edge_v: IntArray
    edge_keys: list[tuple[int, int, int]] = field(repr=False)
    edge_length_m: FloatArray = field(repr=False)
    edge_time_s: FloatArray = field(repr=False)
    edge_geometry: npt.NDArray[np.object_] = field(repr=False)
    edge_name: npt.NDArray[np.object_] = field(repr=False)
    edge_highway: npt.NDArray[np.object_] = field(repr=False)
    edge_segment: IntArray = field(repr=False)
    seg_fwd: IntArray = field(repr=False)
    seg_rev: IntArray = field(repr=False)
    csr: sparse.csr_array = field(repr=False)

    @property
    def n_nodes(self) -> int:
        return len(self.node_ids)

    @property
    def n_edges(self) -> int:
        return len(self.edge_u)

    @property
    def n_segments(self) -> int:
        return len(self.seg_fwd)

    @cached_property
    def node_index(self) -> dict[int, int]:
        """Node id -> index."""
        return {int(n): i for i, n in enumerate(self.node_ids)}

    @cached_property
    def seg_length_m(self) -> FloatArray:
        return self.edge_length_m[self.seg_fwd]

    @cached_property
    def seg_geometry(self) -> npt.NDArray[np.object_]:
        """Segment geometry, oriented like its forward edge."""
        return self.edge_geometry[self.seg_fwd]

    @cached_property
    def seg_u(self) -> IntArray:
        return self.edge_u[self.seg_fwd]

    @cached_property
    def seg_v(self) -> IntArray:
        return self.edge_v[self.seg_fwd]

    @cached_property
    def seg_time_fwd_s(self) -> FloatArray:
        return self.edge_time_s[self.seg_fwd]

    @cached_property
    def seg_time_rev_s(self) -> FloatArray:
        """Travel time of the reverse edge; ``inf`` on one-way segments."""
        out = np.full(self.n_segments, np.inf)
        has = self.seg_rev >= 0
        out[has] = self.edge_time_s[self.seg_rev[has]]
        return out

    @cached_property
    def time_metric(self) -> Metric:
        """Travel time (s) on the directed network: how response is measured."""
        return _metric(self.csr, self.seg_length_m, self.seg_time_fwd_s, self.seg_time_rev_s)

    @cached_property
    def walk_metric(self) -> Metric:
        """Walking distance (m): every street both ways, at its length."""
        u = np.concatenate([self.edge_u, self.edge_v])
        v = np.concatenate([self.edge_v, self.edge_u])
        w = np.concatenate([self.edge_length_m, self.edge_length_m])
        L = self.seg_length_m
        return _metric(build_csr(self.n_nodes, u, v, w), L, L, L)

    @cached_property
    def road_length_m(self) -> float:
        """Total road length, two-way streets counted once."""
        return float(self.seg_length_m.sum())

    @cached_property
    def bounds(self) -> tuple[float, float, float, float]:
        """(minx, miny, maxx, maxy) of the nodes, in the network CRS."""
        return (
            float(self.x.min()),
            float(self.y.min()),
            float(self.x.max()),
            float(self.y.max()),
        )

    @cached_property
    def seg_tree(self) -> shapely.STRtree:
        """Spatial index over segment geometries (built on first use)."""
        return shapely.STRtree(self.seg_geometry)

    @cached_property
    def node_tree(self) -> cKDTree:
        """k-d tree over node coordinates (built on first use)."""
        return cKDTree(np.column_stack([self.x, self.y]))


def _edge_geometries(
    geoms: list[object], x: FloatArray, y: FloatArray, u: IntArray, v: IntArray
) -> npt.NDArray[np.object_]:
    out = np.empty(len(geoms), dtype=object)
    missing = np.array([g is None for g in geoms], dtype=bool)
    out[~missing] = [g for g in geoms if g is not None]
    if missing.any():
        coords = np.stack(
            [
                np.column_stack([x[u[missing]], y[u[missing]]]),
                np.column_stack([x[v[missing]], y[v[missing]]]),
            ],
            axis=1,
        )
        out[missing] = shapely.linestrings(coords)
    return out


def _pair_segments(
    u: IntArray, v: IntArray, length: FloatArray
) -> tuple[IntArray, IntArray, IntArray]:
    """Group directed edges into street segments (see module docstring)."""
    m = len(u)
    edges = pd.DataFrame({"e": np.arange(m), "u": u, "v": v, "len": length})
    cand = edges[edges.u != edges.v].merge(
        edges[edges.u != edges.v], left_on=["u", "v"], right_on=["v", "u"], suffixes=("", "_r")
    )
    cand = cand[(cand.e < cand.e_r) & ((cand.len - cand.len_r).abs() <= PAIR_TOLERANCE_M)]
    cand = cand.assign(diff=(cand.len - cand.len_r).abs()).sort_values(["diff", "e", "e_r"])
    partner = np.full(m, -1, dtype=np.int64)
    # Greedy one-to-one matching, closest lengths first (parallel edges are rare: a short loop).
    for e, r in zip(cand.e.to_numpy(), cand.e_r.to_numpy(), strict=True):
        if partner[e] < 0 and partner[r] < 0:
            partner[e] = r
            partner[r] = e
    is_fwd = (partner < 0) | (np.arange(m) < partner)
    seg_fwd = np.flatnonzero(is_fwd).astype(np.int64)
    seg_rev = partner[seg_fwd]
    edge_segment = np.empty(m, dtype=np.int64)
    edge_segment[seg_fwd] = np.arange(len(seg_fwd))
    has_rev = seg_rev >= 0
    edge_segment[seg_rev[has_rev]] = np.flatnonzero(has_rev)
    return edge_segment, seg_fwd, seg_rev


def build_csr(n: int, u: IntArray, v: IntArray, weight: FloatArray) -> sparse.csr_array:
    """An ``n x n`` CSR matrix of ``weight``, parallel edges merged to the smallest weight."""
    w = np.maximum(weight.astype(np.float64), MIN_TRAVEL_TIME_S)
    order = np.lexsort((w, v, u))
    u_s, v_s, w_s = u[order], v[order], w[order]
    first = np.ones(len(u_s), dtype=bool)
    first[1:] = (u_s[1:] != u_s[:-1]) | (v_s[1:] != v_s[:-1])
    return sparse.csr_array((w_s[first], (u_s[first], v_s[first])), shape=(n, n))


def compile_network(G: nx.MultiDiGraph) -> Network:
    """Compile a prepared road graph (metric CRS, ``length`` and ``travel_time`` on every edge)."""
    crs = G.graph.get("crs")
    if crs is None or not CRS.from_user_input(crs).is_projected:
        msg = f"the road graph must be in a projected (metric) CRS, got {crs!r}"
        raise CRSError(msg)
    if G.number_of_edges() == 0:
        msg = "the road graph has no edges"
        raise InputError(msg)
    node_ids = np.fromiter(G.nodes, dtype=np.int64, count=G.number_of_nodes())
    index = {int(n): i for i, n in enumerate(node_ids)}
    xs = np.array([G.nodes[n]["x"] for n in G.nodes], dtype=np.float64)
    ys = np.array([G.nodes[n]["y"] for n in G.nodes], dtype=np.float64)
    m = G.number_of_edges()
    eu = np.empty(m, dtype=np.int64)
    ev = np.empty(m, dtype=np.int64)
    length = np.empty(m, dtype=np.float64)
    ttime = np.empty(m, dtype=np.float64)
    keys: list[tuple[int, int, int]] = []
    geoms: list[object] = []
    names = np.empty(m, dtype=object)
    hwys = np.empty(m, dtype=object)
    for j, (a, b, k, d) in enumerate(G.edges(keys=True, data=True)):
        eu[j] = index[int(a)]
        ev[j] = index[int(b)]
        if "travel_time" not in d:
            msg = f"edge ({a}, {b}, {k}) has no travel_time: run add_travel_times first"
            raise InputError(msg)
        length[j] = d["length"]
        ttime[j] = d["travel_time"]
        keys.append((int(a), int(b), int(k)))
        geoms.append(d.get("geometry"))
        name = d.get("name")
        names[j] = ", ".join(map(str, name)) if isinstance(name, list) else name
        hwys[j] = first_tag(d.get("highway"))
    if not (np.isfinite(ttime).all() and (ttime >= 0).all()):
        msg = "some edges have a negative or non-finite travel_time"
        raise InputError(msg)
    edge_segment, seg_fwd, seg_rev = _pair_segments(eu, ev, length)
    return Network(
        crs=str(crs),
        mode=str(G.graph.get("mode", "drive")),
        node_ids=node_ids,
        x=xs,
        y=ys,
        edge_u=eu,
        edge_v=ev,
        edge_keys=keys,
        edge_length_m=length,
        edge_time_s=ttime,
        edge_geometry=_edge_geometries(geoms, xs, ys, eu, ev),
        edge_name=names,
        edge_highway=hwys,
        edge_segment=edge_segment,
        seg_fwd=seg_fwd,
        seg_rev=seg_rev,
        csr=build_csr(len(node_ids), eu, ev, ttime),
    )
