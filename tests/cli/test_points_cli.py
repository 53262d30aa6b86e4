"""`patrol points` on the demo district: properties of the plan and its report."""

from __future__ import annotations

import json

import numpy as np
import pytest

from cli.main import main
from data.demo import DEMO_TIMEZONE, build_demo


@pytest.fixture(scope="module")
def demo_files(tmp_path_factory):
    return build_demo(tmp_path_factory.mktemp("demo"), weeks=10)


def points_args(files, out, *extra):
    return [
        "-q", "points", "--network", str(files.network), "--mode", "walk",
        "--incidents", str(files.incidents), "--timezone", DEMO_TIMEZONE,
        "--count", "5", "--cover-m", "120", "--spacing-m", "150", "--bandwidth-m", "50",
        "--exact-limit-s", "5", "--out", str(out), *extra,
    ]  # fmt: skip


def test_points_plan_and_report(demo_files, tmp_path, capsys):
    out = tmp_path / "pts"
    assert main(points_args(demo_files, out, "--staffing", "2,3,4,5,5,5,4,3")) == 0
    doc = json.loads((out / "points.json").read_text(encoding="utf-8"))
    geo = json.loads((out / "control_points.geojson").read_text(encoding="utf-8"))
    assert [s["staffed"] for s in doc["slots"]] == [2, 3, 4, 5, 5, 5, 4, 3]
    assert len(geo["features"]) == 31
    for key in ("objective", "bound", "gap", "hit_rate", "pai", "pai_road"):
        assert doc[key] is not None
    assert doc["objective"] <= doc["bound"] + 1e-9
    assert 0 <= doc["gap"] < 0.01
    bt = doc["backtest"]
    # the plan beats random sites on the held-out weeks
    assert bt["plan"]["hit_rate"] > bt["baselines"]["random"]["hit_rate"]
    assert bt["plan"]["pai_road"] > bt["baselines"]["random"]["pai_road"]
    # spacing holds between every two distinct points (in metres, UTM)
    from pyproj import Transformer

    to_utm = Transformer.from_crs("EPSG:4326", "EPSG:32635", always_xy=True)
    pts = {
        f["properties"]["point_id"]: to_utm.transform(*f["geometry"]["coordinates"])
        for f in geo["features"]
    }
    xy = np.array(list(pts.values()))
    d = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
    assert d[np.triu_indices(len(xy), 1)].min() >= 150 - 1e-6
    assert "back-test" in capsys.readouterr().out


def test_points_bad_requests(demo_files, tmp_path, capsys):
    out = tmp_path / "bad"
    args = points_args(demo_files, out)
    args[args.index("--count") + 1] = "100000"
    assert main(args) == 2
    assert "larger than" in capsys.readouterr().err
    import pandas as pd

    noon = pd.read_csv(demo_files.incidents).head(200)
    noon["time"] = pd.date_range("2026-09-01 12:00", periods=200, freq="1D").strftime(
        "%Y-%m-%dT12:00:00+03:00"
    )
    noon_file = tmp_path / "noon.csv"
    noon.to_csv(noon_file, index=False)
    args = points_args(demo_files, out)
    args[args.index("--incidents") + 1] = str(noon_file)
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "none of the" in err and "20:00-21:00" in err
    assert not out.exists() or not any(out.iterdir())
