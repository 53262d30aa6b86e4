"""The active plan: which control points are staffed at a given time, for dispatch.

A planner makes a finished plan active (``PUT /v1/active-plan``); from then on dispatch ranks
the control points that plan staffs in the slot of the incident's time beside the posts. The
choice lives in the database, so every server worker sees it; each worker re-reads it at most
every ``ttl_s`` seconds (a dispatch question must not wait on SQLite) and keeps the staffed
points of the plans it has seen, placed on the network once.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import numpy as np

from api.city import City
from api.storage import Storage
from geo.errors import InputError
from planner.demand import Slot, parse_slots
from planner.dispatch import StaffedPoints

CONTROL_POINTS_FILE = "control_points.geojson"


@dataclass(frozen=True)
class PlanPoints:
    """One plan's staffed control points, slot by slot."""

    plan_id: str
    slots: tuple[Slot, ...]
    timezone: str | None
    by_slot: dict[str, StaffedPoints]

    def slot_at(self, when: datetime) -> Slot | None:
        """The slot holding ``when`` in the plan's local time (naive: already local)."""
        if when.tzinfo is not None:
            try:
                when = when.astimezone(ZoneInfo(self.timezone) if self.timezone else UTC)
            except (OverflowError, ValueError):
                msg = f"at: {when.isoformat()} cannot be placed in the plan's time zone"
                raise InputError(msg) from None
        minute = np.array([when.hour * 60 + when.minute])
        return next((s for s in self.slots if s.contains(minute)[0]), None)


def load_plan_points(storage: Storage, city: City, plan_id: str) -> PlanPoints:
    """Read a finished plan's ``control_points.geojson`` and place each point on the network."""
    row = storage.get_plan(plan_id)
    slots = parse_slots(str(row.params.get("slots", "20-04")))
    timezone = row.params.get("timezone") or city.timezone
    names = storage.plan_file_names(plan_id)
    features = []
    if CONTROL_POINTS_FILE in names:
        data = json.loads(storage.plan_file(plan_id, CONTROL_POINTS_FILE))
        features = data.get("features", [])
    grouped: dict[str, list[tuple[float, float, str]]] = {}
    for f in features:
        props = f.get("properties") or {}
        geom = f.get("geometry") or {}
        if geom.get("type") != "Point" or "slot" not in props or "point_id" not in props:
            msg = f"plan {plan_id!r}: {CONTROL_POINTS_FILE} has a feature that is not a point"
            raise InputError(msg)
        lon, lat = geom["coordinates"][:2]
        grouped.setdefault(str(props["slot"]), []).append((lon, lat, str(props["point_id"])))
    by_slot = {}
    for label, pts in grouped.items():
        lon = np.array([p[0] for p in pts])
        lat = np.array([p[1] for p in pts])
        ids = [p[2] for p in pts]
        by_slot[label] = StaffedPoints.at(
            city.net, lon, lat, ids, [f"Control point {i}" for i in ids]
        )
    return PlanPoints(plan_id, slots, timezone, by_slot)


class ActivePlan:
    """The active plan as dispatch sees it (thread-safe; cached)."""

    def __init__(self, storage: Storage, city: City, *, ttl_s: float = 2.0) -> None:
        self.storage = storage
        self.city = city
        self.ttl_s = ttl_s
        self._lock = threading.Lock()
        self._checked = -np.inf
        self._active: str | None = None
        self._plans: dict[str, PlanPoints] = {}

    def forget(self) -> None:
        """Read the active plan again at the next question (after this worker changed it)."""
        with self._lock:
            self._checked = -np.inf

    def plan_id(self) -> str | None:
        now = time.monotonic()
        with self._lock:
            if now - self._checked >= self.ttl_s:
                found = self.storage.active_plan()
                self._active = None if found is None else found[0]
                self._checked = now
            return self._active

    def points(self, plan_id: str) -> PlanPoints:
        with self._lock:
            cached = self._plans.get(plan_id)
        if cached is None:
            cached = load_plan_points(self.storage, self.city, plan_id)
            with self._lock:
                self._plans = {plan_id: cached}  # keep the latest only
        return cached

    def staffed(self, when: datetime | None) -> tuple[str, str | None, StaffedPoints | None] | None:
        """(plan id, slot label, staffed points) at ``when`` (default now), None with no active
        plan; the slot and the points are None outside the plan's slots."""
        plan_id = self.plan_id()
        if plan_id is None:
            return None
        plan = self.points(plan_id)
        slot = plan.slot_at(when or datetime.now(UTC))
        if slot is None:
            return plan_id, None, None
        return plan_id, slot.label, plan.by_slot.get(slot.label)
