"""Plans, uploads, files, links and maps through the TestClient, with their failures."""

from __future__ import annotations

import json
import time

import pytest

from api.security import LinkSigner, create_key
from tests.api.conftest import FAST_PLAN, wait_for

UNKNOWN = "0" * 32


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/v1/plans"),
        ("get", f"/v1/plans/{UNKNOWN}"),
        ("post", "/v1/plans"),
        ("get", f"/v1/plans/{UNKNOWN}/layers/posts.geojson"),
        ("get", f"/v1/plans/{UNKNOWN}/lines/S0-L001/gpx"),
        ("get", f"/v1/plans/{UNKNOWN}/links"),
    ],
)
def test_planning_needs_a_key(client, method, path):
    kwargs = {"json": FAST_PLAN} if method == "post" else {}
    r = getattr(client, method)(path, **kwargs)
    assert r.status_code == 401
    r = getattr(client, method)(path, headers={"X-API-Key": "pk_nope_nope"}, **kwargs)
    assert r.status_code == 403


def test_revoked_key_is_refused(client):
    storage = client.app.state.storage
    new = create_key(storage, name="short-lived")
    assert client.get("/v1/plans", headers={"X-API-Key": new.key}).status_code == 200
    assert storage.revoke_key(new.id)
    assert client.get("/v1/plans", headers={"X-API-Key": new.key}).status_code == 403
    wrong = new.key[:-2] + ("xx" if not new.key.endswith("xx") else "yy")
    assert client.get("/v1/plans", headers={"X-API-Key": wrong}).status_code == 403


def test_plan_is_listed_with_summary(client, auth, done_plan):
    assert done_plan["progress"] == 1.0
    assert done_plan["summary"]["night_coverage"]["posts"] >= 0
    assert "patrol_lines.geojson" in done_plan["files"]
    ids = [p["id"] for p in client.get("/v1/plans", headers=auth).json()["plans"]]
    assert done_plan["id"] in ids


def test_unknown_plan_is_404(client, auth):
    r = client.get(f"/v1/plans/{UNKNOWN}", headers=auth)
    assert r.status_code == 404 and r.json()["error"] == "NotFoundError"


@pytest.mark.parametrize(
    "body",
    [
        {"unknown": 1},
        {"points": {"count": 0}},
        {"lines": {"min_km": 5, "max_km": 1}},
        {"timezone": "Mars/Olympus"},
        {"slots": "25-04"},
        {"slots": "20-22,22-02", "points": {"staffing": [1, 2, 3]}},
        {"incidents_upload_id": "nope"},
    ],
)
def test_bad_plan_requests(client, auth, body):
    r = client.post("/v1/plans", json=body, headers=auth)
    assert r.status_code in (404, 422), r.text
    assert r.json()["detail"]


def test_layers_and_gpx(client, auth, done_plan):
    pid = done_plan["id"]
    r = client.get(f"/v1/plans/{pid}/layers/patrol_lines.geojson", headers=auth)
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/geo+json")
    line_id = r.json()["features"][0]["properties"]["line_id"]
    r = client.get(f"/v1/plans/{pid}/lines/{line_id}/gpx", headers=auth)
    assert r.status_code == 200 and b"<gpx" in r.content
    assert client.get(f"/v1/plans/{pid}/lines/NOPE/gpx", headers=auth).status_code == 404
    assert client.get(f"/v1/plans/{pid}/layers/nope.geojson", headers=auth).status_code == 422


def test_map_links_open_without_a_key(client, auth, done_plan):
    pid = done_plan["id"]
    links = client.get(f"/v1/plans/{pid}/links", headers=auth).json()
    r = client.get(links["command_map"])
    assert r.status_code == 200 and "<html" in r.text.lower()
    assert "/v1/maps/assets/leaflet.js" in r.text
    assert client.get("/v1/maps/assets/leaflet.js").status_code == 200
    assert client.get("/v1/maps/assets/nope.js").status_code == 404
    line = links["lines"][0]
    r = client.get(line["url"])
    assert r.status_code == 200 and line["line_id"] in r.text


def test_map_links_refuse_bad_and_expired_tokens(client, auth, done_plan):
    pid = done_plan["id"]
    links = client.get(f"/v1/plans/{pid}/links", headers=auth).json()
    assert client.get(f"/v1/plans/{pid}/map").status_code == 422  # no token at all
    assert client.get(f"/v1/plans/{pid}/map", params={"token": "1.abc"}).status_code == 403
    # a line's token does not open the command map, nor another plan's map
    line_token = links["lines"][0]["url"].split("token=")[1]
    assert client.get(f"/v1/plans/{pid}/map", params={"token": line_token}).status_code == 403
    token = links["command_map"].split("token=")[1]
    assert client.get(f"/v1/plans/{UNKNOWN}/map", params={"token": token}).status_code == 403
    signer: LinkSigner = client.app.state.signer
    old, _ = signer.sign(pid, "command", now=time.time() - signer.ttl_s - 10)
    r = client.get(f"/v1/plans/{pid}/map", params={"token": old})
    assert r.status_code == 403 and "expired" in r.json()["detail"]


def test_upload_then_plan(client, auth, city):
    content = city.demo_incidents.read_bytes()
    r = client.post("/v1/uploads", files={"file": ("night.csv", content, "text/csv")}, headers=auth)
    assert r.status_code == 201, r.text
    up = r.json()
    assert up["rows"] > 1000
    r = client.post("/v1/plans", json={**FAST_PLAN, "incidents_upload_id": up["id"]}, headers=auth)
    assert r.status_code == 202
    assert wait_for(client, r.json()["id"], auth)["status"] == "done"


def test_malformed_upload_names_row_and_column(client, auth, city):
    lines = city.demo_incidents.read_text().splitlines()
    header = lines[0].split(",")
    row = lines[3].split(",")
    row[header.index("lat")] = "north"
    bad = "\n".join([lines[0], lines[1], lines[2], ",".join(row)]) + "\n"
    r = client.post("/v1/uploads", files={"file": ("bad.csv", bad, "text/csv")}, headers=auth)
    assert r.status_code == 422
    detail = r.json()["detail"]
    assert "bad.csv, line 4, column 'lat'" in detail and "north" in detail
    r = client.post("/v1/uploads", files={"file": ("x.exe", b"MZ", "text/csv")}, headers=auth)
    assert r.status_code == 422


def test_upload_size_is_capped(client, auth):
    limit = client.app.state.settings.max_upload_bytes
    big = b"a" * (limit + 1)
    r = client.post("/v1/uploads", files={"file": ("big.csv", big, "text/csv")}, headers=auth)
    assert r.status_code == 413


def test_plan_with_its_incidents_in_one_request(client, auth, city):
    """A multipart form carries the incidents file and the parameters: the file is stored as
    an upload (same checks) and the plan computed from it."""
    content = city.demo_incidents.read_bytes()
    r = client.post(
        "/v1/plans",
        files={"incidents": ("night.csv", content, "text/csv")},
        data={"params": json.dumps(FAST_PLAN)},
        headers=auth,
    )
    assert r.status_code == 202, r.text
    plan = r.json()
    upload_id = plan["params"]["incidents_upload_id"]
    assert upload_id and plan["params"]["lines"]["count"] == FAST_PLAN["lines"]["count"]
    meta, stored = client.app.state.storage.get_upload(upload_id)
    assert stored == content and meta.filename == "night.csv"
    assert wait_for(client, plan["id"], auth)["status"] == "done"


def test_plan_form_errors(client, auth, city):
    lines = city.demo_incidents.read_text().splitlines()
    header = lines[0].split(",")
    row = lines[2].split(",")
    row[header.index("lon")] = "east"
    bad = "\n".join([lines[0], lines[1], ",".join(row)]) + "\n"
    r = client.post("/v1/plans", files={"incidents": ("bad.csv", bad, "text/csv")}, headers=auth)
    assert r.status_code == 422
    assert "bad.csv, line 3, column 'lon'" in r.json()["detail"]
    good = ("night.csv", city.demo_incidents.read_bytes(), "text/csv")
    both = json.dumps({"incidents_upload_id": "abc"})
    r = client.post("/v1/plans", files={"incidents": good}, data={"params": both}, headers=auth)
    assert r.status_code == 422 and "not both" in r.json()["detail"]
    r = client.post(
        "/v1/plans", files={"incidents": good}, data={"params": '{"slots": 7}'}, headers=auth
    )
    assert r.status_code == 422 and r.json()["detail"].startswith("params.slots")
    r = client.post("/v1/plans", files={"incidents": good}, data={"color": "red"}, headers=auth)
    assert r.status_code == 422 and "color" in r.json()["detail"]
    r = client.post("/v1/plans", data={"params": "{}"}, headers=auth)
    assert r.status_code == 422 and "incidents" in r.json()["detail"]
    r = client.post(
        "/v1/plans", content=b"slots=20-04", headers={**auth, "Content-Type": "text/plain"}
    )
    assert r.status_code == 415 and r.json()["error"]
    r = client.post(
        "/v1/plans", content=b"{not json", headers={**auth, "Content-Type": "application/json"}
    )
    assert r.status_code == 422
    assert client.post("/v1/plans", files={"incidents": good}).status_code == 401
