"""Plans computed in the background: the request's parameters become a ``patrol plan`` run.

A plan is a row in the database from the moment it is asked for (``queued``); a worker thread
marks it ``running`` with its progress, runs :func:`cli.plan.run` into a scratch folder, and
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
from cli.common import Stages, staffing_arg
from geo.errors import InputError, PatrolError

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
    staffing_arg(
        None if req.points.staffing is None else ",".join(map(str, req.points.staffing)),
        len(slots),
        req.points.count,
    )


def plan_argv(req: PlanRequest, city: City, *, incidents: Path, out: Path) -> list[str]:
    """The ``patrol plan`` arguments of a request."""
    p, ln = req.points, req.lines
    argv = [
        "-q", "plan",
        "--network", city.network_source, "--mode", city.mode,
        "--posts", str(city.posts_path), "--incidents", str(incidents),
        "--points-mode", p.mode, "--lines-mode", ln.mode,
        "--points", str(p.count), "--spacing-m", f"{p.spacing_m!r}",
        "--exact-limit-s", f"{p.exact_limit_s!r}", "--test-weeks", f"{p.test_weeks!r}",
        "--lines", str(ln.count), "--min-km", f"{ln.min_km!r}", "--max-km", f"{ln.max_km!r}",
        "--overlap-penalty", f"{ln.overlap_penalty!r}",
        "--response-min", f"{req.response_min!r}",
        "--thresholds", ",".join(f"{t!r}" for t in req.thresholds_min),
        "--slots", req.slots, "--bandwidth-m", f"{req.bandwidth_m!r}",
        "--time-limit-s", f"{req.time_limit_s!r}", "--seed", str(req.seed),
        "--out", str(out),
    ]  # fmt: skip
    argv += ["--cover-m", f"{p.cover_m!r}"] if p.cover_m is not None else []
    argv += ["--cover-min", f"{p.cover_min!r}"] if p.cover_min is not None else []
    argv += ["--staffing", ",".join(map(str, p.staffing))] if p.staffing else []
    argv += ["--speed-kph", f"{ln.speed_kph!r}"] if ln.speed_kph is not None else []
    argv += ["--half-life-days", f"{req.half_life_days!r}"] if req.half_life_days else []
    zone = req.timezone or city.timezone
    argv += ["--timezone", zone] if zone else []
    argv += ["--profile", str(city.profile)] if city.profile else []
    return argv


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
        except SystemExit as exc:  # argparse refusing an argument: a bug of plan_argv
            log.error("plan %s: bad arguments (%s)", plan_id, exc)
            self.storage.fail_plan(plan_id, "internal error: the plan's arguments were refused")
        except Exception as exc:
            log.exception("plan %s failed", plan_id)
            self.storage.fail_plan(plan_id, f"internal error: {type(exc).__name__}: {exc}")
        finally:
            shutil.rmtree(work, ignore_errors=True)

    def _plan(self, plan_id: str, req: PlanRequest, incidents: Path, out: Path) -> dict[str, Any]:
        from cli.common import Workspace
        from cli.main import build_parser
        from cli.plan import run

        args = build_parser().parse_args(plan_argv(req, self.city, incidents=incidents, out=out))
        stages = ProgressStages(self.storage, plan_id)
        done = run(args, stages, Workspace(args, stages))
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
