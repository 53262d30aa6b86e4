"""The Job every run takes: the command line and the service fill the same fields."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from api.runner import plan_job
from api.schemas import PlanRequest
from cli.main import build_parser
from pipeline.job import Job

PLAN_ARGV = [
    "plan", "--network", "n.osm", "--posts", "p.csv", "--incidents", "i.csv",
    "--points", "7", "--cover-min", "2", "--spacing-m", "300", "--lines", "4",
    "--min-km", "2", "--max-km", "5", "--staffing", "3,4", "--slots", "20-22,22-02",
    "--thresholds", "1,2", "--timezone", "Asia/Shanghai", "--out", "o",
]  # fmt: skip


def test_every_field_but_the_lines_start_file_is_an_option_of_patrol_plan():
    args = build_parser().parse_args(PLAN_ARGV)
    fields = {f.name for f in dataclasses.fields(Job)}
    assert fields - set(vars(args)) == {"points"}  # `patrol lines --points FILE` only


def test_from_args_takes_the_options_and_ignores_the_rest():
    args = build_parser().parse_args(PLAN_ARGV)
    job = Job.from_args(args)
    assert (job.count, job.line_count, job.cover_min, job.cover_m) == (7, 4, 2.0, None)
    assert (job.staffing, job.slots, job.thresholds) == ("3,4", "20-22,22-02", (1.0, 2.0))
    assert job.timezone == "Asia/Shanghai" and job.out == "o"
    assert not hasattr(job, "func")


def test_a_service_request_becomes_the_same_job(city):
    req = PlanRequest.model_validate(
        {
            "slots": "20-22,22-02", "thresholds_min": [1, 2], "timezone": "Asia/Shanghai",
            "points": {"count": 7, "cover_min": 2, "spacing_m": 300, "staffing": [3, 4]},
            "lines": {"count": 4, "min_km": 2, "max_km": 5, "mode": "drive"},
            "seed": 9,
        }
    )  # fmt: skip
    job = plan_job(req, city, incidents=Path("i.csv"), out=Path("o"))
    cli = Job.from_args(build_parser().parse_args(PLAN_ARGV))
    same = ("count", "line_count", "cover_min", "cover_m", "staffing", "slots", "thresholds",
            "timezone", "min_km", "max_km", "spacing_m")  # fmt: skip
    assert {k: getattr(job, k) for k in same} == {k: getattr(cli, k) for k in same}
    assert (job.lines_mode, job.points_mode, job.seed) == ("drive", "walk", 9)
    assert job.network == city.network_source and job.posts == str(city.posts_path)
