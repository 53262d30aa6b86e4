"""The control-points stage: plan, back-test and write the night's control points."""

from __future__ import annotations

from typing import Any

from pipeline.job import Job
from pipeline.stages import Stages
from pipeline.workspace import Workspace, parse_staffing


def run(job: Job, stages: Stages, ws: Workspace, *, mode: str) -> tuple[dict[str, Any], Any]:
    """The control-points stage on the ``mode`` network: plan, back-test, write.

    Returns the summary (points.json) and the staffed points (network CRS; ``point_id``,
    ``slot``, ``slot_index``, ``node_id``).
    """
    import geopandas as gpd
    import numpy as np
    import shapely

    from geo.errors import InputError
    from geo.export import geojson_text, json_text, write_files
    from planner.control_points import cover_problem, solve_plan
    from planner.demand import build_demand, parse_slots, slot_of
    from planner.evaluate import (
        RoadArea,
        equal_area_grid,
        held_out,
        score_grid,
        score_sites,
        split_by_time,
    )

    slots = parse_slots(job.slots)
    staffing = parse_staffing(job.staffing, len(slots), job.count)
    if ws.incidents is None:
        msg = "control points need incidents (--incidents)"
        raise InputError(msg)
    _, net = ws.network(mode)
    inc = ws.snapped_incidents(mode)
    sposts = ws.snapped_posts(mode)
    post_nodes = None if sposts is None else sposts["node"].to_numpy()
    problem = stages.run(
        "cover matrix of the candidate sites",
        lambda: cover_problem(
            net, spacing_m=job.spacing_m, cover_m=job.cover_m, cover_min=job.cover_min,
            post_nodes=post_nodes,
        ),
    )  # fmt: skip
    demand_kw = {
        "slots": slots,
        "bandwidth_m": job.bandwidth_m,
        "half_life_days": job.half_life_days,
    }

    # back-test: plan on the earlier weeks, score on the last ones
    train, test = split_by_time(inc["time"], test_weeks=job.test_weeks)
    d_train = stages.run(
        "back-test: demand of the training weeks",
        lambda: build_demand(net, inc[train], **demand_kw),
    )
    bt = stages.run(
        "back-test: planning on the training weeks",
        lambda: solve_plan(
            problem,
            d_train.by_slot,
            count=job.count,
            exact=False,
            time_limit_s=job.time_limit_s,
        ),  # fmt: skip
    )
    slot_all = slot_of(inc["time"], slots)
    test_inc = held_out(inc, test, slot_all)

    def baselines() -> list[Any]:
        area = RoadArea(net)
        cover = {"cover_m": job.cover_m, "cover_min": job.cover_min}
        plan_score = score_sites("plan", net, bt.nodes, test_inc, area, **cover)
        night_train = held_out(inc, train, slot_all)
        xy = np.column_stack([night_train.geometry.x, night_train.geometry.y])
        cells, _ = equal_area_grid(
            xy, n=job.count, area=area, target_share=plan_score.covered_area_share,
            bounds=net.bounds,
        )  # fmt: skip
        grid = score_grid("kde grid", net, cells, test_inc.geometry.to_numpy(), area)
        rng = np.random.default_rng(job.seed)
        n_cand = len(problem.candidates)
        pick = rng.choice(n_cand, size=min(job.count, n_cand), replace=False)
        rand = score_sites("random sites", net, problem.candidates[pick], test_inc, area, **cover)
        return [plan_score, grid, rand]

    scores = stages.run("back-test: scoring plan and baselines", baselines)

    demand = stages.run("demand of all weeks", lambda: build_demand(net, inc, **demand_kw))
    for n in demand.notes:
        stages.note(n)
    plan = stages.run(
        f"planning {job.count} control points (exact check up to {job.exact_limit_s:g} s)",
        lambda: solve_plan(
            problem, demand.by_slot, count=job.count, staffing=staffing,
            time_limit_s=job.time_limit_s, exact_time_limit_s=job.exact_limit_s,
        ),
    )  # fmt: skip
    covered_all = np.asarray(plan.cover.sum(axis=0)).ravel() > 0
    night = (slot_all >= 0) & inc["on_network"].to_numpy(bool)
    night_hit = covered_all[inc["segment"].to_numpy()[night]]
    rows = []
    point_ids = [f"cp-{i + 1:03d}" for i in range(len(plan.nodes))]
    per_point = plan.cover.astype(float) @ demand.by_slot.T  # points x slots
    for s, staffed in enumerate(plan.staffed):
        for i in staffed:
            rows.append(
                {
                    "point_id": point_ids[i],
                    "slot": slots[s].label,
                    "slot_index": s,
                    "node_id": int(net.node_ids[plan.nodes[i]]),
                    "covered_weight": float(per_point[i, s]),
                    "geometry": shapely.Point(net.x[plan.nodes[i]], net.y[plan.nodes[i]]),
                }
            )
    frame = gpd.GeoDataFrame(rows, geometry="geometry", crs=net.crs)
    on = inc["on_network"].to_numpy(bool)
    labels = np.array([s.label for s in slots] + [None], dtype=object)
    incident_frame = gpd.GeoDataFrame(
        {
            "incident_id": inc["incident_id"].astype(str).to_numpy()[on],
            "time": inc["time"].astype(str).to_numpy()[on],
            "category": inc["category"].astype(str).to_numpy()[on],
            "weight": demand.incident_weight[on],
            "slot": labels[slot_all[on]],
        },
        geometry=inc.geometry.to_numpy()[on],
        crs=net.crs,
    )
    sol, ex = plan.solution, plan.exact
    summary = {
        "count": job.count,
        "spacing_m": job.spacing_m,
        "cover_m": job.cover_m,
        "cover_min": job.cover_min,
        "candidates": len(plan.candidates),
        "objective": sol.objective,
        "bound": sol.bound,
        "gap": sol.gap,
        "solver": sol.solver,
        "status": sol.status,
        "solve_seconds": sol.seconds,
        "exact": None
        if ex is None
        else {
            "objective": ex.objective,
            "bound": ex.bound,
            "gap": ex.gap,
            "status": ex.status,
            "seconds": ex.seconds,
        },  # fmt: skip
        "night_incidents": int(night.sum()),
        "night_incident_share_covered": float(night_hit.mean()) if len(night_hit) else 0.0,
        "slots": [
            {
                "slot": slots[s].label,
                "staffed": len(plan.staffed[s]),
                "demand": float(plan.slot_total[s]),
                "covered": float(plan.slot_covered[s]),
                "covered_share": float(plan.slot_covered[s] / plan.slot_total[s])
                if plan.slot_total[s] > 0
                else 0.0,
                "covered_without_continuity": float(plan.slot_best[s]),
            }
            for s in range(len(slots))
        ],
        "switches": plan.switches,
        "continuity": 0.1,
        "backtest": {
            "test_weeks": job.test_weeks,
            "test_incidents": scores[0].test_incidents,
            "hit_rate": scores[0].hit_rate,
            "pai": scores[0].pai_area,
            "pai_road": scores[0].pai_road,
            "plan": scores[0].to_dict(),
            "baselines": {"kde_grid": scores[1].to_dict(), "random": scores[2].to_dict()},
        },
        "hit_rate": scores[0].hit_rate,
        "pai": scores[0].pai_area,
        "pai_road": scores[0].pai_road,
        "notes": list(ws.incidents.notes) + list(demand.notes),
    }
    stages.run(
        "writing control points",
        lambda: write_files(
            job.out,
            {
                "control_points.geojson": geojson_text(frame),
                "points.json": json_text(summary),
                "incidents.geojson": geojson_text(incident_frame),
            },
        ),
    )
    return summary, frame
