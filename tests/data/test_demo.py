"""The demo district: real Helsinki network and posts, SYNTHETIC incidents."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pyproj import Transformer

from data.demo import (
    CATEGORIES,
    DEMO_SEED,
    DemoFiles,
    build_demo,
    demo_network_path,
    farthest_point_nodes,
    make_incidents,
    night_share,
)
from geo.graph import Network, compile_network
from geo.network import load_network
from tests.conftest import tiny_network

WEEKS = 4
PER_WEEK = 300


@pytest.fixture(scope="module")
def net() -> Network:
    return compile_network(load_network(demo_network_path(), mode="drive").graph)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoFiles:
    return build_demo(tmp_path_factory.mktemp("demo"), weeks=WEEKS, incidents_per_week=PER_WEEK)


@pytest.fixture(scope="module")
def incidents(demo: DemoFiles) -> pd.DataFrame:
    return pd.read_csv(demo.incidents)


@pytest.fixture(scope="module")
def posts(demo: DemoFiles) -> pd.DataFrame:
    return pd.read_csv(demo.posts)


def _projected(frame: pd.DataFrame, net: Network) -> tuple[np.ndarray, np.ndarray]:
    to_net = Transformer.from_crs("EPSG:4326", net.crs, always_xy=True)
    x, y = to_net.transform(frame["lon"].to_numpy(), frame["lat"].to_numpy())
    return np.asarray(x), np.asarray(y)


def _inside(x: np.ndarray, y: np.ndarray, net: Network, tol_m: float = 0.5) -> bool:
    minx, miny, maxx, maxy = net.bounds
    return bool(
        (
            (x >= minx - tol_m) & (x <= maxx + tol_m) & (y >= miny - tol_m) & (y <= maxy + tol_m)
        ).all()
    )


def test_files_and_columns(demo: DemoFiles, posts: pd.DataFrame, incidents: pd.DataFrame) -> None:
    assert demo.network.name == "Helsinki.osm.pbf" and demo.network.exists()
    assert demo.posts.name == "posts.csv" and demo.incidents.name == "incidents.csv"
    assert list(posts.columns) == ["id", "name", "lon", "lat", "kind"]
    assert list(incidents.columns) == [
        "incident_id",
        "time",
        "category",
        "lon",
        "lat",
        "synthetic",
    ]
    assert any("SYNTHETIC" in note for note in demo.notes)


def test_same_seed_same_bytes(demo: DemoFiles, tmp_path: Path) -> None:
    again = build_demo(tmp_path, weeks=WEEKS, incidents_per_week=PER_WEEK)
    assert again.incidents.read_bytes() == demo.incidents.read_bytes()
    assert again.posts.read_bytes() == demo.posts.read_bytes()


def test_other_seed_other_incidents(demo: DemoFiles, tmp_path: Path) -> None:
    other = build_demo(tmp_path, seed=DEMO_SEED + 1, weeks=WEEKS, incidents_per_week=PER_WEEK)
    assert other.incidents.read_bytes() != demo.incidents.read_bytes()
    assert other.posts.read_bytes() == demo.posts.read_bytes()  # posts do not depend on the seed


def test_daylight_saving_change(net: Network) -> None:
    # Helsinki leaves summer time on Sunday 2026-10-25 at 04:00 (+03:00) -> 03:00 (+02:00).
    week = make_incidents(
        net, None, seed=DEMO_SEED, weeks=1, incidents_per_week=2000, end_date="2026-10-25"
    )
    assert week["time"].str.endswith("+03:00").any() and week["time"].str.endswith("+02:00").any()
    assert pd.to_datetime(week["time"], utc=True).is_monotonic_increasing


def test_synthetic_column_all_true(incidents: pd.DataFrame) -> None:
    assert incidents["synthetic"].dtype == bool
    assert incidents["synthetic"].all()


def test_count_near_expected(incidents: pd.DataFrame) -> None:
    expected = WEEKS * PER_WEEK  # Poisson: sd = sqrt(1200) ~ 35
    assert abs(len(incidents) - expected) < 5 * expected**0.5
    assert incidents["incident_id"].is_unique


def test_times_in_period_local_offset_and_sorted(incidents: pd.DataFrame) -> None:
    times = pd.to_datetime(incidents["time"], utc=True)
    assert times.is_monotonic_increasing
    local = times.dt.tz_convert("Europe/Helsinki")
    assert local.min() >= pd.Timestamp("2026-10-26", tz="Europe/Helsinki")
    assert local.max() < pd.Timestamp("2026-11-23", tz="Europe/Helsinki")
    # Late November is winter time in Helsinki: UTC+02:00 (late October still +03:00).
    assert incidents["time"].str.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:00\+0[23]:00$").all()


def test_night_holds_the_majority(incidents: pd.DataFrame) -> None:
    share = night_share(incidents["time"])
    assert share > 0.5
    hours = incidents["time"].str.slice(11, 13).astype(int)
    by_hour = hours.value_counts()
    assert by_hour.reindex([5, 6, 7], fill_value=0).sum() < by_hour.reindex([22, 23, 0]).sum() / 3


def test_categories_follow_the_time(incidents: pd.DataFrame) -> None:
    assert set(incidents["category"]) <= set(CATEGORIES)
    hours = incidents["time"].str.slice(11, 13).astype(int)
    night = incidents[hours.isin([20, 21, 22, 23, 0, 1, 2, 3])]["category"]
    day = incidents[hours.between(8, 17)]["category"]
    night_rowdy = night.isin(["fight", "disturbance", "drunk"]).mean()
    day_rowdy = day.isin(["fight", "disturbance", "drunk"]).mean()
    assert night_rowdy > 0.5 > day_rowdy
    assert day.isin(["theft", "traffic"]).mean() > night.isin(["theft", "traffic"]).mean()


def test_everything_inside_the_network_bounds(
    net: Network, posts: pd.DataFrame, incidents: pd.DataFrame
) -> None:
    assert _inside(*_projected(incidents, net), net)
    assert _inside(*_projected(posts, net), net)


def test_posts_are_distinct_nodes(net: Network, posts: pd.DataFrame) -> None:
    assert list(posts["id"]) == [f"post-{i}" for i in range(1, len(posts) + 1)]
    street = posts[posts["kind"] == "street"]
    assert list(street["name"]) == ["Street post 1", "Street post 2"]
    dist, node = net.node_tree.query(np.column_stack(_projected(posts, net)))
    assert len(set(node.tolist())) == len(posts)
    assert (dist[posts["kind"].to_numpy() == "street"] < 0.5).all()  # street posts sit on nodes


def test_farthest_point_on_a_line() -> None:
    # 0 - 1 - 2 - 3 - 4, 600 m (60 s) apart, two-way: from the middle the ends are farthest.
    line = tiny_network(
        {i: (600.0 * i, 0.0) for i in range(5)}, two_way=[(i, i + 1) for i in range(4)]
    )
    mid = int(line.node_index[2])
    picked = farthest_point_nodes(line, start=[], k=3, first=mid)
    assert picked[0] == mid
    assert {int(line.node_ids[i]) for i in picked[1:]} == {0, 4}
    # Every node already a post: nothing more to add.
    assert farthest_point_nodes(line, start=list(range(5)), k=2, first=0) == []
