"""Control points: known optima by brute force, spacing, determinism, tidal staffing."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from scipy import sparse

import planner.control_points as cp
from geo.errors import InfeasibleError, InputError
from planner.control_points import (
    _conflict_lists,
    _greedy_fill,
    _local_search,
    _Search,
    cover_matrix,
    plan_control_points,
    solve_exact,
    solve_greedy,
    spacing_conflicts,
    staff_slots,
)
from planner.demand import build_demand, parse_slots, slot_of
from tests.conftest import incidents_at


def random_instance(seed: int, m: int = 14, k: int = 40):
    rng = np.random.default_rng(seed)
    A = sparse.csr_array(rng.random((m, k)) < 0.15)
    w = rng.integers(1, 10, k).astype(float)
    xy = rng.uniform(0, 1000, (m, 2))
    conflicts = spacing_conflicts(xy, spacing_m=200)
    return A, w, xy, conflicts


def brute_force(A, w, n, conflicts):
    bad = {tuple(p) for p in conflicts.tolist()}
    best = 0.0
    dense = A.toarray()
    for combo in itertools.combinations(range(A.shape[0]), n):
        if any((a, b) in bad for a, b in itertools.combinations(combo, 2)):
            continue
        best = max(best, float(w[dense[list(combo)].any(axis=0)].sum()))
    return best


@pytest.mark.parametrize("seed", range(6))
def test_exact_equals_brute_force_and_greedy_is_close(seed):
    A, w, xy, conflicts = random_instance(seed)
    opt = brute_force(A, w, 3, conflicts)
    ex = solve_exact(A, w, 3, conflicts=conflicts, time_limit_s=20)
    assert ex.objective == pytest.approx(opt)
    assert ex.gap == pytest.approx(0.0, abs=1e-6)
    g = solve_greedy(A, w, 3, conflicts=conflicts, xy=xy, seed=seed)
    assert g.objective >= 0.995 * opt
    chosen = set(g.chosen.tolist())
    assert not any(a in chosen and b in chosen for a, b in conflicts.tolist())
    assert g.bound >= opt  # the bound really bounds


def disc_instance(seed: int, *, m: int = 22, k: int = 80, spacing: float = 300.0):
    """Candidates and demand points uniform in a 1 km square; a candidate covers the demand
    points within 260 m; spacing tight enough that the greedy paints itself into a corner."""
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 1000, (m, 2))
    units = rng.uniform(0, 1000, (k, 2))
    A = sparse.csr_array(np.hypot(*(xy[:, None, :] - units[None]).transpose(2, 0, 1)) < 260)
    w = rng.integers(1, 10, k).astype(float)
    return A, w, xy, spacing_conflicts(xy, spacing_m=spacing)


# 105: the lazy greedy fits only 4 of 5 points; 119: greedy + 1-swap + ILS stopped at 329 of 335
@pytest.mark.parametrize("seed", [105, 119, 200, 212, 227, 244])
def test_greedy_finds_the_brute_force_optimum_under_tight_spacing(seed):
    A, w, xy, conflicts = disc_instance(seed)
    for n in (4, 5):
        opt = brute_force(A, w, n, conflicts)
        g = solve_greedy(A, w, n, conflicts=conflicts, xy=xy, seed=0, time_limit_s=60)
        assert g.objective == pytest.approx(opt)
        assert len(set(g.chosen.tolist())) == n
        chosen = set(g.chosen.tolist())
        assert not any(a in chosen and b in chosen for a, b in conflicts.tolist())
        assert opt <= g.bound <= float(w[np.asarray(A.sum(axis=0)).ravel() > 0].sum()) + 1e-9


@pytest.mark.parametrize("seed", [200, 212, 227, 244])
def test_pair_moves_leave_a_swap_local_optimum(seed):
    # from the greedy answer, 1-swaps alone stop short; pair moves reach the optimum
    A, w, _, conflicts = disc_instance(seed)
    A = sparse.csr_array(A, dtype=np.float64)
    C = _conflict_lists(A.shape[0], conflicts)
    start, _ = _greedy_fill(A, w, C, [], 4)
    s = _Search(A, sparse.csc_array(A), w, C, start)
    _local_search(s, eps=1e-9, deadline=float("inf"), pairs=False)
    swaps_only = s.objective
    _local_search(s, eps=1e-9, deadline=float("inf"))
    opt = brute_force(A, w, 4, conflicts)
    assert swaps_only < opt - 1e-9
    assert s.objective == pytest.approx(opt)
    assert s.objective == pytest.approx(_objective_of(A, w, s.chosen))


def _objective_of(A, w, chosen):
    return float(w[A.toarray()[list(chosen)].any(axis=0)].sum())


def test_spacing_is_never_violated_and_the_bound_holds_on_a_larger_instance():
    A, w, xy, conflicts = disc_instance(7, m=150, k=600, spacing=120)
    ex = solve_exact(A, w, 6, conflicts=conflicts, time_limit_s=60)
    g = solve_greedy(A, w, 6, conflicts=conflicts, xy=xy, seed=0, time_limit_s=60)
    chosen = set(g.chosen.tolist())
    assert len(chosen) == 6
    assert not any(a in chosen and b in chosen for a, b in conflicts.tolist())
    assert g.objective >= 0.995 * ex.objective
    assert g.bound >= ex.objective - 1e-9  # the Lagrangian bound really bounds
    assert g.bound < 0.99 * float(w.sum())  # and says more than the total


def tight_packing(seed: int = 3, *, m: int = 160, cover: float = 100.0, spacing: float = 190.0):
    """Sites and demand points uniform in a 1 km square, 300 points, cover and spacing in m."""
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 1000, (m, 2))
    units = rng.uniform(0, 1000, (300, 2))
    d = np.hypot(*(xy[:, None, :] - units[None]).transpose(2, 0, 1))
    A = sparse.csr_array(d < cover, dtype=np.float64)
    w = rng.integers(1, 10, 300).astype(float)
    return A, w, xy, spacing_conflicts(xy, spacing_m=spacing)


def test_region_moves_find_the_optimum_of_a_tight_packing(monkeypatch):
    # 160 sites and 300 demand points in a 1 km square, cover 100 m, spacing 190 m, 16 points:
    # the covers barely overlap, so the spacing decides. Greedy, swaps, pair moves and the ILS
    # stall at 961; re-placing 8 neighbouring points exactly reaches HiGHS's optimum, 964,
    # and so do kernel moves (the pair model, then the MILP, over the candidates their LPs
    # rank first).
    A, w, xy, conflicts = tight_packing()
    opt = solve_exact(A, w, 16, conflicts=conflicts, time_limit_s=30)
    assert opt.status == "Optimal"
    a = solve_greedy(A, w, 16, conflicts=conflicts, xy=xy, time_limit_s=60)
    assert a.objective == pytest.approx(opt.objective)
    chosen = set(a.chosen.tolist())
    assert len(chosen) == 16
    assert not any(i in chosen and k in chosen for i, k in conflicts.tolist())
    b = solve_greedy(A, w, 16, conflicts=conflicts, xy=xy, time_limit_s=60)
    assert a.chosen.tolist() == b.chosen.tolist()
    monkeypatch.setattr(cp, "REGION_SIZES", ())  # without region moves, kernel moves get it
    kernels = solve_greedy(A, w, 16, conflicts=conflicts, xy=xy, time_limit_s=60)
    assert kernels.objective == pytest.approx(opt.objective)
    assert "+pair kernels+lp" in kernels.solver  # it says what ran
    assert "regions" not in kernels.solver
    monkeypatch.setattr(cp, "KERNEL_SIZES", ())  # without either
    before = solve_greedy(A, w, 16, conflicts=conflicts, xy=xy, time_limit_s=60)
    assert before.objective < opt.objective - 1
    assert "kernels" not in before.solver and "regions" not in before.solver


def test_a_region_move_may_take_one_point_more_from_elsewhere():
    # sites 100 m apart on a line, each covering its own unit, spacing 150 m, and a far site 5
    # worth 1; chosen {1, 3, 5} covers 11. Swaps and pair moves stall there: only three
    # points fit on the line, {0, 2, 4}, worth 12 with the far site given up. Re-placing 1
    # and 3 keeping two points finds nothing; letting the region take a third (dropping 5,
    # whose loss is the extra point's price) does. Sites 0, 2 and 4 cover nothing 1 and 3
    # cover: they join the region's candidates as conflicting with the freed points.
    xy = np.array([[0.0, 0.0], [100.0, 0.0], [200.0, 0.0], [300.0, 0.0], [400.0, 0.0]])
    xy = np.vstack([xy, [[5000.0, 0.0]]])
    A = sparse.csr_array(np.eye(6))
    w = np.array([4.0, 5.0, 4.0, 5.0, 4.0, 1.0])
    C = _conflict_lists(6, spacing_conflicts(xy, spacing_m=150))
    start = [1, 3, 5]
    s = _Search(A, sparse.csc_array(A), w, C, start)
    _local_search(s, eps=1e-9, deadline=float("inf"))
    assert sorted(s.chosen) == start
    for flex, after in ((False, [1, 3, 5]), (True, [0, 2, 4])):
        s = _Search(A, sparse.csc_array(A), w, C, start)
        moved = cp._region_move(s, xy, 0, 2, cp._Cliques(C), eps=1e-9, time_limit_s=5, flex=flex)
        assert moved == flex
        assert sorted(s.chosen) == after
        assert s.objective == pytest.approx(_objective_of(A, w, s.chosen))


def test_a_region_drops_only_dominated_candidates():
    # 1 covers all 0 covers and conflicts with nothing: 0 may go (unless fixed); 2 covers
    # unit 2 alone; 3 is 1's twin and goes, 1 (the first) stays
    S = sparse.csr_array(np.array([[1, 0, 0], [1, 1, 0], [0, 0, 1], [1, 1, 0]], dtype=bool))
    adj = np.zeros((4, 4), dtype=bool)
    adj[0, 2] = adj[2, 0] = True
    none = np.zeros(4, dtype=bool)
    assert cp._undominated(S, adj, none).tolist() == [False, True, True, False]
    assert cp._undominated(S, adj, np.array([True, False, False, False]))[0]
    # 1 and 3 conflicting with 2 (which 0 does not) no longer dominate 0; 3 still goes
    adj[:] = False
    adj[1, 2] = adj[2, 1] = adj[3, 2] = adj[2, 3] = True
    assert cp._undominated(S, adj, none).tolist() == [True, True, True, False]


def test_clique_cover_holds_every_conflict_with_cliques_only():
    # a second region overlapping the first reuses the first's cliques, cut down to it
    xy = np.random.default_rng(5).uniform(0, 600, (120, 2))
    C = _conflict_lists(120, spacing_conflicts(xy, spacing_m=150))
    cliques = cp._Cliques(C)
    dense = C.toarray() > 0
    for pool in (np.arange(0, 80), np.arange(40, 120), np.arange(0, 120, 2)):
        adj = dense[np.ix_(pool, pool)]
        rows = cliques.cover(pool, adj)
        held = np.zeros_like(adj)
        for r in rows:
            assert len(r) > 1
            block = adj[np.ix_(r, r)]
            assert block[~np.eye(len(r), dtype=bool)].all()  # a clique
            held[np.ix_(r, r)] = True
        assert not (adj & ~held).any()  # every conflict inside one
    assert len(cliques.cliques) > 0


def test_a_region_model_bound_holds_and_its_answer_is_the_best():
    # 12 sites with random covers and a spacing: the region model (no overlapping pairs
    # here) against brute force over all sets of 3 that keep the spacing
    rng = np.random.default_rng(11)
    xy = rng.uniform(0, 500, (12, 2))
    S = sparse.csr_array(np.eye(12, dtype=bool))
    w = rng.integers(1, 20, 12).astype(float)
    C = _conflict_lists(12, spacing_conflicts(xy, spacing_m=150))
    adj = C.toarray() > 0
    start = next(
        np.array(c) for c in itertools.combinations(range(12), 3)
        if not adj[np.ix_(c, c)].any()
    )  # fmt: skip
    fits = [c for c in itertools.combinations(range(12), 3) if not adj[np.ix_(c, c)].any()]
    best = max(float(w[list(c)].sum()) for c in fits)
    model = cp._RegionModel(S, w, 3, adj, cp._Cliques(C).cover(np.arange(12), adj), start=start)
    assert model.start_value == pytest.approx(w[start].sum())
    picked = model.solve(10.0)  # binary without asking for the LP bound first
    assert float(w[picked].sum()) == pytest.approx(best)
    assert not adj[np.ix_(picked, picked)].any()
    assert model.gap(10.0) >= best - model.start_value - 1e-9
    assert model.solve(10.0).tolist() == picked.tolist()  # and after it
    # from the best set the bound says no gain is left only if the LP is tight; it never
    # says less than none
    top = np.array(max(fits, key=lambda c: float(w[list(c)].sum())))
    again = cp._RegionModel(S, w, 3, adj, cp._Cliques(C).cover(np.arange(12), adj), start=top)
    assert again.gap(10.0) >= -1e-9


def test_the_cover_region_model_is_exact_where_covers_overlap():
    # 10 sites sharing units widely (three chosen points often cover the same unit, where
    # the pair model under-counts): the true cover's model against brute force over all
    # sets of 3 that keep the spacing, and with one point more at a price
    rng = np.random.default_rng(4)
    xy = rng.uniform(0, 400, (10, 2))
    S = sparse.csr_array(rng.random((10, 25)) < 0.4)
    w = rng.integers(1, 10, 25).astype(float)
    C = _conflict_lists(10, spacing_conflicts(xy, spacing_m=120))
    adj = C.toarray() > 0
    fits = {
        size: [c for c in itertools.combinations(range(10), size) if not adj[np.ix_(c, c)].any()]
        for size in (3, 4)
    }
    start = np.array(fits[3][0])
    cliques = cp._Cliques(C).cover(np.arange(10), adj)
    model = cp._RegionModel(S, w, 3, adj, cliques, start=start, cover=True)
    assert model.start_value == pytest.approx(_objective_of(S, w, start))
    best = max(_objective_of(S, w, c) for c in fits[3])
    assert model.gap(10.0) >= best - model.start_value - 1e-9
    picked = model.solve(10.0)
    assert model.proven
    assert _objective_of(S, w, picked) == pytest.approx(best)
    assert not adj[np.ix_(picked, picked)].any()
    pair = cp._RegionModel(S, w, 3, adj, cliques, start=start)
    assert pair.start_value < model.start_value  # the pair model under-counts here
    price = 2.0
    more = cp._RegionModel(S, w, 3, adj, cliques, start=start, more=price, cover=True)
    picked = more.solve(10.0)
    best_more = max(best, max(_objective_of(S, w, c) - price for c in fits[4]))
    value = _objective_of(S, w, picked) - price * (len(picked) - 3)
    assert value == pytest.approx(best_more)


def test_where_covers_overlap_widely_regions_re_place_points_by_the_true_cover():
    # cover 160 m, spacing 200 m, 10 points among 160 sites: each site shares demand with
    # some 15 it may be chosen with, so the pair model is left alone (no region). From a
    # set that swaps, pair moves and the ILS leave (1269), re-placing 6 neighbouring points
    # by the true cover's model reaches HiGHS's optimum, 1275.
    A, w, xy, conflicts = tight_packing(4, cover=160.0, spacing=200.0)
    C = _conflict_lists(160, conflicts)
    assert cp._partners(A, w, C) > 2 * cp.REGION_MAX_PAIRS
    opt = solve_exact(A, w, 10, conflicts=conflicts, time_limit_s=30)
    assert opt.status == "Optimal"
    start = [12, 38, 52, 93, 96, 97, 119, 123, 145, 146]
    s = _Search(A, sparse.csc_array(A), w, C, start)
    _local_search(s, eps=1e-9, deadline=float("inf"))
    assert sorted(s.chosen) == start
    assert s.objective < opt.objective - 5
    found = []
    for pos in range(10):
        s = _Search(A, sparse.csc_array(A), w, C, start)
        assert cp._region(s, xy, pos, 6, cp._Cliques(C)) is None
        if cp._region_move(s, xy, pos, 6, cp._Cliques(C), eps=1e-9, time_limit_s=5, cover=True):
            assert s.objective == pytest.approx(_objective_of(A, w, s.chosen))
            assert not C[s.chosen][:, s.chosen].nnz  # the spacing holds
            found.append(s.objective)
    assert max(found) == pytest.approx(opt.objective)


def test_disc_cliques_are_cliques_of_the_conflict_graph():
    rng = np.random.default_rng(3)
    xy = rng.uniform(0, 1000, (300, 2))
    conflicts = spacing_conflicts(xy, spacing_m=150)
    C = _conflict_lists(300, conflicts)
    adj = C.toarray() > 0
    cliques = cp._disc_cliques(xy, C)
    assert len(cliques) > 20
    for c in cliques:
        sub = adj[np.ix_(c, c)]
        assert sub.sum() == len(c) * (len(c) - 1)  # all pairs conflict
    # conflicts that are not distances: a group missing one pair is not a clique any more
    big = max(cliques, key=len)
    drop = {(int(big[0]), int(big[1]))}
    C2 = _conflict_lists(300, np.array([p for p in conflicts.tolist() if tuple(p) not in drop]))
    adj2 = C2.toarray() > 0
    for c in cp._disc_cliques(xy, C2):
        assert adj2[np.ix_(c, c)].sum() == len(c) * (len(c) - 1)
    assert not any(big[0] in c and big[1] in c for c in cp._disc_cliques(xy, C2))


@pytest.mark.parametrize("seed", [105, 119, 200])
def test_lp_guide_bounds_the_optimum_and_a_kernel_move_reaches_it(seed):
    A, w, xy, conflicts = disc_instance(seed)
    A = sparse.csr_array(A, dtype=np.float64)
    C = _conflict_lists(A.shape[0], conflicts)
    n = 4
    opt = brute_force(A, w, n, conflicts)
    cliques = cp._disc_cliques(xy, C)
    bound, rank = cp._lp_guide(A, w, n, cliques, time_limit_s=10)
    assert bound >= opt - 1e-9
    # the cliques make the LP tighter than the one without the spacing
    loose, _ = cp._lp_guide(A, w, n, [], time_limit_s=10)
    assert bound <= loose + 1e-9
    assert sorted(rank.tolist()) == list(range(A.shape[0]))
    # a kernel holding every candidate is the whole MILP: the move reaches the optimum
    start, _ = _greedy_fill(A, w, C, [], n)
    s = _Search(A, sparse.csc_array(A), w, C, start)
    before = s.objective
    gained, proven = cp._kernel_move(
        s, rank, len(rank), conflicts, cliques, eps=1e-9, time_limit_s=10
    )
    assert proven
    assert gained == (before < opt - 1e-9)
    assert s.objective == pytest.approx(opt)
    assert s.objective == pytest.approx(_objective_of(A, w, s.chosen))
    chosen = set(s.chosen)
    assert len(chosen) == n
    assert not any(a in chosen and b in chosen for a, b in conflicts.tolist())
    # a kernel of the chosen points alone has nothing to gain
    assert cp._kernel_move(s, rank, 0, conflicts, cliques, eps=1e-9, time_limit_s=10) == (
        False,
        True,
    )


def test_few_overlaps_tells_a_tight_spacing_from_wide_covers(monkeypatch):
    # cover 100 m, spacing 190 m: two sites that may both be chosen are 190 m apart at
    # least and share little; cover 300 m with the same spacing: nearly all pairs share
    A, w, _, conflicts = tight_packing()
    C = _conflict_lists(A.shape[0], conflicts)
    few = cp._few_overlaps(A, w, C)
    assert few is not None
    i, k, shared = few
    assert 0 < len(i) <= cp.REGION_MAX_PAIRS * A.shape[0]
    dense = A.toarray()
    for a, b, x in zip(i.tolist(), k.tolist(), shared.tolist(), strict=True):
        assert not C[[a]][:, [b]].toarray()[0, 0]  # may both be chosen
        assert x == pytest.approx(float(w[(dense[a] > 0) & (dense[b] > 0)].sum()))
    wide, w2, _, conflicts2 = tight_packing(cover=300.0)
    assert cp._few_overlaps(wide, w2, _conflict_lists(160, conflicts2)) is None
    # the sampled count of partners tells them apart too (the region moves' choice of model)
    tight = cp._partners(A, w, C)
    assert (
        tight <= 2 * cp.REGION_MAX_PAIRS < cp._partners(wide, w2, _conflict_lists(160, conflicts2))
    )
    monkeypatch.setattr(cp, "PAIR_RANK_MAX", 100)  # too many candidates for a dense matrix
    assert cp._few_overlaps(A, w, C) is None


def test_a_pair_kernel_of_every_candidate_reaches_the_optimum():
    # cover 100 m, spacing 190 m: no unit lies within 100 m of three sites 190 m apart (that
    # takes a circumradius of 110 m), so the pair model is exact here and its kernel of
    # every candidate is the whole problem, as HiGHS solves it
    A, w, _, conflicts = tight_packing()
    n = 16
    C = _conflict_lists(A.shape[0], conflicts)
    opt = solve_exact(A, w, n, conflicts=conflicts, time_limit_s=30)
    assert opt.status == "Optimal"
    start, _ = _greedy_fill(A, w, C, [], n)
    s = _Search(A, sparse.csc_array(A), w, C, start)
    before = s.objective
    assert before < opt.objective - 1
    overlaps = cp._few_overlaps(A, w, C)
    cliques = cp._Cliques(C)
    rank = cp._pair_rank(s, overlaps, cliques.cover(np.arange(160), C.toarray() > 0),
                         time_limit_s=10)  # fmt: skip
    assert sorted(rank.tolist()) == list(range(160))
    gained, proven = cp._pair_kernel_move(s, rank, 160, cliques, eps=1e-9, time_limit_s=30)
    assert gained and proven
    assert s.objective == pytest.approx(opt.objective)
    assert s.objective == pytest.approx(_objective_of(A, w, s.chosen))
    chosen = set(s.chosen)
    assert len(chosen) == n
    assert not any(a in chosen and b in chosen for a, b in conflicts.tolist())
    # nothing left to gain: the same kernel again says so
    assert cp._pair_kernel_move(s, rank, 160, cliques, eps=1e-9, time_limit_s=30) == (
        False,
        True,
    )


def test_the_lp_with_every_conflict_in_cliques_bounds_tighter():
    # the tight packing: the cover model's LP with cliques holding every conflict (by the
    # interior point method) against the discs' cliques
    A, w, xy, conflicts = tight_packing()
    C = _conflict_lists(A.shape[0], conflicts)
    opt = solve_exact(A, w, 16, conflicts=conflicts, time_limit_s=30)
    assert opt.status == "Optimal"
    every = cp._Cliques(C).cover(np.arange(160), C.toarray() > 0)
    tight, rank = cp._lp_guide(A, w, 16, every, time_limit_s=10, ipm=True)
    discs, _ = cp._lp_guide(A, w, 16, cp._disc_cliques(xy, C), time_limit_s=10)
    assert opt.objective - 1e-6 <= tight < discs
    assert sorted(rank.tolist()) == list(range(160))


def test_units_covered_by_the_same_candidates_are_merged():
    # units 0 and 2 by candidates {0, 1}, unit 1 by {1}, unit 3 by none, unit 4 weightless
    A = sparse.csr_array(np.array([[1, 0, 1, 0, 1], [1, 1, 1, 0, 0]], dtype=float))
    w = np.array([2.0, 3.0, 5.0, 7.0, 0.0])
    Au, wu = cp._merged_units(A, w)
    assert Au.shape == (2, 2)
    assert Au.toarray().tolist() == [[1.0, 0.0], [1.0, 1.0]]
    assert wu.tolist() == [7.0, 3.0]


def test_exact_with_clique_rows_finds_the_same_optimum():
    A, w, xy, conflicts = disc_instance(212)
    cliques = cp._disc_cliques(xy, _conflict_lists(A.shape[0], conflicts))
    plain = solve_exact(A, w, 5, conflicts=conflicts, time_limit_s=20)
    tight = solve_exact(A, w, 5, conflicts=conflicts, cliques=cliques, time_limit_s=20)
    assert tight.objective == pytest.approx(plain.objective)
    assert tight.objective == pytest.approx(brute_force(A, w, 5, conflicts))


def test_a_packing_the_greedy_misses_is_found():
    # five sites 100 m apart on a line, spacing 150 m: only {0, 2, 4} holds three points,
    # but the middle sites cover most, so the greedy takes 1 and 3 and is stuck at two
    xy = np.array([[0.0, 0.0], [100.0, 0.0], [200.0, 0.0], [300.0, 0.0], [400.0, 0.0]])
    A = sparse.csr_array(np.eye(5, dtype=bool))
    w = np.array([1.0, 5.0, 1.0, 5.0, 1.0])
    conflicts = spacing_conflicts(xy, spacing_m=150)
    g = solve_greedy(A, w, 3, conflicts=conflicts, xy=xy)
    assert sorted(g.chosen.tolist()) == [0, 2, 4]
    assert g.objective == pytest.approx(3.0)


def test_a_packing_search_places_what_fewest_conflicts_first_cannot():
    # 40 sites at random in a 1 km square, spacing 250 m, every site worth the same: the
    # greedy places 9, fewest conflicts first 10; 11 fit (and HiGHS proves 12 do not)
    xy = np.random.default_rng(3).uniform(0, 1000, (40, 2))
    conflicts = spacing_conflicts(xy, spacing_m=250)
    A, w = sparse.csr_array(np.eye(40)), np.ones(40)
    g = solve_greedy(A, w, 11, conflicts=conflicts, xy=xy)
    chosen = set(g.chosen.tolist())
    assert len(chosen) == 11
    assert not any(a in chosen and b in chosen for a, b in conflicts.tolist())
    with pytest.raises(InfeasibleError, match="could place only 11 points"):
        solve_greedy(A, w, 12, conflicts=conflicts, xy=xy, time_limit_s=2)
    with pytest.raises(InfeasibleError, match="Infeasible"):
        solve_exact(A, w, 12, conflicts=conflicts, time_limit_s=30)


def test_greedy_is_deterministic_for_a_seed():
    A, w, xy, conflicts = random_instance(11, m=30, k=120)
    a = solve_greedy(A, w, 5, conflicts=conflicts, xy=xy, seed=3, time_limit_s=60)
    b = solve_greedy(A, w, 5, conflicts=conflicts, xy=xy, seed=3, time_limit_s=60)
    assert a.chosen.tolist() == b.chosen.tolist()
    assert a.objective == b.objective and a.bound == b.bound
    A, w, xy, conflicts = disc_instance(227, m=60, k=200, spacing=150)
    a = solve_greedy(A, w, 8, conflicts=conflicts, xy=xy, seed=1, time_limit_s=60)
    b = solve_greedy(A, w, 8, conflicts=conflicts, xy=xy, seed=1, time_limit_s=60)
    assert a.chosen.tolist() == b.chosen.tolist()


def test_randomised_refill_keeps_the_spacing():
    # five sites 100 m apart, spacing 150 m; site 1 kept: 0 and 2 are blocked but still among
    # the five best gains, which the randomised first pick draws from
    xy = np.array([[0.0, 0.0], [100.0, 0.0], [200.0, 0.0], [300.0, 0.0], [400.0, 0.0]])
    A = sparse.csr_array(np.eye(5))
    C = _conflict_lists(5, spacing_conflicts(xy, spacing_m=150))
    w = np.array([1.0, 5.0, 1.0, 5.0, 1.0])
    for seed in range(20):
        chosen, _ = _greedy_fill(A, w, C, [1], 2, rng=np.random.default_rng(seed))
        assert chosen[0] == 1 and chosen[1] in (3, 4)


def test_spacing_that_makes_n_impossible():
    xy = np.array([[0.0, 0.0], [10.0, 0.0], [20.0, 0.0]])
    A = sparse.csr_array(np.eye(3, dtype=bool))
    conflicts = spacing_conflicts(xy, spacing_m=100)
    with pytest.raises(InfeasibleError, match="could place only 1 points"):
        solve_greedy(A, np.ones(3), 2, conflicts=conflicts)


def test_cover_matrix_by_walking_distance(line_graph):
    # from B (x=600): A-B's midpoint is 300 m away, B-C's 300 m, C->D's 900 m
    A = cover_matrix(line_graph, np.array([1]), cover_m=300)
    covered = set(np.flatnonzero(A.toarray()[0]).tolist())
    mids = {s: line_graph.seg_geometry[s].interpolate(0.5, normalized=True).x for s in covered}
    assert sorted(mids.values()) == [300.0, 900.0]


def test_cover_matrix_by_response_time_respects_one_way(line_graph):
    # from D nothing is reachable (C->D is one-way into D), except D itself
    A = cover_matrix(line_graph, np.array([3]), cover_min=5)
    assert A.nnz == 0
    # from C: 30 s reach C->D's midpoint and B-C's midpoint
    A = cover_matrix(line_graph, np.array([2]), cover_min=0.5)
    assert A.nnz == 2


def test_plan_rejects_bad_requests(line_graph):
    demand = np.ones((1, line_graph.n_segments))
    with pytest.raises(InfeasibleError, match="larger than"):
        plan_control_points(line_graph, demand, count=50, spacing_m=0, cover_m=100)
    with pytest.raises(InputError, match="exactly one"):
        plan_control_points(line_graph, demand, count=1, spacing_m=0)
    with pytest.raises(InputError, match="staffing"):
        plan_control_points(
            line_graph, demand, count=1, spacing_m=0, cover_m=100,
            candidates=np.array([0, 1]), staffing=[2],
        )  # fmt: skip


def test_staffing_follows_the_peak_and_prefers_continuity():
    # two points; slot 0 demand at unit 0 (point 0), slot 1 at unit 1 (point 1)
    cover = sparse.csr_array(np.array([[1, 0], [0, 1]], dtype=bool))
    demand = np.array([[5.0, 1.0], [1.0, 5.0], [1.05, 1.0]])
    staffed, covered, best, switches = staff_slots(cover, demand, [1, 1, 1], continuity=0.1)
    assert [s.tolist() for s in staffed] == [[0], [1], [1]]  # slot 2: stay (5% < 10%)
    assert covered.tolist() == [5.0, 5.0, 1.0]
    assert best.tolist() == [5.0, 5.0, 1.05]
    assert switches == 2


def test_parse_slots():
    night = parse_slots("20-04")
    assert len(night) == 8 and night[0].label == "20:00-21:00" and night[-1].label == "03:00-04:00"
    assert [s.label for s in parse_slots("20-22,22-02")] == ["20:00-22:00", "22:00-02:00"]
    with pytest.raises(InputError, match="overlap"):
        parse_slots("20-23,22-02")
    with pytest.raises(InputError, match="cannot read"):
        parse_slots("8pm-2")
    times = pd.Series(
        pd.to_datetime(["2026-11-01 21:30", "2026-11-01 01:59", "2026-11-01 12:00", None])
    ).dt.tz_localize("Asia/Shanghai")
    assert slot_of(times, parse_slots("20-22,22-02")).tolist() == [0, 1, -1, -1]


def test_demand_spreading_conserves_weight(line_graph):
    inc = incidents_at(line_graph, [(300, 0), (900, 0), (1500, 0), (5300, 0)], [1, 2, 1, 1])
    inc["time"] = (
        pd.Series(pd.to_datetime(["2026-11-01 21:00"] * 3 + ["2026-11-01 12:00"]))
        .dt.tz_localize("Asia/Shanghai")
        .to_numpy()
    )
    inc["category"] = ["theft", "other", "robbery", "other"]
    d = build_demand(line_graph, inc, slots="20-22", bandwidth_m=700)
    # theft 1.5, other 1.0 x 2, robbery 3.0; the noon incident is outside the slots
    assert d.by_slot.sum() == pytest.approx(1.5 + 2.0 + 3.0)
    assert (d.by_slot >= 0).all()
    spread = build_demand(line_graph, inc, slots="20-22", bandwidth_m=700).night
    point = build_demand(line_graph, inc, slots="20-22", bandwidth_m=0).night
    assert spread.max() < point.max()  # the peak is spread to its neighbours
    assert spread.sum() == pytest.approx(point.sum())
    assert d.notes and "outside the night slots" in d.notes[0]


def test_demand_with_no_incident_in_the_slots(line_graph):
    inc = incidents_at(line_graph, [(300, 0)])
    inc["time"] = pd.Series(pd.to_datetime(["2026-11-01 12:00"])).dt.tz_localize("UTC").to_numpy()
    with pytest.raises(InputError, match="none of the 1 incidents"):
        build_demand(line_graph, inc, slots="20-04")
