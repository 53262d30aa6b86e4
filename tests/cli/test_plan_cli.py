"""`patrol lines` and `patrol plan` on the demo district: files, properties, bad input."""

from __future__ import annotations

import json

import gpxpy
import pytest

from cli.main import main
from data.demo import DEMO_TIMEZONE, build_demo


@pytest.fixture(scope="module")
def demo_files(tmp_path_factory):
    return build_demo(tmp_path_factory.mktemp("demo"), weeks=8)


@pytest.fixture(scope="module")
def plan_dir(demo_files, tmp_path_factory):
    out = tmp_path_factory.mktemp("plan")
    code = main([
        "-q", "plan", "--network", str(demo_files.network), "--posts", str(demo_files.posts),
        "--incidents", str(demo_files.incidents), "--timezone", DEMO_TIMEZONE,
        "--points-mode", "walk", "--lines-mode", "walk", "--slots", "22-02",
        "--points", "4", "--cover-m", "120", "--spacing-m", "150", "--bandwidth-m", "50",
        "--exact-limit-s", "5", "--lines", "2", "--min-km", "1", "--max-km", "2.5",
        "--response-min", "1", "--out", str(out),
    ])  # fmt: skip
    assert code == 0
    return out


def test_plan_ties_the_stages(plan_dir):
    doc = json.loads((plan_dir / "plan.json").read_text(encoding="utf-8"))
    for name in doc["files"].values():
        assert (plan_dir / name).exists(), name
    nc = doc["night_coverage"]
    # points and lines only add sources: coverage can only rise
    assert nc["posts"] <= nc["posts_points"] <= nc["posts_points_lines"] <= 1.0
    assert nc["posts_points"] > nc["posts"]  # 1 minute from two posts leaves room
    assert [s["slot"] for s in doc["slots"]] == ["22:00-23:00", "23:00-00:00", "00:00-01:00",
                                                 "01:00-02:00"]  # fmt: skip


def test_lines_are_within_bounds_and_start_at_posts_or_points(plan_dir):
    lines = json.loads((plan_dir / "patrol_lines.geojson").read_text(encoding="utf-8"))
    points = json.loads((plan_dir / "control_points.geojson").read_text(encoding="utf-8"))
    posts = json.loads((plan_dir / "posts.geojson").read_text(encoding="utf-8"))
    starts = {f["properties"]["id"] for f in posts["features"]}
    starts |= {f["properties"]["point_id"] for f in points["features"]}
    assert len(lines["features"]) == 2 * 4
    for f in lines["features"]:
        p = f["properties"]
        assert 1.0 - 1e-6 <= p["length_km"] <= 2.5 + 1e-6
        assert p["start_id"] in starts
        coords = f["geometry"]["coordinates"]
        assert coords[0] == coords[-1]  # a loop
    doc = json.loads((plan_dir / "lines.json").read_text(encoding="utf-8"))
    assert doc["quality"]["vs_random_walks"] > 1.0
    first = doc["lines"][0]
    assert first["turns"] and all(t["distance_m"] > 0 for t in first["turns"])
    assert all(10 <= s["minutes"] <= 15 for s in first["stops"])


def test_gpx_per_line_and_slot(plan_dir):
    files = sorted((plan_dir / "gpx").glob("*.gpx"))
    assert len(files) == 8
    doc = gpxpy.parse(files[0].read_text(encoding="utf-8"))
    pts = doc.tracks[0].segments[0].points
    assert len(pts) > 2 and (pts[0].latitude, pts[0].longitude) == (
        pts[-1].latitude, pts[-1].longitude,
    )  # fmt: skip


def test_lines_alone_from_a_points_folder(plan_dir, demo_files, tmp_path):
    out = tmp_path / "lines"
    code = main([
        "-q", "lines", "--network", str(demo_files.network), "--mode", "walk",
        "--incidents", str(demo_files.incidents), "--timezone", DEMO_TIMEZONE,
        "--points", str(plan_dir), "--slots", "22-02", "--count", "1",
        "--min-km", "1", "--max-km", "2", "--out", str(out),
    ])  # fmt: skip
    assert code == 0
    lines = json.loads((out / "patrol_lines.geojson").read_text(encoding="utf-8"))
    assert len(lines["features"]) == 4


@pytest.mark.parametrize(
    ("extra", "match"),
    [
        (["--min-km", "3", "--max-km", "2"], "need 0 < min <= max"),
        (["--min-km", "1", "--max-km", "2", "--slots", "20-22"], "not among this run's slots"),
    ],
)
def test_lines_bad_input(plan_dir, demo_files, tmp_path, capsys, extra, match):
    out = tmp_path / "bad"
    code = main([
        "-q", "lines", "--network", str(demo_files.network), "--mode", "walk",
        "--incidents", str(demo_files.incidents), "--timezone", DEMO_TIMEZONE,
        "--points", str(plan_dir), "--count", "1", "--out", str(out), *extra,
    ])  # fmt: skip
    assert code == 2
    assert match in capsys.readouterr().err
    assert not out.exists()


def test_lines_need_a_start(demo_files, tmp_path, capsys):
    code = main([
        "-q", "lines", "--network", str(demo_files.network), "--mode", "walk",
        "--incidents", str(demo_files.incidents), "--timezone", DEMO_TIMEZONE,
        "--count", "1", "--min-km", "1", "--max-km", "2", "--out", str(tmp_path / "o"),
    ])  # fmt: skip
    assert code == 2
    assert "places to start" in capsys.readouterr().err
