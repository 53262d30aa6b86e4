"""Patrol lines: closed routes a car or foot patrol runs again and again during one slot.

A line starts and ends at a start node (a post or a control point), runs on the DIRECTED
network (one-way streets only in their direction) and is between ``min_m`` and ``max_m`` metres
long. Demand belongs to the street segment (:mod:`geo.graph`), not to each direction: a line
collects a segment's demand once however often and in whichever direction it runs along it.

Method (a per-start greedy, then an optional local search):

1. Regions. For each start ``s`` a Dijkstra on the lengths (out from ``s``) and one on the
   reversed graph (back to ``s``), both cut at ``max_m``, give the nodes ``x`` with
   ``out(x) + back(x) <= max_m``: every closed walk from ``s`` within ``max_m`` stays inside,
   and so do the shortest paths between its nodes, so each line is planned on that small
   sub-network only. Such a walk never gets further than ``max_m / 2`` from ``s`` in a
   straight line, so both searches run on the nodes of that disc only (a k-d tree query).
2. Construction. Lines are assigned to starts round-robin (line ``k`` starts at
   ``starts[k % len(starts)]``; with more lines than starts, several lines share a start) and
   built one after the other. From the current node, a bounded Dijkstra (cut at the budget
   left; a small radius first, widened while a target beyond it could still win) gives the
   metres to every node; among the directed edges ``a -> b`` whose segment the line has not
   collected yet and whose value is positive, the one maximising
   ``(value + value on the way) / (dist(a) + length(a -> b))`` is chosen (the value on the
   way is what the shortest path to ``a`` collects), provided the line can still get back:
   ``used + dist(a) + length + back(b) <= max_m``. The line walks the shortest path there,
   runs along the edge, collects every segment on the way, and goes on until nothing fits;
   then it returns by the shortest path. With ``stop_early=True`` it stops instead, once the
   line is long enough, when the next target would lower the closed loop's value per metre.
3. Too short. If the loop is shorter than ``min_m`` it keeps going to the nearest segments it
   has not run yet (whatever their demand) until the way back makes it long enough; failing
   that it adds one out-and-back detour to the node that brings it into the bounds. A start
   from which no loop meets the bounds gets a note; :class:`~geo.errors.InfeasibleError` is
   raised only if no line at all can be built.
4. Local search (``improve=True``): per line, remove a target (a sweep in random order),
   then insert the first of the candidates estimated best per extra metre that helps,
   placed where it costs least; the route is re-stitched with shortest paths and a move is
   kept only if the re-measured route stays within the bounds and its value per (priced)
   metre rises (see below). The greedy fills each line up to ``max_m``; the search mostly
   trims the weak parts, so lines end up as long as their demand holds up. One such step per
   line and round, for the lines that still improve, until none does or ``time_limit_s``
   is spent (the search's memory of shortest paths is kept across rounds, per start).

Values and penalties:

- Overlap: during construction, the demand of a segment already collected by an earlier line
  of the same slot counts ``(1 - overlap_penalty)`` for later lines (``overlap_penalty=1``:
  nothing; ``0``: lines ignore each other). The local search counts demand in full (what
  the line really collects) and prices overlap in metres instead: each metre a line runs on
  a segment that another line of the slot also runs counts ``1 + overlap_penalty`` metres.
  A flat demand discount pushed lines off hot streets they could share usefully, while the
  shared connecting streets, worth nothing, cost nothing; pricing shared metres gives lines
  both more demand per km and less shared length (city benchmark: see ``bench/README.md``).
- Control points: a control point is worth ``control_bonus`` times the 90th percentile of the
  positive segment demand of the slot (``control_bonus=1``: as much as a top-decile street
  segment), counted once per line, when the line reaches it; control points already reached
  by another line count ``(1 - overlap_penalty)`` of that during construction. The bonus is added to the value of
  the edges that end at the point, so lines detour through a control point when one is near.
  Each line reports the control points it passes.

Results are re-measured from the route's edges: ``length_m``, ``demand`` (undiscounted, each
segment once per line), ``demand_per_km``, ``duration_s`` (``length / speed`` when
``speed_kph`` is given, else the network's travel times along the route) and
``overlap_share`` (share of the line's length on segments that other lines of the slot also
run on).

Baselines for benchmarks and tests: :func:`random_walk_baseline` (random closed walks of the
same lengths from the same starts) and :func:`top_edges_baseline` (from the same start, the
shortest greedy loop through as many of the highest-demand segments nearby as the line
collects).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from scipy import sparse
from scipy.sparse.csgraph import dijkstra

from geo.errors import InfeasibleError, InputError
from geo.graph import MIN_TRAVEL_TIME_S, Network, build_csr

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

# Measured on the city benchmark (238 lines of 3-8 km, 9 s limit, 2 busy cores): 0.8 gives
# 57-60% overlap with 3.0-3.1x random walks and 0.98-1.11x top-edges loops per line (3.3x,
# 1.21x, 55% once the local search has run to its end, ~13 s CPU); 0.5 gives 3.3x and 1.15x
# at 64% overlap; 1.0 gives 32% overlap but 1.3x and 0.45x. Little overlap is asked for, so
# 0.8 is the default.
DEFAULT_OVERLAP_PENALTY = 0.8
DEFAULT_CONTROL_BONUS = 1.0
CONTROL_BONUS_QUANTILE = 0.9
UNNAMED = "(unnamed)"
_EPS_M = 1e-6


@dataclass(frozen=True)
class PatrolLine:
    """One closed patrol route of a slot."""

    line_id: str
    slot: int
    start_node: int  # node index
    nodes: IntArray = field(repr=False)  # closed walk, nodes[0] == nodes[-1] == start_node
    edges: IntArray = field(repr=False)  # len(nodes) - 1 edge indices along the walk
    length_m: float
    duration_s: float
    demand: float  # each street segment counted once
    demand_per_km: float
    control_points: IntArray = field(repr=False)  # control point nodes passed, in order
    overlap_share: float  # share of the length on segments other lines of the slot also use


@dataclass(frozen=True)
class LinesResult:
    """The lines of one slot and how good they are together."""

    lines: tuple[PatrolLine, ...]
    total_demand: float  # demand of all segments any line runs on, each counted once
    overlap_share: float  # share of the lines' total length on segments used by 2+ lines
    seconds: float
    notes: tuple[str, ...] = ()

    @property
    def demand_per_km(self) -> float:
        """Summed line demand per summed line kilometre."""
        km = sum(line.length_m for line in self.lines) / 1000.0
        return sum(line.demand for line in self.lines) / km if km > 0 else 0.0


# --- the network around each start ---------------------------------------------------------

_DISC_MARGIN = 1.01  # straight-line reach of a region, relative margin (projection scale) ...
_DISC_MARGIN_M = 10.0  # ... and absolute margin, m
_TRY = 30  # insertions tried per step of the local search, best estimated first
_SEARCH_RADIUS_M = 1200.0  # searches of the local search (the whole region only to join targets)
_FIRST_RADIUS_M = 600.0  # first search radius of a greedy step (widened when needed)
_PRUNE_EVERY = 8  # greedy steps between prunings of the candidate pool
_COLLECT_ON_WAY = True


def directed_length_csr(net: Network) -> sparse.csr_array:
    """Edge lengths (m) on the directed network, parallel edges merged to the shortest."""
    return build_csr(net.n_nodes, net.edge_u, net.edge_v, net.edge_length_m)


@dataclass(eq=False)
class _Region:
    """The sub-network holding every closed walk from ``start`` within the length limit."""

    start: int  # global node index
    nodes: IntArray  # global node indices, sorted
    s_loc: int
    out: FloatArray  # metres from the start, per local node
    back: FloatArray  # metres back to the start, per local node
    back_pred: IntArray  # next local node on the shortest way back (-9999 at the start)
    sub: sparse.csr_array  # local directed lengths (parallel edges merged to the shortest)
    sub_t: sparse.csr_array  # its transpose, as CSR
    e: IntArray  # global edge indices of the region's edges
    eu: IntArray  # local tail node of each region edge
    ev: IntArray  # local head node
    elen: FloatArray
    eseg: IntArray
    key_sorted: IntArray  # u * n_local + v of the shortest edge per pair, sorted
    key_edge: IntArray  # the global edge index of that edge

    def edges_of(self, path: Sequence[int]) -> IntArray:
        """Global edge indices along a path of local nodes (shortest edge between each pair)."""
        p = np.asarray(path, dtype=np.int64)
        if len(p) < 2:
            return np.empty(0, dtype=np.int64)
        key = p[:-1] * len(self.nodes) + p[1:]
        pos = np.searchsorted(self.key_sorted, key)
        return self.key_edge[pos]


def _out_edges_index(net: Network) -> tuple[IntArray, IntArray]:
    order = np.argsort(net.edge_u, kind="stable").astype(np.int64)
    indptr = np.searchsorted(net.edge_u[order], np.arange(net.n_nodes + 1)).astype(np.int64)
    return order, indptr


def _gather(order: IntArray, indptr: IntArray, nodes: IntArray) -> IntArray:
    """Concatenated ``order[indptr[n]:indptr[n + 1]]`` over ``nodes``."""
    lo, hi = indptr[nodes], indptr[nodes + 1]
    cnt = hi - lo
    if cnt.sum() == 0:
        return np.empty(0, dtype=np.int64)
    offs = np.repeat(lo - np.cumsum(cnt) + cnt, cnt) + np.arange(cnt.sum())
    return order[offs]


def _path_values(net: Network, reg: _Region, st: _State, pred: IntArray) -> FloatArray:
    """Per local node: the value not yet collected along the shortest path to it (sums down
    the predecessor tree by pointer doubling, on the reached nodes only; a segment met twice
    counts twice: an estimate)."""
    n = len(pred)
    out = np.zeros(n)
    x = np.flatnonzero(pred >= 0)
    if len(x) == 0:
        return out
    e = reg.key_edge[np.searchsorted(reg.key_sorted, pred[x] * n + x)]
    seg = net.edge_segment[e]
    v = net.edge_v[e]
    # compact numbering: 0 is the root (every predecessor outside x), 1.. the reached nodes
    pos = np.zeros(n, dtype=np.int64)
    pos[x] = np.arange(1, len(x) + 1)
    acc = np.zeros(len(x) + 1)
    acc[1:] = st.seg_value[seg] * ~st.collected[seg] + st.cp_value[v] * ~st.passed[v]
    anc = np.concatenate([[0], pos[pred[x]]])
    while True:
        acc = acc + acc[anc]
        up = anc[anc]
        if (up == anc).all():
            break
        anc = up
    out[x] = acc[1:]
    return out


def _path_to(pred: IntArray, src: int, dst: int) -> list[int]:
    """Local nodes from ``src`` to ``dst`` along a predecessor tree rooted at ``src``."""
    path = [dst]
    while path[-1] != src:
        path.append(int(pred[path[-1]]))
        if path[-1] < 0:
            msg = "broken predecessor tree"  # cannot happen for reached nodes
            raise RuntimeError(msg)
    path.reverse()
    return path


def _path_back(reg: _Region, src: int) -> list[int]:
    """Local nodes from ``src`` back to the start."""
    path = [src]
    while path[-1] != reg.s_loc:
        path.append(int(reg.back_pred[path[-1]]))
    return path


def _sorted_csr(n: int, u: IntArray, v: IntArray, w: FloatArray) -> sparse.csr_array:
    """CSR from entries already sorted by (u, v) without repeats."""
    indptr = np.searchsorted(u, np.arange(n + 1)).astype(np.int64)
    return sparse.csr_array((np.maximum(w, MIN_TRAVEL_TIME_S), v, indptr), shape=(n, n))


def _shortest_parallel(net: Network) -> tuple[IntArray, IntArray]:
    """The shortest edge of each (u, v) pair, sorted by (u, v), and an index by ``u``."""
    order = np.lexsort((np.arange(net.n_edges), net.edge_length_m, net.edge_v, net.edge_u))
    u, v = net.edge_u[order], net.edge_v[order]
    first = np.ones(len(order), dtype=bool)
    first[1:] = (u[1:] != u[:-1]) | (v[1:] != v[:-1])
    kept = order[first].astype(np.int64)
    return kept, np.searchsorted(net.edge_u[kept], np.arange(net.n_nodes + 1)).astype(np.int64)


def _on_loop(
    a: IntArray,
    b: IntArray,
    length: FloatArray,
    *,
    loc: IntArray,
    out: FloatArray,
    back: FloatArray,
    limit: float,
) -> npt.NDArray[np.bool_]:
    """Edges ``a -> b`` between kept nodes that some closed walk within ``limit`` can use."""
    ok = (loc[a] >= 0) & (loc[b] >= 0)
    ok[ok] = out[a[ok]] + length[ok] + back[b[ok]] <= limit + _EPS_M
    return ok


def _regions(net: Network, starts: IntArray, limit_m: FloatArray) -> dict[int, _Region]:
    """A :class:`_Region` per distinct start, within its own length limit.

    A closed walk of at most ``limit`` metres never gets further than ``limit / 2`` in a
    straight line from its start (an edge is never shorter than the straight line between its
    ends; a margin absorbs projection scale), so both searches run on that disc only; nodes
    left out by the margin could only make the region smaller, never wrong.
    """
    uniq = np.unique(starts)
    lim = np.array([limit_m[starts == s].max() for s in uniq])
    order_e, indptr = _out_edges_index(net)
    kept, kept_ptr = _shortest_parallel(net)
    tree = net.node_tree
    mask = np.full(net.n_nodes, -1, dtype=np.int64)
    regions: dict[int, _Region] = {}
    for st, limit in zip(uniq.tolist(), lim.tolist(), strict=True):
        radius = limit / 2.0 * _DISC_MARGIN + _DISC_MARGIN_M
        disc = np.asarray(
            tree.query_ball_point([net.x[st], net.y[st]], radius, return_sorted=True),
            dtype=np.int64,
        )
        n_d = len(disc)
        mask[disc] = np.arange(n_d)
        # every edge, and the shortest edge per pair of nodes (sorted by pair: disc is sorted)
        e = _gather(order_e, indptr, disc)
        e = e[mask[net.edge_v[e]] >= 0]
        du, dv = mask[net.edge_u[e]], mask[net.edge_v[e]]
        k = _gather(kept, kept_ptr, disc)
        k = k[mask[net.edge_v[k]] >= 0]
        ku, kv = mask[net.edge_u[k]], mask[net.edge_v[k]]
        mask[disc] = -1
        s_d = int(np.searchsorted(disc, st))
        csr = _sorted_csr(n_d, ku, kv, net.edge_length_m[k])
        out = dijkstra(csr, directed=True, indices=s_d, limit=limit + _EPS_M)
        back = dijkstra(csr.T, directed=True, indices=s_d, limit=limit + _EPS_M)
        inside = np.flatnonzero(out + back <= limit + _EPS_M)  # sorted; holds s_d
        loc = np.full(n_d, -1, dtype=np.int64)
        loc[inside] = np.arange(len(inside))
        n_loc = len(inside)

        elen = net.edge_length_m[e]
        ok = _on_loop(du, dv, elen, loc=loc, out=out, back=back, limit=limit)
        e, eu, ev, elen = e[ok], loc[du[ok]], loc[dv[ok]], elen[ok]
        klen = net.edge_length_m[k]
        ok = _on_loop(ku, kv, klen, loc=loc, out=out, back=back, limit=limit)
        k, ku, kv, klen = k[ok], loc[ku[ok]], loc[kv[ok]], klen[ok]
        sub = _sorted_csr(n_loc, ku, kv, klen)
        sub_t = sparse.csr_array(sub.T)
        s_loc = int(loc[s_d])
        # the way back on the region itself (the same lengths: shortest ways back stay inside)
        bdist, bpred = dijkstra(sub_t, directed=True, indices=s_loc, return_predecessors=True)
        regions[st] = _Region(
            start=st,
            nodes=disc[inside],
            s_loc=s_loc,
            out=out[inside],
            back=np.asarray(bdist),
            back_pred=np.asarray(bpred, dtype=np.int64),
            sub=sub,
            sub_t=sub_t,
            e=e,
            eu=eu,
            ev=ev,
            elen=elen,
            eseg=net.edge_segment[e],
            key_sorted=ku * n_loc + kv,
            key_edge=k,
        )
    return regions


# --- checks --------------------------------------------------------------------------------


def _check_nodes(net: Network, nodes: object, *, name: str, allow_empty: bool) -> IntArray:
    arr = np.atleast_1d(np.asarray(nodes))
    if arr.ndim != 1 or (len(arr) and not np.issubdtype(arr.dtype, np.integer)):
        msg = f"{name} must be a 1-D array of node indices, got {arr.dtype} of shape {arr.shape}"
        raise InputError(msg)
    arr = arr.astype(np.int64)
    if not allow_empty and len(arr) == 0:
        msg = f"{name}: no nodes given"
        raise InputError(msg)
    bad = (arr < 0) | (arr >= net.n_nodes)
    if bad.any():
        msg = (
            f"{name}: node index {int(arr[bad][0])} is not on the network "
            f"(it has {net.n_nodes:,} nodes, indices 0..{net.n_nodes - 1})"
        )
        raise InputError(msg)
    return arr


def _check_demand(net: Network, seg_demand: object, *, name: str = "seg_demand") -> FloatArray:
    d = np.asarray(seg_demand, dtype=np.float64)
    if d.shape != (net.n_segments,):
        msg = f"{name} must have one value per street segment ({net.n_segments:,}), got {d.shape}"
        raise InputError(msg)
    if not np.isfinite(d).all() or (d < 0).any():
        msg = f"{name} must be finite and >= 0"
        raise InputError(msg)
    return d


def _check_bounds(min_m: float, max_m: float) -> tuple[float, float]:
    for name, v in (("min_m", min_m), ("max_m", max_m)):
        if not np.isfinite(v) or v < 0:
            msg = f"{name} must be a finite length >= 0 in metres, got {v}"
            raise InputError(msg)
    if not max_m > 0:
        msg = f"max_m must be > 0 m, got {max_m}"
        raise InfeasibleError(msg)
    if min_m > max_m:
        msg = f"min_m={min_m:g} m is longer than max_m={max_m:g} m: no line fits"
        raise InfeasibleError(msg)
    return float(min_m), float(max_m)


# --- construction --------------------------------------------------------------------------


@dataclass(eq=False)
class _State:
    """Values shared by the lines of one slot while they are built."""

    seg_demand: FloatArray
    seg_value: FloatArray  # demand, discounted where an earlier line collected the segment
    cp_bonus: FloatArray  # per node: bonus of an unreached control point (0 elsewhere)
    cp_value: FloatArray  # the same, discounted where an earlier line reached it
    keep: float  # 1 - overlap_penalty
    collected: npt.NDArray[np.bool_]  # per segment, for the line being built
    passed: npt.NDArray[np.bool_]  # per node, for the line being built


@dataclass
class _Built:
    start: int
    edges: IntArray
    targets: list[int]  # region-edge positions of the targets, in order
    pieces: list[IntArray]  # the route's edges between them: start, targets, start


def _build_line(
    net: Network,
    reg: _Region,
    st: _State,
    *,
    min_m: float,
    max_m: float,
    cand: IntArray,
    dilute: bool,
) -> _Built | None:
    """Greedy construction of one line from ``reg.start`` (see the module docstring)."""
    cur = reg.s_loc
    used_m = value = 0.0
    route: list[IntArray] = []
    targets: list[int] = []
    pieces: list[list[IntArray]] = [[]]
    touched_s: list[IntArray] = []
    touched_n: list[IntArray] = []
    ev_glob = reg.nodes[reg.ev]

    def walk(path: list[int], target: int | None) -> None:
        nonlocal cur, used_m, value
        e = reg.edges_of(path)
        pieces[-1].append(e)
        if target is not None:
            e = np.append(e, reg.e[target])
            targets.append(target)
            pieces.append([])
        route.append(e)
        segs = np.unique(net.edge_segment[e])
        value += float(st.seg_value[segs[~st.collected[segs]]].sum())
        st.collected[segs] = True
        touched_s.append(segs)
        nd = np.unique(net.edge_v[e])
        value += float(st.cp_value[nd[~st.passed[nd]]].sum())
        st.passed[nd] = True
        touched_n.append(nd)
        used_m += float(net.edge_length_m[e].sum())
        cur = int(reg.ev[target]) if target is not None else path[-1]

    st.passed[reg.start] = True
    touched_n.append(np.array([reg.start]))
    try:
        # 1. greedy on value per extra metre
        phases: list[tuple[IntArray, bool]] = [(cand, True)]
        if min_m > 0:
            phases.append((np.arange(len(reg.e)), False))
        for pool, by_value in phases:
            pu, pl, ps, pg = reg.eu[pool], reg.elen[pool], reg.eseg[pool], ev_glob[pool]
            pb = reg.back[reg.ev[pool]]
            vmax = 1.0
            steps = 0
            while len(pool):
                left = max_m - used_m
                if not by_value and used_m + reg.back[cur] >= min_m - _EPS_M:
                    break
                if steps % _PRUNE_EVERY == 0:
                    # drop what this line can no longer collect (values only ever fall)
                    if by_value:
                        val = (
                            st.seg_value[ps] * ~st.collected[ps] + st.cp_value[pg] * ~st.passed[pg]
                        )
                    else:
                        val = (~st.collected[ps]).astype(np.float64)
                    alive = val > 0
                    pool, pu, pl, ps, pg, pb = (a[alive] for a in (pool, pu, pl, ps, pg, pb))
                    if not len(pool):
                        break
                    vmax = float(val[alive].max())
                steps += 1
                # search a small radius first; widen it until no target beyond could win
                radius = min(left, _FIRST_RADIUS_M)
                while True:
                    dist, pred = dijkstra(
                        reg.sub, directed=True, indices=cur, limit=radius + _EPS_M,
                        return_predecessors=True,
                    )  # fmt: skip
                    near = np.flatnonzero(np.isfinite(dist[pu]))
                    extra = dist[pu[near]] + pl[near]
                    ok = extra + pb[near] <= left + _EPS_M
                    ns, ng = ps[near], pg[near]
                    if by_value:
                        val = (
                            st.seg_value[ns] * ~st.collected[ns] + st.cp_value[ng] * ~st.passed[ng]
                        )
                        if _COLLECT_ON_WAY:
                            val = val + _path_values(net, reg, st, pred)[pu[near]]
                    else:
                        val = (~st.collected[ns]).astype(np.float64)
                    ok &= val > 0
                    best = -1.0
                    if ok.any():
                        idx = np.flatnonzero(ok)
                        score = val[idx] / np.maximum(extra[idx], _EPS_M)
                        b = int(np.argmax(score))
                        best, j = float(score[b]), int(pool[near[idx[b]]])
                    if radius >= left or best >= vmax / radius:
                        break
                    radius = min(left, 4.0 * radius)
                if best < 0:
                    break
                if by_value and dilute and used_m + reg.back[cur] >= min_m:
                    # stop once going on would lower the closed loop's value per metre
                    k = int(np.flatnonzero(pool == j)[0])
                    gain = float(
                        st.seg_value[ps[k]] * (not st.collected[ps[k]])
                        + st.cp_value[pg[k]] * (not st.passed[pg[k]])
                    )
                    longer = used_m + dist[pu[k]] + pl[k] + pb[k]
                    if (value + gain) * (used_m + reg.back[cur]) < value * longer:
                        break
                walk(_path_to(pred, cur, int(reg.eu[j])), j)
        # 2. still too short: one detour to the node that brings the loop into the bounds
        if used_m + reg.back[cur] < min_m - _EPS_M:
            left = max_m - used_m
            dist, pred = dijkstra(
                reg.sub, directed=True, indices=cur, limit=left + _EPS_M,
                return_predecessors=True,
            )  # fmt: skip
            total = used_m + dist + reg.back
            ok = np.flatnonzero((total >= min_m - _EPS_M) & (total <= max_m + _EPS_M))
            if len(ok) == 0:
                return None
            x = int(ok[np.argmin(total[ok])])
            path = _path_to(pred, cur, x)
            last = path[-2]
            e_last = int(reg.edges_of([last, x])[0])
            j = int(np.flatnonzero(reg.e == e_last)[0])
            walk(path[:-1], None)
            walk([last], j)
        walk(_path_back(reg, cur), None)
        edges = np.concatenate(route) if route else np.empty(0, dtype=np.int64)
        if len(edges) == 0:
            return None
        joined = [np.concatenate(p) if p else np.empty(0, dtype=np.int64) for p in pieces]
        return _Built(start=reg.start, edges=edges, targets=targets, pieces=joined)
    finally:
        for s in touched_s:
            st.collected[s] = False
        for n in touched_n:
            st.passed[n] = False


# --- local search --------------------------------------------------------------------------


@dataclass
class _StartCache:
    """What the local search learns about one start's region, kept across rounds and shared
    by the lines of that start: route pieces between node pairs, and per node the metres to
    (``to_cand``) and from (``from_cand``) the candidate targets within the search radius."""

    pieces: dict[tuple[int, int], IntArray] = field(default_factory=dict)
    to_cand: dict[int, tuple[IntArray, FloatArray]] = field(default_factory=dict)
    from_cand: dict[int, tuple[IntArray, FloatArray]] = field(default_factory=dict)
    edge: dict[int, IntArray] = field(default_factory=dict)  # one-edge pieces
    meta: dict[int, tuple[IntArray, list[int], float, FloatArray]] = field(default_factory=dict)


class _LineSearch:
    """Moves on one line's targets, measured exactly and incrementally.

    The route is ``P[0], T[0], P[1], T[1], ..., P[k]``: target edges ``T`` joined by shortest
    paths ``P``. What a line collects are "items": its street segments and the control points
    it reaches, each counted once; ``cnt`` counts how often the route runs over each item, so
    a move's value is exact (paths pass over other targets' segments too) without
    re-measuring the whole route. A line's ``value`` is its items' full demand (and bonuses);
    its ``cost`` is its metres plus ``shared_cost`` times its metres on segments other lines
    of the slot run on; moves must raise ``value / cost``.
    """

    def __init__(
        self,
        net: Network,
        reg: _Region,
        targets: list[int],
        pieces: list[IntArray],
        *,
        base: FloatArray,
        item_count: IntArray,
        is_cp: npt.NDArray[np.bool_],
        cand: IntArray,
        min_m: float,
        max_m: float,
        shared_cost: float,
        cache: _StartCache,
        scratch: IntArray,
        own: npt.NDArray[np.bool_],
    ) -> None:
        self.net, self.reg = net, reg
        self.base, self.item_count, self.is_cp = base, item_count, is_cp
        self.cand = cand
        self.min_m, self.max_m = min_m, max_m
        self._fwd: dict[int, tuple[FloatArray, IntArray]] = {}
        self.cache = cache
        self._pieces = cache.pieces
        self.T = list(targets)
        self.P = list(pieces)
        # per item: how often the route runs over it (``scratch``, all zero between searches;
        # the same counts in ``_counts`` for quick lookups) and whether other lines run on it
        self.cnt = scratch
        present, counts = np.unique(
            np.concatenate([self.items(e) for e in self._parts()]), return_counts=True
        )
        self.cnt[present] = counts
        self._counts = dict(zip(present.tolist(), counts.tolist(), strict=True))
        self.own = own  # the line's items before the search (counted in item_count)
        self.own[present] = True
        self._present = present
        self.value = float(self.weight(present).sum())
        self.length = float(sum(net.edge_length_m[e].sum() for e in self._parts()))
        self.beta = shared_cost
        self._shared_m: dict[int, tuple[IntArray, float]] = {}
        self.cost = self.length + self.beta * sum(self.meta(e)[2] for e in self._parts())

    def finish(self) -> None:
        """Leave the shared scratch counts at zero for the next search."""
        self.cnt[np.fromiter(self._counts, dtype=np.int64, count=len(self._counts))] = 0
        self.own[self._present] = False

    def edge(self, j: int) -> IntArray:
        """Region edge ``j`` as a one-edge route piece (one array per edge, for :meth:`meta`)."""
        if j not in self.cache.edge:
            self.cache.edge[j] = self.reg.e[j : j + 1]
        return self.cache.edge[j]

    # route pieces
    def _heads(self, T: list[int]) -> list[int]:
        return [self.reg.s_loc] + [int(self.reg.ev[j]) for j in T]

    def _tails(self, T: list[int]) -> list[int]:
        return [int(self.reg.eu[j]) for j in T] + [self.reg.s_loc]

    def _parts(self) -> list[IntArray]:
        out = [self.P[0]]
        for j, p in zip(self.T, self.P[1:], strict=True):
            out += [self.edge(j), p]
        return out

    @property
    def edges(self) -> IntArray:
        return np.concatenate(self._parts())

    def fwd(self, node: int) -> tuple[FloatArray, IntArray]:
        """Metres and predecessors from ``node``, within :data:`_SEARCH_RADIUS_M`."""
        if node not in self._fwd:
            self._fwd[node] = dijkstra(
                self.reg.sub, directed=True, indices=node, limit=_SEARCH_RADIUS_M,
                return_predecessors=True,
            )  # fmt: skip
        return self._fwd[node]

    def to_cand(self, node: int) -> tuple[IntArray, FloatArray]:
        """Candidates (positions in ``cand``) whose tail is within the search radius of
        ``node``, and the metres to it."""
        got = self.cache.to_cand.get(node)
        if got is None:
            dist = self.fwd(node)[0][self.reg.eu[self.cand]]
            pos = np.flatnonzero(np.isfinite(dist))
            got = self.cache.to_cand[node] = (pos, dist[pos])
        return got

    def from_cand(self, node: int) -> tuple[IntArray, FloatArray]:
        """Candidates whose head is within the search radius before ``node``, and the metres."""
        got = self.cache.from_cand.get(node)
        if got is None:
            dist = dijkstra(self.reg.sub_t, directed=True, indices=node, limit=_SEARCH_RADIUS_M)[
                self.reg.ev[self.cand]
            ]
            pos = np.flatnonzero(np.isfinite(dist))
            got = self.cache.from_cand[node] = (pos, dist[pos])
        return got

    def piece(self, a: int, b: int, bound: float | None = None) -> IntArray:
        """Edges of the shortest path between local nodes ``a`` and ``b`` (cached); ``bound``
        (m), when known, is at least its length and keeps the search small."""
        key = (a, b)
        if key not in self._pieces:
            pred = None
            if bound is not None and a not in self._fwd:
                dist, pred = dijkstra(
                    self.reg.sub, directed=True, indices=a, limit=bound + _EPS_M,
                    return_predecessors=True,
                )  # fmt: skip
                if not np.isfinite(dist[b]):
                    pred = None
            if pred is None:
                dist, pred = self.fwd(a)
                if not np.isfinite(dist[b]):  # beyond the search radius: the whole region
                    _, pred = dijkstra(
                        self.reg.sub, directed=True, indices=a, return_predecessors=True
                    )
            self._pieces[key] = self.reg.edges_of(_path_to(pred, a, b))
        return self._pieces[key]

    # values
    def items(self, edges: IntArray) -> IntArray:
        """Item ids of edges: their segments, and ``n_segments + node`` of control points."""
        v = self.net.edge_v[edges]
        return np.concatenate(
            [self.net.edge_segment[edges], self.net.n_segments + v[self.is_cp[v]]]
        )

    def weight(self, ids: IntArray) -> FloatArray:
        return self.base[ids]

    # moves: each returns new targets, new pieces and the changes [(edges, +1/-1)]
    def _remove(
        self, T: list[int], P: list[IntArray], i: int
    ) -> tuple[list[int], list[IntArray], list[tuple[IntArray, int]]]:
        a = self._heads(T)[i]
        b = self._tails(T)[i + 1]
        now = self.meta(P[i])[1] + float(self.reg.elen[T[i]]) + self.meta(P[i + 1])[1]
        new = self.piece(a, b, now)
        ops = [(P[i], -1), (self.edge(T[i]), -1), (P[i + 1], -1), (new, 1)]
        return T[:i] + T[i + 1 :], P[:i] + [new] + P[i + 2 :], ops

    def _insert(
        self, T: list[int], P: list[IntArray], p: int, c: int, to_m: float, from_m: float
    ) -> tuple[list[int], list[IntArray], list[tuple[IntArray, int]]]:
        """Insert target ``c`` at position ``p``, ``to_m`` metres from the node before it
        and ``from_m`` metres back to the node after it."""
        a = self._heads(T)[p]
        b = self._tails(T)[p]
        first = self.piece(a, int(self.reg.eu[c]), to_m)
        second = self.piece(int(self.reg.ev[c]), b, from_m)
        ops = [(P[p], -1), (first, 1), (self.edge(c), 1), (second, 1)]
        return T[:p] + [c] + T[p:], P[:p] + [first, second] + P[p + 1 :], ops

    def meta(self, edges: IntArray) -> tuple[list[int], float, float]:
        """Items, metres and shared metres of a route piece (cached while the piece lives)."""
        key = id(edges)
        got = self.cache.meta.get(key)
        if got is None or got[0] is not edges:
            lengths = self.net.edge_length_m[edges]
            got = (edges, self.items(edges).tolist(), float(lengths.sum()), lengths)
            self.cache.meta[key] = got
        sh = self._shared_m.get(key)
        if sh is None or sh[0] is not edges:
            segs = self.net.edge_segment[edges]
            shared = self.item_count[segs] > self.own[segs]  # other lines run on these
            sh = (edges, float(got[3][shared].sum()))
            self._shared_m[key] = sh
        return got[1], got[2], sh[1]

    def attempt(self, T: list[int], P: list[IntArray], ops: list[tuple[IntArray, int]]) -> bool:
        """Apply the changes; keep them if in bounds and worth more per metre, else undo.
        (Plain Python on the few items a move touches: faster than numpy calls here.)"""
        if not T:
            return False
        metas = [self.meta(e) for e, _ in ops]
        length = self.length
        shared = 0.0
        for (_, sign), (_, m, sh) in zip(ops, metas, strict=True):
            length += sign * m
            shared += sign * sh
        if not (self.min_m - _EPS_M <= length <= self.max_m + _EPS_M) or length <= 0:
            return False
        cost = self.cost + length - self.length + self.beta * shared
        change: dict[int, int] = {}
        for (_, sign), (items, _, _) in zip(ops, metas, strict=True):
            for x in items:
                change[x] = change.get(x, 0) + sign
        counts, base = self._counts, self.base
        value = self.value
        for x, c in change.items():
            if c:
                old = counts.get(x, 0)
                if old > 0 and old + c <= 0:
                    value -= float(base[x])
                elif old <= 0 and old + c > 0:
                    value += float(base[x])
        if value * self.cost > self.value * cost * (1 + 1e-9):
            for x, c in change.items():
                if c:
                    counts[x] = counts.get(x, 0) + c
                    self.cnt[x] += c
            self.T, self.P, self.value, self.length, self.cost = T, P, value, length, cost
            return True
        return False

    def _insertions(
        self, T: list[int], P: list[IntArray], length: float
    ) -> list[tuple[float, int, int, float, float]]:
        """Best insertions into ``T``: (estimated value per extra metre, position, candidate,
        metres to it, metres from it)."""
        reg = self.reg
        n_seg = self.net.n_segments
        fpos = np.flatnonzero(self.cnt[reg.eseg[self.cand]] == 0)
        if len(fpos) == 0:
            return []
        fresh = self.cand[fpos]
        val = self.weight(reg.eseg[fresh])
        hv = reg.nodes[reg.ev[fresh]]
        cp = self.is_cp[hv] & (self.cnt[n_seg + hv] == 0)
        val[cp] += self.weight(n_seg + hv[cp])
        heads, tails = self._heads(T), self._tails(T)
        F = np.full((len(heads), len(self.cand)), np.inf)
        B = np.full((len(tails), len(self.cand)), np.inf)
        for r, (h, t) in enumerate(zip(heads, tails, strict=True)):
            pos, dist = self.to_cand(h)
            F[r, pos] = dist
            pos, dist = self.from_cand(t)
            B[r, pos] = dist
        now = np.array([self.meta(p)[1] for p in P])
        delta = F[:, fpos] + (reg.elen[fresh] - now[:, None]) + B[:, fpos]
        pos = np.argmin(delta, axis=0)
        best = delta[pos, np.arange(len(fresh))]
        ok = np.flatnonzero((length + best <= self.max_m + _EPS_M) & np.isfinite(best))
        if len(ok) == 0:
            return []
        score = val[ok] / np.maximum(best[ok], 1.0)
        top = ok[np.argsort(-score, kind="stable")[:_TRY]] if len(ok) <= _TRY else None
        if top is None:
            part = np.argpartition(-score, _TRY)[:_TRY]
            top = ok[part[np.argsort(-score[part], kind="stable")]]
        return [
            (float(val[i] / max(best[i], 1.0)), int(pos[i]), int(fresh[i]), F[pos[i], fpos[i]],
             B[pos[i], fpos[i]])
            for i in top
        ]  # fmt: skip

    def step(self, rng: np.random.Generator) -> bool:
        """A sweep of removals (in random order), then the first insertion that helps among
        the best estimated ones; True if the line changed."""
        improved = False
        for j in [self.T[p] for p in rng.permutation(len(self.T))]:
            if j not in self.T or len(self.T) < 2:
                continue
            i = self.T.index(j)
            if len(self.P[i]) == 0 and len(self.P[i + 1]) == 0:
                continue  # inside a run of targets: the route would stay the same
            improved |= self.attempt(*self._remove(self.T, self.P, i))
        ratio = self.value / self.cost
        for score, p, c, to_m, from_m in self._insertions(self.T, self.P, self.length):
            if score <= ratio:
                break
            if self.attempt(*self._insert(self.T, self.P, p, c, to_m, from_m)):
                return True
        return improved


# --- results -------------------------------------------------------------------------------


def _control_mask(net: Network, control_nodes: IntArray | None) -> npt.NDArray[np.bool_]:
    mask = np.zeros(net.n_nodes, dtype=bool)
    if control_nodes is not None:
        mask[control_nodes] = True
    return mask


def _make_lines(
    net: Network,
    routes: Sequence[tuple[str, int, IntArray]],
    seg_demand: FloatArray,
    *,
    control: npt.NDArray[np.bool_],
    speed_kph: float | None,
    slot: int,
) -> tuple[tuple[PatrolLine, ...], float, float]:
    """Re-measure routes (id, start, edges) from their edges into :class:`PatrolLine`."""
    seg_sets = [np.unique(net.edge_segment[e]) for _, _, e in routes]
    count = np.zeros(net.n_segments, dtype=np.int64)
    for s in seg_sets:
        count[s] += 1
    lines = []
    shared_m = total_m = 0.0
    for (line_id, start, edges), segs in zip(routes, seg_sets, strict=True):
        nodes = np.concatenate([[start], net.edge_v[edges]]).astype(np.int64)
        if not (np.array_equal(net.edge_u[edges], nodes[:-1]) and nodes[-1] == start):
            msg = f"line {line_id}: the route is not a closed walk"  # a bug, not bad input
            raise RuntimeError(msg)
        lengths = net.edge_length_m[edges]
        length = float(lengths.sum())
        if speed_kph is not None:
            duration = length / (speed_kph / 3.6)
        else:
            duration = float(net.edge_time_s[edges].sum())
        demand = float(seg_demand[segs].sum())
        on_shared = float(lengths[count[net.edge_segment[edges]] > 1].sum())
        shared_m += on_shared
        total_m += length
        cp_nodes = nodes[:-1][control[nodes[:-1]]]
        _, first = np.unique(cp_nodes, return_index=True)
        lines.append(
            PatrolLine(
                line_id=line_id,
                slot=slot,
                start_node=int(start),
                nodes=nodes,
                edges=np.asarray(edges, dtype=np.int64),
                length_m=length,
                duration_s=duration,
                demand=demand,
                demand_per_km=demand / (length / 1000.0) if length > 0 else 0.0,
                control_points=cp_nodes[np.sort(first)].astype(np.int64),
                overlap_share=on_shared / length if length > 0 else 0.0,
            )
        )
    covered = count > 0
    total_demand = float(seg_demand[covered].sum())
    return tuple(lines), total_demand, (shared_m / total_m if total_m > 0 else 0.0)


def _infeasible_message(
    net: Network, starts: IntArray, regions: dict[int, _Region], min_m: float, max_m: float
) -> str:
    has_loop = False
    for reg in regions.values():
        into = reg.ev == reg.s_loc
        if into.any():
            has_loop = True
            break
    if has_loop:
        return (
            f"min_m={min_m:g} m: no closed walk between {min_m:g} and {max_m:g} m was found from "
            f"any of the {len(np.unique(starts))} start(s)"
        )
    fwd = directed_length_csr(net)
    best = np.inf
    for s in np.unique(starts)[:50]:
        dist = dijkstra(fwd, directed=True, indices=int(s))
        into = np.flatnonzero(net.edge_v == s)
        if len(into):
            best = min(best, float(np.min(dist[net.edge_u[into]] + net.edge_length_m[into])))
    shortest = f"the shortest is {best:,.0f} m" if np.isfinite(best) else "there is none"
    return f"max_m={max_m:g} m is shorter than any closed walk from the starts ({shortest})"


# --- the planner ---------------------------------------------------------------------------


def design_lines(
    net: Network,
    seg_demand: FloatArray,
    starts: IntArray,
    *,
    count: int,
    min_m: float,
    max_m: float,
    control_nodes: IntArray | None = None,
    overlap_penalty: float = DEFAULT_OVERLAP_PENALTY,
    control_bonus: float = DEFAULT_CONTROL_BONUS,
    speed_kph: float | None = None,
    slot: int = 0,
    seed: int = 0,
    improve: bool = True,
    stop_early: bool = False,
    time_limit_s: float = 10.0,
) -> LinesResult:
    """Design ``count`` closed patrol lines for one slot (method: see the module docstring).

    Parameters
    ----------
    net
        Compiled network; lines run on its directed edges.
    seg_demand
        Demand per street segment (a row of :class:`planner.demand.Demand`.by_slot).
    starts
        Node indices lines start and end at (posts and control points); lines are assigned
        to them round-robin.
    count
        Lines to design.
    min_m, max_m
        Bounds on each line's length, in metres.
    control_nodes
        Control point node indices: lines get a bonus for passing them and report them.
    overlap_penalty
        How much lines avoid each other (0..1): during construction, the share of a segment's
        demand lost for a line when an earlier line of the slot collects it; in the local
        search, the extra price of a metre on a segment another line runs (``1 + penalty``).
    control_bonus
        Worth of a control point, in units of the 90th percentile of positive segment demand.
    speed_kph
        Patrol speed for ``duration_s``; the network's travel times when ``None``.
    slot
        Slot index written into the lines.
    seed
        Seed of the local search's move order. Results are deterministic for a seed unless
        ``time_limit_s`` cuts the local search short (a note says so).
    improve
        Run the local search after the greedy construction.
    stop_early
        Once a line is at least ``min_m`` long, stop adding targets as soon as the next one
        would lower the closed loop's value per metre (shorter, denser lines), instead of
        going on until nothing fits within ``max_m``.
    time_limit_s
        Time after which the local search stops (the construction always completes).

    Returns
    -------
    LinesResult
        The lines (possibly fewer than ``count``: notes say why), the demand they collect
        together, their overlap and the time taken.

    Raises
    ------
    InputError
        Demand of the wrong shape, negative or all zero; a start or control node not on the
        network; a bad parameter.
    InfeasibleError
        ``min_m > max_m``, or no line at all meets the bounds.
    """
    t0 = time.perf_counter()
    d = _check_demand(net, seg_demand)
    if not d.sum() > 0:
        msg = "seg_demand is zero on every segment: there is no demand to design lines for"
        raise InputError(msg)
    starts = _check_nodes(net, starts, name="starts", allow_empty=False)
    control = (
        None
        if control_nodes is None
        else _check_nodes(net, control_nodes, name="control_nodes", allow_empty=True)
    )
    if int(count) != count or count < 1:
        msg = f"count must be a whole number >= 1, got {count}"
        raise InputError(msg)
    count = int(count)
    min_m, max_m = _check_bounds(min_m, max_m)
    if not 0.0 <= overlap_penalty <= 1.0:
        msg = f"overlap_penalty must be within 0..1, got {overlap_penalty}"
        raise InputError(msg)
    if not (np.isfinite(control_bonus) and control_bonus >= 0):
        msg = f"control_bonus must be >= 0, got {control_bonus}"
        raise InputError(msg)
    if speed_kph is not None and not (np.isfinite(speed_kph) and speed_kph > 0):
        msg = f"speed_kph must be > 0, got {speed_kph}"
        raise InputError(msg)

    keep = 1.0 - overlap_penalty
    assign = starts[np.arange(count) % len(starts)]
    regions = _regions(net, assign, np.full(count, max_m))
    cp_bonus = np.zeros(net.n_nodes)
    if control is not None and len(control):
        cp_bonus[control] = control_bonus * float(np.quantile(d[d > 0], CONTROL_BONUS_QUANTILE))
    st = _State(
        seg_demand=d,
        seg_value=d.copy(),
        cp_bonus=cp_bonus,
        cp_value=cp_bonus.copy(),
        keep=keep,
        collected=np.zeros(net.n_segments, dtype=bool),
        passed=np.zeros(net.n_nodes, dtype=bool),
    )
    cands: dict[int, IntArray] = {}
    failed: dict[int, int] = {}
    built: list[tuple[int, _Built]] = []
    for k, s in enumerate(assign.tolist()):
        if s in failed:
            failed[s] += 1
            continue
        reg = regions[s]
        if s not in cands:
            cands[s] = np.flatnonzero((d[reg.eseg] > 0) | (cp_bonus[reg.nodes[reg.ev]] > 0))
        b = _build_line(net, reg, st, min_m=min_m, max_m=max_m, cand=cands[s], dilute=stop_early)
        if b is None:
            failed[s] = 1
            continue
        built.append((k, b))
        segs = np.unique(net.edge_segment[b.edges])
        st.seg_value[segs] = d[segs] * keep
        nodes = net.edge_v[b.edges]
        st.cp_value[nodes] = cp_bonus[nodes] * keep
    notes = [
        f"start node {s}: no closed walk of {min_m:g}-{max_m:g} m found; {n} line(s) not built"
        for s, n in failed.items()
    ]
    if not built:
        raise InfeasibleError(_infeasible_message(net, starts, regions, min_m, max_m))
    if len(built) < count:
        notes.append(f"{len(built)} of {count} lines built")

    routes = [b.edges for _, b in built]
    if improve:
        before = _slot_ratio(net, d, routes)
        routes, rounds, timed_out = _improve(
            net,
            regions,
            built,
            d=d,
            cp_bonus=cp_bonus,
            shared_cost=overlap_penalty,
            cands=cands,
            min_m=min_m,
            max_m=max_m,
            seed=seed,
            deadline=t0 + time_limit_s,
        )
        after = _slot_ratio(net, d, routes)
        gain = f"{after / before - 1:+.1%}" if before > 0 else "n/a"
        notes.append(f"local search: {rounds} round(s), demand per km {gain}")
        if timed_out:
            notes.append(f"local search stopped at the time limit ({time_limit_s:g} s)")
    ids = [f"S{slot}-L{k + 1:03d}" for k, _ in built]
    lines, total, overlap = _make_lines(
        net,
        [(i, b.start, r) for i, (_, b), r in zip(ids, built, routes, strict=True)],
        d,
        control=_control_mask(net, control),
        speed_kph=speed_kph,
        slot=slot,
    )
    return LinesResult(
        lines=lines,
        total_demand=total,
        overlap_share=overlap,
        seconds=time.perf_counter() - t0,
        notes=tuple(notes),
    )


def _slot_ratio(net: Network, d: FloatArray, routes: Sequence[IntArray]) -> float:
    dem = sum(float(d[np.unique(net.edge_segment[r])].sum()) for r in routes)
    km = sum(float(net.edge_length_m[r].sum()) for r in routes) / 1000.0
    return dem / km if km > 0 else 0.0


def _improve(
    net: Network,
    regions: dict[int, _Region],
    built: list[tuple[int, _Built]],
    *,
    d: FloatArray,
    cp_bonus: FloatArray,
    shared_cost: float,
    cands: dict[int, IntArray],
    min_m: float,
    max_m: float,
    seed: int,
    deadline: float,
) -> tuple[list[IntArray], int, bool]:
    """Rounds of :class:`_LineSearch` steps; returns routes, rounds, timed out.

    Each round gives one step (a sweep of removals, one insertion) to every line, in random
    order, that improved on its last visit, so that a time limit spreads the work over all
    lines; once every line is settled, a round over all lines (the others' changes move the
    price of shared metres) decides whether to stop."""
    rng = np.random.default_rng(seed)
    routes = [b.edges for _, b in built]
    base = np.concatenate([d, cp_bonus])
    is_cp = cp_bonus > 0
    item_count = np.zeros(len(base), dtype=np.int64)

    def items(edges: IntArray) -> IntArray:
        v = np.unique(net.edge_v[edges])
        return np.concatenate([np.unique(net.edge_segment[edges]), net.n_segments + v[is_cp[v]]])

    for r in routes:
        item_count[items(r)] += 1
    caches = {b.start: _StartCache() for _, b in built}
    scratch = np.zeros(len(base), dtype=np.int64)  # per item, for the line being searched
    own = np.zeros(len(base), dtype=bool)
    rounds = 0
    active = np.ones(len(built), dtype=bool)  # lines that improved on their last visit
    while time.perf_counter() < deadline:
        rounds += 1
        changed = False
        visit = rng.permutation(len(built))
        full = not active.any()  # a last full round once all lines are settled
        for i in visit:
            if time.perf_counter() >= deadline:
                break
            if not (full or active[i]):
                continue
            b = built[i][1]
            search = _LineSearch(
                net,
                regions[b.start],
                b.targets,
                b.pieces,
                base=base,
                item_count=item_count,
                is_cp=is_cp,
                cand=cands[b.start],
                min_m=min_m,
                max_m=max_m,
                shared_cost=shared_cost,
                cache=caches[b.start],
                scratch=scratch,
                own=own,
            )
            improved = search.step(rng)
            search.finish()
            active[i] = improved
            if improved:
                item_count[items(routes[i])] -= 1
                routes[i] = search.edges
                item_count[items(routes[i])] += 1
                b.targets, b.pieces = search.T, search.P
                changed = True
        if not changed and full:
            return routes, rounds, False
    return routes, rounds, True


def _per_slot(value: object, n_slots: int, *, name: str) -> list[object]:
    """One value for every slot, or a sequence of one per slot."""
    if value is None:
        return [None] * n_slots
    if isinstance(value, np.ndarray) and value.ndim <= 1:
        return [value] * n_slots
    if isinstance(value, Sequence) and len(value) and not np.isscalar(value[0]):
        if len(value) != n_slots:
            msg = f"{name}: {len(value)} per-slot entries for {n_slots} slots"
            raise InputError(msg)
        return list(value)
    return [np.asarray(value)] * n_slots


def plan_lines_by_slot(
    net: Network,
    demand_by_slot: FloatArray,
    starts: IntArray | Sequence[IntArray],
    *,
    count_per_slot: Sequence[int],
    min_m: float,
    max_m: float,
    control_nodes: IntArray | Sequence[IntArray] | None = None,
    overlap_penalty: float = DEFAULT_OVERLAP_PENALTY,
    control_bonus: float = DEFAULT_CONTROL_BONUS,
    speed_kph: float | None = None,
    seed: int = 0,
    improve: bool = True,
    time_limit_s: float = 10.0,
) -> tuple[LinesResult, ...]:
    """Lines for every slot ("tidal": each slot's lines follow that slot's demand).

    ``demand_by_slot`` is :class:`planner.demand.Demand`.by_slot (slots x segments);
    ``starts`` and ``control_nodes`` are one array for all slots or one per slot;
    ``count_per_slot`` gives the lines of each slot. A slot without demand or lines gets no
    lines and a note; the other arguments are those of :func:`design_lines` (``time_limit_s``
    applies to each slot, the seed of slot ``i`` is ``seed + i``).
    """
    D = np.asarray(demand_by_slot, dtype=np.float64)
    if D.ndim != 2:
        msg = f"demand_by_slot must be 2-D (slots x segments), got shape {D.shape}"
        raise InputError(msg)
    n_slots = D.shape[0]
    counts = list(count_per_slot)
    if len(counts) != n_slots:
        msg = f"count_per_slot has {len(counts)} entries for {n_slots} slots"
        raise InputError(msg)
    _check_bounds(min_m, max_m)
    starts_s = _per_slot(starts, n_slots, name="starts")
    control_s = _per_slot(control_nodes, n_slots, name="control_nodes")
    out = []
    for i in range(n_slots):
        row = _check_demand(net, D[i], name=f"demand_by_slot[{i}]")
        if counts[i] == 0 or not row.sum() > 0:
            why = "no lines asked for" if counts[i] == 0 else "no demand"
            out.append(LinesResult((), 0.0, 0.0, 0.0, (f"slot {i}: {why}; no lines",)))
            continue
        out.append(
            design_lines(
                net,
                row,
                starts_s[i],  # type: ignore[arg-type]
                count=counts[i],
                min_m=min_m,
                max_m=max_m,
                control_nodes=control_s[i],  # type: ignore[arg-type]
                overlap_penalty=overlap_penalty,
                control_bonus=control_bonus,
                speed_kph=speed_kph,
                slot=i,
                seed=seed + i,
                improve=improve,
                time_limit_s=time_limit_s,
            )
        )
    return tuple(out)


def turn_list(net: Network, line: PatrolLine) -> list[dict[str, object]]:
    """Street names along the line in order, with the distance on each.

    Consecutive edges with the same name are merged; streets without a name are
    ``"(unnamed)"``. Example: ``[{"street": "Main Road", "distance_m": 420.0}, ...]``.
    """
    out: list[dict[str, object]] = []
    for e in np.asarray(line.edges, dtype=np.int64):
        name = net.edge_name[e]
        if name is None or (isinstance(name, float) and np.isnan(name)) or not str(name).strip():
            name = UNNAMED
        name = str(name)
        length = float(net.edge_length_m[e])
        if out and out[-1]["street"] == name:
            out[-1]["distance_m"] = float(out[-1]["distance_m"]) + length  # type: ignore[arg-type]
        else:
            out.append({"street": name, "distance_m": length})
    for row in out:
        row["distance_m"] = round(float(row["distance_m"]), 1)  # type: ignore[arg-type]
    return out


# --- baselines -----------------------------------------------------------------------------


def _line_regions(net: Network, lines: Sequence[PatrolLine]) -> dict[int, _Region]:
    starts = np.array([ln.start_node for ln in lines], dtype=np.int64)
    limit = np.array([ln.length_m for ln in lines]) + 1.0
    return _regions(net, starts, limit)


def _ratio(net: Network, d: FloatArray, edges: IntArray) -> float:
    length = float(net.edge_length_m[edges].sum())
    return float(d[np.unique(net.edge_segment[edges])].sum()) / (length / 1000.0) if length else 0.0


def random_walk_baseline(
    net: Network,
    seg_demand: FloatArray,
    lines: Sequence[PatrolLine],
    *,
    seed: int,
    walks: int = 10,
    routes: list[IntArray] | None = None,
) -> FloatArray:
    """Demand per km of random closed walks as long as the lines, from the same starts.

    Each walk takes random out-edges (no U-turn unless at a dead end) as long as it can still
    get back within the line's length, then returns by the shortest path. Per line, the mean
    demand per km of ``walks`` such walks. With ``routes``, the edges of each line's first
    walk are appended to it (to measure the walks together, e.g. with
    :func:`union_demand_per_km`).
    """
    d = _check_demand(net, seg_demand)
    rng = np.random.default_rng(seed)
    regions = _line_regions(net, lines)
    out = np.zeros(len(lines))
    adj: dict[int, tuple[IntArray, IntArray]] = {}
    for i, line in enumerate(lines):
        reg = regions[line.start_node]
        if line.start_node not in adj:
            order = np.argsort(reg.eu, kind="stable")
            adj[line.start_node] = (
                order,
                np.searchsorted(reg.eu[order], np.arange(len(reg.nodes) + 1)),
            )
        order, indptr = adj[line.start_node]
        ratios = []
        for _ in range(walks):
            cur, prev, used = reg.s_loc, -1, 0.0
            walk: list[int] = []
            while True:
                opts = order[indptr[cur] : indptr[cur + 1]]
                fits = used + reg.elen[opts] + reg.back[reg.ev[opts]] <= line.length_m + _EPS_M
                opts = opts[fits]
                if len(opts) == 0:
                    break
                ahead = opts[reg.ev[opts] != prev]
                if len(ahead):
                    opts = ahead
                j = int(opts[rng.integers(len(opts))])
                walk.append(int(reg.e[j]))
                used += float(reg.elen[j])
                prev, cur = cur, int(reg.ev[j])
            back = reg.edges_of(_path_back(reg, cur))
            edges = np.concatenate([np.asarray(walk, np.int64), back])
            if routes is not None and not ratios:
                routes.append(edges)
            ratios.append(_ratio(net, d, edges))
        out[i] = float(np.mean(ratios))
    return out


def top_edges_baseline(
    net: Network,
    seg_demand: FloatArray,
    lines: Sequence[PatrolLine],
    *,
    routes: list[IntArray] | None = None,
) -> FloatArray:
    """Demand per km of loops through the top-demand segments near each line's start.

    For each line with ``n`` segments of positive demand: the ``n`` highest-demand segments
    that a loop of the line's length from its start could reach, visited nearest first (each
    leg a shortest path, segments passed on the way count as visited), then back to the
    start by the shortest path. With ``routes``, each loop's edges are appended to it.
    """
    d = _check_demand(net, seg_demand)
    regions = _line_regions(net, lines)
    out = np.zeros(len(lines))
    for i, line in enumerate(lines):
        reg = regions[line.start_node]
        segs = np.unique(net.edge_segment[line.edges])
        n = int((d[segs] > 0).sum())
        fits = reg.out[reg.eu] + reg.elen + reg.back[reg.ev] <= line.length_m + _EPS_M
        pool_segs = np.unique(reg.eseg[fits & (d[reg.eseg] > 0)])
        top = pool_segs[np.argsort(-d[pool_segs], kind="stable")[:n]]
        todo = np.zeros(net.n_segments, dtype=bool)
        todo[top] = True
        cur = reg.s_loc
        parts: list[IntArray] = []
        while todo[reg.eseg].any():
            dist, pred = dijkstra(reg.sub, directed=True, indices=cur, return_predecessors=True)
            idx = np.flatnonzero(todo[reg.eseg])
            j = int(idx[np.argmin(dist[reg.eu[idx]] + reg.elen[idx])])
            e = np.append(reg.edges_of(_path_to(pred, cur, int(reg.eu[j]))), reg.e[j])
            todo[net.edge_segment[e]] = False
            parts.append(e)
            cur = int(reg.ev[j])
        parts.append(reg.edges_of(_path_back(reg, cur)))
        edges = np.concatenate(parts)
        if routes is not None:
            routes.append(edges)
        out[i] = _ratio(net, d, edges)
    return out


def union_demand_per_km(net: Network, seg_demand: FloatArray, routes: Sequence[IntArray]) -> float:
    """Demand of all segments the routes run on, each counted once, per km of all routes:
    the measure of a slot's lines together (overlap earns nothing twice)."""
    d = _check_demand(net, seg_demand)
    if not routes:
        return 0.0
    edges = np.concatenate(list(routes))
    km = float(net.edge_length_m[edges].sum()) / 1000.0
    return float(d[np.unique(net.edge_segment[edges])].sum()) / km if km > 0 else 0.0
