"""The maps in a real browser: headless Chromium loads them from 127.0.0.1 with no internet.

Checks: no error in the console, every expected layer in the layer control, a screenshot whose
map is drawn (not a blank page), the slot selector steps through the night. Screenshots go to
pytest's tmp_path (``--basetemp`` to keep them). Needs Debian's ``chromium`` and
``chromium-driver``; skipped, saying so, when they are not installed.
"""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from bench.browser import (
    INSTALL_HINT,
    Browser,
    colour_share,
    drawn_share,
    find_chromium,
    serve,
)
from maps.assets import save_map
from maps.command_map import WITHIN_COLOURS, command_map
from maps.i18n import strings
from maps.officer_map import officer_map
from tests.maps.helpers import decode_polyline, embedded_features

pytestmark = pytest.mark.skipif(
    find_chromium() is None,
    reason=f"headless browser test: chromium/chromedriver not installed ({INSTALL_HINT})",
)

SLOT = "22:00-23:00"
FIND_MAP_JS = """
var map = window[Object.keys(window).find(function (k) { return /^map_[0-9a-f]{32}$/.test(k); })];
"""
# the control points on the map now, as [point_id, ...], read from the Leaflet map itself
SHOWN_POINTS_JS = (
    FIND_MAP_JS
    + """
var shown = [];
map.eachLayer(function (layer) {
    var p = layer.feature && layer.feature.properties;
    if (p && p.point_id !== undefined && layer instanceof L.CircleMarker) {
        shown.push(p.point_id);
    }
});
return shown;
"""
)


def expected_command_layers(plan, lang: str) -> set[str]:
    t = strings(lang)
    names = {t["isochrones"], t["blind_spots"], t["posts"]}
    names |= {t["slot_layer"].format(slot=s) for s in plan.slots}
    names |= {t["heat"].format(slot=s) for s in plan.slots}
    names |= {t["road_band"].format(band=f"{a:g}-{b:g} {t['minutes']}") for a, b in
              ((0, 1), (1, 3), (3, 5))}  # fmt: skip
    names.add(t["road_beyond"].format(minutes=5))
    return names


def _spot_far_from(feature, others) -> tuple[float, float]:
    """(lat, lon) of the segment middle on a drawn line ``feature`` (from the page's data)
    farthest from every geometry of ``others`` (frames, any CRS): a click there lands on that
    line and on nothing drawn above it."""
    enc = feature["geometry"]["enc"]
    lines = [np.array(decode_polyline(text)) for text in ([enc] if isinstance(enc, str) else enc)]
    middles = shapely.points(np.concatenate([(x[1:] + x[:-1]) / 2 for x in lines if len(x) > 1]))
    others = shapely.union_all([o.to_crs("EPSG:4326").geometry.union_all() for o in others])
    best = middles[np.argmax(shapely.distance(middles, others))]
    return best.y, best.x


def _popup_after_click(browser, lat: float, lon: float) -> str:
    """Centre the map on (lat, lon) at zoom 18, click the centre with the mouse, read the popup."""
    from selenium.webdriver.common.action_chains import ActionChains

    browser.run(
        FIND_MAP_JS + f"map.closePopup(); map.setView([{lat}, {lon}], 18, {{animate: false}});"
    )
    container = browser.driver.find_element("css selector", ".leaflet-container")
    ActionChains(browser.driver).move_to_element(container).click().perform()
    return browser.run(
        "var p = document.querySelector('.leaflet-popup-content'); return p ? p.innerText : '';"
    )


def test_maps_in_headless_chromium(plan, tmp_path):
    site = tmp_path / "site"
    with serve(site) as base:
        # an intranet tile server stand-in: the local server answers /tiles/{z}/{x}/{y}.png
        tiles = base + "tiles/{z}/{x}/{y}.png"
        save_map(command_map(plan, lang="en", tiles=None, assets="assets/"), site / "cmd_en.html")
        save_map(command_map(plan, lang="zh", tiles=tiles), site / "cmd_zh.html")  # inline
        save_map(
            officer_map(plan, line_id="L1", slot=SLOT, lang="en", tiles=None, assets="assets/"),
            site / "line_en.html",
        )
        save_map(
            officer_map(plan, point_id="cp-001", slot=SLOT, lang="zh", tiles=tiles),
            site / "point_zh.html",
        )

        with Browser(width=1280, height=860) as browser:
            for name, lang in (("cmd_en", "en"), ("cmd_zh", "zh")):
                report = browser.open(base + f"{name}.html", tmp_path / f"{name}.png")
                assert report.errors == [], report.errors
                assert set(report.layer_names) == expected_command_layers(plan, lang)
                assert drawn_share(report.screenshot) > 0.10
                # the 1-min road in green (blended a little with the isochrones and the heat)
                assert colour_share(report.screenshot, WITHIN_COLOURS[0], tolerance=80) > 0.0008
                # the slot selector: step to the next slot, its layers replace the peak's
                checked = browser.run(
                    "document.querySelector('.patrol-slot button[data-step=\"1\"]').click();"
                    "return Array.from(document.querySelectorAll("
                    "'.leaflet-control-layers-overlays label')).filter("
                    "l => l.querySelector('input').checked).map(l => l.textContent.trim());"
                )
                t = strings(lang)
                slot_names = [n for n in checked if any(s in n for s in plan.slots)]
                assert len(slot_names) == 2 and len({n.split()[-1] for n in slot_names}) == 1
                # that slot's layers were built on the spot (lazily): its points, and only its
                shown = browser.run(SHOWN_POINTS_JS)
                slot = slot_names[0].split()[-1]
                cps = plan.control_points
                assert sorted(shown) == sorted(cps[cps["slot"] == slot]["point_id"])
                assert t["legend"] in browser.run("return document.body.innerText;")
                # popups of the road, the blind spots and the posts, clicked with the mouse
                # (the road and blind spots lie below the canvas of the points and lines)
                drawn = embedded_features((site / f"{name}.html").read_text(encoding="utf-8"))
                top = [plan.posts, plan.control_points, plan.patrol_lines]
                blind = next(f for f in drawn if f["properties"].get("title", "").endswith("#1"))
                spot = _spot_far_from(blind, top)  # blind spots are drawn above all the road
                text = _popup_after_click(browser, *spot)
                assert f"{t['blind_spots']} #1" in text and t["incident_weight"] in text
                first = next(f for f in drawn if f["properties"].get("band") == "0-1 min")
                later = plan.road_minutes[plan.road_minutes["minutes_from"] > 0]  # drawn above
                others = [*top, later, plan.blind_spots]
                text = _popup_after_click(browser, *_spot_far_from(first, others))
                assert t["coverage"] in text and "0-1 min" in text
                post = plan.posts.to_crs("EPSG:4326").iloc[0]
                text = _popup_after_click(browser, post.geometry.y, post.geometry.x)
                assert post["name"] in text and t["road_km_within"].format(minutes=1) in text

        with Browser(width=390, height=844, mobile=True) as phone:
            report = phone.open(base + "line_en.html", tmp_path / "line_en.png")
            assert report.errors == [], report.errors
            t = strings("en")
            assert set(report.layer_names) == {
                t["patrol_line"],
                t["direction"],
                t["control_points"],
                t["stops"],
                t["start"],
            }
            assert report.map_size[0] == 390
            assert drawn_share(report.screenshot) > 0.05
            text = phone.run("return document.body.innerText;")
            assert "Hours: 22:00-23:00" in text and "Turn list" in text
            arrows = phone.run("return document.querySelectorAll('.patrol-arrow').length;")
            assert arrows >= 2

            report = phone.open(base + "point_zh.html", tmp_path / "point_zh.png")
            assert report.errors == [], report.errors
            assert report.layer_names == [strings("zh")["control_point"]]
            assert drawn_share(report.screenshot) > 0.02
