"""Request and response bodies. Every request body refuses unknown fields."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from planner.patrol_lines import DEFAULT_OVERLAP_PENALTY

Mode = Literal["drive", "walk"]
PlanStatus = Literal["queued", "running", "done", "failed"]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ErrorBody(BaseModel):
    detail: str = Field(examples=["plan 'x' not found"])
    error: str = Field(examples=["NotFoundError"])


# -- dispatch and coverage ------------------------------------------------------------------


class DispatchRequest(Body):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"lon": 24.945, "lat": 60.168, "k": 3}]},
    )

    lon: float = Field(ge=-180, le=180, description="longitude of the incident (WGS-84)")
    lat: float = Field(ge=-90, le=90, description="latitude of the incident (WGS-84)")
    k: int = Field(3, ge=1, le=50, description="how many responders to rank")
    mode: Mode | None = Field(None, description="network; default: the one the service loads")
    at: datetime | None = Field(
        None,
        description="time of the incident, which picks the active plan's slot (default: now; "
        "without a zone: the plan's local time)",
    )


class LineString(BaseModel):
    type: Literal["LineString"] = "LineString"
    coordinates: list[list[float]] = Field(description="[lon, lat] pairs, post first")


class Responder(BaseModel):
    rank: int
    kind: Literal["post", "control_point"] = Field(
        "post", description="a street post, or a control point the active plan staffs now"
    )
    id: str
    name: str
    eta_s: float = Field(description="network travel time from the responder to the point (s)")
    distance_m: float = Field(description="length of that route (m)")
    route: LineString


class SnappedPoint(BaseModel):
    lon: float
    lat: float
    snap_distance_m: float = Field(description="distance from the point to the nearest road")


class ActiveSlot(BaseModel):
    plan_id: str
    slot: str | None = Field(description="the slot of the incident's time; null: outside them")
    staffed_points: int = Field(description="control points staffed in that slot")


class DispatchResponse(BaseModel):
    mode: Mode
    point: SnappedPoint
    nearest_eta_s: float
    within_min: dict[str, bool] = Field(
        description="whether the nearest responder arrives within 1, 3 and 5 minutes",
        examples=[{"1": False, "3": True, "5": True}],
    )
    responders: list[Responder]
    active_plan: ActiveSlot | None = Field(
        None, description="the active plan and the slot whose control points were ranked"
    )


class ActivateRequest(Body):
    plan_id: str = Field(pattern=r"^[0-9a-f]{32}$", description="a finished plan")


class ActivePlanOut(BaseModel):
    plan_id: str
    activated_at: float = Field(description="Unix seconds")
    slots: list[str] = Field(description="the plan's slots")
    staffed_points: dict[str, int] = Field(description="control points staffed per slot")


class PointCoverage(BaseModel):
    mode: Mode
    point: SnappedPoint
    minutes: float | None = Field(description="minutes from the nearest post; null: unreached")
    post_id: str | None
    within_min: dict[str, bool]


# -- uploads and plans ----------------------------------------------------------------------


class UploadOut(BaseModel):
    id: str
    filename: str
    size: int
    rows: int
    sha256: str
    created_at: float
    notes: list[str] = []


class PointsParams(Body):
    count: int = Field(6, ge=1, le=500, description="control points per night")
    spacing_m: float = Field(150.0, ge=0, le=20_000, description="least distance between two")
    cover_m: float | None = Field(120.0, gt=0, le=20_000, description="cover radius, walking m")
    cover_min: float | None = Field(None, gt=0, le=60, description="cover radius, minutes")
    staffing: list[int] | None = Field(
        None, description="points staffed per slot (one number for all, or one per slot)"
    )
    mode: Mode = "walk"
    exact_limit_s: float = Field(10.0, ge=0, le=600, description="time of the exact solver")
    test_weeks: float = Field(4.0, gt=0, le=104)

    @field_validator("staffing")
    @classmethod
    def _staffing(cls, v: list[int] | None) -> list[int] | None:
        if v is not None and (not v or len(v) > 48 or any(s < 0 or s > 500 for s in v)):
            msg = "staffing: 1 to 48 whole numbers from 0 to 500"
            raise ValueError(msg)
        return v

    @model_validator(mode="after")
    def _cover(self) -> PointsParams:
        if self.cover_min is not None:
            self.cover_m = None
        if self.cover_m is None and self.cover_min is None:
            msg = "give cover_m or cover_min"
            raise ValueError(msg)
        return self


class LinesParams(Body):
    count: int = Field(3, ge=1, le=100, description="patrol lines per slot")
    min_km: float = Field(1.5, gt=0, le=100)
    max_km: float = Field(3.0, gt=0, le=200)
    speed_kph: float | None = Field(None, gt=0, le=130)
    overlap_penalty: float = Field(
        DEFAULT_OVERLAP_PENALTY, ge=0, le=1, description="how much lines avoid each other's streets"
    )
    mode: Mode = "walk"

    @model_validator(mode="after")
    def _lengths(self) -> LinesParams:
        if self.min_km > self.max_km:
            msg = f"min_km ({self.min_km:g}) is more than max_km ({self.max_km:g})"
            raise ValueError(msg)
        return self


class PlanRequest(Body):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "incidents_upload_id": None,
                    "points": {"count": 6, "cover_m": 120, "spacing_m": 150},
                    "lines": {"count": 3, "min_km": 1.5, "max_km": 3},
                    "response_min": 1,
                }
            ]
        },
    )

    incidents_upload_id: str | None = Field(
        None,
        max_length=64,
        description="an upload from POST /v1/uploads; none: the demo incidents (demo only)",
    )
    timezone: str | None = Field(None, max_length=64, description="IANA zone of naive times")
    slots: str = Field(
        "20-04",
        max_length=200,
        pattern=r"^\d{1,2}-\d{1,2}(,\d{1,2}-\d{1,2})*$",
        description="night window (cut hourly) or slot list",
    )
    thresholds_min: list[float] = Field([1.0, 3.0, 5.0], min_length=1, max_length=10)
    response_min: float = Field(3.0, gt=0, le=60)
    bandwidth_m: float = Field(150.0, gt=0, le=5000)
    half_life_days: float | None = Field(None, gt=0, le=3650)
    time_limit_s: float = Field(5.0, gt=0, le=300)
    seed: int = Field(0, ge=0, le=2**31 - 1)
    points: PointsParams = PointsParams()
    lines: LinesParams = LinesParams()

    @field_validator("timezone")
    @classmethod
    def _zone(cls, v: str | None) -> str | None:
        if v is None:
            return v
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            msg = f"unknown time zone {v!r}; expected an IANA name like Asia/Shanghai"
            raise ValueError(msg) from None
        return v

    @field_validator("thresholds_min")
    @classmethod
    def _thresholds(cls, v: list[float]) -> list[float]:
        if any(not 0 < t <= 60 for t in v) or len(set(v)) != len(v):
            msg = "thresholds_min: distinct minutes in (0, 60]"
            raise ValueError(msg)
        return v


class PlanOut(BaseModel):
    id: str
    status: PlanStatus
    progress: float = Field(description="0..1")
    stage: str | None = Field(description="the stage running now")
    params: dict[str, Any]
    summary: dict[str, Any] | None = Field(description="plan.json once done")
    error: str | None = Field(description="why it failed")
    files: list[str] = []
    created_at: float
    updated_at: float


class PlanList(BaseModel):
    plans: list[PlanOut]


class LineLink(BaseModel):
    line_id: str
    slot: str
    url: str


class MapLinks(BaseModel):
    expires_at: int = Field(description="Unix seconds")
    command_map: str
    lines: list[LineLink]


class Health(BaseModel):
    status: Literal["ok"] = "ok"
    demo: bool
    mode: Mode
    nodes: int
    posts: int
    dispatch_table: bool
    maps: bool
