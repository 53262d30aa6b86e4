"""The coverage stage: 1/3/5-minute response from the posts, blind spots, isochrones."""

from __future__ import annotations

from typing import Any

from pipeline.job import Job
from pipeline.stages import Stages
from pipeline.workspace import Workspace


def run(job: Job, stages: Stages, ws: Workspace, *, mode: str) -> Any:
    """The coverage stage on the ``mode`` network; writes its files, returns the result."""
    from geo.errors import InputError
    from geo.export import geojson_text, json_text, write_files
    from planner.coverage import check_thresholds, compute_coverage
    from planner.zones import blind_spots, isochrones, road_bands

    thresholds = check_thresholds(job.thresholds)
    if ws.posts is None:
        msg = "coverage needs posts (--posts)"
        raise InputError(msg)
    report, net = ws.network(mode)
    sposts = ws.snapped_posts(mode)
    sinc = ws.snapped_incidents(mode)
    result = stages.run(
        "computing coverage",
        lambda: compute_coverage(net, sposts, sinc, thresholds_min=thresholds),
    )
    zones = stages.run(
        "blind spots, isochrones and road bands",
        lambda: (blind_spots(net, result, sinc), isochrones(net, result), road_bands(net, result)),
    )
    post_frame = sposts[["id", "name", "node_id", "geometry"]].copy()
    for i, t in enumerate(result.thresholds):
        post_frame[f"road_km_{t.minutes:g}min"] = [p.road_km[i] for p in result.posts]
        post_frame[f"incidents_{t.minutes:g}min"] = [p.incidents[i] for p in result.posts]
    doc = result.to_dict()
    doc["network"] = {
        "source": report.source,
        "mode": report.mode,
        "crs": report.crs,
        "nodes": report.nodes,
        "edges": report.edges,
        "nodes_dropped": report.nodes_dropped,
        "edges_dropped": report.edges_dropped,
    }
    doc["profile"] = ws.profile.to_dict()
    doc["inputs"] = {
        "posts": job.posts,
        "incidents": job.incidents,
        "notes": list(ws.posts.notes) + (list(ws.incidents.notes) if ws.incidents else []),
    }
    doc["blind_spots"] = len(zones[0])
    stages.run(
        "writing coverage",
        lambda: write_files(
            job.out,
            {
                "coverage.json": json_text(doc),
                "blind_spots.geojson": geojson_text(zones[0]),
                "isochrones.geojson": geojson_text(zones[1]),
                "road_minutes.geojson": geojson_text(zones[2]),
                "posts.geojson": geojson_text(post_frame),
            },
        ),
    )
    return result
