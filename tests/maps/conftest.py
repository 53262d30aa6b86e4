"""The demo plan behind session fixtures, with synthetic patrol lines and blind spots added.

The demo (``patrol demo``) has no patrol lines yet and, its posts covering everything, no blind
spots; the maps must draw both, so a copy of its folder gets a small ``patrol_lines.geojson`` /
``lines.json`` (loops through two or three of each slot's control points) and two blind spots
cut from the road of the longest band.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import geopandas as gpd
import pytest
import shapely

from cli.main import main
from geo.plan_files import read_plan_dir
from geo.plan_layers import PlanLayers


def add_synthetic_lines(folder: Path) -> None:
    """Write patrol_lines.geojson and lines.json: per slot, one or two loops through its points."""
    cps = gpd.read_file(folder / "control_points.geojson")
    features, entries = [], []
    for slot, group in cps.groupby("slot", sort=False):
        group = group.sort_values("point_id")
        chunks = [group.iloc[:3], group.iloc[3:6]] if len(group) >= 5 else [group.iloc[:3]]
        for k, chunk in enumerate(chunks):
            if len(chunk) < 2:
                continue
            coords = [(p.x, p.y) for p in chunk.geometry]
            coords.append(coords[0])  # a closed loop back to the start
            line_id = f"L{k + 1}"
            ids = list(chunk["point_id"])
            length_km = shapely.LineString(coords).length * 60.0  # rough, degrees to km
            features.append(
                {
                    "type": "Feature",
                    "properties": {
                        "line_id": line_id,
                        "slot": slot,
                        "slot_index": int(chunk["slot_index"].iloc[0]),
                        "mode": "walk" if k else "drive",
                        "length_km": round(length_km, 3),
                        "duration_min": 45.0,
                        "demand": 12.5,
                        "demand_per_km": round(12.5 / max(length_km, 0.01), 3),
                        "start_id": ids[0],
                        "control_points": ids,
                    },
                    "geometry": {"type": "LineString", "coordinates": coords},
                }
            )
            entries.append(
                {
                    "line_id": line_id,
                    "slot": slot,
                    "turns": [
                        {"street": "Mannerheimintie", "distance_m": 420.0},
                        {"street": "Kaivokatu", "distance_m": 1250.0},
                        {"street": "", "distance_m": 80.0},
                    ],
                    "stops": [
                        {"point_id": ids[0], "lon": coords[0][0], "lat": coords[0][1], "minutes": 15},
                        {"name": "Night market", "lon": coords[1][0], "lat": coords[1][1],
                         "minutes": 10},
                    ],
                }
            )  # fmt: skip
    (folder / "patrol_lines.geojson").write_text(
        json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8"
    )
    (folder / "lines.json").write_text(json.dumps({"lines": entries}), encoding="utf-8")


def add_synthetic_blind_spots(folder: Path) -> None:
    """Two ranked blind spots: the two longest pieces of the longest band's road."""
    roads = gpd.read_file(folder / "road_minutes.geojson")
    longest = roads.sort_values("road_km").iloc[-1].geometry  # the most road: many pieces
    parts = sorted(shapely.get_parts(shapely.line_merge(longest)), key=lambda g: -g.length)[:2]
    frame = gpd.GeoDataFrame(
        {
            "rank": [1, 2],
            "zone_id": [1, 2],
            "road_km": [0.4, 0.2],
            "incidents": [7, 3],
            "incident_weight": [9.5, 3.0],
            "segments": [3, 1],
        },
        geometry=[shapely.MultiLineString([p]) for p in parts],
        crs="EPSG:4326",
    )
    frame.to_file(folder / "blind_spots.geojson", driver="GeoJSON")


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo plan as `patrol demo` writes it (no patrol lines, no blind spots)."""
    out = tmp_path_factory.mktemp("maps") / "demo"
    assert main(["-q", "demo", "--out", str(out)]) == 0
    return out


@pytest.fixture(scope="session")
def plan_dir(demo_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo plan with synthetic patrol lines and blind spots."""
    out = tmp_path_factory.mktemp("maps") / "plan"
    shutil.copytree(demo_dir, out)
    add_synthetic_lines(out)
    add_synthetic_blind_spots(out)
    return out


@pytest.fixture(scope="session")
def plan(plan_dir: Path) -> PlanLayers:
    return read_plan_dir(plan_dir)
