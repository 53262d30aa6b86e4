"""Every parameter of a run, in one typed, documented place."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from planner.patrol_lines import DEFAULT_OVERLAP_PENALTY


@dataclass(frozen=True)
class Job:
    """What a run reads, computes and writes. Defaults are the command line's.

    ``count`` is the number of the stage run alone (control points for ``points``, lines for
    ``lines``); a whole plan counts its lines in ``line_count``.
    """

    out: str
    # road network
    network: str | None = None
    mode: str = "drive"
    profile: str | None = None
    online: bool = False
    # inputs and how to read them
    posts: str | None = None
    incidents: str | None = None
    points: str | None = None  # control points (file or folder) that lines start from
    lon_col: str | None = None
    lat_col: str | None = None
    x_col: str | None = None
    y_col: str | None = None
    crs: str | None = None
    coords: str = "wgs84"
    time_col: str | None = None
    date_col: str | None = None
    id_col: str | None = None
    category_col: str | None = None
    weight_col: str | None = None
    timezone: str | None = None
    max_snap_m: float = 250.0
    # coverage
    thresholds: tuple[float, ...] = (1.0, 3.0, 5.0)
    # the night's demand and the solvers
    slots: str = "20-04"
    bandwidth_m: float = 150.0
    half_life_days: float | None = None
    time_limit_s: float = 5.0
    seed: int = 0
    # control points
    count: int = 0
    spacing_m: float = 0.0
    cover_m: float | None = None
    cover_min: float | None = None
    staffing: str | None = None  # "K" or "K1,K2,..." per slot
    test_weeks: float = 4.0
    exact_limit_s: float = 30.0
    # patrol lines
    line_count: int = 0
    min_km: float = 0.0
    max_km: float = 0.0
    speed_kph: float | None = None
    overlap_penalty: float = DEFAULT_OVERLAP_PENALTY
    # the whole plan
    points_mode: str | None = None
    lines_mode: str | None = None
    response_min: float = 3.0

    @classmethod
    def from_args(cls, args: Any) -> Job:
        """The fields an argparse namespace (or any object) has; the others keep defaults."""
        names = [f.name for f in dataclasses.fields(cls)]
        values = {n: getattr(args, n) for n in names if hasattr(args, n)}
        if "thresholds" in values:
            values["thresholds"] = tuple(values["thresholds"])
        return cls(**values)

    def replace(self, **changes: Any) -> Job:
        return dataclasses.replace(self, **changes)
