"""Writing geographic results: GeoJSON text in EPSG:4326, and files written all-or-nothing."""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

WGS84 = "EPSG:4326"


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if isinstance(value, list | tuple | np.ndarray):
        return [_plain(v) for v in value]
    return value


def _round(coords: Any, precision: int) -> Any:
    if isinstance(coords, list):
        return [_round(c, precision) for c in coords]
    return round(coords, precision) if isinstance(coords, float) else coords


def geojson_text(frame: gpd.GeoDataFrame, *, precision: int = 7) -> str:
    """A FeatureCollection in EPSG:4326 with plain JSON properties (no NaN, no numpy types)
    and coordinates rounded to ``precision`` decimals (7: about 1 cm)."""
    out = frame.to_crs(WGS84) if frame.crs is not None else frame
    geo = json.loads(out.to_json(drop_id=True, to_wgs84=False))
    for feature in geo["features"]:
        feature["properties"] = {k: _plain(v) for k, v in feature["properties"].items()}
        if precision and feature.get("geometry"):
            geometry = feature["geometry"]
            geometry["coordinates"] = _round(geometry["coordinates"], precision)
    return json.dumps(geo, ensure_ascii=False, allow_nan=False)


def json_text(data: Any) -> str:
    """Pretty JSON with NaN/inf as null."""

    def clean(v: Any) -> Any:
        if isinstance(v, Mapping):
            return {str(k): clean(x) for k, x in v.items()}
        if isinstance(v, list | tuple):
            return [clean(x) for x in v]
        return _plain(v)

    return json.dumps(clean(data), indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def write_files(out_dir: str | Path, files: Mapping[str, str | bytes]) -> list[Path]:
    """Write every file or none: all are written to temporary names first, then renamed.

    A failure while writing leaves the folder as it was (files already there stay intact).
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    staged: list[tuple[Path, Path]] = []
    try:
        for name, content in files.items():
            target = out / name
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
            staged.append((Path(tmp), target))  # before writing: a failed write is cleaned up
            with os.fdopen(fd, "wb") as fh:
                fh.write(content.encode("utf-8") if isinstance(content, str) else content)
            os.chmod(tmp, 0o644)  # mkstemp makes files private; results are for sharing
    except BaseException:
        for tmp, _ in staged:
            tmp.unlink(missing_ok=True)
        raise
    for tmp, target in staged:
        os.replace(tmp, target)
    return [t for _, t in staged]


def gpx_text(
    name: str,
    lonlat: Sequence[tuple[float, float]],
    *,
    description: str = "",
    waypoints: Sequence[tuple[str, float, float]] = (),
) -> str:
    """A GPX 1.1 document with one track (the route, WGS-84 lon/lat pairs) and waypoints
    (name, lon, lat), for officers' devices."""
    import gpxpy.gpx

    doc = gpxpy.gpx.GPX()
    doc.creator = "patrol-planner"
    track = gpxpy.gpx.GPXTrack(name=name, description=description or None)
    segment = gpxpy.gpx.GPXTrackSegment()
    segment.points.extend(
        gpxpy.gpx.GPXTrackPoint(latitude=lat, longitude=lon) for lon, lat in lonlat
    )
    track.segments.append(segment)
    doc.tracks.append(track)
    for wp_name, lon, lat in waypoints:
        doc.waypoints.append(gpxpy.gpx.GPXWaypoint(latitude=lat, longitude=lon, name=wp_name))
    return doc.to_xml(version="1.1")
