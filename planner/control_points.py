"""Night control points: maximal covering location on the network, with minimum spacing.

The core works on arrays: a sparse cover matrix ``A`` (candidates x demand units, True where
the candidate covers the unit), demand weights ``w`` and a list of conflicting candidate pairs
(closer than the spacing). Two solvers:

- :func:`solve_greedy`: lazy greedy (marginal gains only ever shrink, so a stale gain is an
  upper bound and most are never recomputed) and plans read off a Lagrangian relaxation (which
  also gives an upper bound on the optimum), each improved by local search (1-swaps, and pair
  moves that re-place two competing points together, which is what a tight spacing needs),
  then iterated local search, kernel moves (a model solved exactly over the candidates its
  LP relaxation ranks first: under a tight spacing the pair model, then the MILP), and
  region moves (a group of neighbouring points re-placed exactly by a small HiGHS model, one
  more or one fewer allowed: the pair model, or where covers overlap widely the true cover's)
  with the time the search leaves; the spacing holds throughout.
- :func:`solve_exact`: the MILP ``max w.y  s.t.  y_j <= sum_{i covers j} x_i,  sum x = N,
  x_i + x_k <= 1 for conflicts``, solved by HiGHS (highspy) within a time limit and warm-started
  with the greedy answer (units covered by the same candidates merged into one row, which
  changes nothing but the size); it reports the optimum, or the best bound when time runs
  out, and so the gap of the fast solver.

The front door :func:`plan_control_points` builds ``A`` from the network (cover radius in
metres of walking distance or in minutes of response time), and :func:`staff_slots` picks, per
slot, which of the chosen points are held given that slot's staffing.
"""

from __future__ import annotations

import heapq
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
from scipy import sparse
from scipy.spatial import cKDTree

from geo.errors import InfeasibleError, InputError
from geo.graph import Metric, Network
from planner.reach import bounded_distances

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

ILS_PAIR_WINDOW = 0.005  # ILS trials this close to the best also get pair moves
ELITE = 3  # local optima the ILS perturbs in turn
# chosen points a region move frees and re-places exactly: larger when the smaller gain
# nothing, at most all of them
REGION_SIZES = (8, 12, 16)
# where covers overlap widely everywhere (see REGION_MAX_PAIRS) a region's model is the
# true cover's, larger than the pair model: smaller regions first
WIDE_REGION_SIZES = (4, 6, 8)
# kernel sizes tried there (the first of KERNEL_SIZES)
WIDE_KERNELS = 1
REGION_SOLVE_S = 0.5  # time limit of one region's sub-problem in HiGHS
REGION_PRUNE = True  # drop dominated candidates from a region's model
# a region whose candidates overlap in more pairs than this per candidate is not solved by
# the pair model, which under-counts and solves slowly where covers overlap widely; where
# they do everywhere (twice this many partners per candidate), every region is solved by
# the true cover's model instead (WIDE_REGION_SIZES)
REGION_MAX_PAIRS = 4
ILS_PATIENCE = 10  # ILS rounds without a gain before region moves take over
ILS_SHARE = 0.5  # share of the time limit after which the ILS gives way to region moves
# kernel moves: the MILP over the candidates the LP relaxation ranks first
KERNEL_LP_SHARE = 0.3  # share of the time limit the LP relaxation may take
# kernel sizes, times the number of points (at least KERNEL_MIN), while HiGHS finishes them
KERNEL_SIZES = (6, 12, 24, 48, 96)
KERNEL_MIN = 100
KERNEL_SOLVE_S = 1.0  # time limit of one kernel's MILP in HiGHS
KERNEL_GROWTH = 5  # how much longer the next kernel's MILP is expected to take
# no LP relaxation for larger cover matrices: at 480,000 pairs it takes 1.1 s with its
# cliques, at 940,000 5 s
KERNEL_MAX_NNZ = 600_000
# the pair model's LP ranks candidates for kernel moves up to this many candidates (its
# conflicts are a dense matrix)
PAIR_RANK_MAX = 2_000
# Roads where no one holds a control point.
UNSUITABLE_HIGHWAYS = frozenset({"motorway", "motorway_link", "trunk", "trunk_link"})


@dataclass(frozen=True)
class Solution:
    """A set of chosen candidates and how good it is."""

    chosen: IntArray  # candidate indices, in the order picked
    objective: float  # demand covered
    bound: float  # upper bound on the optimum (total coverable demand if nothing better known)
    gap: float  # (bound - objective) / bound
    status: str
    solver: str
    seconds: float


def candidate_nodes(net: Network, *, min_degree: int = 3) -> IntArray:
    """Intersections (>= ``min_degree`` distinct neighbours) not only on unsuitable roads."""
    u = np.concatenate([net.edge_u, net.edge_v])
    v = np.concatenate([net.edge_v, net.edge_u])
    hw = np.concatenate([net.edge_highway, net.edge_highway])
    pairs = np.unique(u * net.n_nodes + v)  # distinct neighbours, as one integer key
    degree = np.bincount(pairs // net.n_nodes, minlength=net.n_nodes)
    suitable = np.array([str(h) not in UNSUITABLE_HIGHWAYS for h in hw])
    ok_node = np.zeros(net.n_nodes, dtype=bool)
    ok_node[u[suitable]] = True
    return np.flatnonzero((degree >= min_degree) & ok_node).astype(np.int64)


def check_cover(cover_m: float | None, cover_min: float | None) -> None:
    """Exactly one cover radius, and a positive one."""
    if (cover_m is None) == (cover_min is None):
        msg = "give exactly one of cover_m (metres) or cover_min (minutes)"
        raise InputError(msg)
    if cover_m is not None and not cover_m > 0:
        msg = f"cover radius must be > 0 m, got {cover_m}"
        raise InputError(msg)
    if cover_min is not None and not cover_min > 0:
        msg = f"cover time must be > 0 minutes, got {cover_min}"
        raise InputError(msg)


def cover_metric(
    net: Network, *, cover_m: float | None = None, cover_min: float | None = None
) -> tuple[Metric, float]:
    """The metric and limit of a cover radius: walking metres, or response seconds."""
    check_cover(cover_m, cover_min)
    if cover_m is not None:
        return net.walk_metric, float(cover_m)
    return net.time_metric, float(cover_min) * 60.0  # type: ignore[arg-type]


def cover_matrix(
    net: Network,
    candidates: IntArray,
    *,
    cover_m: float | None = None,
    cover_min: float | None = None,
) -> sparse.csr_array:
    """Boolean (candidates x segments): the candidate reaches the segment's midpoint.

    With ``cover_m`` distance is walking distance (undirected); with ``cover_min`` it is
    response time on the directed network (as in :mod:`planner.coverage`).
    """
    metric, limit = cover_metric(net, cover_m=cover_m, cover_min=cover_min)
    half_fwd = 0.5 * metric.seg_cost_fwd
    half_rev = 0.5 * metric.seg_cost_rev
    rate = 1.0 if metric is net.walk_metric else None
    s, n, d = bounded_distances(net, candidates, limit=limit, csr=metric.csr, max_rate=rate)
    # node -> segments starting / ending there
    rows, cols = [], []
    for ends, half in ((net.seg_u, half_fwd), (net.seg_v, half_rev)):
        order = np.argsort(ends, kind="stable")
        starts = np.searchsorted(ends[order], np.arange(net.n_nodes + 1))
        cnt = starts[n + 1] - starts[n]
        rep_s = np.repeat(s, cnt)
        rep_d = np.repeat(d, cnt)
        offs = np.repeat(starts[n], cnt) + (
            np.arange(cnt.sum()) - np.repeat(np.cumsum(cnt) - cnt, cnt)
        )
        seg = order[offs]
        ok = rep_d + half[seg] <= limit
        rows.append(rep_s[ok])
        cols.append(seg[ok])
    r = np.concatenate(rows)
    c = np.concatenate(cols)
    A = sparse.csr_array(
        (np.ones(len(r), dtype=bool), (r, c)), shape=(len(candidates), net.n_segments)
    )
    A.sum_duplicates()
    A.data[:] = True
    return A


def spacing_conflicts(xy: npt.NDArray[np.float64], *, spacing_m: float) -> IntArray:
    """Pairs (i, k), i < k, of candidates closer than ``spacing_m`` (straight line)."""
    if spacing_m <= 0 or len(xy) < 2:
        return np.empty((0, 2), dtype=np.int64)
    pairs = cKDTree(xy).query_pairs(spacing_m * (1 - 1e-12), output_type="ndarray")
    return np.asarray(pairs, dtype=np.int64).reshape(-1, 2)


def _conflict_lists(n: int, conflicts: IntArray) -> sparse.csr_array:
    if len(conflicts) == 0:
        return sparse.csr_array((n, n), dtype=bool)
    r = np.concatenate([conflicts[:, 0], conflicts[:, 1]])
    c = np.concatenate([conflicts[:, 1], conflicts[:, 0]])
    return sparse.csr_array((np.ones(len(r), dtype=bool), (r, c)), shape=(n, n))


def _objective(A: sparse.csr_array, w: FloatArray, chosen: Sequence[int]) -> float:
    if len(chosen) == 0:
        return 0.0
    covered = np.asarray(A[np.asarray(chosen)].sum(axis=0)).ravel() > 0
    return float(w[covered].sum())


def _greedy_fill(
    A: sparse.csr_array,
    w: FloatArray,
    C: sparse.csr_array,
    chosen: list[int],
    n: int,
    *,
    rng: np.random.Generator | None = None,
) -> tuple[list[int], IntArray]:
    """Lazy greedy: add points to ``chosen`` (kept) until there are ``n``, keeping the spacing.

    With ``rng``, the first point added is drawn among the five best (a randomised start).
    """
    m = A.shape[0]
    chosen = list(chosen)
    covered = np.zeros(A.shape[1], dtype=np.int64)  # how many chosen points cover each unit
    blocked = np.zeros(m, dtype=bool)
    for i in chosen:
        covered[A.indices[A.indptr[i] : A.indptr[i + 1]]] += 1
        blocked[i] = True
        blocked[C.indices[C.indptr[i] : C.indptr[i + 1]]] = True
    gains = A @ (w * (covered == 0))
    if rng is not None and len(chosen) < n:
        top = np.argsort(-np.where(blocked, -1.0, gains), kind="stable")[:5]
        top = top[(gains[top] > 0) & ~blocked[top]]  # fewer than five may be open
        if len(top):
            i = int(top[rng.integers(len(top))])
            chosen.append(i)
            covered[A.indices[A.indptr[i] : A.indptr[i + 1]]] += 1
            blocked[i] = True
            blocked[C.indices[C.indptr[i] : C.indptr[i + 1]]] = True
            gains = A @ (w * (covered == 0))
    heap = [(-g, i) for i, g in enumerate(gains) if g > 0 and not blocked[i]]
    heapq.heapify(heap)
    while len(chosen) < n and heap:
        _, i = heapq.heappop(heap)
        if blocked[i]:
            continue
        cols = A.indices[A.indptr[i] : A.indptr[i + 1]]
        fresh = float(w[cols][covered[cols] == 0].sum())
        if heap and fresh < -heap[0][0] - 1e-12:
            heapq.heappush(heap, (-fresh, i))
            continue
        chosen.append(i)
        covered[cols] += 1
        blocked[i] = True
        blocked[C.indices[C.indptr[i] : C.indptr[i + 1]]] = True
    # fill up with zero-gain points if demand ran out, keeping the spacing
    for i in np.flatnonzero(~blocked):
        if len(chosen) >= n:
            break
        if not blocked[i]:
            chosen.append(int(i))
            blocked[i] = True
            blocked[C.indices[C.indptr[i] : C.indptr[i + 1]]] = True
    return chosen, covered


class _Search:
    """The chosen set of a local search and what it implies, kept up to date move by move.

    ``covered`` counts the chosen points covering each unit and ``n_conf`` the chosen points
    each candidate conflicts with; ``free_w``/``once_w`` are the weights of units covered by
    none / exactly one chosen point, and ``gain`` the demand each candidate would add now
    (``A @ free_w``), updated through the columns a move touches rather than recomputed.
    """

    def __init__(
        self,
        A: sparse.csr_array,
        A_csc: sparse.csc_array,
        w: FloatArray,
        C: sparse.csr_array,
        chosen: Sequence[int],
    ) -> None:
        self.A, self.A_csc, self.w, self.C = A, A_csc, w, C
        m, k = A.shape
        self.covered = np.zeros(k, dtype=np.int64)
        self.n_conf = np.zeros(m, dtype=np.int64)
        self.in_set = np.zeros(m, dtype=bool)
        self.mark = np.zeros(m, dtype=np.int64)  # scratch, all zero between moves
        self.extra = np.zeros(m)  # scratch, all zero between moves
        self.chosen: list[int] = [int(i) for i in chosen]
        self.moves = 0  # replacements applied so far
        for i in self.chosen:
            self.covered[self.cols(i)] += 1
            self.n_conf[self.conf(i)] += 1
            self.in_set[i] = True
        self.free_w = np.where(self.covered == 0, w, 0.0)
        self.once_w = np.where(self.covered == 1, w, 0.0)
        self.gain = A @ self.free_w

    def cols(self, i: int) -> IntArray:
        return self.A.indices[self.A.indptr[i] : self.A.indptr[i + 1]]

    def conf(self, i: int) -> IntArray:
        return self.C.indices[self.C.indptr[i] : self.C.indptr[i + 1]]

    @property
    def objective(self) -> float:
        return float(self.w.sum() - self.free_w.sum())

    def move_to(self, new: Sequence[int]) -> None:
        """Replace the chosen set by ``new`` (as many points), through :meth:`replace`."""
        kept = {int(i) for i in new}
        gone = [i for i, p in enumerate(self.chosen) if p not in kept]
        self.replace(list(zip(gone, sorted(kept - set(self.chosen)), strict=True)))

    def move_if_better(self, new: Sequence[int], eps: float) -> bool:
        """Move to ``new`` (as many points) when it covers more than ``eps`` beyond the
        chosen set; returns whether it did."""
        if _objective(self.A, self.w, new) <= self.objective + eps:
            return False
        self.move_to(new)
        return True

    def replace(self, moves: Sequence[tuple[int, int]]) -> None:
        """Apply ``(position, new candidate)`` replacements together."""
        touched = []
        for pos, q in moves:
            p = self.chosen[pos]
            for i, step in ((p, -1), (q, 1)):
                cols = self.cols(i)
                self.covered[cols] += step
                self.n_conf[self.conf(i)] += step
                touched.append(cols)
            self.in_set[p] = False
        for pos, q in moves:
            self.in_set[q] = True
            self.chosen[pos] = int(q)
        self.moves += 1
        units = np.unique(np.concatenate(touched))
        new_free = np.where(self.covered[units] == 0, self.w[units], 0.0)
        d_free = new_free - self.free_w[units]
        self.free_w[units] = new_free
        self.once_w[units] = np.where(self.covered[units] == 1, self.w[units], 0.0)
        ch = d_free != 0
        if ch.any():
            self.gain += self.A_csc[:, units[ch]] @ d_free[ch]


def _swap_pass(s: _Search, *, eps: float, deadline: float) -> bool:
    """One pass of 1-swaps: for each chosen point in turn, the best replacement that keeps
    the spacing (it may conflict with the point it replaces only), applied when it gains.
    Returns whether anything changed.

    Removing ``p`` changes the gain only of candidates covering a unit that ``p`` alone
    covers, and frees only candidates that conflict with ``p`` alone; every other candidate
    keeps its gain, so the best of those is found once per change, not once per ``p``.
    """
    changed = False
    open_q, open_gain = -1, -np.inf  # best candidate free of conflicts, as things are
    for pos in range(len(s.chosen)):
        if time.perf_counter() > deadline:
            break
        if open_q < 0:
            masked = np.where(s.in_set | (s.n_conf > 0), -np.inf, s.gain)
            open_q = int(np.argmax(masked))
            open_gain = float(masked[open_q])
        p = s.chosen[pos]
        cols = s.cols(p)
        once = s.once_w[cols]
        loss = float(once.sum())
        nz = once > 0
        sub = s.A_csc[:, cols[nz]]
        cp = s.conf(p)
        np.add.at(s.extra, sub.indices, np.repeat(once[nz], np.diff(sub.indptr)))
        cand = _distinct(np.concatenate([sub.indices, cp[s.n_conf[cp] == 1]]))
        extra = s.extra[cand]
        s.extra[cand] = 0.0
        s.mark[cp] = 1
        ok = ~s.in_set[cand] & (s.n_conf[cand] == s.mark[cand])
        s.mark[cp] = 0
        q, best = open_q, open_gain
        if ok.any():
            value = np.where(ok, s.gain[cand] + extra, -np.inf)
            i = int(np.argmax(value))
            if value[i] > best:
                q, best = int(cand[i]), float(value[i])
        if q >= 0 and best - loss > eps:
            s.replace([(pos, q)])
            changed = True
            open_q = -1
    return changed


def _distinct(x: IntArray) -> IntArray:
    """Sorted distinct values (``np.unique`` is slow on the many small arrays here)."""
    x = np.sort(x)
    return x[np.concatenate([[True], x[1:] != x[:-1]])] if len(x) else x


def _gather(M: sparse.csr_array, rows: IntArray) -> tuple[IntArray, IntArray]:
    """The entries of ``rows`` of ``M``: each one's position in ``rows`` and its column
    (cheaper than ``M[rows]`` for the many small row sets here)."""
    starts = M.indptr[rows]
    cnt = M.indptr[rows + 1] - starts
    at = np.repeat(starts - np.cumsum(cnt) + cnt, cnt) + np.arange(int(cnt.sum()))
    return np.repeat(np.arange(len(rows)), cnt), M.indices[at]


def _pair_move(s: _Search, a: int, b: int, *, eps: float, cap: int = 200) -> bool:
    """Replace the chosen points at positions ``a`` and ``b`` by the best pair of candidates
    that cover what only they covered (exactly: gains minus their overlap), keeping the
    spacing; applied when it gains. Returns whether it did."""
    A, w, C, mark = s.A, s.w, s.C, s.mark
    p1, p2 = s.chosen[a], s.chosen[b]
    c1, c2 = s.cols(p1), s.cols(p2)
    s.covered[c1] -= 1
    s.covered[c2] -= 1
    units = np.concatenate([c1, c2])
    freed = _distinct(units[s.covered[units] == 0])
    s.covered[c1] += 1
    s.covered[c2] += 1
    loss = float(w[freed].sum())
    near = s.A_csc[:, freed].indices if len(freed) else np.empty(0, dtype=np.int64)
    pool = _distinct(np.concatenate([near, [p1, p2]]))
    # feasible once p1 and p2 are gone: conflicts only with them, not chosen (but them)
    mark[s.conf(p1)] += 1
    mark[s.conf(p2)] += 1
    ok = s.n_conf[pool] == mark[pool]
    mark[s.conf(p1)] = 0
    mark[s.conf(p2)] = 0
    ok &= ~s.in_set[pool] | (pool == p1) | (pool == p2)  # noqa: SIM300 (arrays)
    pool = pool[ok]
    if len(pool) < 2:
        return False
    # the pool's cover restricted to units free once p1 and p2 are gone, weighted
    s.free_w[freed] = w[freed]
    row_of, units_p = _gather(A, pool)
    fw = s.free_w[units_p]
    s.free_w[freed] = 0.0
    keep = fw > 0
    row_of, units_f, fw = row_of[keep], units_p[keep], fw[keep]
    g = np.bincount(row_of, weights=fw, minlength=len(pool))
    if len(pool) > cap:
        top = np.sort(np.argpartition(-g, cap)[:cap])
        at = np.full(len(pool), -1)
        at[top] = np.arange(cap)
        sel = at[row_of] >= 0
        pool, g, row_of, units_f, fw = pool[top], g[top], at[row_of[sel]], units_f[sel], fw[sel]
    cols_f = _distinct(units_f)
    k = len(pool)
    F = np.zeros((k, len(cols_f)))  # few freed units: dense is cheaper than sparse here
    F[row_of, np.searchsorted(cols_f, units_f)] = fw
    overlap = F @ (F > 0).T
    value = g[:, None] + g[None, :] - overlap
    # conflicts inside the pool
    mark[pool] = np.arange(1, k + 1)
    r, nb = _gather(C, pool)
    cols = mark[nb]
    mark[pool] = 0
    hit = cols > 0
    value[r[hit], cols[hit] - 1] = -np.inf
    np.fill_diagonal(value, -np.inf)
    i, j = np.unravel_index(int(np.argmax(value)), value.shape)
    if value[i, j] <= loss + eps:
        return False
    q1, q2 = int(pool[i]), int(pool[j])
    if {q1, q2} == {p1, p2}:
        return False
    if q1 == p2 or q2 == p1:  # keep each one in its position
        q1, q2 = q2, q1
    s.replace([(a, q1), (b, q2)])
    return True


class _Cliques:
    """Cliques of the conflict graph, found as the region moves need them and kept, so that
    a region mostly reuses cliques found for its neighbours (each cut down to the region);
    also the regions' models already solved (``tried``)."""

    def __init__(self, C: sparse.csr_array) -> None:
        self.tried: dict[tuple[object, ...], list[tuple[float, float]]] = {}
        self.cliques: list[IntArray] = []
        # all cliques' members end to end, and the clique of each (extended as they come)
        self._members = np.empty(0, dtype=np.int64)
        self._owner = np.empty(0, dtype=np.int64)
        self._flat = 0  # cliques in _members so far
        self.at = np.full(C.shape[0], -1, dtype=np.int64)  # scratch, all -1 between calls

    def cover(self, pool: IntArray, adj: npt.NDArray[np.bool_]) -> list[IntArray]:
        """Cliques, in positions into ``pool``, that together hold every edge of ``adj``
        (the conflicts inside ``pool``): known ones cut down to the pool (less those another
        holds), then new ones grown greedily (maximal inside the pool) for the edges left."""
        n = len(pool)
        if self._flat < len(self.cliques):
            new = self.cliques[self._flat :]
            self._members = np.concatenate([self._members, *new])
            self._owner = np.concatenate(
                [
                    self._owner,
                    np.repeat(np.arange(self._flat, len(self.cliques)), list(map(len, new))),
                ]
            )
            self._flat = len(self.cliques)
        self.at[pool] = np.arange(n)
        local = self.at[self._members]
        self.at[pool] = -1
        inside = local >= 0
        owner, local = self._owner[inside], local[inside]
        two = np.bincount(owner)[owner] >= 2
        owner, local = owner[two], local[two]
        _, row = np.unique(owner, return_inverse=True)
        R = sparse.csr_array(
            (np.ones(len(local), dtype=np.float32), (row, local)),
            shape=(int(row.max(initial=-1)) + 1, n),
        )
        R.sum_duplicates()
        # a clique inside another (or the later of two the same) adds nothing
        inter = (R @ R.T).toarray()
        size = np.diag(inter).copy()
        np.fill_diagonal(inter, 0.0)
        idx = np.arange(len(size))
        within = (inter >= size[:, None] - 0.5) & (
            (size[None, :] > size[:, None]) | (idx[None, :] < idx[:, None])
        )
        R = R[np.flatnonzero(~within.any(axis=1))]
        out = np.split(R.indices.astype(np.int64), R.indptr[1:-1]) if R.shape[0] else []
        left = np.triu(adj, 1) & ((R.T @ R).toarray() == 0)
        flat = left.reshape(-1)  # a view: pairs of positions by flat index (cheaper than ix_)
        for i in np.flatnonzero(left.any(axis=1)):
            row_i = left[i]
            while True:
                j = int(row_i.argmax())
                if not row_i[j]:
                    break
                clique = [int(i), j]
                common = adj[i] & adj[j]
                while True:
                    v = int(common.argmax())
                    if not common[v]:
                        break
                    clique.append(v)
                    common &= adj[v]
                members = np.asarray(clique, dtype=np.int64)
                flat[(members[:, None] * n + members).ravel()] = False
                out.append(members)
                self.cliques.append(pool[members])
        return out


def _overlaps(
    S: sparse.csr_array, w: FloatArray, adj: npt.NDArray[np.bool_] | sparse.csr_array
) -> tuple[IntArray, IntArray, FloatArray]:
    """Pairs of rows of ``S`` that may both be chosen (not in ``adj``, dense or sparse) and
    cover weight in common: the rows, and the weight."""
    Sw = sparse.csr_array(S.multiply(w[None, :]))
    pairs = sparse.triu(sparse.csr_array(Sw @ S.T), k=1).tocoo()
    if sparse.issparse(adj):
        a, m = sparse.coo_array(adj), np.int64(S.shape[0])
        conflict = np.isin(pairs.row * m + pairs.col, a.row.astype(np.int64) * m + a.col)
    else:
        conflict = adj[pairs.row, pairs.col]
    both = ~conflict & (pairs.data > 0)
    return pairs.row[both], pairs.col[both], pairs.data[both]


def _highs() -> Any:
    """An empty HiGHS model: no output, one thread."""
    import highspy

    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("threads", 1)
    return h


def _add_at_most_one(h: Any, groups: Sequence[IntArray]) -> None:
    """Add to the HiGHS model ``h`` one row per group of columns: at most one of them is 1."""
    if not len(groups):
        return
    import highspy

    size = np.array([len(g) for g in groups])
    h.addRows(
        len(groups), np.full(len(groups), -highspy.kHighsInf), np.ones(len(groups)),
        int(size.sum()), (np.cumsum(size) - size).astype(np.int32),
        np.concatenate(groups).astype(np.int32), np.ones(int(size.sum())),
    )  # fmt: skip


def _add_cover_rows(h: Any, Au: sparse.csc_array, y0: int) -> None:
    """Add to the HiGHS model ``h`` the rows ``y_j - sum_{i covers j} x_i <= 0``: one per
    column ``j`` of ``Au`` (points x units), the points' columns ``0..`` and the units'
    from ``y0``."""
    import highspy

    k = Au.shape[1]
    Au = sparse.csc_array(Au)
    Au.sort_indices()
    # each row y_j first, then its x_i
    starts = (Au.indptr[:-1] + np.arange(k)).astype(np.int32)
    index = np.empty(Au.nnz + k, dtype=np.int32)
    value = np.full(Au.nnz + k, -1.0)
    index[starts], value[starts] = y0 + np.arange(k), 1.0
    is_x = np.ones(Au.nnz + k, dtype=bool)
    is_x[starts] = False
    index[is_x] = Au.indices
    h.addRows(k, np.full(k, -highspy.kHighsInf), np.zeros(k), len(index), starts, index, value)


class _RegionModel:
    """``k`` rows of ``S`` (candidates x open units) that keep the spacing ``adj`` and cover
    the most weight, as a small HiGHS model, with one row per clique of ``cliques`` (which
    together hold every edge of ``adj``) for the spacing. Two kinds:

    - the pair model (default), in the candidates alone: each one's weight, less the
      overlap of each pair that may both be chosen (exact unless three chosen points share
      a unit, where it under-counts). Under tight spacing few pairs overlap, so the model
      is small and its bound strong.
    - with ``cover``, the true cover: a column per unit (units covered by the same rows
      merged, :func:`_merged_units`) that counts when a chosen row covers it, as in the
      MILP. Where covers overlap widely the pair model is loose and large, this is exact.

    With ``more`` (the cost of taking a point from elsewhere) ``k + 1`` rows may be chosen,
    and with ``fewer`` (the gain of putting a point elsewhere) ``k - 1``, their value counted
    in the objective. ``start`` (``k`` rows that keep the spacing) is what the region holds
    now: :meth:`gap` bounds what any answer gains over it, and :meth:`solve` hands it to
    HiGHS as a first solution."""

    def __init__(
        self,
        S: sparse.csr_array,
        w: FloatArray,
        k: int,
        adj: npt.NDArray[np.bool_] | sparse.csr_array,
        cliques: Sequence[IntArray],
        *,
        start: IntArray,
        more: float | None = None,
        fewer: float | None = None,
        overlaps: tuple[IntArray, IntArray, FloatArray] | None = None,
        cover: bool = False,
    ) -> None:
        import highspy

        m = S.shape[0]
        # sum x = k + (one more) - (one fewer), at most one of the two
        flex = [(v, c) for v, c in ((1.0, more), (-1.0, fewer)) if c is not None]
        nf = len(flex)
        h = _highs()
        # presolve costs more than it saves on these small models, and so do many root cuts
        h.setOptionValue("presolve", "off")
        h.setOptionValue("mip_pool_soft_limit", 300)
        inf = highspy.kHighsInf
        # columns: x_0..x_{m-1} (binary); then either y per merged unit (<= the x covering
        # it, at most 1) or z per overlapping pair (>= x_i + x_j - 1, >= 0); then the
        # one-more / one-fewer switches (binary)
        if cover:
            Su, wu = _merged_units(S, w)
            na = Su.shape[1]
            cost = np.concatenate([np.zeros(m), wu])
            upper = np.ones(na)
        else:
            zi, zj, zw = _overlaps(S, w, adj) if overlaps is None else overlaps
            na = len(zi)
            cost = np.concatenate([S @ w, -zw])
            upper = np.full(na, inf)
        n_cols = m + na + nf
        cost = np.concatenate([cost, [-c if v > 0 else c for v, c in flex]])
        h.addVars(n_cols, np.zeros(n_cols), np.concatenate([np.ones(m), upper, np.ones(nf)]))
        h.changeColsCost(n_cols, np.arange(n_cols, dtype=np.int32), cost)
        self.h = h
        self._ints = np.concatenate([np.arange(m), m + na + np.arange(nf)]).astype(np.int32)
        self._integral(True)
        h.changeObjectiveSense(highspy.ObjSense.kMaximize)
        x0 = np.zeros(n_cols)
        x0[start] = 1.0
        if cover:
            _add_cover_rows(h, Su, m)
            x0[m : m + na] = Su.T @ x0[:m] > 0
        elif na:
            index = np.column_stack([zi, zj, m + np.arange(na)]).ravel().astype(np.int32)
            h.addRows(
                na, np.full(na, -inf), np.ones(na), 3 * na,
                np.arange(0, 3 * na, 3, dtype=np.int32), index, np.tile([1.0, 1.0, -1.0], na),
            )  # fmt: skip
            x0[m : m + na] = x0[zi] * x0[zj]
        if nf:
            h.addRow(-inf, 1.0, nf, m + na + np.arange(nf, dtype=np.int32), np.ones(nf))
        h.addRow(
            float(k), float(k), m + nf, self._ints,
            np.concatenate([np.ones(m), [-v for v, _ in flex]]),
        )  # fmt: skip
        _add_at_most_one(h, cliques)
        self.k, self.m, self.nf, self.x0 = k, m, nf, x0
        self.start_value = float(cost @ x0)
        self.proven = False  # whether the last solve proved its answer optimal

    def _integral(self, on: bool) -> None:
        """The points' and switches' columns binary (``on``) or relaxed to [0, 1]."""
        import highspy

        kind = highspy.HighsVarType.kInteger if on else highspy.HighsVarType.kContinuous
        self.h.changeColsIntegrality(len(self._ints), self._ints, np.full(len(self._ints), kind))

    def relaxation(self, time_limit_s: float) -> tuple[float, FloatArray, FloatArray] | None:
        """The LP relaxation: its bound, and the rows' values and reduced costs (``None``
        if it is not solved within ``time_limit_s``)."""
        import highspy

        h = self.h
        h.setOptionValue("time_limit", float(max(time_limit_s, 0.0)))
        self._integral(False)
        h.run()
        out = None
        if h.getModelStatus() == highspy.HighsModelStatus.kOptimal:
            sol = h.getSolution()
            out = (
                float(h.getInfo().objective_function_value),
                np.asarray(sol.col_value)[: self.m],
                np.asarray(sol.col_dual)[: self.m],
            )
        self._integral(True)
        return out

    def gap(self, time_limit_s: float) -> float:
        """The LP relaxation's bound less the start's value: no answer gains more (infinite
        if the LP is not solved within ``time_limit_s``). A few milliseconds, where the MILP
        often takes tens even when this is 0."""
        lp = self.relaxation(time_limit_s)
        return (np.inf if lp is None else lp[0]) - self.start_value

    def solve(self, time_limit_s: float) -> IntArray | None:
        """The chosen rows (``k``, or one more or fewer where allowed) HiGHS finds within
        ``time_limit_s``, starting from ``start``; ``None`` if it found nothing."""
        import highspy

        h = self.h
        h.setOptionValue("time_limit", float(time_limit_s))
        sol = highspy.HighsSolution()
        sol.col_value = list(self.x0)
        h.setSolution(sol)
        h.run()
        self.proven = h.getModelStatus() == highspy.HighsModelStatus.kOptimal
        x = np.asarray(h.getSolution().col_value)
        if len(x) < self.m:
            return None
        chosen = np.flatnonzero(x[: self.m] > 0.5)
        return chosen if abs(len(chosen) - self.k) <= self.nf else None


def _undominated(
    S: sparse.csr_array, adj: npt.NDArray[np.bool_], fixed: npt.NDArray[np.bool_]
) -> npt.NDArray[np.bool_]:
    """Rows of a region worth keeping: drop a candidate when another covers all it covers
    and conflicts with no more of the others (it may always replace it, unless both are
    chosen, where the first adds nothing). Of identical ones the first stays; ``fixed``
    rows always stay."""
    # counts, exact in float32 (half the time of float64 in the products); where covers
    # overlap widely (a twentieth of the entries or more) a dense product is faster (5x at
    # a tenth)
    B = sparse.csr_array(S, dtype=np.float32)
    B.data[:] = 1.0
    dense = B.nnz >= 0.05 * B.shape[0] * B.shape[1]
    inter = B.toarray() @ B.T.toarray() if dense else (B @ B.T).toarray()
    size = np.diag(inter)
    a = adj.astype(np.float32)
    degree = a.sum(axis=1)
    # dom[i, j]: j covers all i covers, and j's conflicts but i are all i's (adj symmetric)
    dom = (inter >= size[:, None] - 0.5) & (degree[None, :] - a <= a @ a + 0.5)
    np.fill_diagonal(dom, False)
    idx = np.arange(len(size))
    dom &= ~(dom.T & (idx[:, None] < idx[None, :]))  # of two identical, the later goes
    return fixed | ~dom.any(axis=1)


@dataclass
class _Region:
    """A region move ready to solve: the chosen positions it frees (``near``), its
    candidates (``pool``), the point elsewhere a ``k + 1`` answer gives up (``drop``), its
    model, and the state of the search it was built on (``moves``)."""

    near: IntArray
    pool: IntArray
    drop: int
    model: _RegionModel
    gap: float
    moves: int
    seen: list[tuple[float, float]]
    price: tuple[float, float]

    def may_gain(self, eps: float) -> bool:
        """Whether the LP bound leaves room for a gain worth having."""
        return self.gap > max(eps, 1e-6 * abs(self.model.start_value))


def _region(
    s: _Search,
    xy: npt.NDArray[np.float64],
    pos: int,
    k: int,
    cliques: _Cliques,
    *,
    flex: bool = True,
    cover: bool = False,
    time_limit_s: float = REGION_SOLVE_S,
) -> _Region | None:
    """The region move around the chosen point at ``pos``: it and its ``k - 1`` nearest
    chosen neighbours freed, to be re-placed by a small MILP (:class:`_RegionModel`) over
    the candidates that cover any unit the freed points covered and keep the spacing with
    the points that stay, counting only demand those leave uncovered. ``None`` when there is
    nothing to choose or the same region was tried in vain before.

    With ``flex`` the region may also take ``k + 1`` points, paying for the extra one by
    dropping the chosen point outside that covers least on its own, or ``k - 1``, the one
    left over going to the best open candidate elsewhere (the count moves between regions,
    which a tight packing needs when the optimum packs one more point into a busy area);
    and the candidates also include those the freed points alone kept out by the spacing
    (when the spacing is twice the cover radius, a shifted packing's points cover little
    that the freed points covered). ``time_limit_s`` bounds the LP.

    The model is the pair model where few pairs of the candidates overlap (at most
    ``REGION_MAX_PAIRS`` per candidate); else the region is left alone (``None``), or with
    ``cover`` (where covers overlap widely everywhere) the model is the true cover's."""
    ch = np.asarray(s.chosen)
    near = np.argsort(((xy[ch] - xy[ch[pos]]) ** 2).sum(axis=1), kind="stable")[:k]
    freed = ch[near]
    for p in freed:
        s.covered[s.cols(p)] -= 1
        s.n_conf[s.conf(p)] -= 1
    units = _distinct(np.concatenate([s.cols(int(p)) for p in freed]))
    near_c = [s.conf(int(p)) for p in freed] if flex else []
    pool = _distinct(np.concatenate([s.A_csc[:, units].indices, freed, *near_c]))
    s.in_set[freed] = False
    pool = pool[(s.n_conf[pool] == 0) & ~s.in_set[pool]]
    more = fewer = None
    drop = -1
    if flex:
        # the cheapest point outside to give up, and the best open candidate outside
        outside = np.delete(np.arange(len(ch)), near)
        if len(outside):
            own = [float(s.w[c][s.covered[c] == 1].sum()) for c in map(s.cols, ch[outside])]
            drop, more = int(outside[int(np.argmin(own))]), min(own)
        s.mark[pool] = 1
        open_gain = np.where(s.in_set | (s.n_conf > 0) | (s.mark > 0), -np.inf, s.gain)
        s.mark[pool] = 0
        if np.isfinite(open_gain.max()):
            fewer = float(open_gain.max())
    s.in_set[freed] = True
    open_w = np.where(s.covered == 0, s.w, 0.0)
    sub = s.A[pool]
    cols = _distinct(sub.indices[open_w[sub.indices] > 0])
    for p in freed:
        s.covered[s.cols(p)] += 1
        s.n_conf[s.conf(p)] += 1
    if len(pool) <= k or not len(cols):
        return None
    # the model depends on these alone: a region tried in vain is not tried again as it
    # was, nor with a dearer extra point or a cheaper one to hand over
    key = (k, freed.tobytes(), pool.tobytes(), cols.tobytes())
    price = (np.inf if more is None else more, -np.inf if fewer is None else fewer)
    seen = cliques.tried.setdefault(key, [])
    if any(price[0] >= a and price[1] <= b for a, b in seen):
        return None
    S = sub[:, cols]
    adj = s.C[pool][:, pool].toarray()
    if REGION_PRUNE:
        keep = _undominated(S, adj, np.isin(pool, freed))
        pool, S, adj = pool[keep], S[keep], adj[np.ix_(keep, keep)]
    overlaps = None if cover else _overlaps(S, open_w[cols], adj)
    if overlaps is not None and len(overlaps[0]) > REGION_MAX_PAIRS * len(pool):
        seen.append(price)  # covers overlap widely: the pair model is loose and slow there
        return None
    model = _RegionModel(
        S, open_w[cols], k, adj, cliques.cover(pool, adj), start=np.searchsorted(pool, freed),
        more=more, fewer=fewer, overlaps=overlaps, cover=cover,
    )  # fmt: skip
    return _Region(near, pool, drop, model, model.gap(time_limit_s), s.moves, seen, price)


def _region_gain(s: _Search, r: _Region, *, eps: float, time_limit_s: float) -> bool:
    """Solve the region's model (unless its LP bound already says it cannot gain) and
    apply the answer when it gains, judged on the true cover; returns whether it did. The
    region is remembered as tried either way."""
    r.seen.append(r.price)
    if not r.may_gain(eps):
        return False
    picked = r.model.solve(time_limit_s)
    if picked is None:
        return False
    ch = np.asarray(s.chosen)
    k = len(r.near)
    new = np.concatenate([np.delete(ch, r.near), r.pool[picked]])
    if len(picked) > k:
        new = new[new != ch[r.drop]]
    elif len(picked) < k:
        blocked = np.zeros(len(s.in_set), dtype=bool)
        blocked[new] = True
        blocked[s.C[new].indices] = True
        covered = np.asarray(s.A[new].sum(axis=0)).ravel() > 0
        gain = np.where(blocked, -np.inf, s.A @ np.where(covered, 0.0, s.w))
        if not np.isfinite(gain.max()):
            return False
        new = np.append(new, int(np.argmax(gain)))
    return len(_distinct(new)) == len(ch) and s.move_if_better(new, eps)


def _region_move(
    s: _Search,
    xy: npt.NDArray[np.float64],
    pos: int,
    k: int,
    cliques: _Cliques,
    *,
    eps: float,
    time_limit_s: float,
    flex: bool = True,
    cover: bool = False,
) -> bool:
    """The region move around ``pos`` (:func:`_region`), solved and applied when it gains
    (:func:`_region_gain`); returns whether it did."""
    r = _region(s, xy, pos, k, cliques, flex=flex, cover=cover, time_limit_s=time_limit_s)
    return r is not None and _region_gain(s, r, eps=eps, time_limit_s=time_limit_s)


def _region_search(
    s: _Search,
    xy: npt.NDArray[np.float64],
    *,
    sizes: Sequence[int],
    cliques: _Cliques,
    eps: float,
    deadline: float,
    rng: np.random.Generator,
    cover: bool = False,
) -> bool:
    """Rounds of region moves around each chosen point (``cover``: by the true cover's
    model, see :func:`_region`), local search after each gain.

    A round first builds every point's region and bounds what it may gain by its LP
    relaxation (regions that cannot gain end there), then solves the rest, most promising
    first (a region is built again if a gain changed the search since). A round that gains
    nothing moves on to the next, larger region size of ``sizes``; one that gains goes back
    to the first. Ends when a round of the largest size gains nothing or time runs out (or
    is shorter than the last region took to build). Returns whether any gained."""
    gained = False
    level = 0
    build_s = 0.0
    while level < len(sizes):
        k = sizes[level]
        todo: list[tuple[float, int, _Region]] = []
        built = set()  # two points may have the same neighbours: one region
        for pos in rng.permutation(len(s.chosen)).tolist():
            t = time.perf_counter()
            if deadline - t <= build_s:
                return gained
            limit = min(REGION_SOLVE_S, deadline - t)
            r = _region(s, xy, pos, k, cliques, cover=cover, time_limit_s=limit)
            build_s = time.perf_counter() - t
            if r is None or id(r.seen) in built:
                continue
            built.add(id(r.seen))
            if not r.may_gain(eps):
                r.seen.append(r.price)  # the LP bound settles it
                continue
            todo.append((r.gap, pos, r))
        moved = False
        for _, pos, r in sorted(todo, key=lambda t: -t[0]):
            left = deadline - time.perf_counter()
            if left <= 0:
                return gained
            if r.moves != s.moves:  # built before a gain: build it again
                if left <= build_s:
                    return gained
                t = time.perf_counter()
                limit = min(REGION_SOLVE_S, left)
                r = _region(s, xy, pos, k, cliques, cover=cover, time_limit_s=limit)
                build_s = time.perf_counter() - t
                if r is None:
                    continue
                left = deadline - time.perf_counter()
            if _region_gain(s, r, eps=eps, time_limit_s=min(REGION_SOLVE_S, left)):
                _local_search(s, eps=eps, deadline=deadline, pairs=False)
                moved = gained = True
        level = 0 if moved and level else level + (not moved)
    return gained


def _disc_cliques(xy: npt.NDArray[np.float64], C: sparse.csr_array) -> list[IntArray]:
    """Cliques of the conflict graph ``C`` for the LP relaxation: the candidates within a
    disc whose diameter is the longest conflicting distance (so, when conflicts are the
    pairs closer than the spacing, all of them conflict), centred on a grid a quarter of
    that apart. Each is checked against ``C`` (conflicts need not be
    distances) and kept when complete. They need not hold every conflict: the LP only has
    to be valid."""
    r, c = C.nonzero()
    if len(r) == 0:
        return []
    reach = float(np.sqrt(((xy[r] - xy[c]) ** 2).sum(axis=1)).max())
    if reach <= 0:
        return []
    step = reach / 4
    lo, hi = xy.min(axis=0), xy.max(axis=0)
    gx, gy = np.meshgrid(np.arange(lo[0], hi[0] + step, step), np.arange(lo[1], hi[1] + step, step))
    found = cKDTree(xy).query_ball_point(np.column_stack([gx.ravel(), gy.ravel()]), reach / 2)
    groups = {tuple(sorted(g)) for g in found if len(g) >= 2}
    mark = np.zeros(C.shape[0], dtype=bool)
    out = []
    for g in sorted(groups):
        idx = np.asarray(g, dtype=np.int64)
        mark[idx] = True
        inside = np.count_nonzero(mark[_gather(C, idx)[1]])
        mark[idx] = False
        if inside == len(idx) * (len(idx) - 1):
            out.append(idx)
    return out


def _lp_rank(x: FloatArray, reduced_cost: FloatArray) -> IntArray:
    """Candidates by their LP value, then by reduced cost: those an optimum most likely
    uses first."""
    return np.lexsort((-reduced_cost, -np.round(x, 9)))


def _lp_guide(
    A: sparse.csr_array,
    w: FloatArray,
    n: int,
    cliques: Sequence[IntArray],
    *,
    time_limit_s: float,
    deadline: float = np.inf,
    ipm: bool = False,
) -> tuple[float, IntArray] | None:
    """The LP relaxation of the MILP with the spacing as ``cliques``: its bound on the
    optimum, and the candidates ranked by it (:func:`_lp_rank`). ``None`` when HiGHS does
    not solve it within ``time_limit_s``, or by ``deadline`` (a ``time.perf_counter()``
    time, which building the model counts against).

    With ``ipm``, HiGHS's interior point method (then crossover to a basic solution, as
    exact as the simplex's): faster with cliques that hold every conflict (1.1 s instead
    of 1.9 s on a demo instance)."""
    import highspy

    h, _ = _cover_model(A, w, n, cliques=cliques, integral=False)
    limit = min(float(time_limit_s), deadline - time.perf_counter())
    h.setOptionValue("time_limit", max(limit, 0.0))
    if ipm:
        h.setOptionValue("solver", "ipm")
    h.run()
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return None
    m = A.shape[0]
    sol = h.getSolution()
    x = np.asarray(sol.col_value)[:m]
    rc = np.asarray(sol.col_dual)[:m]
    return float(h.getInfo().objective_function_value), _lp_rank(x, rc)


def _kernel_move(
    s: _Search,
    rank: IntArray,
    size: int,
    conflicts: IntArray,
    cliques: Sequence[IntArray],
    *,
    eps: float,
    time_limit_s: float,
) -> tuple[bool, bool]:
    """Solve the MILP exactly over a kernel of candidates: the ``size`` first of ``rank``
    and the chosen ones (whose set starts HiGHS), with ``cliques`` cut down to the kernel;
    apply its answer when it gains. Returns whether it did, and whether HiGHS proved its
    answer optimal over the kernel."""
    m = s.A.shape[0]
    kernel = _distinct(np.concatenate([rank[:size], s.chosen]))
    at = np.full(m, -1, dtype=np.int64)
    at[kernel] = np.arange(len(kernel))
    pairs = at[conflicts]
    pairs = pairs[(pairs >= 0).all(axis=1)]
    inside = [g[g >= 0] for g in (at[c] for c in cliques)]
    try:
        sol = solve_exact(
            s.A[kernel], s.w, len(s.chosen), conflicts=pairs, warm_start=at[s.chosen],
            time_limit_s=time_limit_s, cliques=[g for g in inside if len(g) > 1],
        )  # fmt: skip
    except InfeasibleError:
        return False, False
    new = kernel[sol.chosen]
    return len(new) == len(s.chosen) and s.move_if_better(new, eps), sol.status == "Optimal"


def _partners(A: sparse.csr_array, w: FloatArray, C: sparse.csr_array) -> float:
    """How many candidates that it may be chosen with share weight with a candidate, on
    average over a sample of 200 (a few hundredths of a second where all pairs take
    tenths)."""
    m = A.shape[0]
    rows = np.unique(np.linspace(0, m - 1, min(m, 200)).astype(np.int64))
    sub = A[rows]
    share = sparse.csr_array(sparse.csr_array(sub.multiply(w[None, :])) @ A.T)
    share.data[:] = share.data > 0
    alone = np.count_nonzero(sub @ w > 0)  # a row shares its own weight with itself
    partners = share.sum() - sparse.csr_array(share.multiply(C[rows])).sum() - alone
    return float(partners) / len(rows)


def _few_overlaps(
    A: sparse.csr_array, w: FloatArray, C: sparse.csr_array
) -> tuple[IntArray, IntArray, FloatArray] | None:
    """The pairs of candidates that may both be chosen and cover weight in common
    (:func:`_overlaps`), when there are few enough for the pair model (:class:`_RegionModel`)
    over all candidates: at most ``REGION_MAX_PAIRS`` per candidate (a tight spacing), and
    at most ``PAIR_RANK_MAX`` candidates. Else ``None``, mostly decided on a sample of
    candidates (all pairs take a few tenths of a second where covers overlap widely)."""
    m = A.shape[0]
    if m > PAIR_RANK_MAX:
        return None
    if _partners(A, w, C) > 4 * REGION_MAX_PAIRS:  # each pair counts twice: 2x the limit
        return None
    overlaps = _overlaps(A, w, C)
    return overlaps if len(overlaps[0]) <= REGION_MAX_PAIRS * m else None


def _pair_rank(
    s: _Search,
    overlaps: tuple[IntArray, IntArray, FloatArray],
    cliques: Sequence[IntArray],
    *,
    time_limit_s: float,
) -> IntArray | None:
    """The candidates ranked by the LP relaxation of the pair model (:class:`_RegionModel`
    over all of them, with their ``overlaps`` and the spacing as ``cliques`` that hold every
    conflict), as :func:`_lp_rank` orders them. Under a tight spacing that LP is much
    tighter than the cover model's and ranks the optimum's points far better. ``None``
    when the LP is not solved in time."""
    model = _RegionModel(
        s.A, s.w, len(s.chosen), s.C, cliques, start=np.asarray(s.chosen), overlaps=overlaps
    )
    lp = model.relaxation(time_limit_s)
    return None if lp is None else _lp_rank(lp[1], lp[2])


def _pair_guide(
    s: _Search, cliques: _Cliques, *, stop: float
) -> tuple[IntArray, list[IntArray]] | None:
    """Under a tight spacing (:func:`_few_overlaps`): the pair model's ranking of the
    candidates (:func:`_pair_rank`) and cliques that hold every conflict (found by and kept
    in ``cliques``). ``None`` where the spacing is not tight, or when the work is not done
    by the time ``stop`` (half a second on the demo's 1,645 candidates)."""
    overlaps = _few_overlaps(s.A, s.w, s.C)
    if overlaps is None or time.perf_counter() >= stop:
        return None
    every = cliques.cover(np.arange(s.A.shape[0]), s.C.toarray() > 0)
    left = stop - time.perf_counter()
    rank = _pair_rank(s, overlaps, every, time_limit_s=left) if left > 0 else None
    return None if rank is None else (rank, every)


def _pair_kernel_move(
    s: _Search, rank: IntArray, size: int, cliques: _Cliques, *, eps: float, time_limit_s: float
) -> tuple[bool, bool]:
    """Solve the pair model (:class:`_RegionModel`, exact unless three chosen points share a
    unit) over a kernel: the ``size`` first of ``rank`` and the chosen ones (its start),
    less candidates another dominates; apply its answer when it gains on the true cover.
    Returns whether it did, and whether HiGHS proved its answer optimal over the kernel."""
    pool = _distinct(np.concatenate([rank[:size], s.chosen]))
    adj = s.C[pool][:, pool].toarray() > 0
    S = s.A[pool]
    keep = _undominated(S, adj, s.in_set[pool])
    pool, S, adj = pool[keep], S[keep], adj[np.ix_(keep, keep)]
    model = _RegionModel(
        S, s.w, len(s.chosen), adj, cliques.cover(pool, adj),
        start=np.searchsorted(pool, s.chosen), overlaps=_overlaps(S, s.w, adj),
    )  # fmt: skip
    picked = model.solve(time_limit_s)
    gained = picked is not None and len(picked) == len(s.chosen)
    return gained and s.move_if_better(pool[picked], eps), model.proven


def _kernel_search(
    s: _Search,
    move: Callable[[int, float], tuple[bool, bool]],
    *,
    target: float,
    eps: float,
    deadline: float,
    sizes: Sequence[int] | None = None,
) -> bool:
    """Kernel moves ``move(size, time_limit_s)`` of ``sizes`` (default ``KERNEL_SIZES``)
    times the number of points (at least ``KERNEL_MIN``), local search after a gain, while
    HiGHS proves each within ``KERNEL_SOLVE_S`` and the next (some 3-5 times as long,
    ``KERNEL_GROWTH``) is likely to; until the objective meets ``target`` or time runs out.
    Returns whether a kernel of every candidate was proven."""
    m, n = s.A.shape[0], len(s.chosen)
    for factor in KERNEL_SIZES if sizes is None else sizes:
        left = deadline - time.perf_counter()
        if left <= 0 or s.objective >= target - eps:
            break
        size = max(KERNEL_MIN, factor * n)
        t = time.perf_counter()
        gained, proven = move(size, min(KERNEL_SOLVE_S, left))
        took = time.perf_counter() - t
        if gained:
            _local_search(s, eps=eps, deadline=deadline)
        if proven and size >= m:
            return True
        if not proven or KERNEL_GROWTH * took > KERNEL_SOLVE_S:
            break
    return False


def _interaction(s: _Search, *, k: int) -> list[tuple[int, int]]:
    """Pairs of chosen positions that compete: a candidate covers units of both or conflicts
    with both; each position with its ``k`` strongest partners, strongest pairs first."""
    n = len(s.chosen)
    if n < 2:
        return []
    ch = np.asarray(s.chosen)
    reach = sparse.csr_array(s.A[ch] @ s.A_csc.T) + sparse.csr_array(s.C[ch], dtype=np.float64)
    reach.data[:] = 1.0
    K = (reach @ reach.T).toarray()
    np.fill_diagonal(K, 0.0)
    pairs: dict[tuple[int, int], float] = {}
    for i in range(n):
        for j in np.argsort(-K[i], kind="stable")[:k]:
            if K[i, j] > 0:
                pairs[(min(i, int(j)), max(i, int(j)))] = float(K[i, j])
    return sorted(pairs, key=lambda p: -pairs[p])


def _local_search(
    s: _Search, *, eps: float, deadline: float, pairs: bool = True, k: int = 4
) -> None:
    """1-swaps until none gains, then pair moves among competing points, until neither gains
    or time runs out. After the first round only pairs with a point that moved are tried."""
    last = [-1] * len(s.chosen)  # candidate at each position when its pairs were last tried
    while time.perf_counter() <= deadline:
        while _swap_pass(s, eps=eps, deadline=deadline):
            pass
        if not pairs:
            return
        moved = False
        todo = [(a, b) for a, b in _interaction(s, k=k) if s.chosen[a] != last[a]
                or s.chosen[b] != last[b]]  # fmt: skip
        last = list(s.chosen)
        for a, b in todo:
            if time.perf_counter() > deadline:
                return
            if _pair_move(s, a, b, eps=eps):
                moved = True
        if not moved:
            return


def _independent_by(score: FloatArray, n: int, C: sparse.csr_array, *, pool: int) -> list[int]:
    """Up to ``n`` non-conflicting candidates, best ``score`` first (looking at the ``pool``
    best, then at all)."""
    m = len(score)
    blocked = np.zeros(m, dtype=bool)
    out: list[int] = []
    head = np.argpartition(-score, min(pool, m - 1))[:pool] if pool < m else np.arange(m)
    for order in (head[np.argsort(-score[head], kind="stable")], np.argsort(-score, kind="stable")):
        for i in order:
            if blocked[i]:
                continue
            out.append(int(i))
            blocked[i] = True
            blocked[C.indices[C.indptr[i] : C.indptr[i + 1]]] = True
            if len(out) == n:
                return out
    return out


def _grow_packing(
    C: sparse.csr_array,
    chosen: list[int],
    n: int,
    *,
    deadline: float,
    seed: int = 0,
    max_steps: int = 10_000,
) -> list[int]:
    """Grow a set of non-conflicting candidates towards ``n``: add any candidate free of
    conflicts, else replace one chosen candidate by two that conflict only with it and not
    with each other (the 1-out-2-in move of maximum independent set searches), else take a
    random plateau step (one for one) and try again, up to ``max_steps`` steps."""
    m = C.shape[0]
    rng = np.random.default_rng(seed)
    steps = 0
    chosen = list(chosen)
    n_conf = np.zeros(m, dtype=np.int64)
    in_set = np.zeros(m, dtype=bool)
    for i in chosen:
        n_conf[C.indices[C.indptr[i] : C.indptr[i + 1]]] += 1
        in_set[i] = True

    def put(i: int, step: int) -> None:
        n_conf[C.indices[C.indptr[i] : C.indptr[i + 1]]] += step
        in_set[i] = step > 0

    while len(chosen) < n and time.perf_counter() <= deadline:
        free = np.flatnonzero((n_conf == 0) & ~in_set)
        if len(free):
            chosen.append(int(free[0]))
            put(int(free[0]), 1)
            continue
        grown = False
        for pos, p in enumerate(chosen):
            near = C.indices[C.indptr[p] : C.indptr[p + 1]]
            only_p = near[(n_conf[near] == 1) & ~in_set[near]]
            if len(only_p) < 2:
                continue
            inner = C[only_p][:, only_p].toarray()
            a, b = np.nonzero(~inner & ~np.eye(len(only_p), dtype=bool))
            if len(a):
                put(p, -1)
                chosen[pos] = int(only_p[a[0]])
                chosen.append(int(only_p[b[0]]))
                put(chosen[pos], 1)
                put(chosen[-1], 1)
                grown = True
                break
        if grown:
            continue
        # a plateau step: a random chosen candidate swapped for one conflicting only with it
        walked = False
        for pos in rng.permutation(len(chosen)):
            p = chosen[pos]
            near = C.indices[C.indptr[p] : C.indptr[p + 1]]
            only_p = near[(n_conf[near] == 1) & ~in_set[near]]
            if len(only_p):
                q = int(only_p[rng.integers(len(only_p))])
                put(p, -1)
                chosen[pos] = q
                put(q, 1)
                walked = True
                break
        steps += 1
        if not walked or steps > max_steps:
            break
    return chosen


def _lagrangian(
    A: sparse.csr_array,
    A_csc: sparse.csc_array,
    w: FloatArray,
    C: sparse.csr_array,
    n: int,
    *,
    lower: float,
    iterations: int,
    deadline: float,
) -> tuple[float, list[list[int]]]:
    """Subgradient search on the Lagrangian relaxation of the cover constraints.

    Relaxing ``y_j <= sum_i a_ij x_i`` with multipliers ``u_j >= 0`` leaves
    ``L(u) = sum_j max(w_j - u_j, 0) + (sum of the n largest (A u)_i)``, an upper bound on the
    optimum for any ``u >= 0`` (the spacing only lowers the optimum). Each iterate's
    candidate scores ``A u`` also suggest a plan: the best non-conflicting candidates by
    score. Returns the best bound and those plans, best first (distinct ones only).
    """
    m = A.shape[0]
    u = w.copy()
    best_ub = np.inf
    plans: dict[tuple[int, ...], float] = {}
    step, stale = 2.0, 0
    for _ in range(iterations):
        if time.perf_counter() > deadline or step < 1e-4:
            break
        score = A @ u
        top = np.argpartition(-score, n - 1)[:n] if n < m else np.arange(m)
        ub = float(np.maximum(w - u, 0.0).sum() + score[top].sum())
        if ub < best_ub - 1e-9 * max(1.0, ub):
            best_ub, stale = ub, 0
        else:
            stale += 1
            if stale >= 20:
                step, stale = step / 2, 0
        plan = _independent_by(score, n, C, pool=8 * n)
        if len(plan) == n:
            key = tuple(sorted(plan))
            if key not in plans:
                value = _objective(A, w, plan)
                plans[key] = value
                lower = max(lower, value)
        x = np.zeros(m)
        x[top] = 1.0
        sub = (w > u).astype(np.float64) - A_csc.T @ x
        norm = float(sub @ sub)
        if norm == 0.0:
            break
        u = np.maximum(0.0, u + step * (ub - lower) / norm * sub)
    ranked = sorted(plans.items(), key=lambda kv: -kv[1])
    return best_ub, [list(p) for p, _ in ranked]


def solve_greedy(
    A: sparse.csr_array,
    w: FloatArray,
    n: int,
    *,
    conflicts: IntArray | None = None,
    fixed_cover: npt.NDArray[np.bool_] | None = None,
    swap: bool = True,
    restarts: int = 60,
    patience: int = 30,
    seed: int = 0,
    xy: npt.NDArray[np.float64] | None = None,
    time_limit_s: float = 5.0,
    lagrangian_iterations: int = 300,
    starts: int = 8,
) -> Solution:
    """Lazy greedy and Lagrangian starts, local search, then iterated local search.

    1. Lazy greedy (marginal gains only ever shrink, so a stale gain is an upper bound and
       most are never recomputed). When the spacing leaves it short of ``n`` points, a
       packing search (:func:`_grow_packing`) looks for room first.
    2. Subgradient search on the Lagrangian relaxation of the cover constraints (see
       :func:`_lagrangian`, at most 30% of the time): an upper bound on the optimum, which
       becomes the solution's ``bound``, and plans read off its candidate scores that start
       the local search away from greedy's choice.
    3. Local search from the greedy answer and the best of those plans (``starts`` in all):
       1-swaps (a point replaced by the best candidate that keeps the spacing), then pair
       moves (two competing points replaced by the best pair that covers what only they
       covered), until neither gains.
    3b. When ``xy`` is given, the cover matrix is small enough (``KERNEL_MAX_NNZ``, and at
       most ``PAIR_RANK_MAX`` candidates) and the spacing tight (few pairs of candidates
       that may both be chosen share demand, :func:`_few_overlaps`): pair kernels, their
       preparation within 30% of the time (:func:`_pair_guide`). The pair model
       (:class:`_RegionModel`: each point's weight less each chosen pair's overlap) over
       all candidates has a far tighter LP than the cover model there, and ranks the
       optimum's points near the top (:func:`_pair_rank`, a tenth of a second on the
       demo); HiGHS then solves it over the chosen points and the 6n (at least 100)
       candidates it ranks first, then twice as many, and so on (:func:`_pair_kernel_move`,
       :func:`_kernel_search`), an answer kept when it gains on the true cover. Where the optimum is a shifted packing (most
       points differ from the local search's), this finds it.
    3c. When ``xy`` is given and the cover matrix small enough, the LP relaxation of the
       MILP (:func:`_lp_guide`, at most 30% of the time): under a tight spacing with
       cliques that hold every conflict (by HiGHS's interior point method), else with
       cliques of candidates in small discs. Its bound, when lower, becomes the solution's
       ``bound``; its ranking of the candidates feeds the kernel moves after step 4.
    4. Iterated local search on the three best distinct local optima in turn: drop a group
       of points (a random one and, when candidate coordinates ``xy`` are given, its nearest
       chosen neighbours; else a random quarter), refill greedily, search again (pair moves
       only when the swaps come within 0.5%); keep what covers more. ``restarts`` rounds at
       most, ending early after ``patience`` rounds without a gain (when region moves
       follow: after 10, and at half the time limit at the latest).
    4b. Kernel moves (:func:`_kernel_move`): the MILP solved exactly by HiGHS over the
       chosen points and the 6n (at least 100) candidates the LP of 3c ranks first, then
       twice as many, and so on while HiGHS finishes within 1 s and the next one is likely to
       (units covered by the same candidates merged, so most take tens of milliseconds);
       local search after a gain. A kernel of every candidate proves the optimum. Where
       covers overlap widely the ILS plateaus; a kernel often gains there, but only the
       first size is tried where they do everywhere (the next take 0.4-0.8 s and seldom
       gain; the region moves of step 5 need the time).
    5. With the time left (when ``xy`` is given): region moves
       (:func:`_region_move`): a chosen point and its 7 nearest chosen neighbours are
       re-placed exactly, by a small HiGHS model over the candidates around them (less
       those another candidate dominates). A round builds every point's region, drops
       those whose LP relaxation bounds the gain at 0 and solves the others, largest bound
       first; when a round gains nothing, the next has 12 and then 16 points (back to 8
       after a gain; never more than ``n``). A region may also take one point more
       (dropping the point elsewhere that covers least) or one fewer (the point going to
       the best open candidate elsewhere). The sub-problems are a few hundred candidates,
       not the full MILP. Their model is the pair model, and a region where covers overlap
       widely (more than 4 overlapping pairs per candidate) is left alone; where covers
       overlap widely everywhere (more than 8 partners per candidate in a sample,
       :func:`_partners`), every region's model is the true cover's instead (a column per
       unit, as in the MILP) and regions have 4, 6, then 8 points. There the local search
       stalls 4-6 changed points short of a far better plan, a few hundred metres across.

    Everything stops at ``time_limit_s``, or as soon as the objective meets the bound;
    deterministic for a ``seed`` unless the time limit cuts it short (a region's model has
    its own limit, ``REGION_SOLVE_S``).

    Parameters
    ----------
    A
        Cover matrix (candidates x demand units).
    w
        Demand weight per unit (>= 0).
    n
        Number of points to choose.
    conflicts
        Candidate pairs that may not both be chosen (spacing).
    fixed_cover
        Units already covered (e.g. by posts): they count for nothing here.
    swap
        ``False``: the lazy greedy alone.
    lagrangian_iterations, starts
        Subgradient iterations (0 skips step 2) and local searches started in step 3.
    """
    t0 = time.perf_counter()
    deadline = t0 + time_limit_s
    m = A.shape[0]
    w = np.where(fixed_cover, 0.0, w) if fixed_cover is not None else np.asarray(w, float)
    conflicts = np.empty((0, 2), np.int64) if conflicts is None else conflicts
    C = _conflict_lists(m, conflicts)
    A = sparse.csr_array(A, dtype=np.float64)
    chosen, _ = _greedy_fill(A, w, C, [], n)
    if len(chosen) < n:
        # greedy packs badly; fewest conflicts first packs more, and 1-out-2-in moves more
        degree = np.diff(C.indptr).astype(np.float64)
        chosen = _grow_packing(
            C, _independent_by(-degree, n, C, pool=m), n, deadline=deadline, seed=seed
        )
    if len(chosen) < n:
        msg = (
            f"could place only {len(chosen)} points with this spacing among {m} candidates "
            f"(a packing search found no more); {n} were asked for (lower the spacing or the "
            "count)"
        )
        raise InfeasibleError(msg)
    coverable = float(w[np.asarray(A.sum(axis=0)).ravel() > 0].sum())
    bound = coverable
    status = "greedy"
    phases = ["greedy"]  # what ran, for the solver's name
    if swap:
        A_csc = sparse.csc_array(A)
        eps = 1e-9 * max(1.0, float(w.sum()))
        plans = [chosen]
        if lagrangian_iterations > 0 and n < m:
            phases.append("lagrangian")
            ub, more = _lagrangian(
                A, A_csc, w, C, n, lower=_objective(A, w, chosen),
                iterations=lagrangian_iterations, deadline=t0 + 0.3 * time_limit_s,
            )  # fmt: skip
            bound = min(bound, ub)
            plans += more
        # local search from each start; the best few distinct results form an elite
        phases.append("local search")
        elite: list[tuple[float, list[int]]] = []
        for plan in plans[: max(1, starts)]:
            if elite and (elite[0][0] >= bound - eps or time.perf_counter() > deadline):
                break
            s = _Search(A, A_csc, w, C, plan)
            _local_search(s, eps=eps, deadline=deadline)
            if all(set(s.chosen) != set(e[1]) for e in elite):
                elite.append((s.objective, list(s.chosen)))
                elite.sort(key=lambda e: -e[0])
                del elite[ELITE:]
        best, best_obj = elite[0][1], elite[0][0]
        status = "local optimum"
        # under a tight spacing (few overlapping pairs): pair kernels, the pair model over
        # the candidates its own LP ranks first (a few tenths of a second)
        rank: IntArray | None = None
        cliques: list[IntArray] = []
        kernels = xy is not None and n > 1 and A.nnz <= KERNEL_MAX_NNZ and len(KERNEL_SIZES) > 0
        pair = None
        region_cliques = _Cliques(C)
        if kernels and best_obj < bound - eps and time.perf_counter() < deadline:
            s = _Search(A, A_csc, w, C, best)
            stop = min(deadline, time.perf_counter() + KERNEL_LP_SHARE * time_limit_s)
            pair = _pair_guide(s, region_cliques, stop=stop)
            if pair is not None:
                phases.append("pair kernels")
                _kernel_search(
                    s, lambda size, limit: _pair_kernel_move(
                        s, pair[0], size, region_cliques, eps=eps, time_limit_s=limit
                    ), target=bound, eps=eps, deadline=deadline,
                )  # fmt: skip
            if s.objective > best_obj + eps:
                best, best_obj = list(s.chosen), s.objective
                elite = [(best_obj, best), *elite[: ELITE - 1]]
        # the LP relaxation: a bound, and a ranking of the candidates for kernel moves
        if kernels and best_obj < bound - eps and time.perf_counter() < deadline:
            t = time.perf_counter()
            budget = min(KERNEL_LP_SHARE * time_limit_s, deadline - t)
            # under a tight spacing, cliques that hold every conflict: a far tighter LP than
            # the discs' (0.2% above the optimum instead of 8% in one case)
            cliques = pair[1] if pair is not None else _disc_cliques(xy, C)
            guide = _lp_guide(
                A, w, n, cliques, time_limit_s=budget - (time.perf_counter() - t),
                deadline=deadline, ipm=pair is not None,
            )  # fmt: skip
            if guide is not None:
                phases.append("lp")
                bound, rank = min(bound, guide[0]), guide[1]
        rng = np.random.default_rng(seed)
        # iterated local search, perturbing each elite member in turn
        drop = max(1, n // 4)
        stale = 0
        regions = xy is not None and n > 1 and len(REGION_SIZES) > 0
        ils_end = t0 + ILS_SHARE * time_limit_s if regions else deadline
        for r in range(restarts if n > 1 else 0):
            if stale >= (min(patience, ILS_PATIENCE) if regions else patience):
                break
            if best_obj >= bound - eps:
                break
            if time.perf_counter() > ils_end:
                break
            if "ils" not in phases:
                phases.append("ils")
            k = r % len(elite)
            e_obj, e_set = elite[k]
            b = np.asarray(e_set)
            if xy is not None:
                centre = xy[b[rng.integers(len(b))]]
                near = np.argsort(((xy[b] - centre) ** 2).sum(axis=1), kind="stable")
                size = int(rng.integers(1, drop + 2))
                keep = [int(i) for i in b[near[size:]]]
            else:
                keep = [int(i) for i in rng.permutation(b)[drop:]]
            trial, _ = _greedy_fill(A, w, C, keep, n, rng=rng)
            stale += 1
            if len(trial) < n:
                continue
            s = _Search(A, A_csc, w, C, trial)
            # swaps first (cheap); pair moves only for trials that come close
            _local_search(s, eps=eps, deadline=deadline, pairs=False)
            if s.objective > e_obj * (1 - ILS_PAIR_WINDOW):
                _local_search(s, eps=eps, deadline=deadline)
            if s.objective > e_obj + eps:
                elite[k] = (s.objective, list(s.chosen))
            if s.objective > best_obj + eps:
                best, best_obj, stale = list(s.chosen), s.objective, 0
        # where covers overlap widely everywhere, region moves by the true cover's model
        # (smaller regions) do most; the larger kernels seldom gain there, and take their time
        # (sampled only when a kernel or region move may follow)
        wide = (
            regions and best_obj < bound - eps and time.perf_counter() < deadline
            and _partners(A, w, C) > 2 * REGION_MAX_PAIRS
        )  # fmt: skip
        # kernel moves: the MILP over the candidates the cover model's LP ranks first
        if rank is not None and best_obj < bound - eps and time.perf_counter() < deadline:
            s = _Search(A, A_csc, w, C, best)
            phases.append("kernels")
            if _kernel_search(
                s, lambda size, limit: _kernel_move(
                    s, rank, size, conflicts, cliques, eps=eps, time_limit_s=limit
                ), target=bound, eps=eps, deadline=deadline,
                sizes=KERNEL_SIZES[:WIDE_KERNELS] if wide else KERNEL_SIZES,
            ):  # fmt: skip
                bound = min(bound, s.objective)  # a kernel of every candidate
            if s.objective > best_obj + eps:
                best, best_obj = list(s.chosen), s.objective
        # time the ILS leaves goes to region moves (exact re-placement of a group)
        if regions and best_obj < bound - eps and time.perf_counter() < deadline:
            s = _Search(A, A_csc, w, C, best)
            region_rng = np.random.default_rng(seed)
            sizes = sorted({min(size, n) for size in (WIDE_REGION_SIZES if wide else REGION_SIZES)})
            phases.append("regions")
            if _region_search(
                s, xy, sizes=sizes, cliques=region_cliques, eps=eps, deadline=deadline,
                rng=region_rng, cover=wide,
            ):  # fmt: skip
                best, best_obj = list(s.chosen), s.objective
        if best_obj >= bound - eps:
            status = "optimal (meets the upper bound)"
        elif time.perf_counter() > deadline:
            status = "time limit in local search"
        chosen = best
    obj = _objective(A, w, chosen)
    bound = max(bound, obj)
    return Solution(
        chosen=np.asarray(chosen, dtype=np.int64),
        objective=obj,
        bound=bound,
        gap=(bound - obj) / bound if bound > 0 else 0.0,
        status=status,
        solver="+".join(phases),
        seconds=time.perf_counter() - t0,
    )


def _merged_units(A: sparse.csr_array, w: FloatArray) -> tuple[sparse.csc_array, FloatArray]:
    """The units with weight that some row of ``A`` covers, those covered by the same rows
    merged into one (their weights summed): the same MILP, fewer rows. Returns the cover
    of the merged units (rows x merged units) and their weights."""
    useful = np.flatnonzero((w > 0) & (np.asarray(A.sum(axis=0)).ravel() > 0))
    Au = sparse.csc_array(A[:, useful])
    Au.sort_indices()
    first: dict[bytes, int] = {}
    group = np.empty(len(useful), dtype=np.int64)
    for j in range(len(useful)):
        group[j] = first.setdefault(
            Au.indices[Au.indptr[j] : Au.indptr[j + 1]].tobytes(), len(first)
        )
    lead = np.unique(group, return_index=True)[1]
    return sparse.csc_array(Au[:, lead]), np.bincount(group, weights=w[useful])


def _cover_model(
    A: sparse.csr_array,
    w: FloatArray,
    n: int,
    *,
    conflicts: IntArray | None = None,
    cliques: Sequence[IntArray] = (),
    integral: bool = True,
) -> tuple[Any, sparse.csc_array]:
    """The MILP (see module docstring) as a HiGHS model, one thread, no output: columns
    ``x`` (one per row of ``A``, binary unless not ``integral``) and ``y`` (one per merged
    unit, :func:`_merged_units`), the spacing as pair rows (``conflicts``) and clique rows
    (``cliques``: at most one of each). Returns the model and the merged units' cover."""
    import highspy

    m = A.shape[0]
    Au, wu = _merged_units(A, w)
    k = Au.shape[1]
    h = _highs()
    inf = highspy.kHighsInf
    h.addVars(m + k, np.zeros(m + k), np.ones(m + k))
    h.changeColsCost(m + k, np.arange(m + k, dtype=np.int32), np.concatenate([np.zeros(m), wu]))
    if integral:
        h.changeColsIntegrality(
            m, np.arange(m, dtype=np.int32), np.full(m, highspy.HighsVarType.kInteger)
        )
    h.changeObjectiveSense(highspy.ObjSense.kMaximize)
    _add_cover_rows(h, Au, m)
    h.addRow(float(n), float(n), m, np.arange(m, dtype=np.int32), np.ones(m))
    if conflicts is not None and len(conflicts):
        c = len(conflicts)
        h.addRows(
            c, np.full(c, -inf), np.ones(c), 2 * c, np.arange(0, 2 * c, 2, dtype=np.int32),
            np.asarray(conflicts).ravel().astype(np.int32), np.ones(2 * c),
        )  # fmt: skip
    _add_at_most_one(h, cliques)
    return h, Au


def solve_exact(
    A: sparse.csr_array,
    w: FloatArray,
    n: int,
    *,
    conflicts: IntArray | None = None,
    fixed_cover: npt.NDArray[np.bool_] | None = None,
    warm_start: Sequence[int] | None = None,
    time_limit_s: float = 60.0,
    cliques: Sequence[IntArray] = (),
) -> Solution:
    """The MILP (see module docstring) in HiGHS; optimum, or best bound at the time limit.

    ``cliques`` (groups of candidates that all conflict) add rows that hold the spacing
    more tightly in the LP relaxations than the pairs alone."""
    import highspy

    t0 = time.perf_counter()
    w = np.where(fixed_cover, 0.0, w) if fixed_cover is not None else np.asarray(w, float)
    A = sparse.csr_array(A, dtype=np.float64)
    m = A.shape[0]
    h, Au = _cover_model(A, w, n, conflicts=conflicts, cliques=cliques)
    # the time limit counts from the call: building the model takes part of it
    h.setOptionValue("time_limit", max(float(time_limit_s) - (time.perf_counter() - t0), 0.0))
    if warm_start is not None and len(warm_start):
        x = np.zeros(m + Au.shape[1])
        x[np.asarray(warm_start)] = 1.0
        x[m:] = np.asarray(Au.T @ x[:m]).ravel() > 0
        sol = highspy.HighsSolution()
        sol.col_value = list(x)
        h.setSolution(sol)
    h.run()
    status = h.modelStatusToString(h.getModelStatus())
    info = h.getInfo()
    values = np.asarray(h.getSolution().col_value)
    if len(values) < m or status == "Infeasible":
        msg = f"HiGHS found no solution ({status})"
        raise InfeasibleError(msg)
    chosen = np.flatnonzero(values[:m] > 0.5).astype(np.int64)
    obj = _objective(A, w, chosen)
    bound = float(info.mip_dual_bound)
    if not np.isfinite(bound):
        bound = float(w[np.asarray(A.sum(axis=0)).ravel() > 0].sum())
    bound = max(bound, obj)
    return Solution(
        chosen=chosen,
        objective=obj,
        bound=bound,
        gap=(bound - obj) / bound if bound > 0 else 0.0,
        status=status,
        solver="highs",
        seconds=time.perf_counter() - t0,
    )


@dataclass(frozen=True)
class ControlPointPlan:
    """Chosen control points for the night, and per slot which of them are staffed."""

    nodes: IntArray  # network node index of each chosen point
    candidates: IntArray = field(repr=False)
    cover: sparse.csr_array = field(repr=False)  # chosen points x segments
    solution: Solution
    exact: Solution | None
    staffed: tuple[IntArray, ...]  # per slot: positions into ``nodes``
    slot_covered: FloatArray  # per slot: demand covered by the staffed points
    slot_total: FloatArray
    slot_best: FloatArray  # per slot: demand covered by the best set of that size from ``nodes``
    switches: int  # points that change between consecutive slots (staffed or released)


def staff_slots(
    cover: sparse.csr_array,
    demand_by_slot: FloatArray,
    staffing: Sequence[int],
    *,
    continuity: float = 0.1,
    fixed_cover: npt.NDArray[np.bool_] | None = None,
) -> tuple[tuple[IntArray, ...], FloatArray, FloatArray, int]:
    """Per slot, which of the chosen points are staffed (greedy on the slot's demand).

    A point staffed in the previous slot has its gain multiplied by ``1 + continuity`` so that
    officers stay put unless moving pays off by more than that share.

    Returns staffed positions per slot, covered demand per slot, covered demand of the same
    greedy without the continuity preference, and the number of switches.
    """
    n_points = cover.shape[0]
    A = sparse.csr_array(cover, dtype=np.float64)
    staffed: list[IntArray] = []
    covered_out = np.zeros(len(staffing))
    best_out = np.zeros(len(staffing))
    prev = np.zeros(n_points, dtype=bool)
    switches = 0
    for s, k in enumerate(staffing):
        k = min(int(k), n_points)
        w = demand_by_slot[s]
        if fixed_cover is not None:
            w = np.where(fixed_cover, 0.0, w)
        for bonus, out in ((continuity, None), (0.0, best_out)):
            cov = np.zeros(A.shape[1], dtype=bool)
            pick: list[int] = []
            avail = np.ones(n_points, dtype=bool)
            for _ in range(k):
                gain = A @ (w * ~cov)
                gain = gain * np.where(prev, 1.0 + bonus, 1.0)
                gain[~avail] = -1.0
                i = int(np.argmax(gain))
                pick.append(i)
                avail[i] = False
                cov |= A[[i]].toarray().ravel() > 0
            value = float(w[cov].sum())
            if out is None:
                chosen_s = np.asarray(sorted(pick), dtype=np.int64)
                covered_out[s] = value
            else:
                out[s] = value
        now = np.zeros(n_points, dtype=bool)
        now[chosen_s] = True
        if s > 0:
            switches += int((now != prev).sum())
        prev = now
        staffed.append(chosen_s)
    return tuple(staffed), covered_out, best_out, switches


@dataclass(frozen=True, eq=False)
class CoverProblem:
    """The covering problem on a network, built once, solved for any demand."""

    candidates: IntArray  # candidate node indices
    cover: sparse.csr_array = field(repr=False)  # candidates x segments
    conflicts: IntArray = field(repr=False)  # candidate pairs closer than the spacing
    fixed_cover: npt.NDArray[np.bool_] | None = field(repr=False)  # covered by posts already
    xy: FloatArray = field(repr=False)  # candidate coordinates


def cover_problem(
    net: Network,
    *,
    spacing_m: float,
    cover_m: float | None = None,
    cover_min: float | None = None,
    candidates: IntArray | None = None,
    post_nodes: IntArray | None = None,
) -> CoverProblem:
    """Build the cover matrix, spacing conflicts and the posts' cover (see
    :func:`plan_control_points` for the parameters)."""
    check_cover(cover_m, cover_min)
    if spacing_m < 0:
        msg = f"spacing must be >= 0 m, got {spacing_m}"
        raise InputError(msg)
    cand = candidate_nodes(net) if candidates is None else np.asarray(candidates, np.int64)
    cand = np.unique(cand)
    fixed = None
    if post_nodes is not None and len(post_nodes):
        P = cover_matrix(
            net, np.asarray(post_nodes, np.int64), cover_m=cover_m, cover_min=cover_min
        )
        fixed = np.asarray(P.sum(axis=0)).ravel() > 0
    xy = np.column_stack([net.x[cand], net.y[cand]])
    return CoverProblem(
        candidates=cand,
        cover=cover_matrix(net, cand, cover_m=cover_m, cover_min=cover_min),
        conflicts=spacing_conflicts(xy, spacing_m=spacing_m),
        fixed_cover=fixed,
        xy=xy,
    )


def _with_bound(sol: Solution, bound: float) -> Solution:
    return replace(sol, bound=bound, gap=(bound - sol.objective) / bound if bound > 0 else 0.0)


def solve_plan(
    problem: CoverProblem,
    demand_by_slot: FloatArray,
    *,
    count: int,
    staffing: Sequence[int] | None = None,
    continuity: float = 0.1,
    time_limit_s: float = 5.0,
    exact_time_limit_s: float = 30.0,
    exact: bool | Literal["auto"] = "auto",
) -> ControlPointPlan:
    """Choose ``count`` points of ``problem`` for the night's demand and staff them per slot."""
    n_slots = demand_by_slot.shape[0]
    if count < 1:
        msg = f"count must be >= 1, got {count}"
        raise InputError(msg)
    cand, A = problem.candidates, problem.cover
    if count > len(cand):
        msg = f"count {count} is larger than the {len(cand)} candidate sites"
        raise InfeasibleError(msg)
    staffing = [count] * n_slots if staffing is None else [int(s) for s in staffing]
    if len(staffing) != n_slots:
        msg = f"staffing gives {len(staffing)} numbers for {n_slots} slots"
        raise InputError(msg)
    if any(s < 0 or s > count for s in staffing):
        msg = f"staffing per slot must be between 0 and count ({count}), got {staffing}"
        raise InputError(msg)
    night = demand_by_slot.sum(axis=0)
    common = {"conflicts": problem.conflicts, "fixed_cover": problem.fixed_cover}
    sol = solve_greedy(A, night, count, xy=problem.xy, time_limit_s=time_limit_s, **common)
    ex = None
    run_exact = exact is True or (exact == "auto" and A.nnz + len(problem.conflicts) < 2_000_000)
    if run_exact and exact_time_limit_s > 0:
        ex = solve_exact(
            A, night, count, warm_start=sol.chosen, time_limit_s=exact_time_limit_s, **common
        )
        # the fast solver's gap is measured against the exact solver's bound
        sol = _with_bound(sol, min(sol.bound, ex.bound))
        if ex.objective > sol.objective + 1e-9:
            sol = _with_bound(replace(ex, solver="highs (better than greedy)"), sol.bound)
    cover = A[sol.chosen]
    staffed, covered, best, switches = staff_slots(
        cover, demand_by_slot, staffing, continuity=continuity, fixed_cover=problem.fixed_cover
    )
    return ControlPointPlan(
        nodes=cand[sol.chosen],
        candidates=cand,
        cover=cover,
        solution=sol,
        exact=ex,
        staffed=staffed,
        slot_covered=covered,
        slot_total=demand_by_slot.sum(axis=1),
        slot_best=best,
        switches=switches,
    )


def plan_control_points(
    net: Network,
    demand_by_slot: FloatArray,
    *,
    count: int,
    spacing_m: float,
    cover_m: float | None = None,
    cover_min: float | None = None,
    candidates: IntArray | None = None,
    post_nodes: IntArray | None = None,
    staffing: Sequence[int] | None = None,
    continuity: float = 0.1,
    time_limit_s: float = 5.0,
    exact_time_limit_s: float = 30.0,
    exact: bool | Literal["auto"] = "auto",
) -> ControlPointPlan:
    """Choose ``count`` control points for the night and staff them slot by slot.

    The front door: builds the :class:`CoverProblem` and hands off to :func:`solve_plan`.

    Parameters
    ----------
    net
        Compiled network.
    demand_by_slot
        Demand per slot and segment (:class:`planner.demand.Demand`.by_slot).
    count, spacing_m
        Number of points, and the least straight-line distance between two of them.
    cover_m, cover_min
        Cover radius: walking metres or response minutes (exactly one).
    candidates
        Candidate node indices; intersections off motorways when ``None``.
    post_nodes
        Existing posts: demand they already cover (same radius) counts for nothing.
    staffing
        Points staffed per slot (default: ``count`` in every slot).
    time_limit_s
        Time for the fast solver's local search.
    exact
        Run the HiGHS MILP for the optimality gap: always, never, or ``"auto"`` (when the
        model has fewer than 2 million non-zeros).
    """
    problem = cover_problem(
        net, spacing_m=spacing_m, cover_m=cover_m, cover_min=cover_min,
        candidates=candidates, post_nodes=post_nodes,
    )  # fmt: skip
    return solve_plan(
        problem, demand_by_slot, count=count, staffing=staffing, continuity=continuity,
        time_limit_s=time_limit_s, exact_time_limit_s=exact_time_limit_s, exact=exact,
    )  # fmt: skip
