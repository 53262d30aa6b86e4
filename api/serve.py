"""``patrol serve [--host H] [--port P]``: the API under uvicorn."""

from __future__ import annotations

import argparse


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "serve",
        help="run the API (dispatch, coverage, plans, maps) with uvicorn",
        description="Runs the service. Configuration comes from PATROL_* environment variables "
        "(or the TOML file PATROL_CONFIG names); with none it serves the demo district.",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="port (8000)")
    p.set_defaults(func=cmd)


def cmd(args: argparse.Namespace) -> int:
    import uvicorn

    from api.main import create_app

    uvicorn.run(create_app(), host=args.host, port=args.port, log_level="info")
    return 0
