"""The whole night: coverage, control points and patrol lines, tied in plan.json."""

from __future__ import annotations

from typing import Any

from pipeline import coverage, lines, points
from pipeline.job import Job
from pipeline.stages import Stages
from pipeline.workspace import Workspace


def _nearest_nodes(net: Any, frame: Any) -> Any:
    """Nodes of ``net`` nearest to every vertex of ``frame``'s geometries."""
    import numpy as np
    import shapely

    xy = shapely.get_coordinates(frame.to_crs(net.crs).geometry.to_numpy())
    if len(xy) == 0:
        return np.empty(0, dtype=np.int64)
    return np.unique(net.node_tree.query(xy)[1]).astype(np.int64)


def run(job: Job, stages: Stages, ws: Workspace) -> dict[str, Any]:
    """Every stage, then plan.json; returns plan.json's content and each stage's result
    (``plan``, ``coverage``, ``points``, ``lines``)."""
    import numpy as np

    from geo.export import json_text, write_files
    from planner.coverage import incidents_reached
    from planner.demand import parse_slots, slot_of

    mode = job.mode
    cov = coverage.run(job, stages, ws, mode=mode)
    pts_summary, staffed = points.run(job, stages, ws, mode=job.points_mode or mode)
    line_job = job.replace(count=job.line_count)
    line_summary, line_frame = lines.run(
        line_job, stages, ws, mode=job.lines_mode or mode, points=staffed
    )

    # what the night's points and lines add to the posts' response coverage
    _, net = ws.network(mode)
    inc = ws.snapped_incidents(mode)
    post_nodes = ws.snapped_posts(mode)["node"].to_numpy(dtype=np.int64)
    minutes = job.response_min
    slots = parse_slots(job.slots)
    slot = slot_of(inc["time"], slots)

    def gains() -> list[dict[str, Any]]:
        rows = []
        for s, sl in enumerate(slots):
            mine = inc[slot == s]
            cps = _nearest_nodes(net, staffed[staffed["slot_index"] == s])
            lns = _nearest_nodes(net, line_frame[line_frame["slot_index"] == s])
            shares = {}
            for name, nodes in (
                ("posts", post_nodes),
                ("posts_points", np.concatenate([post_nodes, cps])),
                ("posts_points_lines", np.concatenate([post_nodes, cps, lns])),
            ):
                hit = incidents_reached(net, nodes, mine, limit_s=minutes * 60.0)
                shares[name] = float(hit.mean()) if len(hit) else 0.0
            rows.append({"slot": sl.label, "incidents": int(len(mine)), **shares})
        return rows

    per_slot = stages.run(f"{minutes:g}-minute coverage with points and lines", gains)
    n = sum(r["incidents"] for r in per_slot)

    def night(key: str) -> float:
        return sum(r[key] * r["incidents"] for r in per_slot) / n if n else 0.0

    doc = {
        "files": {
            "coverage": "coverage.json",
            "blind_spots": "blind_spots.geojson",
            "isochrones": "isochrones.geojson",
            "road_minutes": "road_minutes.geojson",
            "posts": "posts.geojson",
            "control_points": "control_points.geojson",
            "points": "points.json",
            "incidents": "incidents.geojson",
            "patrol_lines": "patrol_lines.geojson",
            "lines": "lines.json",
            "gpx": "gpx/",
        },
        "modes": {
            "coverage": mode,
            "points": job.points_mode or mode,
            "lines": job.lines_mode or mode,
        },
        "coverage": [
            {"minutes": t.minutes, "road_share": t.road_share, "incident_share": t.incident_share}
            for t in cov.thresholds
        ],
        "points": {
            k: pts_summary[k]
            for k in ("count", "objective", "bound", "gap", "hit_rate", "pai", "pai_road")
        },
        "lines": line_summary["quality"],
        "response_minutes": minutes,
        "night_coverage": {
            "posts": night("posts"),
            "posts_points": night("posts_points"),
            "posts_points_lines": night("posts_points_lines"),
        },
        "night_coverage_note": "share of the night's incidents reached within response_minutes "
        "by car from the posts, plus the staffed control points, plus any place on the slot's "
        "patrol lines (a patrol somewhere on its line, taken where it is nearest: an upper "
        "bound for the lines)",
        "slots": per_slot,
    }
    stages.run("writing plan.json", lambda: write_files(job.out, {"plan.json": json_text(doc)}))
    return {"plan": doc, "coverage": cov, "points": pts_summary, "lines": line_summary}
