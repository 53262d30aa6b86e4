"""Reading what earlier runs wrote into a plan folder: the control points (for the lines
stage) and every layer of a plan (for the maps)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import geopandas as gpd
import pyogrio.errors

from geo.errors import InputError
from geo.plan_layers import PlanLayers

CONTROL_POINTS_FILE = "control_points.geojson"
_NEEDED = ("point_id", "slot")


def read_control_points(path: str | Path) -> gpd.GeoDataFrame:
    """Staffed control points (one row per point and slot) from ``control_points.geojson`` or a
    folder holding it; columns ``point_id``, ``slot`` (label), ``geometry`` (EPSG:4326)."""
    p = Path(path)
    if p.is_dir():
        p = p / CONTROL_POINTS_FILE
    if not p.is_file():
        msg = f"{p}: control points file not found (run `patrol points` first)"
        raise InputError(msg)
    try:
        frame = gpd.read_file(p)
    except (pyogrio.errors.DataSourceError, ValueError) as exc:
        msg = f"{p}: not a readable GeoJSON file ({exc})"
        raise InputError(msg) from None
    missing = [c for c in _NEEDED if c not in frame.columns]
    if missing:
        msg = f"{p}: missing column(s) {missing}; columns present: {list(frame.columns)}"
        raise InputError(msg)
    if frame.crs is None:
        frame = frame.set_crs("EPSG:4326")
    return frame


_FRAMES = {
    "road_minutes": "road_minutes.geojson",
    "isochrones": "isochrones.geojson",
    "blind_spots": "blind_spots.geojson",
    "posts": "posts.geojson",
    "control_points": "control_points.geojson",
    "incidents": "incidents.geojson",
    "patrol_lines": "patrol_lines.geojson",
}
_DICTS = {"coverage": "coverage.json", "points": "points.json", "lines": "lines.json"}
_REQUIRED = ("road_minutes.geojson",)


def _frame(path: Path) -> gpd.GeoDataFrame:
    if not path.exists():
        return gpd.GeoDataFrame(geometry=[], crs="EPSG:4326")
    frame = gpd.read_file(path)
    if frame.crs is None:  # RFC 7946 GeoJSON is EPSG:4326 by definition
        frame = frame.set_crs("EPSG:4326")
    return frame


def _json(path: Path) -> Any:
    if not path.exists():
        return {}
    with path.open(encoding="utf-8") as f:
        return json.load(f)


def read_plan_dir(path: str | Path) -> PlanLayers:
    """Read the GeoJSON and JSON files a plan folder holds.

    Parameters
    ----------
    path
        A folder written by ``patrol coverage`` / ``patrol points`` / ``patrol demo``; it must
        hold at least ``road_minutes.geojson``.

    Returns
    -------
    PlanLayers
        The layers; absent optional files give empty frames or dicts.
    """
    folder = Path(path)
    if not folder.is_dir():
        msg = f"plan folder: {str(folder)!r} is not a folder"
        raise InputError(msg)
    missing = [name for name in _REQUIRED if not (folder / name).exists()]
    if missing:
        msg = f"plan folder: {str(folder)!r} lacks {', '.join(missing)} (run `patrol coverage`)"
        raise InputError(msg)
    frames = {key: _frame(folder / name) for key, name in _FRAMES.items()}
    dicts = {key: _json(folder / name) for key, name in _DICTS.items()}
    return PlanLayers(**frames, **dicts)
