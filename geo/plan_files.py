"""Reading what earlier runs wrote into a plan folder (control points, for the lines stage)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pyogrio.errors

from geo.errors import InputError

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
