"""The active plan: dispatch ranks the control points staffed in the incident's slot."""

from __future__ import annotations

from collections import Counter

import networkx as nx
import numpy as np
import pytest
from pyproj import Transformer

from api.schemas import DispatchResponse
from planner.coverage import position_times
from tests.api.conftest import FAST_PLAN
from tests.api.test_dispatch import _points_on_network


@pytest.fixture
def active(client, auth, done_plan):
    """The finished demo plan made active for one test, then no plan active again."""
    r = client.put("/v1/active-plan", json={"plan_id": done_plan["id"]}, headers=auth)
    assert r.status_code == 200, r.text
    try:
        yield r.json()
    finally:
        client.delete("/v1/active-plan", headers=auth)


def _staffed(client, auth, plan_id: str) -> dict[str, list[dict]]:
    layer = client.get(f"/v1/plans/{plan_id}/layers/control_points.geojson", headers=auth).json()
    out: dict[str, list[dict]] = {}
    for f in layer["features"]:
        out.setdefault(f["properties"]["slot"], []).append(f)
    return out


def _at(slot: str) -> str:
    """A local time inside a slot label like "22:00-23:00" (naive: the plan's local time)."""
    hh, mm = slot.split("-")[0].split(":")
    return f"2026-11-27T{hh}:{int(mm) + 10:02d}:00"


def test_no_active_plan_at_first(client, auth, city):
    assert client.get("/v1/active-plan", headers=auth).status_code == 404
    lon, lat = _points_on_network(city, 1, seed=10)[0]
    r = client.post("/v1/dispatch/nearest", json={"lon": lon, "lat": lat, "k": 3})
    assert r.status_code == 200
    assert r.json()["active_plan"] is None


def test_activation_needs_a_key_and_a_finished_plan(client, auth):
    assert client.put("/v1/active-plan", json={"plan_id": "0" * 32}).status_code == 401
    r = client.put("/v1/active-plan", json={"plan_id": "0" * 32}, headers=auth)
    assert r.status_code == 404 and "not found" in r.json()["detail"]
    running = client.post("/v1/plans", json=FAST_PLAN, headers=auth)
    r = client.put("/v1/active-plan", json={"plan_id": running.json()["id"]}, headers=auth)
    assert r.status_code in (200, 422)  # 422 unless it already finished
    if r.status_code == 422:
        assert "only a finished plan" in r.json()["detail"]
    else:
        client.delete("/v1/active-plan", headers=auth)
    assert client.put("/v1/active-plan", json={"plan_id": "x"}, headers=auth).status_code == 422


def test_active_plan_lists_its_slots_and_points(client, auth, done_plan, active):
    staffed = _staffed(client, auth, done_plan["id"])
    assert active["plan_id"] == done_plan["id"]
    assert set(staffed) <= set(active["slots"])
    assert active["staffed_points"] == {s: len(staffed.get(s, [])) for s in active["slots"]}
    assert client.get("/v1/active-plan", headers=auth).json() == active


def test_dispatch_ranks_the_slots_control_points_by_road(client, auth, city, done_plan, active):
    """Every staffed point of the incident's slot is ranked with an ETA equal to an
    independent networkx Dijkstra from its nearest node; no point of another slot appears."""
    net = city.net
    staffed = _staffed(client, auth, done_plan["id"])
    slot = max(staffed, key=lambda s: len(staffed[s]))
    features = staffed[slot]
    to_xy = Transformer.from_crs("EPSG:4326", net.crs, always_xy=True)
    xy = np.array([to_xy.transform(*f["geometry"]["coordinates"]) for f in features])
    _, nodes = net.node_tree.query(xy)
    G = nx.DiGraph()
    for u, v, t in zip(net.edge_u, net.edge_v, net.edge_time_s, strict=True):
        if not G.has_edge(u, v) or G[u][v]["t"] > t:
            G.add_edge(int(u), int(v), t=float(t))
    k = len(city.posts) + len(features)
    for lon, lat in _points_on_network(city, 4, seed=11):
        r = client.post(
            "/v1/dispatch/nearest", json={"lon": lon, "lat": lat, "k": k, "at": _at(slot)}
        )
        assert r.status_code == 200, r.text
        body = DispatchResponse.model_validate(r.json()).model_dump()
        assert body["active_plan"] == {
            "plan_id": done_plan["id"], "slot": slot, "staffed_points": len(features)
        }  # fmt: skip
        points = [x for x in body["responders"] if x["kind"] == "control_point"]
        want_ids = Counter(str(f["properties"]["point_id"]) for f in features)
        loc = city.dispatcher.locate(lon, lat)
        reachable = {}
        for f, node in zip(features, nodes, strict=True):
            d = nx.single_source_dijkstra_path_length(G, int(node), weight="t")
            time_s = np.full(net.n_nodes, np.inf)
            time_s[list(d)] = list(d.values())
            t, _ = position_times(net, time_s, np.array([loc.segment]), np.array([loc.fraction]))
            if np.isfinite(t[0]):
                reachable[str(f["properties"]["point_id"])] = float(t[0])
        assert Counter(x["id"] for x in points) == Counter(
            i for i in want_ids.elements() if i in reachable
        )
        assert points, "the slot's control points should reach the demo's streets"
        for x in points:
            assert x["eta_s"] == pytest.approx(reachable[x["id"]], abs=1e-6)
        etas = [x["eta_s"] for x in body["responders"]]
        assert etas == sorted(etas)
        assert body["nearest_eta_s"] == etas[0]


def test_k_best_mixes_posts_and_points(client, auth, city, done_plan, active):
    """With k=1 the single responder is whichever of all posts and points is fastest."""
    staffed = _staffed(client, auth, done_plan["id"])
    slot = max(staffed, key=lambda s: len(staffed[s]))
    for lon, lat in _points_on_network(city, 6, seed=12):
        everyone = client.post(
            "/v1/dispatch/nearest", json={"lon": lon, "lat": lat, "k": 50, "at": _at(slot)}
        ).json()["responders"]
        one = client.post(
            "/v1/dispatch/nearest", json={"lon": lon, "lat": lat, "k": 1, "at": _at(slot)}
        ).json()["responders"]
        assert len(one) == 1
        assert one[0]["eta_s"] == pytest.approx(everyone[0]["eta_s"], abs=1e-9)
        assert (one[0]["kind"], one[0]["id"]) == (everyone[0]["kind"], everyone[0]["id"])


def test_outside_the_slots_only_posts_answer(client, auth, city, done_plan, active):
    lon, lat = _points_on_network(city, 1, seed=13)[0]
    body = client.post(
        "/v1/dispatch/nearest",
        json={"lon": lon, "lat": lat, "k": 50, "at": "2026-11-27T12:30:00"},
    ).json()
    assert body["active_plan"] == {"plan_id": done_plan["id"], "slot": None, "staffed_points": 0}
    assert {x["kind"] for x in body["responders"]} == {"post"}


def test_deactivated_plan_leaves_posts_only(client, auth, city, done_plan):
    staffed = _staffed(client, auth, done_plan["id"])
    slot = next(iter(staffed))
    assert client.put("/v1/active-plan", json={"plan_id": done_plan["id"]}, headers=auth)
    assert client.delete("/v1/active-plan", headers=auth).status_code == 204
    assert client.delete("/v1/active-plan", headers=auth).status_code == 404
    lon, lat = _points_on_network(city, 1, seed=14)[0]
    body = client.post(
        "/v1/dispatch/nearest", json={"lon": lon, "lat": lat, "k": 50, "at": _at(slot)}
    ).json()
    assert body["active_plan"] is None
    assert {x["kind"] for x in body["responders"]} == {"post"}
