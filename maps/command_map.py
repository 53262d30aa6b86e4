"""The command-center map: the whole night of one plan on one page.

Road coloured by minutes from the nearest post, isochrones, posts, ranked blind spots, incident
heat per slot, control points and patrol lines per slot (a slot selector steps through the
night), a legend and a summary panel. Each layer has one fixed style and rounded, simplified
geometry. At city scale (a 105,000-node network) the page stays quick to open because the road
is joined into strokes across crossings (:mod:`maps._chains`), the road bands and blind spots
are drawn as packed canvas paths, the view is set before any layer is drawn, and the other
slots' heat, points and lines are built only when their slot is first shown.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from typing import Any

import folium
import numpy as np
import shapely
from branca.element import Element

from geo.errors import InputError
from geo.plan_layers import PlanLayers
from maps._layers import (
    OSM,
    TOP_PANE,
    GeoJsonLayer,
    HeatData,
    InitialView,
    LazyLayer,
    PageSetup,
    Panel,
    SlotSelector,
    add_tiles,
    feature_collection,
    page_head,
    to_wgs84,
)
from maps.assets import INLINE, use_local_assets
from maps.i18n import strings

__all__ = [
    "BEYOND_COLOUR",
    "BLIND_SPOT_STYLE",
    "LINE_STYLE",
    "POINT_STYLE",
    "POST_STYLE",
    "WITHIN_COLOURS",
    "command_map",
]

# road within 1, 3, 5 min (green, amber, orange) and beyond the last threshold (red)
WITHIN_COLOURS = ("#1a9641", "#e0b000", "#f07000", "#b8860b", "#8c510a")
BEYOND_COLOUR = "#d7191c"
MIN_HOLE_M2 = 20_000.0  # holes in isochrones smaller than 2 ha (blocks) are not drawn
ISOCHRONE_STYLE = {"color": "#2c7bb6", "weight": 1, "fillColor": "#2c7bb6", "fillOpacity": 0.08}
BLIND_SPOT_STYLE = {"color": "#222222", "weight": 7, "opacity": 0.55, "dashArray": "8 6"}
POST_STYLE = {
    "radius": 9,
    "color": "#ffffff",
    "weight": 2,
    "fillColor": "#08519c",
    "fillOpacity": 1.0,
}
POINT_STYLE = {
    "radius": 7,
    "color": "#000000",
    "weight": 2,
    "fillColor": "#e7298a",
    "fillOpacity": 0.95,
}
LINE_STYLE = {"color": "#6a3d9a", "weight": 4, "opacity": 0.85}
_LABEL_STYLE = {"color": "#222222"}


def _band_label(row: Mapping[str, Any], t: Mapping[str, str]) -> str:
    lo, hi = row.get("minutes_from"), row.get("minutes_to")
    if hi is None or (isinstance(hi, float) and not np.isfinite(hi)):
        return t["road_beyond"].format(minutes=float(lo or 0.0))
    band = f"{float(lo or 0.0):g}-{float(hi):g} {t['minutes']}"
    return t["road_band"].format(band=band)


def _road_layers(
    layers: PlanLayers, t: Mapping[str, str], *, simplify_m: float
) -> list[tuple[GeoJsonLayer, str]]:
    """One layer per response band, in order; with its colour for the legend."""
    frame = layers.road_minutes
    if "minutes_from" in frame:
        frame = frame.sort_values("minutes_from", kind="stable")
    out = []
    within = 0
    for i in range(len(frame)):
        row = frame.iloc[i]
        sub = frame.iloc[[i]]
        beyond = row.get("minutes_to") is None or not np.isfinite(
            float(row.get("minutes_to") if row.get("minutes_to") is not None else np.nan)
        )
        colour = BEYOND_COLOUR if beyond else WITHIN_COLOURS[within % len(WITHIN_COLOURS)]
        within += 0 if beyond else 1
        label = _band_label(row.to_dict(), t)
        data = feature_collection(
            sub,
            ["band", "road_km"],
            what="road_minutes",
            simplify_m=simplify_m,
            merge_lines=True,
        )
        layer = GeoJsonLayer(
            data,
            name=label,
            style={"color": colour, "weight": 3, "opacity": 0.9},
            popup=[("band", t["coverage"]), ("road_km", t["road_km"])],
            packed=True,
        )
        out.append((layer, colour))
    return out


def _isochrone_group(
    layers: PlanLayers, t: Mapping[str, str], *, simplify_m: float
) -> folium.FeatureGroup | None:
    frame = layers.isochrones
    if not len(frame):
        return None
    group = folium.FeatureGroup(name=t["isochrones"], show=True)
    frame = frame.sort_values("minutes", ascending=False) if "minutes" in frame else frame
    for i in range(len(frame)):
        data = feature_collection(
            frame.iloc[[i]],
            ["minutes"],
            what="isochrones",
            simplify_m=simplify_m,
            min_hole_m2=MIN_HOLE_M2,
        )
        GeoJsonLayer(data, name=f"isochrone {i}", style=ISOCHRONE_STYLE, control=False).add_to(
            group
        )
    return group


def _blind_spot_group(
    layers: PlanLayers, t: Mapping[str, str], *, simplify_m: float, labelled: int
) -> folium.FeatureGroup:
    frame = layers.blind_spots
    group = folium.FeatureGroup(name=t["blind_spots"], show=True)
    if not len(frame):
        return group
    if "rank" in frame:
        frame = frame.sort_values("rank", kind="stable")
    titles = [f"{t['blind_spots']} #{r}" for r in frame.get("rank", range(1, len(frame) + 1))]
    data = feature_collection(
        frame,
        ["rank", "road_km", "incidents", "incident_weight"],
        what="blind_spots",
        simplify_m=simplify_m,
        merge_lines=True,
        extra={"title": titles},
    )
    GeoJsonLayer(
        data,
        name="blind spots",
        style=BLIND_SPOT_STYLE,
        popup=[
            ("rank", t["rank"]),
            ("road_km", t["road_km"]),
            ("incidents", t["incidents"]),
            ("incident_weight", t["incident_weight"]),
        ],
        popup_title="title",
        control=False,
        packed=True,
    ).add_to(group)
    top = to_wgs84(frame.head(labelled), what="blind_spots")
    geoms = top.geometry.to_numpy()
    # a point on the road of each zone: the middle of its longest piece (merging a city-wide
    # zone's pieces first took most of a second)
    anchors = shapely.point_on_surface(geoms)
    parts, owner = shapely.get_parts(geoms, return_index=True)
    if len(parts):
        order = np.lexsort((-shapely.length(parts), owner))
        first = order[np.r_[True, owner[order][1:] != owner[order][:-1]]]
        mids = shapely.line_interpolate_point(parts[first], 0.5, normalized=True)
        anchors[owner[first]] = np.where(shapely.is_empty(mids), anchors[owner[first]], mids)
    marks = top.set_geometry(list(anchors), crs=top.crs)
    ranks = [f"#{r}" for r in top.get("rank", range(1, len(top) + 1))]
    label_data = feature_collection(marks, [], what="blind_spots", extra={"label": ranks})
    GeoJsonLayer(
        label_data, name="blind spot ranks", style=_LABEL_STYLE, points="label", control=False
    ).add_to(group)
    return group


def _thresholds(layers: PlanLayers) -> list[float]:
    values = [float(x["minutes"]) for x in layers.coverage.get("thresholds", [])]
    if values:
        return values
    if "minutes_to" in layers.road_minutes:
        return sorted(float(v) for v in layers.road_minutes["minutes_to"].dropna())
    return []


def _posts_layer(layers: PlanLayers, t: Mapping[str, str]) -> GeoJsonLayer | None:
    frame = layers.posts
    if not len(frame):
        return None
    popup: list[tuple[str, str]] = []
    for m in _thresholds(layers):
        key = f"{m:g}min"
        popup.append((f"road_km_{key}", t["road_km_within"].format(minutes=m)))
        popup.append((f"incidents_{key}", t["incidents_within"].format(minutes=m)))
    data = feature_collection(frame, ["id", "name", *[k for k, _ in popup]], what="posts")
    return GeoJsonLayer(
        data,
        name=t["posts"],
        style=POST_STYLE,
        popup=[("id", t["post"]), *popup],
        popup_title="name",
        tooltip="name",
        pane=TOP_PANE,
    )


def _mode_labels(values: Sequence[Any], t: Mapping[str, str]) -> list[Any]:
    return [t.get(str(v), v) if isinstance(v, str) else v for v in values]


def slot_feature_collections(
    layers: PlanLayers, slot: str, t: Mapping[str, str], *, simplify_m: float = 0.0
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Control points and patrol lines of one slot, as compact FeatureCollections."""
    cp = layers.control_points
    cp = cp[cp["slot"] == slot] if len(cp) and "slot" in cp else cp.iloc[:0]
    points = feature_collection(cp, ["point_id", "slot", "covered_weight"], what="control_points")
    pl = layers.patrol_lines
    pl = pl[pl["slot"] == slot] if len(pl) and "slot" in pl else pl.iloc[:0]
    extra = {"mode_label": _mode_labels(list(pl["mode"]), t)} if "mode" in pl else None
    lines = feature_collection(
        pl,
        [
            "line_id",
            "slot",
            "length_km",
            "duration_min",
            "demand_per_km",
            "start_id",
            "control_points",
        ],
        what="patrol_lines",
        simplify_m=simplify_m,
        extra=extra,
    )
    return points, lines


def _legend_html(t: Mapping[str, str], bands: Sequence[tuple[str, str]], has_lines: bool) -> str:
    rows = [f"<h4>{html.escape(t['legend'])}</h4>"]

    def row(swatch: str, label: str) -> None:
        rows.append(f"<div>{swatch}{html.escape(label)}</div>")

    for label, colour in bands:
        row(f"<span class='patrol-swatch' style='border-color:{colour}'></span>", label)
    row(
        "<span class='patrol-swatch area' style='border-color:#2c7bb6;"
        "background:rgba(44,123,182,0.25)'></span>",
        t["isochrones"],
    )
    row(
        "<span class='patrol-swatch' style='border-top:4px dashed #222'></span>",
        t["blind_spots"],
    )
    row(
        f"<span class='patrol-swatch dot' style='border-color:#fff;"
        f"background:{POST_STYLE['fillColor']};box-shadow:0 0 0 1px #08519c'></span>",
        t["posts"],
    )
    row(
        f"<span class='patrol-swatch dot' style='border-color:#000;"
        f"background:{POINT_STYLE['fillColor']}'></span>",
        t["control_points"],
    )
    if has_lines:
        row(
            f"<span class='patrol-swatch' style='border-color:{LINE_STYLE['color']}'></span>",
            t["patrol_lines"],
        )
    row(
        "<span class='patrol-swatch area' style='border-color:#f03;"
        "background:linear-gradient(90deg,blue,cyan,lime,yellow,red)'></span>",
        t["heat"].format(slot=""),
    )
    return "".join(rows)


def _summary_html(layers: PlanLayers, t: Mapping[str, str]) -> str:
    e = html.escape
    out = [f"<h4>{e(t['title_command'])}</h4>"]
    thresholds = layers.coverage.get("thresholds", [])
    if thresholds:
        out.append(
            f"<b>{e(t['coverage'])}</b><table><tr><th></th><th>{e(t['road_share'])}</th>"
            f"<th>{e(t['incident_share'])}</th></tr>"
        )
        for x in thresholds:
            road = x.get("road_share")
            inc = x.get("incident_share")
            out.append(
                f"<tr><td>{e(t['within'].format(minutes=float(x['minutes'])))}</td>"
                f"<td>{'-' if road is None else f'{road:.0%}'}</td>"
                f"<td>{'-' if inc is None else f'{inc:.0%}'}</td></tr>"
            )
        out.append("</table>")
    cp, pl = layers.control_points, layers.patrol_lines
    n_points = int(cp["point_id"].nunique()) if "point_id" in cp else 0
    n_lines = int(pl["line_id"].nunique()) if "line_id" in pl else 0
    out.append(f"<div>{e(t['points_count'].format(points=n_points, staffed=len(cp)))}</div>")
    out.append(f"<div>{e(t['lines_count'].format(lines=n_lines, line_slots=len(pl)))}</div>")
    bt = layers.points.get("backtest")
    out.append(f"<b>{e(t['backtest'])}</b>")
    if bt and bt.get("hit_rate") is not None:
        parts = [t["hit_rate"].format(value=bt["hit_rate"])]
        if bt.get("pai") is not None:
            parts.append(t["pai"].format(value=bt["pai"]))
        out.append(f"<div>{e(', '.join(parts))}</div>")
        for key, base in (bt.get("baselines") or {}).items():
            if base.get("hit_rate") is None:
                continue
            name = t.get(f"baseline_{key}", base.get("name", key))
            out.append(f"<div>{e(t['baseline'].format(name=name, value=base['hit_rate']))}</div>")
    else:
        out.append(f"<div>{e(t['no_backtest'])}</div>")
    return "".join(out)


def _initial_slot(layers: PlanLayers, slots: Sequence[str]) -> int:
    """The slot with the most demand (the peak of the night), else the first."""
    demand = {s.get("slot"): s.get("demand") or 0.0 for s in layers.points.get("slots", [])}
    if not slots or not demand:
        return 0
    return int(np.argmax([float(demand.get(s, 0.0)) for s in slots]))


def command_map(
    layers: PlanLayers,
    *,
    lang: str = "en",
    tiles: str | None = OSM,
    tiles_attribution: str | None = None,
    assets: str = INLINE,
    simplify_m: float = 3.0,
    iso_simplify_m: float = 15.0,
    blind_spot_labels: int = 10,
    heat_radius: int = 14,
) -> folium.Map:
    """The command-center map of one plan.

    Parameters
    ----------
    layers
        The plan (see :func:`geo.plan_files.read_plan_dir`).
    lang
        ``"en"`` or ``"zh"`` (Simplified Chinese) for labels, legend and popups.
    tiles
        ``"osm"`` (OpenStreetMap tiles, needs the internet), a tile URL template such as a
        police intranet tile server (``https://tiles.example/{z}/{x}/{y}.png``), or ``None``
        for no tiles: the road network layers are then the base the map reads on.
    tiles_attribution
        Attribution shown for a custom tile URL.
    assets
        ``"inline"`` (one standalone file) or a base URL the Leaflet files are linked from
        (``"assets/"`` beside the HTML, see :func:`maps.assets.save_map`; a path the API
        serves).
    simplify_m
        Tolerance of the simplification of roads, blind spots and lines, in metres (0: none).
    iso_simplify_m
        The same for the isochrone polygons (for looking at; their holes under 2 ha go too).
    blind_spot_labels
        How many of the worst blind spots get a rank badge on the map.
    heat_radius
        Radius of the incident heat in pixels.

    Returns
    -------
    folium.Map
        Save it with :func:`maps.assets.save_map`.
    """
    t = strings(lang)
    for name, value in (("simplify_m", simplify_m), ("iso_simplify_m", iso_simplify_m)):
        if not value >= 0:
            msg = f"{name}: expected a tolerance >= 0 m, got {value!r}"
            raise InputError(msg)
    west, south, east, north = layers.bounds
    m = folium.Map(
        location=[(south + north) / 2, (west + east) / 2],
        zoom_start=14,
        tiles=None,
        prefer_canvas=True,
        control_scale=True,
    )
    page_head(m, title=t["title_command"])
    extra_css = add_tiles(
        m,
        tiles,
        attribution=tiles_attribution,
        label=t["tiles_custom"],
        osm_label=t["tiles_osm"],
    )
    PageSetup(extra_css=extra_css).add_to(m)
    InitialView([[south, west], [north, east]]).add_to(m)

    iso = _isochrone_group(layers, t, simplify_m=iso_simplify_m)
    if iso is not None:
        iso.add_to(m)
    bands = []
    for layer, colour in _road_layers(layers, t, simplify_m=simplify_m):
        layer.add_to(m)
        bands.append((layer.layer_name, colour))
    _blind_spot_group(layers, t, simplify_m=simplify_m, labelled=blind_spot_labels).add_to(m)

    slots = layers.slots
    initial = _initial_slot(layers, slots)
    incidents = layers.incidents
    if len(incidents):
        incidents = to_wgs84(incidents, what="incidents")
    groups: list[list[Element]] = []
    has_lines = bool(len(layers.patrol_lines))
    for i, slot in enumerate(slots):
        # the other slots' layers are built in the page only when first shown
        members: list[Element] = []
        if len(incidents) and "slot" in incidents:
            sub = incidents[incidents["slot"] == slot]
            weight = sub["weight"].to_numpy(float) if "weight" in sub else np.ones(len(sub))
            if len(sub):
                data = np.column_stack([sub.geometry.y, sub.geometry.x, weight])
                heat = LazyLayer(
                    [HeatData(data, radius=heat_radius, blur=12, min_opacity=0.3)],
                    name=t["heat"].format(slot=slot),
                    show=i == initial,
                )
                heat.add_to(m)
                members.append(heat)
        points, lines = slot_feature_collections(layers, slot, t, simplify_m=simplify_m)
        line_layer = GeoJsonLayer(
            lines,
            name=f"lines {slot}",
            style=LINE_STYLE,
            points="hidden",
            popup=[
                ("line_id", t["line"]),
                ("slot", t["slot"]),
                ("mode_label", t["mode"]),
                ("length_km", t["length_km"]),
                ("duration_min", t["duration_min"]),
                ("demand_per_km", t["demand_per_km"]),
                ("control_points", t["control_points"]),
            ],
            popup_title="line_id",
            control=False,
            pane=TOP_PANE,
        )
        point_layer = GeoJsonLayer(
            points,
            name=f"points {slot}",
            style=POINT_STYLE,
            popup=[("slot", t["slot"]), ("covered_weight", t["covered_weight"])],
            popup_title="point_id",
            tooltip="point_id",
            control=False,
            pane=TOP_PANE,
        )
        group = LazyLayer(
            [line_layer, point_layer],
            name=t["slot_layer"].format(slot=slot),
            show=i == initial,
        )
        group.add_to(m)
        members.append(group)
        groups.append(members)

    posts = _posts_layer(layers, t)
    if posts is not None:
        posts.add_to(m)
    if slots:
        SlotSelector(
            slots, groups, title=t["slot"], all_label=t["all_slots"], initial=initial
        ).add_to(m)
    Panel(_summary_html(layers, t), position="topleft", css_class="patrol-summary").add_to(m)
    Panel(_legend_html(t, bands, has_lines), position="bottomleft").add_to(m)
    folium.LayerControl(collapsed=False, position="topright").add_to(m)
    return use_local_assets(m, assets=assets)
