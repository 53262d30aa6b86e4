from __future__ import annotations

import json

import geopandas as gpd
import gpxpy
import numpy as np
import pytest
from shapely.geometry import Point

from geo.export import geojson_text, gpx_text, json_text, write_files


def test_geojson_is_wgs84_plain_and_rounded():
    frame = gpd.GeoDataFrame(
        {"a": [np.int64(3)], "b": [np.nan], "c": [[np.float64(1.5)]]},
        geometry=[Point(385869.7712345, 6671732.952)],
        crs="EPSG:32635",
    )
    doc = json.loads(geojson_text(frame))
    props = doc["features"][0]["properties"]
    assert props == {"a": 3, "b": None, "c": [1.5]}
    lon, lat = doc["features"][0]["geometry"]["coordinates"]
    assert 24.9 < lon < 25.0 and 60.1 < lat < 60.2
    assert lon == round(lon, 7)


def test_gpx_round_trip():
    text = gpx_text("line 1", [(24.9, 60.1), (24.91, 60.11)], waypoints=[("cp-1", 24.9, 60.1)])
    doc = gpxpy.parse(text)
    pts = doc.tracks[0].segments[0].points
    assert [(p.longitude, p.latitude) for p in pts] == [(24.9, 60.1), (24.91, 60.11)]
    assert doc.waypoints[0].name == "cp-1"


def test_write_files_all_or_nothing(tmp_path):
    write_files(tmp_path, {"a.json": json_text({"x": float("inf")}), "sub/b.txt": "b"})
    assert json.loads((tmp_path / "a.json").read_text()) == {"x": None}
    assert (tmp_path / "sub" / "b.txt").read_text() == "b"

    # the second file fails while being written: the first must not replace the old one
    with pytest.raises(TypeError):
        write_files(tmp_path, {"a.json": "new", "c.txt": 42})  # type: ignore[dict-item]
    assert json.loads((tmp_path / "a.json").read_text()) == {"x": None}
    assert not (tmp_path / "c.txt").exists()
    assert not list(tmp_path.glob(".*.tmp"))
