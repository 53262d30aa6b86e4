"""Demand: incident weight per street segment and per time slot of the night.

Each incident's weight is ``weight x category weight x recency decay``. Incidents are put in
the slot their local time of day falls into (slots may cross midnight); each incident's weight
is then spread along the network around its segment with an Epanechnikov kernel of network
distance (segment midpoint to segment midpoint, walking distance, bandwidth in metres), so hot
streets, not single points, carry demand. Spreading conserves each incident's weight.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import sparse

from geo.errors import InputError
from geo.graph import Network
from planner.reach import bounded_distances

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

# Default weights by incident category: how much one incident of the kind calls for presence.
DEFAULT_CATEGORY_WEIGHTS: dict[str, float] = {
    "robbery": 3.0,
    "assault": 2.5,
    "fight": 2.5,
    "burglary": 2.0,
    "theft": 1.5,
    "disturbance": 1.5,
    "drunk": 1.0,
    "traffic": 1.0,
    "other": 1.0,
    "unknown": 1.0,
}
DEFAULT_SLOTS = "20-04"
DEFAULT_BANDWIDTH_M = 150.0


@dataclass(frozen=True)
class Slot:
    """A time-of-day window ``[start, end)`` in minutes after midnight; may cross midnight."""

    start_min: int
    end_min: int

    @property
    def label(self) -> str:
        return f"{self.start_min // 60:02d}:{self.start_min % 60:02d}-" + (
            f"{self.end_min // 60 % 24:02d}:{self.end_min % 60:02d}"
        )

    @property
    def minutes(self) -> int:
        return (self.end_min - self.start_min) % 1440 or 1440

    def contains(self, minute_of_day: npt.NDArray[np.int64]) -> npt.NDArray[np.bool_]:
        return ((minute_of_day - self.start_min) % 1440) < self.minutes


_TIME_RE = re.compile(r"^\s*(\d{1,2})(?::(\d{2}))?\s*$")


def _minute(text: str, *, spec: str) -> int:
    m = _TIME_RE.match(text)
    if not m or int(m.group(1)) > 24 or int(m.group(2) or 0) > 59:
        msg = f"slots {spec!r}: cannot read the time {text!r} (use HH or HH:MM)"
        raise InputError(msg)
    return (int(m.group(1)) * 60 + int(m.group(2) or 0)) % 1440


def parse_slots(spec: str, *, hourly: bool | None = None) -> tuple[Slot, ...]:
    """Read slots: ``"20-04"`` is the night window cut hourly; ``"20-22,22-02,02-04"`` lists them.

    A single window is cut into hourly slots unless ``hourly=False``; a list is taken as given.
    Slots must not overlap.
    """
    parts = [p for p in spec.split(",") if p.strip()]
    if not parts:
        msg = "slots: empty slot list"
        raise InputError(msg)
    windows = []
    for p in parts:
        if "-" not in p:
            msg = f"slots {spec!r}: {p!r} is not a window like 20-04 or 20:30-22:00"
            raise InputError(msg)
        a, b = p.split("-", 1)
        start, end = _minute(a, spec=spec), _minute(b, spec=spec)
        if start == end:
            msg = f"slots {spec!r}: the window {p.strip()!r} is empty"
            raise InputError(msg)
        windows.append(Slot(start, end))
    if len(windows) == 1 and hourly is not False:
        w = windows[0]
        cuts = list(range(0, w.minutes, 60)) + [w.minutes]
        windows = [
            Slot((w.start_min + a) % 1440, (w.start_min + b) % 1440)
            for a, b in zip(cuts, cuts[1:], strict=False)
        ]
    minute = np.arange(1440)
    taken = np.zeros(1440, dtype=int)
    for w in windows:
        taken += w.contains(minute)
    if (taken > 1).any():
        msg = f"slots {spec!r}: slots overlap"
        raise InputError(msg)
    return tuple(windows)


def slot_of(times: pd.Series, slots: Sequence[Slot]) -> IntArray:
    """Slot index of each (timezone-aware) time in its own local time; -1 outside / no time."""
    t = pd.to_datetime(times)
    out = np.full(len(t), -1, dtype=np.int64)
    has = t.notna().to_numpy()
    if not has.any():
        return out
    minute = (t.dt.hour * 60 + t.dt.minute).to_numpy()
    for i, s in enumerate(slots):
        out[has & s.contains(np.nan_to_num(minute, nan=-1).astype(np.int64))] = i
    return out


@dataclass(frozen=True)
class Demand:
    """Demand per slot (rows) and street segment (columns), after spreading."""

    slots: tuple[Slot, ...]
    by_slot: FloatArray = field(repr=False)  # (n_slots, n_segments)
    incident_slot: IntArray = field(repr=False)
    incident_weight: FloatArray = field(repr=False)  # effective weight of each incident
    bandwidth_m: float = 0.0
    notes: tuple[str, ...] = ()

    @property
    def night(self) -> FloatArray:
        """Demand of the whole night window, per segment."""
        return self.by_slot.sum(axis=0)

    @property
    def slot_totals(self) -> FloatArray:
        return self.by_slot.sum(axis=1)


def incident_weights(
    incidents: gpd.GeoDataFrame,
    *,
    category_weights: Mapping[str, float] | None = None,
    half_life_days: float | None = None,
    reference_time: pd.Timestamp | None = None,
) -> FloatArray:
    """Effective weight of each incident: weight x category weight x recency decay."""
    table = {k.lower(): float(v) for k, v in (category_weights or DEFAULT_CATEGORY_WEIGHTS).items()}
    bad = [k for k, v in table.items() if not np.isfinite(v) or v < 0]
    if bad:
        msg = f"category weights: {bad[0]!r} must be a number >= 0"
        raise InputError(msg)
    default = table.get("unknown", 1.0)
    w = (
        incidents["weight"].to_numpy(dtype=np.float64)
        if "weight" in incidents
        else np.ones(len(incidents))
    )
    if "category" in incidents:
        cats = incidents["category"].astype(str).str.strip().str.lower()
        w = w * cats.map(table).fillna(default).to_numpy(dtype=np.float64)
    if half_life_days is not None:
        if half_life_days <= 0:
            msg = f"half-life must be > 0 days, got {half_life_days}"
            raise InputError(msg)
        t = pd.to_datetime(incidents["time"])
        ref = reference_time if reference_time is not None else t.max()
        age_days = ((ref - t).dt.total_seconds() / 86400.0).fillna(0.0).to_numpy().clip(min=0)
        w = w * np.power(0.5, age_days / half_life_days)
    return w


def spreading_matrix(
    net: Network, source_segments: IntArray, *, bandwidth_m: float
) -> sparse.csr_array:
    """Row-stochastic matrix (len(source_segments) x n_segments) of the network kernel."""
    k = len(source_segments)
    if bandwidth_m <= 0 or k == 0:
        return sparse.csr_array(
            (np.ones(k), (np.arange(k), source_segments)), shape=(k, net.n_segments)
        )
    L = net.seg_length_m
    ends = np.concatenate([net.seg_u[source_segments], net.seg_v[source_segments]])
    nodes = np.unique(ends)
    s, n, d = bounded_distances(
        net, nodes, limit=bandwidth_m, csr=net.walk_metric.csr, max_rate=1.0
    )
    pairs = pd.DataFrame({"from_node": nodes[s], "to_node": n, "d": d})
    # target segments at each reached node
    tgt = pd.DataFrame(
        {
            "to_node": np.concatenate([net.seg_u, net.seg_v]),
            "seg_j": np.tile(np.arange(net.n_segments), 2),
        }
    )
    src = pd.DataFrame({"from_node": ends, "row": np.tile(np.arange(k), 2)})
    df = pairs.merge(tgt, on="to_node").merge(src, on="from_node")
    df["d"] = (
        df["d"] + 0.5 * L[df["seg_j"].to_numpy()] + 0.5 * L[source_segments[df["row"].to_numpy()]]
    )
    df = df[df["d"] < bandwidth_m]
    df = df.groupby(["row", "seg_j"], as_index=False)["d"].min()
    self_rows = pd.DataFrame({"row": np.arange(k), "seg_j": source_segments, "d": 0.0})
    df = pd.concat([df, self_rows]).groupby(["row", "seg_j"], as_index=False)["d"].min()
    kern = 1.0 - (df["d"].to_numpy() / bandwidth_m) ** 2
    rows = df["row"].to_numpy()
    kern = kern / np.bincount(rows, weights=kern, minlength=k)[rows]
    return sparse.csr_array((kern, (rows, df["seg_j"].to_numpy())), shape=(k, net.n_segments))


def build_demand(
    net: Network,
    incidents: gpd.GeoDataFrame,
    *,
    slots: Sequence[Slot] | str = DEFAULT_SLOTS,
    category_weights: Mapping[str, float] | None = None,
    half_life_days: float | None = None,
    reference_time: pd.Timestamp | None = None,
    bandwidth_m: float = DEFAULT_BANDWIDTH_M,
) -> Demand:
    """Demand per slot and segment from snapped incidents (see module docstring)."""
    slots = parse_slots(slots) if isinstance(slots, str) else tuple(slots)
    if "segment" not in incidents or "on_network" not in incidents:
        msg = "incidents must be snapped to the network first (geo.snap.snap_incidents)"
        raise InputError(msg)
    w = incident_weights(
        incidents,
        category_weights=category_weights,
        half_life_days=half_life_days,
        reference_time=reference_time,
    )
    slot = slot_of(incidents["time"], slots) if "time" in incidents else np.full(len(w), -1)
    on = incidents["on_network"].to_numpy(dtype=bool)
    use = on & (slot >= 0) & (w > 0)
    notes = []
    if len(incidents) and not use.any():
        msg = (
            f"none of the {len(incidents):,} incidents falls in the slots "
            f"{', '.join(s.label for s in slots)} on the network"
        )
        raise InputError(msg)
    n_out = int((on & (slot < 0)).sum())
    if n_out:
        notes.append(f"{n_out:,} incidents lie outside the night slots (or have no time)")
    seg = incidents["segment"].to_numpy(dtype=np.int64)[use]
    uniq, inv = np.unique(seg, return_inverse=True)
    W = np.zeros((len(uniq), len(slots)))
    np.add.at(W, (inv, slot[use]), w[use])
    K = spreading_matrix(net, uniq, bandwidth_m=bandwidth_m)
    by_slot = np.asarray((K.T @ W).T)
    empty = [s.label for s, tot in zip(slots, by_slot.sum(axis=1), strict=True) if tot <= 0]
    if empty:
        notes.append(f"no incidents in slot(s) {', '.join(empty)}")
    return Demand(
        slots=slots,
        by_slot=by_slot,
        incident_slot=np.where(use, slot, -1),
        incident_weight=w,
        bandwidth_m=bandwidth_m,
        notes=tuple(notes),
    )
