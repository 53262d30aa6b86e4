"""Night control points: maximal covering location on the network, with minimum spacing.

The core works on arrays: a sparse cover matrix ``A`` (candidates x demand units, True where
the candidate covers the unit), demand weights ``w`` and a list of conflicting candidate pairs
(closer than the spacing). Two solvers:

- :func:`solve_greedy`: lazy greedy (marginal gains only ever shrink, so a stale gain is an
  upper bound and most are never recomputed) followed by 1-swap local search (replace a chosen
  point by another whenever that covers more), both keeping the spacing.
- :func:`solve_exact`: the MILP ``max w.y  s.t.  y_j <= sum_{i covers j} x_i,  sum x = N,
  x_i + x_k <= 1 for conflicts``, solved by HiGHS (highspy) within a time limit and warm-started
  with the greedy answer; it reports the optimum, or the best bound when time runs out, and so
  the gap of the fast solver.

The front door :func:`plan_control_points` builds ``A`` from the network (cover radius in
metres of walking distance or in minutes of response time), and :func:`staff_slots` picks, per
slot, which of the chosen points are held given that slot's staffing.
"""

from __future__ import annotations

import heapq
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np
import numpy.typing as npt
from scipy import sparse
from scipy.spatial import cKDTree

from geo.errors import InfeasibleError, InputError
from geo.graph import Metric, Network
from planner.reach import bounded_distances

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

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
) -> Solution:
    """Lazy greedy, 1-swap local search, then iterated local search for the covering problem.

    Iterated local search: drop a group of points (a random one and, when candidate
    coordinates ``xy`` are given, its nearest chosen neighbours; else random ones), refill
    greedily, swap again; keep the result when it covers more. ``restarts`` rounds at most,
    ending early after ``patience`` rounds without a gain or at ``time_limit_s``;
    deterministic for a ``seed`` (unless the time limit cuts it short).

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
    """
    t0 = time.perf_counter()
    m = A.shape[0]
    w = np.where(fixed_cover, 0.0, w) if fixed_cover is not None else np.asarray(w, float)
    conflicts = np.empty((0, 2), np.int64) if conflicts is None else conflicts
    C = _conflict_lists(m, conflicts)
    A = sparse.csr_array(A, dtype=np.float64)
    chosen, covered = _greedy_fill(A, w, C, [], n)
    if len(chosen) < n:
        msg = (
            f"only {len(chosen)} points fit with this spacing among {m} candidates; "
            f"{n} were asked for (lower the spacing or the count)"
        )
        raise InfeasibleError(msg)
    status = "greedy"
    if swap:
        A_csc = sparse.csc_array(A)
        chosen, status = _swap(
            A, w, chosen, covered, C, t0=t0, time_limit_s=time_limit_s, A_csc=A_csc
        )
        best, best_obj = list(chosen), _objective(A, w, chosen)
        rng = np.random.default_rng(seed)
        drop = max(1, n // 4)
        stale = 0
        for _ in range(restarts if n > 1 else 0):
            if time.perf_counter() - t0 > time_limit_s:
                status = "time limit in local search"
                break
            if stale >= patience:
                break
            if xy is not None:
                b = np.asarray(best)
                centre = xy[b[rng.integers(len(b))]]
                near = np.argsort(((xy[b] - centre) ** 2).sum(axis=1), kind="stable")
                size = int(rng.integers(1, drop + 2))
                keep = [int(i) for i in b[near[size:]]]
            else:
                keep = [int(i) for i in rng.permutation(best)[drop:]]
            trial, cov = _greedy_fill(A, w, C, keep, n, rng=rng)
            if len(trial) < n:
                continue
            trial, _ = _swap(A, w, trial, cov, C, t0=t0, time_limit_s=time_limit_s, A_csc=A_csc)
            obj = _objective(A, w, trial)
            stale += 1
            if obj > best_obj + 1e-9:
                best, best_obj, stale = trial, obj, 0
        chosen = best
    obj = _objective(A, w, chosen)
    coverable = float(w[np.asarray(A.sum(axis=0)).ravel() > 0].sum())
    return Solution(
        chosen=np.asarray(chosen, dtype=np.int64),
        objective=obj,
        bound=coverable,
        gap=(coverable - obj) / coverable if coverable > 0 else 0.0,
        status=status,
        solver="greedy+swap+ils" if swap else "greedy",
        seconds=time.perf_counter() - t0,
    )


def _swap(
    A: sparse.csr_array,
    w: FloatArray,
    chosen: list[int],
    covered: IntArray,
    C: sparse.csr_array,
    *,
    t0: float,
    time_limit_s: float,
    A_csc: sparse.csc_array | None = None,
) -> tuple[list[int], str]:
    """Best-improvement 1-swap passes until no swap gains or time runs out.

    ``A_csc`` (the cover matrix by columns) makes each trial a product over the ~tens of
    units the removed point covers, not over the whole matrix.
    """
    A_csc = sparse.csc_array(A) if A_csc is None else A_csc
    m = A.shape[0]
    chosen = list(chosen)
    improved = True
    while improved:
        improved = False
        in_set = np.zeros(m, dtype=bool)
        in_set[chosen] = True
        # conflicts with the chosen set, counted per candidate
        n_conf = np.asarray(C[chosen].sum(axis=0)).ravel() if chosen else np.zeros(m)
        base = A @ (w * (covered == 0))  # gain of adding each candidate as things are
        once = w * (covered == 1)
        for pos, p in enumerate(list(chosen)):
            if time.perf_counter() - t0 > time_limit_s:
                return chosen, "time limit in swap"
            cols = A.indices[A.indptr[p] : A.indptr[p + 1]]
            loss = float(once[cols].sum())
            delta = base + A_csc[:, cols] @ once[cols] - loss
            # feasible replacements: not chosen; conflicts only with p (or none)
            conf_p = np.zeros(m, dtype=bool)
            conf_p[C.indices[C.indptr[p] : C.indptr[p + 1]]] = True
            feasible = ~in_set & (n_conf - conf_p == 0)
            delta[~feasible] = -np.inf
            q = int(np.argmax(delta))
            if delta[q] > 1e-9 * max(1.0, float(w.sum())):
                # apply the swap
                covered[cols] -= 1
                qcols = A.indices[A.indptr[q] : A.indptr[q + 1]]
                covered[qcols] += 1
                chosen[pos] = q
                improved = True
                break
    return chosen, "local optimum (1-swap)"


def solve_exact(
    A: sparse.csr_array,
    w: FloatArray,
    n: int,
    *,
    conflicts: IntArray | None = None,
    fixed_cover: npt.NDArray[np.bool_] | None = None,
    warm_start: Sequence[int] | None = None,
    time_limit_s: float = 60.0,
) -> Solution:
    """The MILP (see module docstring) in HiGHS; optimum, or best bound at the time limit."""
    import highspy

    t0 = time.perf_counter()
    w = np.where(fixed_cover, 0.0, w) if fixed_cover is not None else np.asarray(w, float)
    A = sparse.csr_array(A, dtype=np.float64)
    m = A.shape[0]
    useful = np.flatnonzero((w > 0) & (np.asarray(A.sum(axis=0)).ravel() > 0))
    Au = sparse.csc_array(A[:, useful])
    k = len(useful)
    conflicts = np.empty((0, 2), np.int64) if conflicts is None else conflicts
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("time_limit", float(time_limit_s))
    h.setOptionValue("threads", 1)
    inf = highspy.kHighsInf
    # columns: x_0..x_{m-1} (binary), y_0..y_{k-1} (continuous in [0, 1])
    costs = np.concatenate([np.zeros(m), w[useful]])
    h.addVars(m + k, np.zeros(m + k), np.ones(m + k))
    h.changeColsCost(m + k, np.arange(m + k, dtype=np.int32), costs)
    h.changeColsIntegrality(
        m, np.arange(m, dtype=np.int32), np.full(m, highspy.HighsVarType.kInteger)
    )
    h.changeObjectiveSense(highspy.ObjSense.kMaximize)
    # y_j - sum_{i covers j} x_i <= 0
    starts, index, value = [0], [], []
    for j in range(k):
        rows_i = Au.indices[Au.indptr[j] : Au.indptr[j + 1]]
        index.extend([m + j, *rows_i.tolist()])
        value.extend([1.0] + [-1.0] * len(rows_i))
        starts.append(len(index))
    h.addRows(
        k, np.full(k, -inf), np.zeros(k), len(index),
        np.asarray(starts[:-1], np.int32), np.asarray(index, np.int32), np.asarray(value),
    )  # fmt: skip
    h.addRow(float(n), float(n), m, np.arange(m, dtype=np.int32), np.ones(m))
    if len(conflicts):
        c = len(conflicts)
        h.addRows(
            c, np.full(c, -inf), np.ones(c), 2 * c,
            np.arange(0, 2 * c, 2, dtype=np.int32), conflicts.ravel().astype(np.int32),
            np.ones(2 * c),
        )  # fmt: skip
    if warm_start is not None and len(warm_start):
        x = np.zeros(m + k)
        x[np.asarray(warm_start)] = 1.0
        cov = np.asarray(Au.T @ x[:m]).ravel() > 0
        x[m:] = cov
        sol = highspy.HighsSolution()
        sol.col_value = list(x)
        h.setSolution(sol)
    h.run()
    status = h.modelStatusToString(h.getModelStatus())
    info = h.getInfo()
    values = np.asarray(h.getSolution().col_value)
    if len(values) < m:
        msg = f"HiGHS found no solution ({status})"
        raise InfeasibleError(msg)
    chosen = np.flatnonzero(values[:m] > 0.5).astype(np.int64)
    obj = _objective(A, w, chosen)
    bound = float(info.mip_dual_bound)
    if not np.isfinite(bound):
        bound = float(w[useful].sum())
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
