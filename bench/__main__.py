"""City-scale benchmarks: ``python -m bench [command] [options]`` (``./dev bench ...``).

Each benchmark is a subcommand; ``coverage`` is the default, ``points`` benchmarks the night
control points (maximal covering with spacing) against spopt, ``points-suite`` the control
points' fast solver against the HiGHS optimum on the demo district (the same as
``python -m bench.points_bench suite``), ``lines`` the patrol lines against random closed
walks and top-edges loops. Stage lines with timings go to
stderr, the result table to stdout, the figures to ``bench/results/<name>.json``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from bench import api_bench, lines_bench, maps_bench
from bench.common import add_city_options

COMMANDS = ("coverage", "points", "points-suite", "lines", "maps", "api")
DEFAULT_COMMAND = "coverage"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="City-scale benchmarks, side by side with baselines (default: coverage).",
    )
    sub = parser.add_subparsers(
        dest="command", metavar="{coverage,points,points-suite,lines,maps,api}"
    )
    cov = sub.add_parser(
        "coverage",
        help="1/3/5-minute coverage vs networkx Dijkstra; snapping vs osmnx nearest_edges",
        description=(
            "Coverage from the posts (scipy Dijkstra + segment reach) against networkx "
            "multi_source_dijkstra_path_length, snapping incidents against osmnx "
            "nearest_edges, compile time and peak memory, on a synthetic city of ~105k nodes."
        ),
    )
    add_city_options(cov)
    g = cov.add_argument_group("workload")
    g.add_argument("--posts", type=int, default=22, help="number of posts (default 22)")
    g.add_argument(
        "--incidents", type=int, default=100_000, help="number of incidents (default 100000)"
    )
    g.add_argument("--repeat", type=int, default=5, help="repeats of the fast steps (median)")
    g.add_argument(
        "--osmnx-limit",
        type=float,
        default=60.0,
        help="give up on the osmnx nearest_edges baseline after this many s (default 60)",
    )
    g.add_argument("--skip-osmnx", action="store_true", help="skip the osmnx snapping baseline")
    g.add_argument(
        "--out",
        type=Path,
        default=Path("bench/results/coverage.json"),
        help="JSON results file (default bench/results/coverage.json)",
    )
    g.add_argument("--strict", action="store_true", help="exit 1 if a target is missed")
    cov.set_defaults(func=_run_coverage)
    _points_parser(sub)
    _points_suite_parser(sub)
    lines_bench.add_parser(sub)
    maps_bench.add_parser(sub)
    api_bench.add_parser(sub)
    return parser


def _points_parser(sub: argparse._SubParsersAction) -> None:
    pts = sub.add_parser(
        "points",
        help="night control points (maximal covering + spacing) vs PySAL spopt MCLP",
        description=(
            "Night control points: cover matrix + greedy/swap/ILS (planner.control_points) "
            "on all candidate intersections of the synthetic city with 50,000 incidents, the "
            "HiGHS MILP for the optimality gap, and PySAL spopt MCLP.from_cost_matrix on a "
            "sub-instance without spacing that its dense matrix can hold (run in a child "
            "process killed at --spopt-limit)."
        ),
    )
    add_city_options(pts)
    g = pts.add_argument_group("workload")
    g.add_argument(
        "--incidents", type=int, default=50_000, help="number of incidents (default 50000)"
    )
    g.add_argument("--count", type=int, default=168, help="control points to choose (default 168)")
    g.add_argument(
        "--cover-m", type=float, default=400.0, help="cover radius, walking m (default 400)"
    )
    g.add_argument(
        "--spacing-m", type=float, default=300.0, help="least distance between points (default 300)"
    )
    g.add_argument(
        "--bandwidth-m", type=float, default=150.0, help="demand kernel bandwidth (default 150)"
    )
    g.add_argument(
        "--exact-limit",
        type=float,
        default=120.0,
        help="HiGHS time limit for solve_exact in s; 0 skips it on the full instance (default 120)",
    )
    g = pts.add_argument_group("spopt baseline")
    g.add_argument(
        "--spopt-limit",
        type=float,
        default=300.0,
        help="time limit for spopt's build + solve, in s; the child is killed after it "
        "(default 300)",
    )
    g.add_argument(
        "--spopt-solver",
        choices=("highs", "cbc"),
        default="highs",
        help="pulp solver for spopt: pulp.HiGHS or PULP_CBC_CMD (default highs)",
    )
    g.add_argument(
        "--sub-units",
        type=int,
        default=5000,
        help="demand segments in the spopt sub-instance, the top weighted (default 5000)",
    )
    g.add_argument(
        "--sub-candidates",
        type=int,
        default=2000,
        help="candidates in the spopt sub-instance, at random among those covering any of "
        "those segments (default 2000)",
    )
    g.add_argument("--skip-spopt", action="store_true", help="skip the spopt baseline")
    g.add_argument(
        "--out",
        type=Path,
        default=Path("bench/results/points.json"),
        help="JSON results file (default bench/results/points.json)",
    )
    g.add_argument("--strict", action="store_true", help="exit 1 if a target is missed")
    pts.set_defaults(func=_run_points)


def _points_suite_parser(sub: argparse._SubParsersAction) -> None:
    from bench.points_bench import SUITE_DESCRIPTION, add_suite_options

    suite = sub.add_parser(
        "points-suite",
        help="control points' fast solver vs the HiGHS optimum on the demo district",
        description=SUITE_DESCRIPTION,
    )
    add_suite_options(suite)
    suite.set_defaults(func=_run_points_suite)


def _run_coverage(args: argparse.Namespace) -> int:
    from bench import coverage_bench  # heavy imports only when running

    return coverage_bench.run(args)


def _run_points(args: argparse.Namespace) -> int:
    from bench import points_bench  # heavy imports only when running

    return points_bench.run(args)


def _run_points_suite(args: argparse.Namespace) -> int:
    from bench import points_bench

    return points_bench.run_suite(args)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or (argv[0] not in COMMANDS and argv[0] not in ("-h", "--help")):
        argv = [DEFAULT_COMMAND, *argv]
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
