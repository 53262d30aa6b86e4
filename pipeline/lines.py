"""The patrol-lines stage: lines per slot, baselines, turn lists, stops and GPX."""

from __future__ import annotations

import math
from typing import Any

from pipeline.job import Job
from pipeline.stages import Stages
from pipeline.workspace import Workspace

DEFAULT_SPEED_KPH = {"drive": 25.0, "walk": 4.5}  # patrol speeds: slower than response
STOP_MINUTES = 12  # suggested stop at a hot spot: 10-15 minutes deter, short visits do not


def _line_coords(net: Any, edges: Any) -> list[tuple[float, float]]:
    coords: list[tuple[float, float]] = []
    for e in edges:
        part = list(net.edge_geometry[e].coords)
        coords.extend(part if not coords else part[1:])
    return coords


def run(
    job: Job,
    stages: Stages,
    ws: Workspace,
    *,
    mode: str,
    points: Any = None,
) -> tuple[dict[str, Any], Any]:
    """The lines stage on the ``mode`` network; ``points`` are the staffed control points of
    this plan (else ``--points`` is read). Writes its files, returns lines.json's content and
    the lines (network CRS, one LineString per line and slot)."""
    import geopandas as gpd
    import numpy as np
    import shapely
    from pyproj import Transformer

    from geo.errors import InputError
    from geo.export import geojson_text, gpx_text, json_text, write_files
    from geo.plan_files import read_control_points
    from geo.snap import snap_posts
    from planner.demand import build_demand, parse_slots
    from planner.patrol_lines import (
        plan_lines_by_slot,
        random_walk_baseline,
        top_edges_baseline,
        turn_list,
    )

    if ws.incidents is None:
        msg = "patrol lines need incidents (--incidents)"
        raise InputError(msg)
    if not 0 < job.min_km <= job.max_km:
        msg = f"--min-km {job.min_km:g} and --max-km {job.max_km:g}: need 0 < min <= max"
        raise InputError(msg)
    slots = parse_slots(job.slots)
    if points is None and job.points:
        points = stages.run("reading control points", lambda: read_control_points(job.points))
    _, net = ws.network(mode)
    inc = ws.snapped_incidents(mode)
    sposts = ws.snapped_posts(mode)
    demand = stages.run(
        "demand per slot",
        lambda: build_demand(
            net, inc, slots=slots, bandwidth_m=job.bandwidth_m,
            half_life_days=job.half_life_days,
        ),
    )  # fmt: skip
    for n in demand.notes:
        stages.note(n)

    start_ids: dict[int, str] = {}
    post_nodes = np.empty(0, dtype=np.int64)
    if sposts is not None:
        post_nodes = sposts["node"].to_numpy(dtype=np.int64)
        start_ids.update(zip(post_nodes.tolist(), sposts["id"].astype(str), strict=True))
    cp_nodes = [np.empty(0, dtype=np.int64) for _ in slots]
    labels = [s.label for s in slots]
    if points is not None and len(points):
        snapped = snap_posts(
            points.rename(columns={"point_id": "id"})[["id", "slot", "geometry"]],
            net,
            max_snap_m=job.max_snap_m,
        )
        unknown = sorted(set(snapped["slot"]) - set(labels))
        if unknown:
            msg = f"control points: slot(s) {unknown} are not among this run's slots {labels}"
            raise InputError(msg)
        for s, label in enumerate(labels):
            rows = snapped[snapped["slot"] == label]
            cp_nodes[s] = rows["node"].to_numpy(dtype=np.int64)
            start_ids.update(zip(cp_nodes[s].tolist(), rows["id"].astype(str), strict=True))
    starts = [np.unique(np.concatenate([post_nodes, cp])) for cp in cp_nodes]
    if not any(len(s) for s in starts):
        msg = "patrol lines need places to start: give --posts and/or --points"
        raise InputError(msg)
    speed = job.speed_kph or DEFAULT_SPEED_KPH[mode]
    results = stages.run(
        f"designing {job.count} lines in each of {len(slots)} slots",
        lambda: plan_lines_by_slot(
            net, demand.by_slot, starts, count_per_slot=[job.count] * len(slots),
            min_m=job.min_km * 1000.0, max_m=job.max_km * 1000.0, control_nodes=cp_nodes,
            overlap_penalty=job.overlap_penalty, speed_kph=speed, seed=job.seed,
            time_limit_s=job.time_limit_s,
        ),
    )  # fmt: skip

    def baselines() -> dict[str, float]:
        ours = km = rand = top = 0.0
        for s, res in enumerate(results):
            if not res.lines:
                continue
            lengths = np.array([ln.length_m for ln in res.lines]) / 1000.0
            ours += sum(ln.demand for ln in res.lines)
            km += float(lengths.sum())
            rand += float(
                (
                    random_walk_baseline(net, demand.by_slot[s], res.lines, seed=job.seed) * lengths
                ).sum()
            )
            top += float((top_edges_baseline(net, demand.by_slot[s], res.lines) * lengths).sum())
        per_km = ours / km if km else 0.0
        return {
            "demand_per_km": per_km,
            "random_walks_demand_per_km": rand / km if km else 0.0,
            "top_edges_loops_demand_per_km": top / km if km else 0.0,
            "vs_random_walks": per_km / (rand / km) if rand else math.inf,
            "vs_top_edges_loops": per_km / (top / km) if top else math.inf,
        }

    quality = stages.run("baselines: random closed walks and top-edges loops", baselines)

    to_wgs = Transformer.from_crs(net.crs, "EPSG:4326", always_xy=True)
    rows, docs, gpx = [], [], {}
    for s, res in enumerate(results):
        for ln in res.lines:
            coords = _line_coords(net, ln.edges)
            cps = [start_ids.get(int(n), f"node-{net.node_ids[n]}") for n in ln.control_points]
            duration_min = ln.duration_s / 60.0
            # dwell guidance: stop at the control points passed, else at the hottest street
            if len(ln.control_points):
                stops_xy = [
                    (cid, net.x[n], net.y[n]) for cid, n in zip(cps, ln.control_points, strict=True)
                ]
            else:
                segs = net.edge_segment[ln.edges]
                hot = segs[int(np.argmax(demand.by_slot[s][segs]))]
                mid = net.seg_geometry[hot].interpolate(0.5, normalized=True)
                stops_xy = [("hottest street", mid.x, mid.y)]
            stops = []
            for name, x, y in stops_xy:
                lon, lat = to_wgs.transform(x, y)
                stops.append({"name": name, "lon": lon, "lat": lat, "minutes": STOP_MINUTES})
            lap_min = duration_min + STOP_MINUTES * len(stops)
            laps = max(1, int(slots[s].minutes // lap_min)) if lap_min > 0 else 1
            start_id = start_ids.get(int(ln.start_node), f"node-{net.node_ids[ln.start_node]}")
            rows.append(
                {
                    "line_id": ln.line_id,
                    "slot": labels[s],
                    "slot_index": s,
                    "mode": mode,
                    "length_km": ln.length_m / 1000.0,
                    "duration_min": duration_min,
                    "demand": ln.demand,
                    "demand_per_km": ln.demand_per_km,
                    "start_id": start_id,
                    "control_points": cps,
                    "overlap_share": ln.overlap_share,
                    "geometry": shapely.LineString(coords),
                }
            )
            docs.append(
                {
                    "line_id": ln.line_id,
                    "slot": labels[s],
                    "start_id": start_id,
                    "turns": turn_list(net, ln),
                    "stops": stops,
                    "laps_in_slot": laps,
                    "revisit_every_min": round(slots[s].minutes / laps, 1),
                }
            )
            lonlat = [to_wgs.transform(x, y) for x, y in coords]
            gpx[f"gpx/{ln.line_id}_{s:02d}.gpx"] = gpx_text(
                f"{ln.line_id} {labels[s]}",
                lonlat,
                description=f"{ln.length_m / 1000:.1f} km from {start_id}, {labels[s]}",
                waypoints=[(st["name"], st["lon"], st["lat"]) for st in stops],
            )
    if not rows:
        msg = "no patrol line could be built in any slot: " + "; ".join(
            n for res in results for n in res.notes
        )
        raise InputError(msg)
    frame = gpd.GeoDataFrame(rows, geometry="geometry", crs=net.crs)
    summary = {
        "mode": mode,
        "count_per_slot": job.count,
        "min_km": job.min_km,
        "max_km": job.max_km,
        "speed_kph": speed,
        "overlap_penalty": job.overlap_penalty,
        "slots": [
            {
                "slot": labels[s],
                "lines": len(res.lines),
                "total_demand": res.total_demand,
                "demand_per_km": res.demand_per_km,
                "overlap_share": res.overlap_share,
                "seconds": res.seconds,
                "notes": list(res.notes),
            }
            for s, res in enumerate(results)
        ],
        "quality": quality,
        "lines": docs,
    }
    stages.run(
        "writing patrol lines",
        lambda: write_files(
            job.out,
            {
                "patrol_lines.geojson": geojson_text(frame),
                "lines.json": json_text(summary),
                **gpx,
            },
        ),
    )
    return summary, frame
