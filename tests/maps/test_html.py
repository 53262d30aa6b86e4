"""The maps' HTML: every feature once, EPSG:4326 inside the network, no CDN, both languages."""

from __future__ import annotations

import json
import re
import shutil
from collections import Counter

import numpy as np
import pytest

from geo.errors import InputError
from geo.plan_files import read_plan_dir
from maps.assets import INLINE, MissingAssetError, asset_files, save_map, use_local_assets
from maps.command_map import command_map
from maps.i18n import STRINGS, strings
from maps.officer_map import officer_map
from tests.maps.helpers import coordinates, data_blocks, embedded_features, resource_urls

CDN_HOSTS = ("cdn.jsdelivr", "cdnjs", "code.jquery", "bootstrapcdn", "unpkg", "googleapis")


def render(m) -> str:
    return m.get_root().render()


def shows(html: str, text: str) -> bool:
    """``text`` is in the page, as is or JSON-escaped (layer names are \\u-escaped)."""
    return text in html or json.dumps(text)[1:-1] in html


@pytest.fixture(scope="module")
def command_html(plan) -> str:
    return render(command_map(plan, tiles=None, assets="assets/"))


def test_every_point_and_line_once_per_slot(plan, command_html):
    feats = embedded_features(command_html)
    points = Counter(
        (f["properties"]["point_id"], f["properties"]["slot"])
        for f in feats
        if "point_id" in f["properties"] and f["geometry"]["type"] == "Point"
    )
    lines = Counter(
        (f["properties"]["line_id"], f["properties"]["slot"])
        for f in feats
        if "line_id" in f["properties"]
    )
    cps = plan.control_points
    expected_points = Counter(zip(cps["point_id"], cps["slot"], strict=True))
    assert len(expected_points) == len(cps) == 39
    assert points == expected_points
    pl = plan.patrol_lines
    expected_lines = Counter(zip(pl["line_id"], pl["slot"], strict=True))
    assert len(pl) > 8 and lines == expected_lines
    assert set(points.values()) == {1} and set(lines.values()) == {1}


def test_every_data_block_is_read_once(command_html):
    blocks = data_blocks(command_html)
    assert len(blocks) > 10
    reads = Counter(re.findall(r'patrolData\("([\w-]+)"\)', command_html))
    assert reads == Counter(dict.fromkeys(blocks, 1))


def test_every_night_incident_once_in_its_slots_heat(plan, command_html):
    """The heat of each slot (built in the page only when its slot is shown) holds exactly
    that slot's incidents."""
    t = strings("en")
    layer_of = dict(re.findall(r'"([^"]+)" : (patrol_lazy_\w+),', command_html))
    blocks = data_blocks(command_html)
    incidents = plan.incidents.to_crs("EPSG:4326")
    assert len(incidents) > 100
    for slot in plan.slots:
        rows = blocks[layer_of[t["heat"].format(slot=slot)] + "_0"]
        sub = incidents[incidents["slot"] == slot]
        xyw = np.column_stack([sub.geometry.y, sub.geometry.x, sub["weight"]])
        expected = Counter(map(tuple, np.round(xyw, 5).tolist()))  # 5 decimals: about 1 m
        assert len(sub) > 0 and Counter(map(tuple, rows)) == expected


def test_coordinates_are_wgs84_inside_the_network(plan, command_html):
    west, south, east, north = plan.bounds
    assert -180 <= west < east <= 180 and -90 <= south < north <= 90
    tol = 1e-4  # rounding to 5 decimals, plus a margin
    checked = 0
    for f in embedded_features(command_html):
        props = f["properties"]
        if not ({"point_id", "line_id", "band", "rank", "label"} & props.keys()):
            continue  # isochrones are buffers: they reach a little beyond the road
        for lon, lat in coordinates(f["geometry"]):
            assert west - tol <= lon <= east + tol and south - tol <= lat <= north + tol
            checked += 1
    assert checked > 300


def test_no_cdn_only_packaged_assets(plan, command_html):
    urls = resource_urls(command_html)
    assert urls and all(u.startswith("assets/") or u.startswith("data:") for u in urls)
    assert not any(host in command_html for host in CDN_HOSTS)
    inline = render(command_map(plan, tiles=None))
    assert [u for u in resource_urls(inline) if not u.startswith("data:")] == []
    # the files are inside (Leaflet.heat's own code, not only our calls to it)
    assert "simpleheat" in inline and "Leaflet 1.9" in inline
    assert not any(host in inline for host in CDN_HOSTS)


def test_tiles_setting(plan):
    url = "https://tiles.police.example/{z}/{x}/{y}.png"
    custom = render(command_map(plan, tiles=url, tiles_attribution="Police GIS"))
    assert url in custom and "openstreetmap" not in custom.lower().replace("\\u003c", "")
    osm = render(command_map(plan))
    assert "tile.openstreetmap.org/{z}/{x}/{y}.png" in osm
    bare = render(command_map(plan, tiles=None))
    assert "L.tileLayer" not in bare and "#f2efe9" in bare
    for html in (custom, osm):
        # the only http(s) URL a browser fetches is the tile template
        assert [u for u in resource_urls(html) if u.startswith("http")] == []
    with pytest.raises(ValueError, match="tiles"):
        command_map(plan, tiles="https://tiles.example/no-template.png")


def test_chinese_labels(plan):
    zh = render(command_map(plan, lang="zh", tiles=None))
    for word in ("街面警务站", "盲区", "点位与巡线", "警情热力", "图例", "命中率", "分钟可达道路"):
        assert shows(zh, word), word
    en = render(command_map(plan, lang="en", tiles=None))
    assert not shows(en, "街面警务站") and shows(en, "Street police posts")
    officer = render(officer_map(plan, line_id="L1", slot="22:00-23:00", lang="zh", tiles=None))
    assert all(shows(officer, w) for w in ("行驶路线", "时段", "起点"))
    assert set(STRINGS["en"]) == set(STRINGS["zh"])
    with pytest.raises(InputError, match="lang"):
        strings("fr")


def test_officer_map_line(plan, tmp_path):
    m = officer_map(plan, line_id="L1", slot="22:00-23:00", tiles=None, assets="assets/")
    files = save_map(m, tmp_path / "officer.html")
    html = files[0].read_text(encoding="utf-8")
    assert files[0].stat().st_size < 300_000
    assert (tmp_path / "assets" / "leaflet.js").exists()
    assert 'name="viewport"' in html and "width=device-width" in html
    feats = embedded_features(html)
    lines = [f for f in feats if "line_id" in f["properties"]]
    assert [(f["properties"]["line_id"], f["properties"]["slot"]) for f in lines] == [
        ("L1", "22:00-23:00")
    ]
    row = plan.patrol_lines[
        (plan.patrol_lines["line_id"] == "L1") & (plan.patrol_lines["slot"] == "22:00-23:00")
    ].iloc[0]
    on_line = {f["properties"]["point_id"] for f in feats if "point_id" in f["properties"]}
    assert on_line == set(row["control_points"])
    assert sum("bearing" in f["properties"] for f in feats) >= 2  # direction arrows
    for text in ("Start", "Mannerheimintie", "Night market", "Hours: 22:00-23:00"):
        assert text in html
    inline = render(officer_map(plan, line_id="L1", slot="22:00-23:00"))
    assert len(inline.encode()) < 300_000 + len(asset_files()["leaflet.js"]) + 20_000
    assert "L.heatLayer" not in inline  # the heat plugin only where a heat map is drawn


def test_officer_map_point(plan):
    html = render(officer_map(plan, point_id="cp-001", slot="22:00-23:00", tiles=None))
    feats = [f for f in embedded_features(html) if "point_id" in f["properties"]]
    assert [f["properties"]["point_id"] for f in feats] == ["cp-001"]
    assert "L.circle(" in html  # the cover radius


def test_officer_map_bad_requests(plan):
    with pytest.raises(InputError, match="exactly one"):
        officer_map(plan, line_id="L1", point_id="cp-001", slot="22:00-23:00")
    with pytest.raises(InputError, match="exactly one"):
        officer_map(plan, slot="22:00-23:00")
    with pytest.raises(InputError, match="lines in that slot: L1"):
        officer_map(plan, line_id="L9", slot="22:00-23:00")
    with pytest.raises(InputError, match="not a slot of this plan"):
        officer_map(plan, line_id="L1", slot="12:00-13:00")
    with pytest.raises(InputError, match="points in that slot"):
        officer_map(plan, point_id="cp-999", slot="22:00-23:00")


def test_plan_without_lines(demo_dir, tmp_path):
    folder = tmp_path / "no_lines"
    shutil.copytree(demo_dir, folder)
    for name in ("patrol_lines.geojson", "lines.json"):
        (folder / name).unlink(missing_ok=True)
    layers = read_plan_dir(folder)
    assert len(layers.patrol_lines) == 0
    html = render(command_map(layers, tiles=None))
    assert not [f for f in embedded_features(html) if "line_id" in f["properties"]]
    assert "Patrol lines: 0 (0 line-slots)" in html
    with pytest.raises(InputError, match="no patrol lines"):
        officer_map(layers, line_id="L1", slot="22:00-23:00")


def test_demo_as_written_by_patrol_demo(demo_dir):
    """The demo's own patrol lines (planner.patrol_lines), once that planner writes them."""
    if not (demo_dir / "patrol_lines.geojson").exists():
        pytest.skip("patrol demo writes no patrol_lines.geojson yet")
    layers = read_plan_dir(demo_dir)
    html = render(command_map(layers, tiles=None))
    lines = Counter(
        (f["properties"]["line_id"], f["properties"]["slot"])
        for f in embedded_features(html)
        if "line_id" in f["properties"]
    )
    pl = layers.patrol_lines
    assert lines == Counter(zip(pl["line_id"], pl["slot"], strict=True))
    first = pl.iloc[0]
    officer = render(officer_map(layers, line_id=first["line_id"], slot=first["slot"]))
    assert len(officer.encode()) < 300_000 + len(asset_files()["leaflet.js"]) + 20_000
    details = layers.line_details(first["line_id"], first["slot"])
    for turn in details.get("turns", [])[:3]:
        assert shows(officer, turn["street"])


def test_read_plan_dir_errors(tmp_path):
    with pytest.raises(InputError, match="not a folder"):
        read_plan_dir(tmp_path / "missing")
    with pytest.raises(InputError, match="road_minutes.geojson"):
        read_plan_dir(tmp_path)


def test_assets_come_from_installed_packages(plan, tmp_path):
    files = asset_files()
    assert {"leaflet.js", "leaflet.css", "leaflet-heat.js", "images/layers.png"} <= set(files)
    assert b"L.heatLayer" in files["leaflet-heat.js"]
    written = save_map(command_map(plan, tiles=None, assets="assets/"), tmp_path / "c.html")
    assert {p.relative_to(tmp_path).as_posix() for p in written} >= {
        "c.html",
        "assets/leaflet.js",
        "assets/leaflet.css",
        "assets/leaflet-heat.js",
        "assets/images/layers.png",
    }
    served = save_map(command_map(plan, tiles=None, assets="/maps/assets/"), tmp_path / "d.html")
    assert served == [tmp_path / "d.html"]  # the API serves them
    with pytest.raises(ValueError, match="base URL"):
        command_map(plan, assets="assets")


def test_unknown_plugin_is_refused_not_linked_from_a_cdn(plan):
    import folium
    from folium.plugins import MiniMap

    m = folium.Map(tiles=None)
    MiniMap().add_to(m)
    with pytest.raises(MissingAssetError, match="no installed package"):
        use_local_assets(m, assets=INLINE)
