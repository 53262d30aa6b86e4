"""What the maps draw: the layers of one plan, as plain frames and dicts.

:class:`PlanLayers` is the hand-off between reading a plan folder (see :mod:`maps.load`) and
drawing it (:mod:`maps.command_map`, :mod:`maps.officer_map`). It holds no logic beyond a few
look-ups the maps share: the night's slots in order, the network's bounds, one line's details.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd

from geo.errors import InputError

__all__ = ["PlanLayers"]


def _empty() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(geometry=[], crs="EPSG:4326")


@dataclass(frozen=True, eq=False)
class PlanLayers:
    """The layers of one plan, every frame with an explicit CRS (the files hold EPSG:4326).

    Parameters
    ----------
    road_minutes
        One MultiLineString per response band: ``band``, ``minutes_from``, ``minutes_to``
        (``None`` beyond the last threshold), ``road_km``.
    isochrones
        Nested polygons: ``minutes``, ``road_km``, ``road_share``, ``area_km2``.
    blind_spots
        Ranked zones: ``rank``, ``zone_id``, ``road_km``, ``incidents``, ``incident_weight``.
    posts
        Posts: ``id``, ``name``, ``road_km_<m>min``, ``incidents_<m>min`` per threshold.
    coverage
        What ``coverage.json`` holds (``thresholds``, ``road_km_total``, ...).
    control_points
        One point per control point and slot it is staffed: ``point_id``, ``slot``,
        ``slot_index``, ``covered_weight``.
    points
        What ``points.json`` holds (``slots``, ``backtest``, ``cover_m``, ...), or empty.
    incidents
        Incidents: ``incident_id``, ``weight``, ``slot`` (label or ``None``).
    patrol_lines
        One LineString per line and slot: ``line_id``, ``slot``, ``slot_index``, ``mode``,
        ``length_km``, ``duration_min``, ``control_points``, ...; empty when the plan has none.
    lines
        What ``lines.json`` holds: per line and slot an entry with ``line_id``, ``slot``,
        ``turns`` ([{"street", "distance_m"}]) and ``stops`` ([{"point_id" or "name", "lon",
        "lat", "minutes"}]), as ``{"lines": [...]}`` or a bare list.
    """

    road_minutes: gpd.GeoDataFrame
    isochrones: gpd.GeoDataFrame = field(default_factory=_empty)
    blind_spots: gpd.GeoDataFrame = field(default_factory=_empty)
    posts: gpd.GeoDataFrame = field(default_factory=_empty)
    coverage: Mapping[str, Any] = field(default_factory=dict)
    control_points: gpd.GeoDataFrame = field(default_factory=_empty)
    points: Mapping[str, Any] = field(default_factory=dict)
    incidents: gpd.GeoDataFrame = field(default_factory=_empty)
    patrol_lines: gpd.GeoDataFrame = field(default_factory=_empty)
    lines: Mapping[str, Any] | list[Mapping[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in (
            "road_minutes",
            "isochrones",
            "blind_spots",
            "posts",
            "control_points",
            "incidents",
            "patrol_lines",
        ):
            frame = getattr(self, name)
            if not isinstance(frame, gpd.GeoDataFrame):
                msg = f"{name}: expected a GeoDataFrame, got {type(frame).__name__}"
                raise InputError(msg)
            if len(frame) and frame.crs is None:
                msg = f"{name}: the frame has no CRS; set it (the plan files are EPSG:4326)"
                raise InputError(msg)

    @property
    def slots(self) -> tuple[str, ...]:
        """The night's slot labels in order (from ``points.json``, else from the layers)."""
        labels = [s["slot"] for s in self.points.get("slots", []) if s.get("slot")]
        if labels:
            return tuple(labels)
        seen: dict[str, float] = {}
        for frame in (self.control_points, self.patrol_lines):
            if len(frame) and "slot" in frame:
                order = frame["slot_index"] if "slot_index" in frame else range(len(frame))
                for label, i in zip(frame["slot"], order, strict=True):
                    if isinstance(label, str):
                        seen.setdefault(label, float(i))
        return tuple(sorted(seen, key=lambda s: (seen[s], s)))

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(west, south, east, north) of the road network in EPSG:4326."""
        frame = self.road_minutes
        if not len(frame) or frame.geometry.is_empty.all():
            msg = "road_minutes: no road to draw; the plan's network is empty"
            raise InputError(msg)
        w, s, e, n = frame.to_crs("EPSG:4326").total_bounds
        return float(w), float(s), float(e), float(n)

    def line_details(self, line_id: str, slot: str) -> Mapping[str, Any]:
        """The ``lines.json`` entry of one line in one slot (turns, stops), or ``{}``."""
        entries = self.lines.get("lines", []) if isinstance(self.lines, Mapping) else self.lines
        for entry in entries:
            if str(entry.get("line_id")) == str(line_id) and entry.get("slot") == slot:
                return entry
        return {}
