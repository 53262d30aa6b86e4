from __future__ import annotations

import pytest

from geo.errors import InputError
from geo.travel_time import add_travel_times, edge_speed_kph, load_profile, parse_maxspeed
from tests.conftest import build_graph


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("50", 50.0),
        (40, 40.0),
        ("30 mph", 30 * 1.609344),
        ("60 km/h", 60.0),
        (["30", "50"], 40.0),
        ("30;50", 40.0),
        ("CN:urban", 50.0),
        ("RU:rural", 90.0),
        ("XX:urban", 50.0),  # unknown country: the generic urban value
        ("none", None),
        ("signals", None),
        (None, None),
        ("0", None),
    ],
)
def test_parse_maxspeed(value, expected):
    got = parse_maxspeed(value)
    assert got == (pytest.approx(expected) if expected is not None else None)


def test_default_profile_speeds():
    p = load_profile()
    # residential without a tag: class speed x night factor
    assert edge_speed_kph({"highway": "residential"}, p) == pytest.approx(25 * 1.1)
    # a tagged limit is used at the documented share
    assert edge_speed_kph({"highway": "residential", "maxspeed": "40"}, p) == pytest.approx(
        40 * 0.8 * 1.1
    )
    # an unknown class falls back to the default speed
    assert edge_speed_kph({"highway": "bogus"}, p) == pytest.approx(25 * 1.1)
    # a list of classes (simplified edge): the first
    assert edge_speed_kph({"highway": ["primary", "residential"]}, p) == pytest.approx(45 * 1.1)


def test_profile_file_overrides(tmp_path):
    f = tmp_path / "p.toml"
    f.write_text(
        "[speeds_kph]\nresidential = 20\n[options]\nuse_maxspeed = false\nnight_factor = 1.0\n"
        "emergency_factor = 1.5\nmax_speed_kph = 25\n",
        encoding="utf-8",
    )
    p = load_profile(f)
    assert p.source == str(f)
    assert edge_speed_kph({"highway": "residential", "maxspeed": "90"}, p) == pytest.approx(25.0)
    assert edge_speed_kph({"highway": "service"}, p) == pytest.approx(15 * 1.5)


def test_uniform_speed_sets_every_edge():
    G = build_graph({1: (0, 0), 2: (600, 0)}, two_way=[(1, 2)])
    for _, _, d in G.edges(data=True):
        assert d["speed_kph"] == pytest.approx(36.0)
        assert d["travel_time"] == pytest.approx(60.0)


def test_walk_mode_uses_walking_speed():
    G = build_graph({1: (0, 0), 2: (500, 0)}, two_way=[(1, 2)])
    add_travel_times(G, profile=load_profile(), mode="walk")
    d = G.edges[1, 2, 0]
    assert d["travel_time"] == pytest.approx(500 / (5.0 / 3.6))


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("[speeds]\nx = 1\n", "unknown section"),
        ("[options]\nfoo = 1\n", "unknown option"),
        ("[speeds_kph]\nresidential = -5\n", "must be > 0"),
        ("[speeds_kph]\nresidential = 'fast'\n", "expected a number"),
        ("[options]\nuse_maxspeed = 'yes'\n", "true or false"),
        ("not toml at all [", "not a valid TOML"),
    ],
)
def test_bad_profiles(tmp_path, text, match):
    f = tmp_path / "bad.toml"
    f.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=match):
        load_profile(f)


def test_missing_profile(tmp_path):
    with pytest.raises(InputError, match="not found"):
        load_profile(tmp_path / "nope.toml")
