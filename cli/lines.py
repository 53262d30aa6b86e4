"""``patrol lines``: patrol lines on the road network, slot by slot, points and lines combined."""

from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import Any

from cli.common import Stages, Workspace, add_network_args, add_night_options, add_points_args
from planner.patrol_lines import DEFAULT_OVERLAP_PENALTY

DEFAULT_SPEED_KPH = {"drive": 25.0, "walk": 4.5}  # patrol speeds: slower than response
STOP_MINUTES = 12  # suggested stop at a hot spot: 10-15 minutes deter, short visits do not


def add_options(
    p: argparse.ArgumentParser,
    *,
    count_flag: str = "--count",
    dest: str = "count",
    shared: bool = True,
) -> None:
    """The patrol-line options; ``patrol plan`` names the count ``--lines``."""
    p.add_argument(count_flag, dest=dest, type=int, required=True, metavar="M",
                   help="patrol lines per slot")  # fmt: skip
    p.add_argument("--min-km", type=float, required=True, help="shortest line (km)")
    p.add_argument("--max-km", type=float, required=True, help="longest line (km)")
    p.add_argument("--speed-kph", type=float, help="patrol speed (default: drive 25, walk 4.5)")
    p.add_argument(
        "--overlap-penalty",
        type=float,
        default=DEFAULT_OVERLAP_PENALTY,
        help="share of a street's demand a later line loses where an earlier one runs "
        f"({DEFAULT_OVERLAP_PENALTY:g}); higher spreads lines out, lower packs them on hot streets",
    )
    if shared:
        add_night_options(p)


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "lines",
        help="patrol lines through the risk, starting at posts and control points",
        description="Closed patrol lines of bounded length on the directed network for each "
        "slot, collecting as much incident demand per km as possible, passing control points, "
        "overlapping little. Writes patrol_lines.geojson, lines.json (turn lists, stops, "
        "baselines) and gpx/<line>.gpx to --out.",
    )
    add_network_args(p)
    p.add_argument("--incidents", required=True, metavar="FILE", help="incidents file")
    p.add_argument("--posts", metavar="FILE", help="posts: lines may start there")
    p.add_argument(
        "--points",
        metavar="DIR_OR_FILE",
        help="control points (control_points.geojson or its folder): lines start and pass there",
    )
    add_options(p)
    p.add_argument("--out", required=True, metavar="DIR", help="output folder")
    add_points_args(p)
    p.set_defaults(func=cmd)


def _line_coords(net: Any, edges: Any) -> list[tuple[float, float]]:
    coords: list[tuple[float, float]] = []
    for e in edges:
        part = list(net.edge_geometry[e].coords)
        coords.extend(part if not coords else part[1:])
    return coords


def run(
    args: argparse.Namespace,
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
    if not 0 < args.min_km <= args.max_km:
        msg = f"--min-km {args.min_km:g} and --max-km {args.max_km:g}: need 0 < min <= max"
        raise InputError(msg)
    slots = parse_slots(args.slots)
    if points is None and getattr(args, "points", None):
        points = stages.run("reading control points", lambda: read_control_points(args.points))
    _, net = ws.network(mode)
    inc = ws.snapped_incidents(mode)
    sposts = ws.snapped_posts(mode)
    demand = stages.run(
        "demand per slot",
        lambda: build_demand(
            net, inc, slots=slots, bandwidth_m=args.bandwidth_m,
            half_life_days=args.half_life_days,
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
            max_snap_m=args.max_snap_m,
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
    speed = args.speed_kph or DEFAULT_SPEED_KPH[mode]
    results = stages.run(
        f"designing {args.count} lines in each of {len(slots)} slots",
        lambda: plan_lines_by_slot(
            net, demand.by_slot, starts, count_per_slot=[args.count] * len(slots),
            min_m=args.min_km * 1000.0, max_m=args.max_km * 1000.0, control_nodes=cp_nodes,
            overlap_penalty=args.overlap_penalty, speed_kph=speed, seed=args.seed,
            time_limit_s=args.time_limit_s,
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
                    random_walk_baseline(net, demand.by_slot[s], res.lines, seed=args.seed)
                    * lengths
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
        "count_per_slot": args.count,
        "min_km": args.min_km,
        "max_km": args.max_km,
        "speed_kph": speed,
        "overlap_penalty": args.overlap_penalty,
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
            args.out,
            {
                "patrol_lines.geojson": geojson_text(frame),
                "lines.json": json_text(summary),
                **gpx,
            },
        ),
    )
    return summary, frame


def print_summary(summary: dict[str, Any]) -> None:
    q = summary["quality"]
    lines = sum(s["lines"] for s in summary["slots"])
    print(
        f"{lines} patrol lines ({summary['mode']}, {summary['min_km']:g}-{summary['max_km']:g} km) "
        f"in {len(summary['slots'])} slots: {q['demand_per_km']:.1f} demand/km; random closed "
        f"walks {q['random_walks_demand_per_km']:.1f} ({q['vs_random_walks']:.1f}x), "
        f"top-edges loops {q['top_edges_loops_demand_per_km']:.1f} "
        f"({q['vs_top_edges_loops']:.2f}x)"
    )
    print("slot          lines  demand/km  overlap")
    for s in summary["slots"]:
        print(
            f"{s['slot']:<13} {s['lines']:>5}  {s['demand_per_km']:>9.1f}  "
            f"{100 * s['overlap_share']:>6.1f}%"
        )


def cmd(args: argparse.Namespace) -> int:
    stages = Stages(quiet=args.quiet)
    summary, _ = run(args, stages, Workspace(args, stages), mode=args.mode)
    print_summary(summary)
    print(f"wrote {Path(args.out) / 'patrol_lines.geojson'}, lines.json and gpx/")
    return 0
