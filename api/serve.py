"""``patrol serve [--host H] [--port P] [--workers N]``: the API under uvicorn.

With one worker, uvicorn serves the app in this process. With more, the process loads the city
once, binds the sockets, marks interrupted plans failed, then forks the workers: they share the
loaded network copy-on-write (no worker loads it again). Each worker listens on a socket of its
own bound to the same port with SO_REUSEPORT, so the kernel spreads connections evenly over
them (one shared socket lets the first worker to wake take most keep-alive connections, and
its clients queue while the other core idles); without SO_REUSEPORT they share one socket. Each worker computes plans of its own; every plan
lives in the shared SQLite database, so any worker answers for any plan. If a worker dies,
the others are stopped and the command exits non-zero: the next start (by a supervisor) then
marks the plans that were running failed, as after any crash.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import signal
import socket
import sys

log = logging.getLogger("patrol.api")


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "serve",
        help="run the API (dispatch, coverage, plans, maps) with uvicorn",
        description="Runs the service. Configuration comes from PATROL_* environment variables "
        "(or the TOML file PATROL_CONFIG names); with none it serves the demo district.",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="port (8000)")
    p.add_argument(
        "--workers",
        type=int,
        default=None,
        help="server processes sharing the loaded city (default: PATROL_WORKERS, else 1; "
        "use the number of cores for dispatch load)",
    )
    p.set_defaults(func=cmd)


def cmd(args: argparse.Namespace) -> int:
    from api.config import Settings
    from geo.errors import InputError

    settings = Settings()
    workers = args.workers if args.workers is not None else settings.workers
    if workers < 1:
        msg = f"--workers must be at least 1, got {workers}"
        raise InputError(msg)
    return run(settings, host=args.host, port=args.port, workers=workers)


def _bind(host: str, port: int, *, reuse_port: bool = False) -> socket.socket:
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuse_port:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind(address)
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def _bind_workers(host: str, port: int, workers: int) -> list[socket.socket]:
    """One listening socket per worker on ``host:port`` (SO_REUSEPORT), or one shared."""
    if hasattr(socket, "SO_REUSEPORT"):
        try:
            first = _bind(host, port, reuse_port=True)
        except OSError:
            pass
        else:
            # bound to the port the first one got (``port`` may be 0)
            actual = first.getsockname()[1]
            return [first] + [_bind(host, actual, reuse_port=True) for _ in range(workers - 1)]
    return [_bind(host, port)] * workers


def run(
    settings: object,
    *,
    host: str,
    port: int,
    workers: int = 1,
    city: object | None = None,
    log_level: str = "info",
    access_log: bool = True,
) -> int:
    """Serve until stopped; the exit status (0 after SIGTERM/SIGINT, 1 if a worker died)."""
    import uvicorn

    from api.city import City, load_city
    from api.config import Settings
    from api.main import create_app, keep_out_of_gc, mark_interrupted_plans
    from api.security import link_secret
    from api.storage import Storage

    assert isinstance(settings, Settings)
    assert city is None or isinstance(city, City)
    if workers == 1:
        app = create_app(settings, city=city)
        uvicorn.run(app, host=host, port=port, log_level=log_level, access_log=access_log)
        return 0

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    mark_interrupted_plans(Storage(settings.database))
    link_secret(settings.map_link_secret, settings.data_dir)  # one secret for every worker
    loaded = city or load_city(settings)
    loaded.dispatcher.prepare_thread()  # projections made before the fork, not in each worker
    keep_out_of_gc()
    sockets = _bind_workers(host, port, workers)
    print(f"patrol serve: http://{host}:{port} with {workers} workers", file=sys.stderr)
    children: list[int] = []
    for sock in sockets:
        pid = os.fork()
        if pid == 0:  # a worker
            code = 1
            try:
                signal.signal(signal.SIGINT, signal.SIG_DFL)
                for other in set(sockets) - {sock}:
                    other.close()  # the other workers' listeners
                app = create_app(settings, city=loaded, mark_interrupted=False)
                config = uvicorn.Config(app, log_level=log_level, access_log=access_log)
                uvicorn.Server(config).run(sockets=[sock])
                code = 0
            except BaseException:
                log.exception("worker %d failed", os.getpid())
            finally:
                os._exit(code)
        children.append(pid)
    for sock in set(sockets):
        sock.close()  # the workers hold them now

    stopping = False

    def stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True
        for pid in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    status = 0
    while children:
        try:
            pid, wait_status = os.wait()
        except ChildProcessError:
            break
        children.remove(pid)
        if not stopping:
            code = os.waitstatus_to_exitcode(wait_status)
            print(f"patrol serve: worker {pid} exited ({code}); stopping", file=sys.stderr)
            status = 1
            stop(signal.SIGTERM, None)
    return status
