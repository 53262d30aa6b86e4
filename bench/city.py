"""A seeded synthetic city: an osmnx-style road graph of about 100,000 nodes, posts, incidents.

The road network is a perturbed grid in UTM zone 50N (``EPSG:32650``) around a made-up
provincial capital (the centre lies near Hefei, about 117.3 E, 31.8 N):

- nodes on a ``rows x cols`` grid ``spacing_m`` apart, each moved at random by up to 30% of the
  spacing (so no two streets cross between nodes);
- road classes by row/column: every 10th a ``primary``, every 5th a ``secondary``, the rest
  ``residential``; two ``trunk`` diagonals (edges between diagonal neighbours);
- about 10% of the residential pieces removed (about 8% of all grid edges), about 15% of the
  rest one-way in a random direction; short two-way ``service`` stubs (dead ends) at ~3% of the
  nodes;
- edge attributes as osmnx gives them: ``osmid``, ``length`` (m, from the geometry),
  ``highway``, ``oneway`` (bool), ``name`` (missing on service stubs), ``maxspeed`` on
  primaries, ``geometry`` (a LineString oriented u->v) on the bent edges only; node ``x``,
  ``y``, ``street_count``; ``G.graph["crs"]``.

:func:`make_city_graph` returns it prepared like a real network (:func:`geo.network.prepare_graph`:
largest strongly connected part, travel times). :func:`load_city` caches that as a pickle
(``bench/.cache``, about 10x faster to load than GraphML; not for git).
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely

from geo.graph import Network
from geo.network import prepare_graph
from geo.travel_time import load_profile

CRS = "EPSG:32650"
CENTRE_XY = (525_000.0, 3_521_000.0)  # UTM 50N, near Hefei
NODE_ID_BASE = 1_000_000_000  # node ids look like OSM ids, not like array indices
EDGE_ID_BASE = 500_000_000
TZ = "Asia/Shanghai"
# Bump when the generator changes: the cache key includes it.
GENERATOR_VERSION = 1

JITTER_SHARE = 0.15  # standard deviation of node jitter, share of the spacing
JITTER_MAX_SHARE = 0.3
REMOVED_RESIDENTIAL_SHARE = 0.10  # ~8% of all grid edges: 80% of them are residential
ONEWAY_RESIDENTIAL_SHARE = 0.15
BENT_SHARE = 0.25  # edges with a middle vertex off the straight line
SERVICE_STUB_SHARE = 0.03

CATEGORIES = ("theft", "dispute", "traffic", "disturbance", "fraud", "assault", "other")
CATEGORY_P = (0.28, 0.2, 0.16, 0.14, 0.1, 0.05, 0.07)
# Relative incident rate per hour of day (0..23): quiet mornings, busy nights (peak 22-01).
HOUR_WEIGHTS = (
    6, 5, 4, 3, 2, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 3, 3, 4, 5, 7, 8, 9, 8,
)  # fmt: skip
HOTSPOT_SHARE = 0.6
N_HOTSPOTS = 8
START_DATE = "2026-09-01"
N_DAYS = 56

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


@contextmanager
def stage(what: str, *, quiet: bool = False) -> Iterator[None]:
    """Print ``what`` and, when it ends, its duration, to stderr."""
    if not quiet:
        print(f"[bench] {what} ...", file=sys.stderr, flush=True)
    t0 = time.perf_counter()
    yield
    if not quiet:
        print(f"[bench] {what}: {time.perf_counter() - t0:.2f} s", file=sys.stderr, flush=True)


def _class_of(index: IntArray) -> npt.NDArray[np.object_]:
    out = np.full(len(index), "residential", dtype=object)
    out[index % 5 == 0] = "secondary"
    out[index % 10 == 0] = "primary"
    return out


def raw_city_graph(
    *, rows: int = 320, cols: int = 320, spacing_m: float = 110.0, seed: int = 0
) -> nx.MultiDiGraph:
    """The synthetic road graph before preparation (no travel times, not yet one component)."""
    if rows < 2 or cols < 2:
        msg = f"the city needs at least 2 rows and 2 columns, got {rows} x {cols}"
        raise ValueError(msg)
    rng = np.random.default_rng(seed)
    n_grid = rows * cols
    r_of = np.repeat(np.arange(rows), cols)
    c_of = np.tile(np.arange(cols), rows)
    lim = JITTER_MAX_SHARE * spacing_m
    jitter = np.clip(rng.normal(0.0, JITTER_SHARE * spacing_m, (n_grid, 2)), -lim, lim)
    x0 = CENTRE_XY[0] - (cols - 1) * spacing_m / 2
    y0 = CENTRE_XY[1] - (rows - 1) * spacing_m / 2
    x = x0 + c_of * spacing_m + jitter[:, 0]
    y = y0 + r_of * spacing_m + jitter[:, 1]

    # grid pieces: east-west (along a row) and north-south (along a column)
    node = np.arange(n_grid).reshape(rows, cols)
    ew_a, ew_b = node[:, :-1].ravel(), node[:, 1:].ravel()
    ew_row = np.repeat(np.arange(rows), cols - 1)
    ns_a, ns_b = node[:-1, :].ravel(), node[1:, :].ravel()
    ns_col = np.tile(np.arange(cols), rows - 1)
    hwy = np.concatenate([_class_of(ew_row), _class_of(ns_col)])
    name = np.concatenate(
        [
            np.array([f"Road {r}" for r in range(rows)], dtype=object)[ew_row],
            np.array([f"Street {c}" for c in range(cols)], dtype=object)[ns_col],
        ]
    )
    a = np.concatenate([ew_a, ns_a])
    b = np.concatenate([ew_b, ns_b])
    residential = hwy == "residential"
    keep = ~(residential & (rng.random(len(a)) < REMOVED_RESIDENTIAL_SHARE))
    a, b, hwy, name, residential = a[keep], b[keep], hwy[keep], name[keep], residential[keep]

    # two trunk diagonals, corner to corner
    k = min(rows, cols) - 1
    i = np.arange(k)
    diag_a = np.concatenate([node[i, i], node[i, cols - 1 - i]])
    diag_b = np.concatenate([node[i + 1, i + 1], node[i + 1, cols - 2 - i]])
    diag_name = np.array(["Diagonal Avenue 1"] * k + ["Diagonal Avenue 2"] * k, dtype=object)

    # service stubs: dead ends into the block, two-way, unnamed
    stub_from = np.flatnonzero(rng.random(n_grid) < SERVICE_STUB_SHARE)
    n_stub = len(stub_from)
    angle = (np.pi / 4) * (1 + 2 * rng.integers(0, 4, n_stub))
    stub_len = rng.uniform(0.25, 0.4, n_stub) * spacing_m
    x = np.concatenate([x, x[stub_from] + stub_len * np.cos(angle)])
    y = np.concatenate([y, y[stub_from] + stub_len * np.sin(angle)])
    stub_to = n_grid + np.arange(n_stub)

    a = np.concatenate([a, diag_a, stub_from])
    b = np.concatenate([b, diag_b, stub_to])
    hwy = np.concatenate([hwy, np.full(2 * k, "trunk", dtype=object), np.full(n_stub, "service")])
    name = np.concatenate([name, diag_name, np.full(n_stub, None, dtype=object)])
    residential = np.concatenate([residential, np.zeros(2 * k + n_stub, dtype=bool)])
    n_seg = len(a)

    oneway = residential & (rng.random(n_seg) < ONEWAY_RESIDENTIAL_SHARE)
    flip = oneway & (rng.random(n_seg) < 0.5)
    a, b = np.where(flip, b, a), np.where(flip, a, b)

    # geometry: a middle vertex pushed sideways on some edges, straight (no geometry) elsewhere
    ax, ay, bx, by = x[a], y[a], x[b], y[b]
    straight = np.hypot(bx - ax, by - ay)
    bent = (hwy != "service") & (rng.random(n_seg) < BENT_SHARE)
    nb = int(bent.sum())
    off = rng.uniform(-0.06, 0.06, nb) * straight[bent]
    ux, uy = (bx - ax)[bent] / straight[bent], (by - ay)[bent] / straight[bent]
    mx = (ax + bx)[bent] / 2 - uy * off
    my = (ay + by)[bent] / 2 + ux * off
    coords = np.stack(
        [
            np.column_stack([ax[bent], ay[bent]]),
            np.column_stack([mx, my]),
            np.column_stack([bx[bent], by[bent]]),
        ],
        axis=1,
    )
    geom_fwd = np.full(n_seg, None, dtype=object)
    geom_fwd[bent] = shapely.linestrings(coords)
    geom_rev = np.full(n_seg, None, dtype=object)
    geom_rev[bent] = shapely.reverse(geom_fwd[bent])
    length = straight.copy()
    length[bent] = shapely.length(geom_fwd[bent])

    street_count = np.bincount(np.concatenate([a, b]), minlength=len(x))
    ids = NODE_ID_BASE + np.arange(len(x), dtype=np.int64)

    G = nx.MultiDiGraph(
        crs=CRS,
        name="synthetic city",
        created_with=f"bench.city v{GENERATOR_VERSION}",
        seed=seed,
    )
    G.add_nodes_from(
        (int(n), {"x": float(xx), "y": float(yy), "street_count": int(sc)})
        for n, xx, yy, sc in zip(
            ids.tolist(), x.tolist(), y.tolist(), street_count.tolist(), strict=True
        )
    )

    def attrs(j: int, geom: object) -> dict[str, object]:
        d: dict[str, object] = {
            "osmid": EDGE_ID_BASE + j,
            "highway": hwy[j],
            "oneway": bool(oneway[j]),
            "reversed": False,
            "length": float(length[j]),
        }
        if name[j] is not None:
            d["name"] = name[j]
        if hwy[j] == "primary":
            d["maxspeed"] = "60"
        if geom is not None:
            d["geometry"] = geom
        return d

    ida, idb = ids[a].tolist(), ids[b].tolist()
    G.add_edges_from((ida[j], idb[j], 0, attrs(j, geom_fwd[j])) for j in range(n_seg))
    two_way = np.flatnonzero(~oneway).tolist()
    rev = []
    for j in two_way:
        d = attrs(j, geom_rev[j])
        d["reversed"] = True
        rev.append((idb[j], ida[j], 0, d))
    G.add_edges_from(rev)
    return G


def make_city_graph(
    *, rows: int = 320, cols: int = 320, spacing_m: float = 110.0, seed: int = 0
) -> nx.MultiDiGraph:
    """The synthetic city, prepared like a real network (largest strongly connected part,
    ``speed_kph`` and ``travel_time`` on every edge). The defaults give >= 100,000 nodes."""
    raw = raw_city_graph(rows=rows, cols=cols, spacing_m=spacing_m, seed=seed)
    loaded = prepare_graph(raw, mode="drive", source="synthetic city")
    G = loaded.graph
    G.graph["report"] = loaded.report.summary()
    return G


def cache_key(*, rows: int, cols: int, spacing_m: float, seed: int) -> str:
    """File name of the cached city: parameters, generator version, and the default profile
    (travel times depend on it)."""
    profile = json.dumps(load_profile().to_dict(), sort_keys=True, default=str)
    digest = hashlib.sha1(profile.encode()).hexdigest()[:10]
    return f"city-v{GENERATOR_VERSION}-r{rows}-c{cols}-s{spacing_m:g}-seed{seed}-p{digest}.pickle"


def load_city(
    cache_dir: Path = Path("bench/.cache"),
    *,
    rows: int = 320,
    cols: int = 320,
    spacing_m: float = 110.0,
    seed: int = 0,
    use_cache: bool = True,
    quiet: bool = False,
) -> nx.MultiDiGraph:
    """:func:`make_city_graph`, cached as a pickle in ``cache_dir`` (``use_cache=False``
    rebuilds and does not write)."""
    path = Path(cache_dir) / cache_key(rows=rows, cols=cols, spacing_m=spacing_m, seed=seed)
    if use_cache and path.exists():
        with stage(f"loading cached city {path}", quiet=quiet), path.open("rb") as f:
            G = pickle.load(f)
        return G
    with stage(f"building a {rows} x {cols} city (seed {seed})", quiet=quiet):
        G = make_city_graph(rows=rows, cols=cols, spacing_m=spacing_m, seed=seed)
    if not quiet:
        print(f"[bench] {G.graph['report']}", file=sys.stderr, flush=True)
    if use_cache:
        with stage(f"caching it to {path}", quiet=quiet):
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".tmp{os.getpid()}")
            with tmp.open("wb") as f:
                pickle.dump(G, f, protocol=pickle.HIGHEST_PROTOCOL)
            tmp.replace(path)
    return G


def make_posts(net: Network, n: int = 22, *, seed: int = 0) -> gpd.GeoDataFrame:
    """``n`` posts on distinct nodes, spread over the city (one per cell of a jittered grid,
    cells picked at random), denser towards the centre as in a real city."""
    if n < 1 or n > net.n_nodes:
        msg = f"cannot place {n} posts on {net.n_nodes} nodes"
        raise ValueError(msg)
    rng = np.random.default_rng(seed)
    minx, miny, maxx, maxy = net.bounds
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    # target points: a square-root radial spread pulls posts towards the centre
    k = int(np.ceil(np.sqrt(n)))
    gx, gy = np.meshgrid((np.arange(k) + 0.5) / k, (np.arange(k) + 0.5) / k)
    cells = rng.permutation(k * k)[:n]
    u = gx.ravel()[cells] + rng.uniform(-0.3, 0.3, n) / k
    v = gy.ravel()[cells] + rng.uniform(-0.3, 0.3, n) / k
    dx, dy = 2 * u - 1, 2 * v - 1
    r = np.hypot(dx, dy)
    scale = np.where(r > 0, np.sqrt(np.clip(r, 0, 1)) / np.maximum(r, 1e-12), 0.0) * 0.85
    tx = cx + dx * scale * (maxx - minx) / 2
    ty = cy + dy * scale * (maxy - miny) / 2
    chosen: list[int] = []
    taken: set[int] = set()
    for px, py in zip(tx, ty, strict=True):
        _, near = net.node_tree.query([px, py], k=min(8, net.n_nodes))
        for i in np.atleast_1d(near):
            if int(i) not in taken:
                taken.add(int(i))
                chosen.append(int(i))
                break
        else:  # all nearby nodes taken (tiny networks): any free node
            free = next(i for i in range(net.n_nodes) if i not in taken)
            taken.add(free)
            chosen.append(free)
    idx = np.array(chosen, dtype=np.int64)
    return gpd.GeoDataFrame(
        {
            "id": [f"P{i + 1:02d}" for i in range(n)],
            "name": [f"Street police post {i + 1}" for i in range(n)],
        },
        geometry=gpd.points_from_xy(net.x[idx], net.y[idx]),
        crs=net.crs,
    )


def _incident_times(rng: np.random.Generator, n: int) -> pd.DatetimeIndex:
    p = np.asarray(HOUR_WEIGHTS, dtype=float)
    hour = rng.choice(24, size=n, p=p / p.sum())
    day = rng.integers(0, N_DAYS, n)
    seconds = day * 86_400 + hour * 3_600 + rng.integers(0, 3_600, n)
    naive = pd.Timestamp(START_DATE) + pd.to_timedelta(seconds, unit="s")
    return pd.DatetimeIndex(naive).tz_localize(TZ, ambiguous="NaT", nonexistent="shift_forward")


def make_incidents(net: Network, n: int = 100_000, *, seed: int = 0) -> gpd.GeoDataFrame:
    """``n`` incidents near the roads: a point at a random place along a street segment (chosen
    by length) plus a few metres' offset; ``HOTSPOT_SHARE`` of them on segments near a handful
    of hot spots, so demand is clustered. Times over ``N_DAYS`` nights, mostly at night."""
    rng = np.random.default_rng(seed)
    seg_len = net.seg_length_m
    mid_x = (net.x[net.seg_u] + net.x[net.seg_v]) / 2
    mid_y = (net.y[net.seg_u] + net.y[net.seg_v]) / 2
    n_hot = int(round(n * HOTSPOT_SHARE))
    segs = [rng.choice(net.n_segments, size=n - n_hot, p=seg_len / seg_len.sum())]
    centres = rng.choice(net.n_nodes, size=N_HOTSPOTS, replace=False)
    sigma = rng.uniform(150.0, 600.0, N_HOTSPOTS)
    share = rng.dirichlet(np.full(N_HOTSPOTS, 2.0))
    counts = rng.multinomial(n_hot, share)
    for c, s, m in zip(centres, sigma, counts, strict=True):
        d2 = (mid_x - net.x[c]) ** 2 + (mid_y - net.y[c]) ** 2
        w = seg_len * np.exp(-d2 / (2 * s * s))
        segs.append(rng.choice(net.n_segments, size=int(m), p=w / w.sum()))
    seg = rng.permutation(np.concatenate(segs))
    pts = shapely.line_interpolate_point(net.seg_geometry[seg], rng.random(n), normalized=True)
    off = rng.normal(0.0, 6.0, (n, 2))
    geom = shapely.points(shapely.get_x(pts) + off[:, 0], shapely.get_y(pts) + off[:, 1])
    return gpd.GeoDataFrame(
        {
            "incident_id": [f"I{i:07d}" for i in range(n)],
            "time": _incident_times(rng, n),
            "category": rng.choice(np.array(CATEGORIES, dtype=object), size=n, p=CATEGORY_P),
            "weight": np.ones(n),
        },
        geometry=geom,
        crs=net.crs,
    )
