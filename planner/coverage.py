"""Response coverage: how much road and how many incidents the posts reach in 1, 3, 5 minutes.

Travel time runs FROM the posts TO every place, on the directed network, in one bounded
multi-source search (scipy's compiled Dijkstra, cut off at the largest threshold).

Along a street segment of length ``L`` (see :mod:`geo.graph`), the place at distance ``s`` from
its start node ``u`` is reached at ``min(d[u] + s * t_fwd / L, d[v] + (L - s) * t_rev / L)``,
where ``d`` are node times and ``t_fwd``/``t_rev`` the travel times of its two directions
(``t_rev`` is infinite on a one-way street). So within ``T`` the segment is reached on
``[0, a]`` from ``u`` and ``[L - b, L]`` from ``v``: part-way reach counts part-way, and a
two-way street counts once. The two sides meet at ``s*``, where both times are equal; the
part before ``s*`` is served first by the post nearest ``u``, the rest by the post nearest
``v``. Incidents sit at a position along a segment and are reached by the same formula.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
from scipy.sparse.csgraph import dijkstra

from geo.errors import InputError
from geo.graph import Metric, Network

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

DEFAULT_THRESHOLDS_MIN: tuple[float, ...] = (1.0, 3.0, 5.0)


def node_times(
    net: Network, source_nodes: IntArray, *, limit_s: float = np.inf, metric: Metric | None = None
) -> tuple[FloatArray, IntArray]:
    """Travel time from the nearest source to every node, and which source that is.

    With ``metric`` (e.g. ``net.walk_metric``) the same in that metric's units, ``limit_s``
    included.

    Parameters
    ----------
    net
        The compiled network.
    source_nodes
        Node indices the response starts from (duplicates allowed).
    limit_s
        Cut-off: nodes farther than this get ``inf``.

    Returns
    -------
    time_s, source
        Per node: seconds from the nearest source (``inf`` beyond ``limit_s``), and the node
        index of that source (``-1`` where unreached).
    """
    sources = np.unique(np.asarray(source_nodes, dtype=np.int64))
    if len(sources) == 0:
        msg = "no source nodes given"
        raise InputError(msg)
    csr = (metric or net.time_metric).csr
    dist, _, src = dijkstra(
        csr, directed=True, indices=sources, limit=limit_s, min_only=True,
        return_predecessors=True,
    )  # fmt: skip
    src = np.where(np.isfinite(dist), src, -1).astype(np.int64)
    return dist, src


@dataclass(frozen=True)
class SegmentReach:
    """Per street segment, within one time limit: metres reached from each end, and the split.

    ``from_u_m`` is reached from the forward edge's start node, ``from_v_m`` from its end node
    (0 on one-way streets); ``split_m`` is where the two ends' times meet.
    """

    from_u_m: FloatArray
    from_v_m: FloatArray
    split_m: FloatArray

    @property
    def reached_m(self) -> FloatArray:
        return self.from_u_m + self.from_v_m


def segment_reach(
    net: Network,
    time_s: FloatArray,
    *,
    limit_s: float,
    segments: IntArray | None = None,
    metric: Metric | None = None,
) -> SegmentReach:
    """Metres of each segment reached within ``limit_s``, split by the end they are reached from.

    With ``segments``, only those segments (the arrays follow their order); segments with
    neither end reached within the limit can be left out, they reach nothing.
    """
    m = metric or net.time_metric
    length = net.seg_length_m
    r1, r2 = m.seg_rate_fwd, m.seg_rate_rev
    su, sv, trev = net.seg_u, net.seg_v, m.seg_cost_rev
    if segments is not None:
        length, r1, r2 = length[segments], r1[segments], r2[segments]
        su, sv, trev = su[segments], sv[segments], trev[segments]
    du = time_s[su]
    dv = time_s[sv]
    with np.errstate(invalid="ignore", divide="ignore"):
        a = np.clip((limit_s - du) / r1, 0.0, length)
        b = (limit_s - dv) / r2
        b[~(b > 0)] = 0.0
        b = np.minimum(b, length)
        split = np.clip((dv + trev - du) / (r1 + r2), 0.0, length)
    # where neither end is reached the split does not matter; one-way streets are served
    # from their start only
    split[np.isnan(split)] = 0.0
    split = np.where(np.isinf(trev), length, split)
    a[np.isnan(a)] = 0.0
    from_u = np.minimum(a, split)
    from_v = np.maximum(0.0, np.minimum(b, length - split))
    return SegmentReach(from_u_m=from_u, from_v_m=from_v, split_m=split)


def position_times(
    net: Network,
    time_s: FloatArray,
    segment: IntArray,
    fraction: FloatArray,
    *,
    metric: Metric | None = None,
) -> tuple[FloatArray, npt.NDArray[np.bool_]]:
    """Time to reach points on segments (at ``fraction`` of the forward edge), and whether the
    best way in is from the segment's start node (True) or end node (False).

    ``time_s`` holds one time per node, or a column of them per source (nodes x sources):
    then the results have a row per point and a column per source."""
    seg = np.asarray(segment, dtype=np.int64)
    f = np.asarray(fraction, dtype=np.float64)
    m = metric or net.time_metric
    fwd, rev = m.seg_cost_fwd[seg], m.seg_cost_rev[seg]
    if time_s.ndim == 2:  # one column per source
        f, fwd, rev = f[:, None], fwd[:, None], rev[:, None]
    t_u = time_s[net.seg_u[seg]] + f * fwd
    with np.errstate(invalid="ignore"):
        t_v = time_s[net.seg_v[seg]] + (1.0 - f) * rev
    t_v = np.where(np.isnan(t_v), np.inf, t_v)
    from_u = t_u <= t_v
    return np.where(from_u, t_u, t_v), from_u


@dataclass(frozen=True)
class ThresholdCoverage:
    """Coverage within one response time."""

    minutes: float
    road_km: float
    road_share: float
    incidents: int
    incident_weight: float
    incident_share: float  # by weight
    incident_count_share: float


@dataclass(frozen=True)
class PostCoverage:
    """What one post serves first (it is the nearest post), within each threshold."""

    id: str
    name: str
    node_id: int
    road_km: tuple[float, ...]
    incidents: tuple[int, ...]
    incident_weight: tuple[float, ...]
    shares_node_with: str | None = None


@dataclass(frozen=True)
class CoverageResult:
    """Coverage of a set of posts; the arrays keep the per-node and per-incident detail."""

    thresholds: tuple[ThresholdCoverage, ...]
    road_km_total: float
    incidents_total: int
    incident_weight_total: float
    incidents_off_network: int
    posts: tuple[PostCoverage, ...]
    node_time_s: FloatArray = field(repr=False)
    node_post: IntArray = field(repr=False)  # index into posts, -1 where unreached
    incident_time_s: FloatArray = field(repr=False)  # inf where unreached / off network
    incident_post: IntArray = field(repr=False)

    @property
    def limit_s(self) -> float:
        return max(t.minutes for t in self.thresholds) * 60.0

    def to_dict(self) -> dict[str, Any]:
        """The figures as plain data (what ``coverage.json`` holds)."""
        minutes = [t.minutes for t in self.thresholds]
        return {
            "thresholds": [asdict(t) for t in self.thresholds],
            "road_km_total": self.road_km_total,
            "incidents_total": self.incidents_total,
            "incident_weight_total": self.incident_weight_total,
            "incidents_off_network": self.incidents_off_network,
            "posts": [
                {
                    "id": p.id,
                    "name": p.name,
                    "node_id": p.node_id,
                    "shares_node_with": p.shares_node_with,
                    "thresholds": [
                        {
                            "minutes": m,
                            "road_km": p.road_km[i],
                            "incidents": p.incidents[i],
                            "incident_weight": p.incident_weight[i],
                        }
                        for i, m in enumerate(minutes)
                    ],
                }
                for p in self.posts
            ],
        }


def check_thresholds(thresholds_min: Sequence[float]) -> tuple[float, ...]:
    """Sorted, positive, distinct thresholds in minutes."""
    values = tuple(float(t) for t in thresholds_min)
    if not values:
        msg = "thresholds: at least one response time is needed"
        raise InputError(msg)
    bad = [t for t in values if not np.isfinite(t) or t <= 0]
    if bad:
        msg = f"thresholds: response times must be positive minutes, got {bad[0]!r}"
        raise InputError(msg)
    if len(set(values)) != len(values):
        msg = f"thresholds: repeated value in {list(values)}"
        raise InputError(msg)
    return tuple(sorted(values))


def compute_coverage(
    net: Network,
    posts: gpd.GeoDataFrame,
    incidents: gpd.GeoDataFrame | None = None,
    *,
    thresholds_min: Sequence[float] = DEFAULT_THRESHOLDS_MIN,
) -> CoverageResult:
    """Coverage of the road network and of the incidents from all posts at once.

    Parameters
    ----------
    net
        Compiled network.
    posts
        Posts snapped with :func:`geo.snap.snap_posts` (columns ``id``, ``name``, ``node``).
    incidents
        Incidents snapped with :func:`geo.snap.snap_incidents` (``segment``, ``fraction``,
        ``on_network``, ``weight``), or ``None``.
    thresholds_min
        Response times in minutes.
    """
    thresholds = check_thresholds(thresholds_min)
    if len(posts) == 0:
        msg = "posts: no posts given"
        raise InputError(msg)
    post_nodes = posts["node"].to_numpy(dtype=np.int64)
    time_s, src_node = node_times(net, post_nodes, limit_s=thresholds[-1] * 60.0)

    # which post owns each source node (the first listed, if several share one node)
    owner_of_node: dict[int, int] = {}
    shares: dict[int, int] = {}
    for i, n in enumerate(post_nodes):
        if int(n) in owner_of_node:
            shares[i] = owner_of_node[int(n)]
        else:
            owner_of_node[int(n)] = i
    lookup = np.full(net.n_nodes, -1, dtype=np.int64)
    for n, i in owner_of_node.items():
        lookup[n] = i
    node_post = np.where(src_node >= 0, lookup[np.maximum(src_node, 0)], -1)

    n_posts = len(posts)
    n_t = len(thresholds)
    post_road_m = np.zeros((n_posts, n_t))
    road_m = np.zeros(n_t)
    seg_u_post = node_post[net.seg_u]
    seg_v_post = node_post[net.seg_v]
    t_first = np.minimum(time_s[net.seg_u], time_s[net.seg_v])
    for k, minutes in enumerate(thresholds):
        idx = np.flatnonzero(t_first < minutes * 60.0)  # the rest reach nothing
        reach = segment_reach(net, time_s, limit_s=minutes * 60.0, segments=idx)
        road_m[k] = reach.reached_m.sum()
        # post index + 1, so that unreached ends (-1) fall in bin 0 and are dropped
        post_road_m[:, k] += np.bincount(
            seg_u_post[idx] + 1, weights=reach.from_u_m, minlength=n_posts + 1
        )[1:]
        post_road_m[:, k] += np.bincount(
            seg_v_post[idx] + 1, weights=reach.from_v_m, minlength=n_posts + 1
        )[1:]

    if incidents is not None and len(incidents):
        on = incidents["on_network"].to_numpy(dtype=bool)
        weight = incidents["weight"].to_numpy(dtype=np.float64)
        seg = incidents["segment"].to_numpy(dtype=np.int64)
        frac = incidents["fraction"].to_numpy(dtype=np.float64)
        inc_t, from_u = position_times(net, time_s, np.where(on, seg, 0), frac)
        inc_t = np.where(on, inc_t, np.inf)
        seg_safe = np.where(on, seg, 0)
        inc_post = np.where(from_u, seg_u_post[seg_safe], seg_v_post[seg_safe])
        inc_post = np.where(np.isfinite(inc_t), inc_post, -1)
    else:
        weight = np.zeros(0)
        inc_t = np.zeros(0)
        inc_post = np.zeros(0, dtype=np.int64)
        on = np.zeros(0, dtype=bool)

    total_w = float(weight.sum())
    total_road = net.road_length_m
    rows = []
    post_inc = np.zeros((n_posts, n_t), dtype=np.int64)
    post_w = np.zeros((n_posts, n_t))
    for k, minutes in enumerate(thresholds):
        hit = inc_t <= minutes * 60.0
        rows.append(
            ThresholdCoverage(
                minutes=minutes,
                road_km=float(road_m[k] / 1000.0),
                road_share=float(road_m[k] / total_road) if total_road > 0 else 0.0,
                incidents=int(hit.sum()),
                incident_weight=float(weight[hit].sum()),
                incident_share=float(weight[hit].sum() / total_w) if total_w > 0 else 0.0,
                incident_count_share=float(hit.mean()) if len(hit) else 0.0,
            )
        )
        post_inc[:, k] = np.bincount(inc_post[hit], minlength=n_posts)
        post_w[:, k] = np.bincount(inc_post[hit], weights=weight[hit], minlength=n_posts)

    ids = posts["id"].astype(str).to_numpy()
    names = posts["name"].astype(str).to_numpy() if "name" in posts else ids
    post_rows = tuple(
        PostCoverage(
            id=str(ids[i]),
            name=str(names[i]),
            node_id=int(net.node_ids[post_nodes[i]]),
            road_km=tuple(float(v) / 1000.0 for v in post_road_m[i]),
            incidents=tuple(int(v) for v in post_inc[i]),
            incident_weight=tuple(float(v) for v in post_w[i]),
            shares_node_with=str(ids[shares[i]]) if i in shares else None,
        )
        for i in range(n_posts)
    )
    return CoverageResult(
        thresholds=tuple(rows),
        road_km_total=total_road / 1000.0,
        incidents_total=len(weight),
        incident_weight_total=total_w,
        incidents_off_network=int((~on).sum()),
        posts=post_rows,
        node_time_s=time_s,
        node_post=node_post,
        incident_time_s=inc_t,
        incident_post=inc_post,
    )


def incidents_reached(
    net: Network, source_nodes: IntArray, incidents: gpd.GeoDataFrame, *, limit_s: float
) -> npt.NDArray[np.bool_]:
    """Which (snapped) incidents some source reaches within ``limit_s`` on the network."""
    if len(incidents) == 0:
        return np.zeros(0, dtype=bool)
    time_s, _ = node_times(net, source_nodes, limit_s=limit_s)
    on = incidents["on_network"].to_numpy(dtype=bool)
    seg = np.where(on, incidents["segment"].to_numpy(dtype=np.int64), 0)
    t, _ = position_times(net, time_s, seg, incidents["fraction"].to_numpy(dtype=np.float64))
    return on & (t <= limit_s)
