"""An officer's map link: one patrol line (or one control point) in one slot, for a phone.

The route with arrows in the direction of travel, its start, the control points on it, the
suggested stops, the turn list and the slot's hours; or one control point with its cover
radius. Small on purpose (well under 300 KB of HTML before Leaflet's own files): only the road
near the line is drawn, and only when there are no tiles to read the map on.
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping, Sequence
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import shapely

from geo.errors import InputError
from geo.plan_layers import PlanLayers
from maps._layers import (
    OSM,
    WGS84,
    GeoJsonLayer,
    PageSetup,
    Panel,
    add_tiles,
    feature_collection,
    page_head,
    to_wgs84,
)
from maps.assets import INLINE, use_local_assets
from maps.command_map import LINE_STYLE, POINT_STYLE
from maps.i18n import strings

__all__ = ["officer_map"]

_M_PER_DEG = 111_320.0
ROUTE_STYLE = {"color": LINE_STYLE["color"], "weight": 6, "opacity": 0.9}
STOP_STYLE = {"color": "#d95f02", "anchor": "right"}
START_STYLE = {"color": "#1b7837", "anchor": "above"}
CONTEXT_STYLE = {"color": "#9a9a9a", "weight": 2, "opacity": 0.9}
COVER_STYLE = {"color": "#e7298a", "weight": 2, "fillOpacity": 0.08}
_PHONE_CSS = """
.patrol-panel { font-size: 15px; max-width: min(86vw, 360px); }
.patrol-panel h4 { font-size: 17px; }
.patrol-panel details summary { font-weight: 600; cursor: pointer; padding: 2px 0; }
.patrol-panel ol { margin: 4px 0; padding-left: 22px; max-height: 32vh; overflow-y: auto; }
.leaflet-popup-content { font-size: 15px; }
.leaflet-control-layers { font-size: 15px; }
"""


def _id_list(value: Any) -> list[str]:
    """A list-valued property as read back from GeoJSON (a list, an array or JSON text)."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return []
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            return [str(v) for v in json.loads(text)]
        return [v.strip() for v in text.split(",") if v.strip()]
    return [str(v) for v in value]


def _check_slot(layers: PlanLayers, slot: str) -> None:
    slots = layers.slots
    if slots and slot not in slots:
        msg = f"slot: {slot!r} is not a slot of this plan; slots: {', '.join(slots)}"
        raise InputError(msg)


def _arrows(route: gpd.GeoDataFrame, *, every_m: float) -> gpd.GeoDataFrame:
    """Points every ``every_m`` along the route with the bearing of travel (deg from north)."""
    metric = route.to_crs(route.estimate_utm_crs())
    line = shapely.line_merge(metric.geometry.iloc[0])
    parts = list(line.geoms) if hasattr(line, "geoms") else [line]
    points, bearings = [], []
    for part in parts:
        length = part.length
        for d in np.arange(every_m / 2, max(length - 1.0, 0.0), every_m):
            a = part.interpolate(d)
            b = part.interpolate(min(d + 5.0, length))
            if a.equals(b):
                continue
            points.append(a)
            bearings.append(round(float(np.degrees(np.arctan2(b.x - a.x, b.y - a.y))) % 360, 1))
    frame = gpd.GeoDataFrame({"bearing": bearings}, geometry=points, crs=metric.crs)
    return frame.to_crs(WGS84)


def _context(layers: PlanLayers, area: shapely.Geometry, *, margin_m: float) -> dict[str, Any]:
    """The road near ``area`` (EPSG:4326), all bands as one light layer."""
    roads = to_wgs84(layers.road_minutes, what="road_minutes")
    margin = margin_m / _M_PER_DEG
    w, s, e, n = area.bounds
    clip = shapely.box(w - 2 * margin, s - margin, e + 2 * margin, n + margin)
    merged = shapely.union_all(shapely.intersection(roads.geometry.to_numpy(), clip))
    frame = gpd.GeoDataFrame(geometry=[merged], crs=WGS84)
    return feature_collection(frame, what="road_minutes", simplify_m=2.0)


def _panel(title: str, rows: Sequence[str], sections: Sequence[tuple[str, list[str]]]) -> str:
    e = html.escape
    out = [f"<h4>{e(title)}</h4>", *[f"<div>{e(r)}</div>" for r in rows]]
    for heading, items in sections:
        if items:
            lis = "".join(f"<li>{e(i)}</li>" for i in items)
            out.append(f"<details><summary>{e(heading)}</summary><ol>{lis}</ol></details>")
    return "".join(out)


def _distance(metres: float) -> str:
    return f"{metres / 1000:.1f} km" if metres >= 1000 else f"{metres:.0f} m"


def officer_map(
    layers: PlanLayers,
    *,
    slot: str,
    line_id: str | None = None,
    point_id: str | None = None,
    lang: str = "en",
    tiles: str | None = OSM,
    tiles_attribution: str | None = None,
    assets: str = INLINE,
    arrow_every_m: float = 120.0,
    context_m: float = 300.0,
) -> folium.Map:
    """The map an officer opens on a phone: one line (or one control point) in one slot.

    Parameters
    ----------
    layers
        The plan (see :func:`geo.plan_files.read_plan_dir`).
    slot
        The slot label, e.g. ``"22:00-23:00"``.
    line_id, point_id
        Exactly one of them: the patrol line, or the control point.
    lang, tiles, tiles_attribution, assets
        As for :func:`maps.command_map.command_map`.
    arrow_every_m
        Spacing of the direction arrows along the route, in metres.
    context_m
        How far around the line the road network is drawn when there are no tiles.

    Returns
    -------
    folium.Map
        Save it with :func:`maps.assets.save_map`.
    """
    t = strings(lang)
    if (line_id is None) == (point_id is None):
        msg = "officer_map: give exactly one of line_id and point_id"
        raise InputError(msg)
    if arrow_every_m <= 0:
        msg = f"arrow_every_m: expected a distance > 0 m, got {arrow_every_m!r}"
        raise InputError(msg)
    _check_slot(layers, slot)
    cps = layers.control_points
    cps = to_wgs84(cps, what="control_points") if len(cps) else cps
    slot_cps = cps[cps["slot"] == slot] if len(cps) and "slot" in cps else cps.iloc[:0]

    m = folium.Map(tiles=None, prefer_canvas=False, control_scale=True, zoom_control=True)
    title = (
        t["title_officer_line"].format(line_id=line_id)
        if line_id is not None
        else t["title_officer_point"].format(point_id=point_id)
    )
    page_head(m, title=f"{title} · {slot}")
    extra_css = add_tiles(
        m, tiles, attribution=tiles_attribution, label=t["tiles_custom"], osm_label=t["tiles_osm"]
    )
    PageSetup(extra_css=extra_css + _PHONE_CSS).add_to(m)

    if line_id is not None:
        row = _find_line(layers, str(line_id), slot, t)
        area = row.geometry.iloc[0]
    else:
        row = _find_point(slot_cps, str(point_id), slot, t)
        point = row.geometry.iloc[0]
        radius = float(layers.points.get("cover_m") or 150.0) / _M_PER_DEG
        area = shapely.box(
            point.x - 2 * radius, point.y - radius, point.x + 2 * radius, point.y + radius
        )
    if tiles is None:  # the road near the line is the base the map reads on
        GeoJsonLayer(
            _context(layers, area, margin_m=context_m),
            name=t["road_network"],
            style=CONTEXT_STYLE,
            control=False,
        ).add_to(m)
    if line_id is not None:
        panel = _draw_line(
            m, layers, slot_cps, row, slot=slot, t=t, arrow_every_m=arrow_every_m, title=title
        )
    else:
        panel = _draw_point(m, layers, row, slot=slot, t=t, title=title)
    Panel(panel, position="bottomleft", css_class="patrol-officer").add_to(m)
    folium.LayerControl(collapsed=True, position="topright").add_to(m)
    w, s, e, n = area.bounds
    pad = 60 / _M_PER_DEG
    # room for the panel at the bottom of a phone screen
    m.fit_bounds([[s - pad, w - pad], [n + pad, e + pad]], padding_bottom_right=(10, 200))
    return use_local_assets(m, assets=assets)


def _find_line(
    layers: PlanLayers, line_id: str, slot: str, t: Mapping[str, str]
) -> gpd.GeoDataFrame:
    """The line's row (EPSG:4326), or an error naming the lines of that slot."""
    pl = layers.patrol_lines
    if not len(pl):
        msg = f"line_id: the plan has no patrol lines (no patrol_lines.geojson), got {line_id!r}"
        raise InputError(msg)
    in_slot = pl[pl["slot"] == slot]
    row = in_slot[in_slot["line_id"].astype(str) == line_id]
    if not len(row):
        known = ", ".join(sorted(in_slot["line_id"].astype(str))) or t["none"]
        msg = f"line_id: no line {line_id!r} in slot {slot!r}; lines in that slot: {known}"
        raise InputError(msg)
    return to_wgs84(row.iloc[[0]], what="patrol_lines")


def _draw_line(
    m: folium.Map,
    layers: PlanLayers,
    slot_cps: gpd.GeoDataFrame,
    route: gpd.GeoDataFrame,
    *,
    slot: str,
    t: Mapping[str, str],
    arrow_every_m: float,
    title: str,
) -> str:
    """Route, arrows, control points, stops and start; returns the panel's HTML."""
    line_id = str(route["line_id"].iloc[0])
    props = route.iloc[0]
    geom = route.geometry.iloc[0]
    on_line = _id_list(props.get("control_points"))
    cps = slot_cps[slot_cps["point_id"].astype(str).isin(on_line)] if on_line else slot_cps[:0]
    details = layers.line_details(line_id, slot)

    GeoJsonLayer(
        feature_collection(route, ["line_id", "slot"], what="patrol_lines"),
        name=t["patrol_line"],
        style=ROUTE_STYLE,
        points="hidden",
    ).add_to(m)
    GeoJsonLayer(
        feature_collection(_arrows(route, every_m=arrow_every_m), ["bearing"], what="arrows"),
        name=t["direction"],
        style={"color": "#2d004b"},
        points="arrow",
    ).add_to(m)
    if len(cps):
        GeoJsonLayer(
            feature_collection(cps, ["point_id", "slot", "covered_weight"], what="control_points"),
            name=t["control_points"],
            style=POINT_STYLE,
            popup=[("slot", t["slot"]), ("covered_weight", t["covered_weight"])],
            popup_title="point_id",
        ).add_to(m)
    stops = list(details.get("stops") or [])
    stop_lines = []
    if stops:
        labels = []
        for i, stop in enumerate(stops, start=1):
            name = stop.get("name") or stop.get("point_id") or str(i)
            minutes = stop.get("minutes", "")
            labels.append(f"{i} · {t['stop'].format(minutes=minutes)}")
            stop_lines.append(f"{name}: {t['stop'].format(minutes=minutes)}")
        frame = gpd.GeoDataFrame(
            {"label": labels},
            geometry=gpd.points_from_xy([s["lon"] for s in stops], [s["lat"] for s in stops]),
            crs=WGS84,
        )
        GeoJsonLayer(
            feature_collection(frame, ["label"], what="stops"),
            name=t["stops"],
            style=STOP_STYLE,
            points="label",
        ).add_to(m)
    merged = shapely.line_merge(geom) if geom.geom_type != "LineString" else geom
    if merged.geom_type != "LineString":
        merged = shapely.get_geometry(merged, 0)
    first = shapely.get_point(merged, 0)
    start = gpd.GeoDataFrame({"label": [t["start"]]}, geometry=[first], crs=WGS84)
    GeoJsonLayer(
        feature_collection(start, ["label"], what="start"),
        name=t["start"],
        style=START_STYLE,
        points="label",
    ).add_to(m)

    rows = [f"{t['hours']}: {slot}"]
    facts = []
    if props.get("mode") is not None:
        facts.append(f"{t['mode']}: {t.get(str(props['mode']), props['mode'])}")
    if props.get("length_km") is not None:
        facts.append(f"{t['length_km']}: {float(props['length_km']):.1f}")
    if props.get("duration_min") is not None:
        facts.append(f"{t['duration_min']}: {float(props['duration_min']):.0f}")
    if facts:
        rows.append(" · ".join(facts))
    if on_line:
        rows.append(f"{t['control_points']}: {', '.join(on_line)}")
    turns = [
        f"{turn.get('street') or '-'} · {_distance(float(turn.get('distance_m') or 0.0))}"
        for turn in details.get("turns") or []
    ]
    return _panel(title, rows, [(t["turns"], turns), (t["stops"], stop_lines)])


def _find_point(
    slot_cps: gpd.GeoDataFrame, point_id: str, slot: str, t: Mapping[str, str]
) -> gpd.GeoDataFrame:
    """The control point's row in the slot (EPSG:4326), or an error naming the slot's points."""
    row = slot_cps[slot_cps["point_id"].astype(str) == point_id] if len(slot_cps) else slot_cps
    if not len(row):
        known = ", ".join(sorted(slot_cps["point_id"].astype(str))) if len(slot_cps) else ""
        msg = (
            f"point_id: no control point {point_id!r} staffed in slot {slot!r}; "
            f"points in that slot: {known or t['none']}"
        )
        raise InputError(msg)
    return row.iloc[[0]]


def _draw_point(
    m: folium.Map,
    layers: PlanLayers,
    row: gpd.GeoDataFrame,
    *,
    slot: str,
    t: Mapping[str, str],
    title: str,
) -> str:
    """The point and its cover radius; returns the panel's HTML."""
    point = row.geometry.iloc[0]
    cover_m = layers.points.get("cover_m")
    rows = [f"{t['hours']}: {slot}"]
    if cover_m:
        folium.Circle(
            location=[point.y, point.x], radius=float(cover_m), **COVER_STYLE, interactive=False
        ).add_to(m)
        rows.append(t["cover_m"].format(cover_m=float(cover_m)))
    if "covered_weight" in row and row["covered_weight"].notna().all():
        rows.append(f"{t['covered_weight']}: {float(row['covered_weight'].iloc[0]):.1f}")
    GeoJsonLayer(
        feature_collection(row, ["point_id", "slot", "covered_weight"], what="control_points"),
        name=t["control_point"],
        style={**POINT_STYLE, "radius": 10},
        popup=[("slot", t["slot"]), ("covered_weight", t["covered_weight"])],
        popup_title="point_id",
    ).add_to(m)
    return _panel(title, rows, [])
