"""Loading road networks from files, with a hand-written OSM XML whose answer is known."""

from __future__ import annotations

import bz2

import networkx as nx
import osmnx as ox
import pytest

from geo.errors import InputError
from geo.graph import compile_network
from geo.network import load_network

NODES = {
    1: (121.4700, 31.2300),
    2: (121.4750, 31.2300),
    3: (121.4800, 31.2300),
    4: (121.4800, 31.2350),
    5: (121.4750, 31.2250),
    6: (121.4900, 31.2400),
    7: (121.4950, 31.2400),
    8: (121.4650, 31.2300),
    9: (121.4700, 31.2250),
}
WAYS = [
    (101, [1, 2, 3], {"highway": "primary", "name": "Main Road"}),
    (102, [3, 4], {"highway": "residential", "oneway": "yes", "name": "One Way"}),
    (103, [4, 1], {"highway": "residential", "maxspeed": "CN:urban"}),
    (104, [2, 5], {"highway": "footway"}),
    (105, [6, 7], {"highway": "residential"}),
    (106, [1, 8], {"highway": "service", "access": "private"}),
    (107, [1, 9], {"highway": "living_street"}),
]


def osm_xml() -> str:
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="test">']
    for n, (lon, lat) in NODES.items():
        lines.append(f'  <node id="{n}" lat="{lat}" lon="{lon}" version="1"/>')
    for w, refs, tags in WAYS:
        lines.append(f'  <way id="{w}" version="1">')
        lines += [f'    <nd ref="{r}"/>' for r in refs]
        lines += [f'    <tag k="{k}" v="{v}"/>' for k, v in tags.items()]
        lines.append("  </way>")
    lines.append("</osm>")
    return "\n".join(lines)


@pytest.fixture
def osm_file(tmp_path):
    p = tmp_path / "tiny.osm"
    p.write_text(osm_xml(), encoding="utf-8")
    return p


def test_drive_network_from_osm_xml(osm_file):
    loaded = load_network(osm_file, mode="drive")
    G = loaded.graph
    # footway, private service road and the island (6-7) are gone; node 2 is simplified away
    assert set(G.nodes) == {1, 3, 4, 9}
    assert G.has_edge(3, 4) and not G.has_edge(4, 3)  # one-way stays one-way
    assert G.has_edge(1, 3) and G.has_edge(3, 1)
    assert nx.is_strongly_connected(G)
    assert loaded.report.nodes_dropped == 2  # 6 and 7
    assert loaded.report.crs.startswith("EPSG:326")  # UTM
    assert all(d["travel_time"] > 0 and d["speed_kph"] > 0 for *_, d in G.edges(data=True))
    # the implicit CN:urban limit is used on way 103: 50 x 0.8 x 1.1
    speeds = [d["speed_kph"] for u, v, d in G.edges(data=True) if {u, v} == {1, 4}]
    assert speeds == [pytest.approx(44.0)] * 2
    net = compile_network(G)
    assert net.n_segments == 4  # 1-3 two-way, 3->4 one-way, 4-1 and 1-9 two-way


def test_walk_network_is_two_way_and_keeps_footways(osm_file):
    G = load_network(osm_file, mode="walk").graph
    # every way is walkable both ways (3-4 is one-way for cars only)
    assert all(G.has_edge(v, u) for u, v in G.edges())
    assert 5 in G.nodes  # the footway's end
    assert G.number_of_edges() == 8
    assert all(d["speed_kph"] == pytest.approx(5.0) for *_, d in G.edges(data=True))


def test_bz2_and_graphml_round_trip(osm_file, tmp_path):
    bz = tmp_path / "tiny.osm.bz2"
    bz.write_bytes(bz2.compress(osm_file.read_bytes()))
    a = load_network(bz).graph
    gml = tmp_path / "tiny.graphml"
    ox.save_graphml(a, gml)
    b = load_network(gml).graph
    assert set(a.edges(keys=True)) == set(b.edges(keys=True))
    assert b.graph["crs"] == a.graph["crs"]


def test_demo_pbf_drive_network_keeps_one_way_streets(demo_network):
    G = demo_network.graph
    oneway = [(u, v) for u, v, d in G.edges(data=True) if d.get("oneway")]
    assert oneway, "central Helsinki has one-way streets"
    assert any(not G.has_edge(v, u) for u, v in oneway)
    assert nx.is_strongly_connected(G)


@pytest.mark.parametrize(
    ("name", "content", "match"),
    [
        ("empty.osm", b"", "empty"),
        ("bad.osm", b"<osm><node id='1'", "not a readable OSM XML"),
        ("bad.osm.pbf", b"this is not protobuf", "not a readable OSM PBF"),
        ("bad.graphml", b"<graphml>", "not a readable osmnx GraphML"),
        ("roads.shp", b"whatever", "unknown network file type"),
    ],
)
def test_bad_network_files(tmp_path, name, content, match):
    p = tmp_path / name
    p.write_bytes(content)
    with pytest.raises(InputError, match=match):
        load_network(p)


def test_osm_file_without_roads(tmp_path):
    p = tmp_path / "noroads.osm"
    p.write_text(
        '<?xml version="1.0"?><osm version="0.6"><node id="1" lat="31" lon="121"/>'
        '<node id="2" lat="31.01" lon="121"/><way id="9"><nd ref="1"/><nd ref="2"/>'
        '<tag k="waterway" v="river"/></way></osm>',
        encoding="utf-8",
    )
    with pytest.raises(InputError, match="no drive road network"):
        load_network(p)


def test_missing_file_and_offline_place_name(tmp_path):
    with pytest.raises(InputError, match="not found"):
        load_network(tmp_path / "nope.osm.pbf")
    with pytest.raises(InputError, match="--online"):
        load_network("Hefei, Anhui, China")
