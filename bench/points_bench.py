"""Night control points at city scale (maximal covering with spacing), against PySAL spopt.

On the synthetic city (:mod:`bench.city`, ~105k nodes) with 50,000 incidents:

- instance: incidents snapped with :func:`geo.snap.snap_incidents`, night demand per segment
  from :func:`planner.demand.build_demand` (slots 20-04, 150 m kernel), candidates from
  :func:`planner.control_points.candidate_nodes` (all of them), cover radius 400 m of walking
  distance, spacing 300 m, 168 points;
- ours: :func:`~planner.control_points.cover_matrix` and
  :func:`~planner.control_points.solve_greedy` timed separately and together; plain lazy greedy
  (``swap=False``) for reference; the same without spacing;
- exact: :func:`~planner.control_points.solve_exact` (HiGHS, warm-started with the greedy
  answer, time limit) for the optimum or a bound, hence the greedy's quality;
- baseline: spopt ``MCLP.from_cost_matrix(...).solve(...)`` needs a dense demand x candidates
  cost matrix and knows no spacing, so it runs on a sub-instance without spacing (the top
  weighted segments, a random subset of the candidates that cover any of them), in a forked
  child killed at a time limit; ours (greedy, no spacing) and HiGHS run on exactly the same
  sub-instance.

Stage lines go to stderr, the table to stdout, every figure to ``bench/results/points.json``.

At city scale HiGHS finds no useful bound, so the fast solver's gap is measured on the demo
district instead: ``python -m bench.points_bench suite`` (:func:`run_suite`) builds the
Helsinki demo (real walk network, SYNTHETIC incidents) and, for a grid of cover radii,
spacings and counts, runs :func:`~planner.control_points.solve_greedy` (its default 5 s limit)
and :func:`~planner.control_points.solve_exact` (HiGHS, 60 s), and reports each ratio; the
target (>= 0.995 of the optimum) applies where HiGHS proves optimality.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import platform
import resource
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse

from bench.city import stage
from bench.common import (
    Row,
    load_city_network,
    night_demand,
    result_header,
    rows_table,
    versions,
    write_result,
)
from planner.control_points import (
    Solution,
    candidate_nodes,
    cover_matrix,
    solve_exact,
    solve_greedy,
    spacing_conflicts,
)

TARGET_TOTAL_S = 10.0
TARGET_SPEEDUP = 10.0
TARGET_QUALITY = 0.995
TARGET_CANDIDATES = 20_000
NOT_COVERED_COST = 1e6  # spopt cost where the candidate does not cover the unit (radius 1)
DEFAULT_OUT = Path("bench/results/points.json")


def _s(v: float | None) -> str:
    if v is None:
        return "-"
    return f"{v:,.0f} s" if v >= 100 else f"{v:.3g} s"


def _obj(v: float | None) -> str:
    return "-" if v is None else f"{v:,.1f}"


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux


def _children_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0


def _sol(s: Solution | None) -> dict[str, Any] | None:
    if s is None:
        return None
    d = asdict(s)
    d["chosen"] = [int(i) for i in s.chosen]
    return d


# --- spopt in a child process -------------------------------------------------------------


def _spopt_child(
    conn: Any, cost: np.ndarray, weights: np.ndarray, p: int, solver: str, limit_s: float
) -> None:
    """Build and solve spopt's MCLP; send ("built", s) after the build and ("done", {...})."""
    import pulp
    from spopt.locate import MCLP

    t_start = time.perf_counter()
    t0 = time.perf_counter()
    model = MCLP.from_cost_matrix(cost, weights, service_radius=1.0, p_facilities=p)
    build_s = time.perf_counter() - t0
    conn.send(("built", build_s))
    left = max(1.0, limit_s - (time.perf_counter() - t_start) - 2.0)
    if solver == "highs":
        lp_solver = pulp.HiGHS(msg=False, timeLimit=left)
    else:
        lp_solver = pulp.PULP_CBC_CMD(msg=False, timeLimit=left)
    t0 = time.perf_counter()
    error = ""
    try:
        model.solve(lp_solver)
    except RuntimeError as exc:  # spopt raises when the status is not "Optimal"
        error = str(exc)
    solve_s = time.perf_counter() - t0
    x = np.array([v.varValue or 0.0 for v in model.fac_vars])
    conn.send(
        (
            "done",
            {
                "build_s": build_s,
                "solve_s": solve_s,
                "total_s": build_s + solve_s,
                "solver_time_limit_s": left,
                "status": pulp.LpStatus[model.problem.status],
                "solution_status": pulp.LpSolution.get(model.problem.sol_status, "?"),
                "objective": pulp.value(model.problem.objective),
                "chosen": [int(i) for i in np.flatnonzero(x > 0.5)],
                "error": error,
                "max_rss_mb": _rss_mb(),
            },
        )
    )
    conn.close()


def run_spopt(
    cost: np.ndarray, weights: np.ndarray, p: int, *, solver: str, limit_s: float
) -> dict[str, Any]:
    """spopt's build + solve in a forked child, killed ``limit_s`` after it starts."""
    try:
        ctx = mp.get_context("fork")
    except ValueError:
        return {"error": "no fork on this platform"}
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(
        target=_spopt_child, args=(child, cost, weights, p, solver, limit_s), daemon=True
    )
    t0 = time.perf_counter()
    proc.start()
    child.close()
    out: dict[str, Any] = {}
    deadline = t0 + limit_s + 5.0  # its own solver limit is set inside; 5 s of grace
    while True:
        left = deadline - time.perf_counter()
        if left <= 0 or not parent.poll(left):
            out["killed"] = True
            break
        try:
            kind, value = parent.recv()
        except EOFError:
            out["error"] = out.get("error") or "the child died"
            break
        if kind == "built":
            out["build_s"] = value
            print(f"[bench] spopt: MCLP.from_cost_matrix built in {value:.1f} s", file=sys.stderr)
        else:
            out.update(value)
            break
    if proc.is_alive():
        proc.terminate()
    proc.join()
    out["wall_s"] = time.perf_counter() - t0
    return out


# --- the benchmark ------------------------------------------------------------------------


def run(args: argparse.Namespace) -> int:
    """Build the instance, run ours, the exact solver and spopt; returns the exit code."""
    rows: list[Row] = []
    timings: dict[str, float] = {}
    rss: dict[str, float] = {}

    city = load_city_network(args)
    net = city.net
    from_cache = city.from_cache
    timings["city"] = city.city_s
    timings["compile_network"] = city.compile_s
    nd = night_demand(net, incidents=args.incidents, seed=args.seed, bandwidth_m=args.bandwidth_m)
    demand = nd.demand
    timings["snap_incidents"] = nd.snap_s
    timings["build_demand"] = nd.demand_s
    w = np.asarray(demand.night, dtype=np.float64)
    print(
        f"[bench] demand: {int((w > 0).sum()):,} segments with weight > 0, total {w.sum():,.1f}",
        file=sys.stderr,
    )
    with stage("candidate_nodes"):
        t0 = time.perf_counter()
        cand = candidate_nodes(net)
        timings["candidate_nodes"] = time.perf_counter() - t0
    n_cand = len(cand)
    print(f"[bench] {n_cand:,} candidate nodes (all used)", file=sys.stderr)
    xy = np.column_stack([net.x[cand], net.y[cand]])
    rss["instance"] = _rss_mb()

    # ours, full size
    with stage(f"cover_matrix ({args.cover_m:g} m walking)"):
        t0 = time.perf_counter()
        A = cover_matrix(net, cand, cover_m=args.cover_m)
        timings["cover_matrix"] = time.perf_counter() - t0
    print(f"[bench] cover matrix {A.shape[0]:,} x {A.shape[1]:,}, {A.nnz:,} pairs", file=sys.stderr)
    rss["cover_matrix"] = _rss_mb()
    with stage(f"spacing_conflicts ({args.spacing_m:g} m)"):
        t0 = time.perf_counter()
        conflicts = spacing_conflicts(xy, spacing_m=args.spacing_m)
        timings["spacing_conflicts"] = time.perf_counter() - t0
    print(f"[bench] {len(conflicts):,} conflicting candidate pairs", file=sys.stderr)
    n = args.count
    with stage(f"solve_greedy, N={n}, with spacing"):
        t0 = time.perf_counter()
        greedy = solve_greedy(A, w, n, conflicts=conflicts, xy=xy)
        timings["solve_greedy"] = time.perf_counter() - t0
    rss["solve_greedy"] = _rss_mb()
    print(
        f"[bench] greedy: {greedy.objective:,.2f}, upper bound {greedy.bound:,.2f} "
        f"({greedy.status})",
        file=sys.stderr,
    )
    with stage("solve_greedy, swap=False (plain lazy greedy, for reference)"):
        t0 = time.perf_counter()
        plain = solve_greedy(A, w, n, conflicts=conflicts, xy=xy, swap=False)
        timings["solve_greedy_plain"] = time.perf_counter() - t0
    with stage(f"solve_greedy, N={n}, no spacing"):
        t0 = time.perf_counter()
        greedy_ns = solve_greedy(A, w, n, xy=xy)
        timings["solve_greedy_no_spacing"] = time.perf_counter() - t0
    total = timings["cover_matrix"] + timings["solve_greedy"]
    end_to_end = total + timings["candidate_nodes"] + timings["spacing_conflicts"]

    size = f"N={n}, {n_cand:,} candidates, {args.incidents:,} incidents"
    rows.append(
        Row(
            f"ours total: cover_matrix + solve_greedy ({size})",
            _s(total),
            target=f"< {TARGET_TOTAL_S:g} s, >= {TARGET_CANDIDATES:,} cand.",
            passed=total < TARGET_TOTAL_S and n_cand >= TARGET_CANDIDATES,
            note=(
                f"end to end incl. candidate_nodes ({timings['candidate_nodes']:.2f} s) and "
                f"spacing_conflicts ({timings['spacing_conflicts']:.2f} s): {end_to_end:.2f} s"
            ),
        )
    )
    rows.append(
        Row(
            f"  cover_matrix ({args.cover_m:g} m walking, {A.nnz:,} pairs)",
            _s(timings["cover_matrix"]),
        )
    )
    rows.append(
        Row(
            f"  solve_greedy (spacing {args.spacing_m:g} m, {len(conflicts):,} conflicts)",
            _s(timings["solve_greedy"]),
            note=f"status: {greedy.status}; solver {greedy.solver}",
        )
    )
    rows.append(
        Row(
            "  of which plain lazy greedy (swap=False)",
            _s(timings["solve_greedy_plain"]),
            note=(
                f"objective {plain.objective:,.2f} = {plain.objective / greedy.objective:.4f} "
                f"of {greedy.solver}"
            ),
        )
    )
    coverable = float(w[np.asarray(A.sum(axis=0)).ravel() > 0].sum())
    rows.append(
        Row(
            "greedy objective / its own upper bound (Lagrangian)",
            f"{_obj(greedy.objective)} / {_obj(greedy.bound)}",
            ratio=f"{greedy.objective / greedy.bound:.4f}" if greedy.bound > 0 else "-",
            note=(
                f"coverable total {coverable:,.1f} (demand total {w.sum():,.1f}); plain greedy "
                f"{plain.objective:,.2f}"
            ),
        )
    )
    rows.append(
        Row(
            "solve_greedy, no spacing (full size)",
            _s(timings["solve_greedy_no_spacing"]),
            note=(
                f"objective {greedy_ns.objective:,.2f}; status {greedy_ns.status}; "
                f"the spacing costs {1 - greedy.objective / greedy_ns.objective:.2%}"
            ),
        )
    )

    # exact, full size
    exact: Solution | None = None
    exact_error = ""
    if args.exact_limit > 0:
        with stage(f"solve_exact (HiGHS, limit {args.exact_limit:g} s, warm start)"):
            t0 = time.perf_counter()
            try:
                exact = solve_exact(
                    A, w, n, conflicts=conflicts, warm_start=greedy.chosen,
                    time_limit_s=args.exact_limit,
                )  # fmt: skip
            except Exception as exc:  # noqa: BLE001 - reported, not fatal
                exact_error = f"{type(exc).__name__}: {exc}"
            timings["solve_exact"] = time.perf_counter() - t0
        rss["solve_exact"] = _rss_mb()
    if exact is not None:
        bound = min(greedy.bound, exact.bound)
        quality = greedy.objective / bound if bound > 0 else 1.0
        proven = exact.status == "Optimal"
        passed = True if quality >= TARGET_QUALITY else (False if proven else None)
        rows.append(
            Row(
                "solve_exact (HiGHS MILP, full size)",
                f"{_s(timings['solve_exact'])}, {exact.status}",
                note=(
                    f"objective {exact.objective:,.2f}, bound {exact.bound:,.2f}, gap "
                    f"{exact.gap:.2%}; HiGHS time limit {args.exact_limit:g} s (model building "
                    "not included in it)"
                ),
            )
        )
        rows.append(
            Row(
                "quality: greedy objective / best bound (Lagrangian or HiGHS)",
                f"{_obj(greedy.objective)} / {_obj(bound)}",
                ratio=f"{quality:.4f}",
                target=f">= {TARGET_QUALITY:g} of optimum",
                passed=passed,
                note=(
                    "the bound is proven optimal"
                    if proven
                    else "HiGHS did not prove optimality: the ratio is a lower bound on quality"
                    + ("" if passed else "; inconclusive")
                ),
            )
        )
    elif args.exact_limit > 0:
        rows.append(Row("solve_exact (HiGHS MILP, full size)", "failed", note=exact_error))

    # spopt sub-instance, no spacing
    sub: dict[str, Any] = {}
    if not args.skip_spopt:
        rng = np.random.default_rng(args.seed)
        units = np.sort(np.argsort(-w, kind="stable")[: args.sub_units])
        units = units[w[units] > 0]
        reaches = np.asarray(A[:, units].sum(axis=1)).ravel() > 0
        pool = np.flatnonzero(reaches)
        take = min(args.sub_candidates, len(pool))
        sub_c = np.sort(rng.choice(pool, size=take, replace=False))
        S = sparse.csr_array(A[sub_c][:, units])
        ws = w[units]
        with stage(f"dense cost matrix for spopt ({len(units):,} x {take:,})"):
            t0 = time.perf_counter()
            cost = np.where(S.toarray().T, 0.0, NOT_COVERED_COST)
            timings["spopt_cost_matrix"] = time.perf_counter() - t0
        with stage(f"ours on the sub-instance: solve_greedy, N={n}, no spacing"):
            t0 = time.perf_counter()
            sg = solve_greedy(S, ws, n, xy=xy[sub_c])
            timings["sub_solve_greedy"] = time.perf_counter() - t0
        with stage("HiGHS on the sub-instance (solve_exact, no spacing)"):
            t0 = time.perf_counter()
            se = solve_exact(S, ws, n, warm_start=sg.chosen, time_limit_s=args.exact_limit or 60)
            timings["sub_solve_exact"] = time.perf_counter() - t0
        with stage(
            f"baseline: spopt MCLP.from_cost_matrix + solve ({args.spopt_solver}, "
            f"limit {args.spopt_limit:g} s)"
        ):
            sp = run_spopt(cost, ws, n, solver=args.spopt_solver, limit_s=args.spopt_limit)
        del cost
        sp_obj = sp.get("objective")
        sp_chosen = sp.get("chosen")
        sp_check = None
        if sp_chosen is not None:
            covered = np.asarray(S[np.asarray(sp_chosen, dtype=np.int64)].sum(axis=0)).ravel() > 0
            sp_check = float(ws[covered].sum()) if len(sp_chosen) else 0.0
        sp_total = sp.get("total_s")
        ours_s = timings["sub_solve_greedy"]
        speedup = sp_total / ours_s if sp_total else None
        rel = sg.objective / sp_obj if sp_obj else None
        finished = sp_total is not None and not sp.get("killed")
        sp_optimal = finished and sp.get("status") == "Optimal" and not sp.get("error")
        sub_size = f"{len(units):,} units x {take:,} candidates, N={n}, no spacing"
        rows.append(
            Row(
                f"sub-instance ({sub_size}): time",
                _s(ours_s),
                (
                    _s(sp_total) + f" [spopt, {args.spopt_solver}]"
                    if finished
                    else f"> {args.spopt_limit:g} s [spopt, killed]"
                ),
                f"{speedup:.1f}x" if speedup else "-",
                f">= {TARGET_SPEEDUP:g}x",
                (speedup >= TARGET_SPEEDUP) if speedup else (True if sp.get("killed") else None),
                note=(
                    f"spopt: MCLP.from_cost_matrix {_s(sp.get('build_s'))}, solve "
                    f"{_s(sp.get('solve_s'))} (status {sp.get('status', '-')}, solution "
                    f"{sp.get('solution_status', '-')}{', ' + sp['error'] if sp.get('error') else ''}"
                    f"); dense cost matrix built beforehand in "
                    f"{timings['spopt_cost_matrix']:.2f} s, not counted; ours: solve_greedy on "
                    f"the sparse sub-matrix ({S.nnz:,} pairs), status {sg.status}"
                ),
            )
        )
        rows.append(
            Row(
                "sub-instance: objective (ours / spopt)",
                _obj(sg.objective),
                _obj(sp_obj) + (" [optimal]" if sp_optimal else ""),
                f"{rel:.4f}" if rel else "-",
                f">= {TARGET_QUALITY:g}",
                (rel >= TARGET_QUALITY) if rel else None,
                note=(
                    f"HiGHS via solve_exact on the same sub-instance: {se.objective:,.2f} "
                    f"({se.status}, bound {se.bound:,.2f}) in {timings['sub_solve_exact']:.2f} s"
                    f"; ours / HiGHS bound {sg.objective / se.bound:.4f}; spopt's choice "
                    f"re-evaluated on our matrix: {_obj(sp_check)}"
                ),
            )
        )
        sub = {
            "units": int(len(units)),
            "candidates": int(take),
            "candidate_pool": int(len(pool)),
            "pairs": int(S.nnz),
            "weight_total": float(ws.sum()),
            "candidate_indices": [int(i) for i in sub_c],
            "ours_greedy": _sol(sg),
            "ours_exact": _sol(se),
            "spopt": sp,
            "spopt_objective_reevaluated": sp_check,
            "speedup": speedup,
            "objective_ratio": rel,
        }
    rss["end"] = _rss_mb()
    children_mb = _children_rss_mb()

    print(rows_table(rows))
    print(
        f"\npeak memory: process max RSS {rss['end']:,.0f} MB (after instance "
        f"{rss['instance']:,.0f}, cover_matrix {rss['cover_matrix']:,.0f}, solve_greedy "
        f"{rss['solve_greedy']:,.0f}"
        + (f", solve_exact {rss['solve_exact']:,.0f}" if "solve_exact" in rss else "")
        + f" MB); spopt child max RSS {children_mb:,.0f} MB"
    )
    print(
        f"instance: {n_cand:,} candidates, {A.nnz:,} cover pairs, {len(conflicts):,} conflicts, "
        f"{int((w > 0).sum()):,} demand segments (total {w.sum():,.1f}); "
        f"city {timings['city']:.1f} s, compile {timings['compile_network']:.1f} s, snap "
        f"{timings['snap_incidents']:.2f} s, build_demand {timings['build_demand']:.2f} s"
    )

    result = {
        "benchmark": "points",
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
        "versions": versions(
            ("numpy", "scipy", "highspy", "spopt", "pulp", "networkx", "geopandas")
        ),
        "parameters": {
            "rows": args.rows,
            "cols": args.cols,
            "spacing": args.spacing,
            "seed": args.seed,
            "incidents": args.incidents,
            "slots": "20-04",
            "bandwidth_m": args.bandwidth_m,
            "cover_m": args.cover_m,
            "spacing_m": args.spacing_m,
            "count": n,
            "exact_limit_s": args.exact_limit,
            "spopt_limit_s": args.spopt_limit,
            "spopt_solver": args.spopt_solver,
            "sub_units": args.sub_units,
            "sub_candidates": args.sub_candidates,
            "city_from_cache": from_cache,
        },
        "network": {"nodes": net.n_nodes, "segments": net.n_segments},
        "instance": {
            "candidates": n_cand,
            "cover_pairs": int(A.nnz),
            "conflicts": len(conflicts),
            "demand_segments": int((w > 0).sum()),
            "demand_total": float(w.sum()),
            "snap": asdict(nd.report),
            "demand_notes": list(demand.notes),
        },
        "rows": [asdict(r) for r in rows],
        "timings_s": {**timings, "ours_total": total, "ours_end_to_end": end_to_end},
        "greedy": _sol(greedy),
        "greedy_plain": _sol(plain),
        "greedy_no_spacing": _sol(greedy_ns),
        "exact": _sol(exact),
        "exact_error": exact_error,
        "spopt_sub_instance": sub,
        "memory": {"max_rss_mb_after": rss, "spopt_child_max_rss_mb": children_mb},
        "all_passed": all(r.passed for r in rows if r.passed is not None),
    }
    out = write_result(args.out, result)
    print(f"\nwritten: {out}")
    return 1 if args.strict and not result["all_passed"] else 0


# --- quality on the demo district, where HiGHS can finish ---------------------------------


def _ints(text: str) -> list[int]:
    return [int(v) for v in text.split(",") if v.strip()]


def run_suite(args: argparse.Namespace) -> int:
    """solve_greedy against the HiGHS optimum on the demo district, instance by instance."""
    import tempfile

    from data.demo import DEMO_TIMEZONE, build_demo
    from geo.errors import InfeasibleError
    from geo.graph import compile_network
    from geo.network import load_network
    from geo.points import read_incidents
    from geo.snap import snap_incidents
    from planner.demand import build_demand

    with stage(f"demo district (incident seed {args.seed}), walk network, demand"):
        with tempfile.TemporaryDirectory() as tmp:
            files = build_demo(Path(tmp), seed=args.seed)
            net = compile_network(load_network(files.network, mode="walk").graph)
            inc = read_incidents(files.incidents, timezone=DEMO_TIMEZONE).frame
        snapped, _ = snap_incidents(inc, net)
        w = build_demand(net, snapped, slots="20-04", bandwidth_m=args.bandwidth_m).night
        cand = candidate_nodes(net)
        xy = np.column_stack([net.x[cand], net.y[cand]])
    print(
        f"[bench] {len(cand):,} candidates, {net.n_segments:,} segments, demand {w.sum():,.1f}",
        file=sys.stderr,
    )
    rows: list[Row] = []
    records = []
    for cover_m in _ints(args.cover_m):
        A = cover_matrix(net, cand, cover_m=cover_m)
        for spacing_m in _ints(args.spacing_m):
            conflicts = spacing_conflicts(xy, spacing_m=spacing_m)
            for n in _ints(args.counts):
                name = f"cover {cover_m} m, spacing {spacing_m} m, N={n}"
                rec: dict[str, Any] = {"cover_m": cover_m, "spacing_m": spacing_m, "count": n}
                with stage(name):
                    try:
                        g = solve_greedy(
                            A, w, n, conflicts=conflicts, xy=xy, time_limit_s=args.time_limit
                        )
                    except InfeasibleError as exc:
                        g = None
                        rec["greedy_error"] = str(exc)
                    try:
                        ex = solve_exact(
                            A, w, n, conflicts=conflicts, time_limit_s=args.exact_limit,
                            warm_start=None if g is None else g.chosen,
                        )  # fmt: skip
                    except InfeasibleError as exc:
                        ex = None
                        rec["exact_error"] = str(exc)
                rec.update({"greedy": _sol(g), "exact": _sol(ex)})
                records.append(rec)
                if g is None and ex is None:
                    rows.append(Row(name, "infeasible", "infeasible"))
                    continue
                proven = ex is not None and ex.status == "Optimal"
                ratio = None if g is None or ex is None else g.objective / ex.objective
                rows.append(
                    Row(
                        name,
                        "none found" if g is None else f"{g.objective:,.1f} ({g.seconds:.1f} s)",
                        "-"
                        if ex is None
                        else f"{ex.objective:,.1f} ({ex.status}, {ex.seconds:.0f} s)",
                        "-" if ratio is None else f"{ratio:.4f}",
                        f">= {TARGET_QUALITY:g} where proven",
                        (ratio is not None and ratio >= TARGET_QUALITY) if proven else None,
                        note=None if g is None else f"{g.status}; own bound {g.bound:,.1f}",
                    )
                )
    print(rows_table(rows))
    proven_ratios = [
        r["greedy"]["objective"] / r["exact"]["objective"]
        for r in records
        if r["greedy"] and r["exact"] and r["exact"]["status"] == "Optimal"
    ]
    worst = min(proven_ratios) if proven_ratios else None
    # how well solve_greedy's own bound (Lagrangian or LP) says what it reached
    own_gaps = [r["greedy"]["gap"] for r in records if r["greedy"]]
    self_proven = sum(g <= 1e-9 for g in own_gaps)
    print(
        f"\n{len(proven_ratios)} instances proven optimal by HiGHS within {args.exact_limit:g} s; "
        f"worst ratio {worst if worst is None else round(worst, 5)}; solve_greedy's own bound "
        f"proves its answer optimal on {self_proven} of {len(own_gaps)}, median own gap "
        f"{float(np.median(own_gaps)) if own_gaps else float('nan'):.2%}"
    )
    result = {
        **result_header("points-suite", ("numpy", "scipy", "highspy")),
        "parameters": {k: v for k, v in vars(args).items() if k != "func"},
        "rows": [asdict(r) for r in rows],
        "instances": records,
        "worst_proven_ratio": worst,
        "greedy_self_proven": self_proven,
        "greedy_median_own_gap": float(np.median(own_gaps)) if own_gaps else None,
        "all_passed": all(r.passed for r in rows if r.passed is not None),
    }
    out = write_result(args.out, result, default=str)
    print(f"written: {out}")
    return 1 if args.strict and not result["all_passed"] else 0


SUITE_DESCRIPTION = (
    "solve_greedy vs the HiGHS optimum on the Helsinki demo district (walk network, SYNTHETIC "
    "incidents), for a grid of cover radii, spacings and counts."
)


def add_suite_options(s: argparse.ArgumentParser) -> None:
    """The quality suite's options (shared by ``python -m bench points-suite``)."""
    from data.demo import DEMO_SEED

    s.add_argument("--seed", type=int, default=DEMO_SEED, help="seed of the demo incidents")
    s.add_argument("--bandwidth-m", type=float, default=50.0, help="demand kernel (default 50)")
    s.add_argument("--cover-m", default="100,120,150,200,300", help="cover radii, m")
    s.add_argument("--spacing-m", default="150,200", help="spacings, m")
    s.add_argument("--counts", default="4,6,8,12,16,20,24,28", help="numbers of points")
    s.add_argument("--time-limit", type=float, default=5.0, help="solve_greedy limit (s)")
    s.add_argument("--exact-limit", type=float, default=60.0, help="HiGHS limit (s)")
    s.add_argument("--out", default="bench/results/points_suite.json", help="JSON results")
    s.add_argument("--strict", action="store_true", help="exit 1 if a proven instance misses")


def main(argv: list[str] | None = None) -> int:
    """``python -m bench.points_bench suite [options]``: the demo-district quality suite."""
    p = argparse.ArgumentParser(prog="python -m bench.points_bench", description=SUITE_DESCRIPTION)
    sub = p.add_subparsers(dest="command", required=True)
    add_suite_options(sub.add_parser("suite", help="the quality suite"))
    args = p.parse_args(argv)
    return run_suite(args)


if __name__ == "__main__":
    raise SystemExit(main())
