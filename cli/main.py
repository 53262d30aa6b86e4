"""The ``patrol`` command line: parse, call the packages, write files, print a summary.

One module per command (``cli/coverage.py``, ``cli/points.py``, ``cli/lines.py``,
``cli/plan.py``). Every error raised on purpose (:class:`geo.errors.PatrolError`) is printed
as one line and the command exits with status 2; nothing is written to ``--out`` unless the
whole stage succeeded.
"""

from __future__ import annotations

import argparse
import logging
import sys
import warnings
from collections.abc import Sequence

from api import keys_cli, serve
from cli import coverage, lines, plan, points
from cli import map as map_cmd
from cli.common import silence_highs_banner
from geo.errors import PatrolError

EXIT_INPUT = 2
EXIT_INTERNAL = 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="patrol",
        description="Patrol planning on real road networks: response coverage from street "
        "police posts, blind spots, night control points and patrol lines.",
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="no stage lines")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    coverage.add_parser(sub)
    points.add_parser(sub)
    lines.add_parser(sub)
    plan.add_parser(sub)
    map_cmd.add_parser(sub)
    plan.add_demo_parser(sub)
    serve.add_parser(sub)
    keys_cli.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(message)s")
    if not args.debug:
        warnings.filterwarnings("ignore", category=FutureWarning)
        warnings.filterwarnings("ignore", category=DeprecationWarning)
    try:
        if args.command in ("points", "plan", "demo"):
            silence_highs_banner()
        return int(args.func(args))
    except PatrolError as exc:
        print(f"\npatrol {args.command}: error: {exc}", file=sys.stderr)
        if args.debug:
            raise
        return EXIT_INPUT
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # the last line of defence: one line, not a traceback
        if args.debug:
            raise
        print(
            f"\npatrol {args.command}: internal error: {type(exc).__name__}: {exc} "
            "(run with --debug for the traceback, and please report it)",
            file=sys.stderr,
        )
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
