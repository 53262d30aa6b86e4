"""Plans computed in the background: the request's parameters become a ``patrol plan`` run.

A plan is a row in the database from the moment it is asked for (``queued``); a worker thread
marks it ``running`` with its progress, runs :func:`pipeline.plan.run` into a scratch folder
(on the city's network as loaded at start-up, not read again), and
stores the summary and every file in one transaction (``done``), or the reason (``failed``).
A process killed mid-plan leaves it ``running``: the next start marks it failed.
"""

from __future__ import annotations

import logging
import shutil
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from api.city import City
from api.config import Settings
from api.errors import NotFoundError
from api.schemas import PlanRequest
from api.storage import PlanRow, Storage
from geo.errors import InputError, PatrolError
from pipeline.job import Job
from pipeline.stages import Stages
from pipeline.workspace import parse_staffing

log = logging.getLogger("patrol.api")

# stages a demo-sized `patrol plan` runs: progress is their share (capped below 1)
EXPECTED_STAGES = 24
INTERRUPTED = "interrupted: the service stopped before the plan finished; submit it again"


class ProgressStages(Stages):
    """Stage lines as progress in the database instead of stderr."""

    def __init__(self, storage: Storage, plan_id: str) -> None:
        super().__init__(quiet=True)
        self.storage = storage
        self.plan_id = plan_id

    def run(self, label: str, fn: Any) -> Any:
        self.storage.set_progress(self.plan_id, min(0.95, self.done / EXPECTED_STAGES), label)
        return super().run(label, fn)


def check_request(req: PlanRequest) -> None:
    """Checks the planner would make later, made now so that the caller gets a 422."""
    from planner.demand import parse_slots

    slots = parse_slots(req.slots)
    parse_staffing(
        None if req.points.staffing is None else ",".join(map(str, req.points.staffing)),
        len(slots),
        req.points.count,
    )


def plan_job(req: PlanRequest, city: City, *, incidents: Path, out: Path) -> Job:
    """The run of a request: the city's network, posts and profile, the request's parameters."""
    p, ln = req.points, req.lines
    return Job(
        network=city.network_source, mode=city.mode,
        profile=str(city.profile) if city.profile else None,
        posts=str(city.posts_path), incidents=str(incidents),
        timezone=req.timezone or city.timezone,
        points_mode=p.mode, lines_mode=ln.mode,
        count=p.count, spacing_m=p.spacing_m, cover_m=p.cover_m, cover_min=p.cover_min,
        staffing=",".join(map(str, p.staffing)) if p.staffing else None,
        exact_limit_s=p.exact_limit_s, test_weeks=p.test_weeks,
        line_count=ln.count, min_km=ln.min_km, max_km=ln.max_km, speed_kph=ln.speed_kph,
        overlap_penalty=ln.overlap_penalty,
        response_min=req.response_min, thresholds=tuple(req.thresholds_min),
        slots=req.slots, bandwidth_m=req.bandwidth_m, half_life_days=req.half_life_days,
        time_limit_s=req.time_limit_s, seed=req.seed,
        out=str(out),
    )  # fmt: skip


class PlanRunner:
    """Runs plans on ``settings.plan_workers`` threads."""

    def __init__(self, storage: Storage, city: City, settings: Settings) -> None:
        self.storage = storage
        self.city = city
        self.work_dir = settings.plans_dir
        self.pool = ThreadPoolExecutor(settings.plan_workers, thread_name_prefix="plan")

    def submit(self, req: PlanRequest) -> PlanRow:
        check_request(req)
        if req.incidents_upload_id is not None:
            meta, content = self.storage.get_upload(req.incidents_upload_id)
            incidents: tuple[str, bytes] | Path = (meta.filename, content)
        elif self.city.demo_incidents is not None:
            incidents = self.city.demo_incidents
        else:
            msg = "incidents_upload_id: upload the incidents first (POST /v1/uploads)"
            raise InputError(msg)
        plan_id = uuid.uuid4().hex
        row = self.storage.create_plan(plan_id, req.model_dump(mode="json"))
        self.pool.submit(self._run, plan_id, req, incidents)
        return row

    def _run(self, plan_id: str, req: PlanRequest, incidents: tuple[str, bytes] | Path) -> None:
        work = self.work_dir / f"{plan_id}.work"
        try:
            shutil.rmtree(work, ignore_errors=True)
            out = work / "out"
            if isinstance(incidents, Path):
                inc_path = incidents
            else:
                inc_path = work / "inputs" / incidents[0]
                inc_path.parent.mkdir(parents=True, exist_ok=True)
                inc_path.write_bytes(incidents[1])
            result = self._plan(plan_id, req, inc_path, out)
            files = {
                p.relative_to(out).as_posix(): p.read_bytes()
                for p in sorted(out.rglob("*"))
                if p.is_file()
            }
            self.storage.finish_plan(plan_id, result, files)
        except PatrolError as exc:
            self.storage.fail_plan(plan_id, str(exc))
        except Exception as exc:
            log.exception("plan %s failed", plan_id)
            self.storage.fail_plan(plan_id, f"internal error: {type(exc).__name__}: {exc}")
        finally:
            shutil.rmtree(work, ignore_errors=True)

    def _plan(self, plan_id: str, req: PlanRequest, incidents: Path, out: Path) -> dict[str, Any]:
        from pipeline.plan import run
        from pipeline.workspace import Workspace

        job = plan_job(req, self.city, incidents=incidents, out=out)
        stages = ProgressStages(self.storage, plan_id)
        ws = Workspace(job, stages)
        if self.city.report is not None:
            ws.use_network(self.city.mode, self.city.report, self.city.net)
        done = run(job, stages, ws)
        return dict(done["plan"])

    def shutdown(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)


def plan_folder(storage: Storage, plan_id: str, root: Path) -> Path:
    """A finished plan's files as a folder (written from the database on first use)."""
    row = storage.get_plan(plan_id)
    if row.status != "done":
        msg = f"plan {plan_id!r} is {row.status}, not done"
        raise NotFoundError(msg)
    folder = root / plan_id
    if not folder.is_dir():
        tmp = root / f"{plan_id}.{uuid.uuid4().hex[:8]}.tmp"
        for name, data in storage.plan_files(plan_id).items():
            path = tmp / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        try:
            tmp.rename(folder)
        except OSError:  # another request wrote it first
            shutil.rmtree(tmp, ignore_errors=True)
    return folder
