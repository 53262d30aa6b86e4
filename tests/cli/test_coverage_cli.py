"""The `patrol coverage` command end to end on a hand-written OSM file."""

from __future__ import annotations

import json

import pytest

from cli.main import main
from tests.geo.test_network import NODES, osm_xml


@pytest.fixture
def inputs(tmp_path):
    net = tmp_path / "city.osm"
    net.write_text(osm_xml(), encoding="utf-8")
    posts = tmp_path / "posts.csv"
    lon, lat = NODES[1]
    posts.write_text(f"id,name,lon,lat\nP1,North post,{lon},{lat}\n", encoding="utf-8")
    incidents = tmp_path / "incidents.csv"
    rows = ["id,time,category,lon,lat"]
    for i, n in enumerate([1, 3, 4, 9]):
        lon, lat = NODES[n]
        rows.append(f"i{i},2026-11-0{i + 1} 22:1{i}:00,theft,{lon + 0.0001},{lat}")
    incidents.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return tmp_path, net, posts, incidents


def run(*args: str) -> int:
    return main(["-q", *args])


def test_coverage_writes_results(inputs, capsys):
    tmp, net, posts, incidents = inputs
    out = tmp / "out"
    code = run(
        "coverage", "--network", str(net), "--posts", str(posts), "--incidents", str(incidents),
        "--timezone", "Asia/Shanghai", "--thresholds", "0.5,1,30", "--out", str(out),
    )  # fmt: skip
    assert code == 0
    doc = json.loads((out / "coverage.json").read_text(encoding="utf-8"))
    ths = doc["thresholds"]
    assert [t["minutes"] for t in ths] == [0.5, 1.0, 30.0]
    shares = [t["road_share"] for t in ths]
    assert shares == sorted(shares) and 0 < shares[0] < 1
    assert shares[-1] == pytest.approx(1.0)  # 30 min reaches this whole small town
    assert ths[-1]["incidents"] == 4 and ths[-1]["incident_share"] == pytest.approx(1.0)
    assert doc["posts"][0]["id"] == "P1"
    assert doc["road_km_total"] > 0
    iso = json.loads((out / "isochrones.geojson").read_text(encoding="utf-8"))
    assert len(iso["features"]) == 3
    lon, lat = iso["features"][0]["geometry"]["coordinates"][0][0]
    assert 121.4 < lon < 121.6 and 31.1 < lat < 31.3  # EPSG:4326
    assert "minutes" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("posts_text", "match"),
    [
        ("id,name,x,y\nP1,a,1,2\n", "posts.csv"),
        ("id,lon,lat\nP1,abc,31.2\n", "line 2"),
        ("id,lon,lat\n", "no data rows"),
        ("id,lon,lat\nP1,0.0,0.0\n", "from the road network"),
    ],
)
def test_bad_posts_exit_2_and_write_nothing(inputs, capsys, posts_text, match):
    tmp, net, posts, _ = inputs
    posts.write_text(posts_text, encoding="utf-8")
    out = tmp / "out"
    code = run("coverage", "--network", str(net), "--posts", str(posts), "--out", str(out))
    assert code == 2
    err = capsys.readouterr().err
    assert "error:" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    import re

    assert re.search(match, err)
    assert not out.exists() or not any(out.iterdir())


def test_failed_run_keeps_earlier_results(inputs, capsys):
    tmp, net, posts, incidents = inputs
    out = tmp / "out"
    args = ["coverage", "--network", str(net), "--posts", str(posts), "--out", str(out)]
    assert run(*args) == 0
    before = (out / "coverage.json").read_bytes()
    incidents.write_text("id,time,lon,lat\na,not a time,121.47,31.23\n", encoding="utf-8")
    code = run(*args, "--incidents", str(incidents), "--timezone", "Asia/Shanghai")
    assert code == 2
    err = capsys.readouterr().err
    assert "incidents.csv" in err and "line 2" in err and "time" in err
    assert (out / "coverage.json").read_bytes() == before
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]


def test_missing_network_and_naive_times(inputs, capsys):
    tmp, _, posts, incidents = inputs
    assert run("coverage", "--network", str(tmp / "nope.osm"), "--posts", str(posts),
               "--out", str(tmp / "o")) == 2  # fmt: skip
    assert "not found" in capsys.readouterr().err
    net = tmp / "city.osm"
    assert run("coverage", "--network", str(net), "--posts", str(posts),
               "--incidents", str(incidents), "--out", str(tmp / "o")) == 2  # fmt: skip
    assert "--timezone" in capsys.readouterr().err


@pytest.mark.parametrize("command", [[], ["coverage"], ["points"], ["lines"], ["plan"], ["demo"]])
def test_help(command, capsys):
    with pytest.raises(SystemExit) as exc:
        main([*command, "--help"])
    assert exc.value.code == 0
    assert "usage: patrol" in capsys.readouterr().out


def test_outputs_for_maps(inputs):
    tmp, net, posts, incidents = inputs
    out = tmp / "out"
    assert run("coverage", "--network", str(net), "--posts", str(posts), "--out", str(out),
               "--thresholds", "0.5,1,30") == 0  # fmt: skip
    bands = json.loads((out / "road_minutes.geojson").read_text(encoding="utf-8"))
    assert [f["properties"]["band"] for f in bands["features"]] == [
        "0-0.5 min", "0.5-1 min", "1-30 min", "> 30 min",
    ]  # fmt: skip
    doc = json.loads((out / "coverage.json").read_text(encoding="utf-8"))
    km = sum(f["properties"]["road_km"] for f in bands["features"])
    assert km == pytest.approx(doc["road_km_total"])
    posts_out = json.loads((out / "posts.geojson").read_text(encoding="utf-8"))
    assert posts_out["features"][0]["properties"]["id"] == "P1"
    assert (out / "posts.geojson").stat().st_mode & 0o044  # readable by others
