"""approvals serve: the HTTP server (API and web UI) in gunicorn, each worker process with its own engine.

Flask, server.app and gunicorn are imported only when serving, so other commands start no slower.
"""

from __future__ import annotations

import argparse
import errno
import socket
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from engine import Engine
from engine.errors import InvalidInput
from engine.timers import TimerPoller

if TYPE_CHECKING:
    from server.settings import ServerSettings


def gunicorn_options(settings: ServerSettings) -> dict[str, Any]:
    host = f"[{settings.host}]" if ":" in settings.host else settings.host
    return {
        "bind": f"{host}:{settings.port}",
        "workers": settings.workers,
        "threads": settings.threads,
        "worker_class": "gthread" if settings.threads > 1 else "sync",
        "timeout": settings.timeout,
        "graceful_timeout": 10,
        "accesslog": "-" if settings.access_log else None,
        "errorlog": "-",
        "proc_name": "approvals",
        "preload_app": False,
        # gunicorn >= 25 opens a control socket at one fixed path per user: two servers on one
        # machine (tests, a benchmark) would fight over it, and nothing here uses it.
        "control_socket_disable": True,
    }


def run_gunicorn(app_factory: Callable[[], Any], options: dict[str, Any]) -> None:
    """gunicorn driven from code (its BaseApplication): our settings, not its command line or files."""
    from gunicorn.app.base import BaseApplication

    class ApprovalsServer(BaseApplication):
        def load_config(self) -> None:
            for key, value in options.items():
                if key in self.cfg.settings:  # settings newer than the installed gunicorn are skipped
                    self.cfg.set(key, value)

        def load(self) -> Any:
            # Runs in each worker after the fork: no database connection is shared between processes.
            return app_factory()

    ApprovalsServer().run()


def check_port_free(host: str, port: int) -> None:
    """Refuse at once when the port is taken, rather than print "serving" and let gunicorn retry
    for five seconds before it gives up."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        # As gunicorn binds: a port in TIME_WAIT after a restart counts as free.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            reason = "is in use" if exc.errno == errno.EADDRINUSE else f"cannot be used ({exc.strerror})"
            raise InvalidInput(
                f"port {port} on {host} {reason}: set APPROVALS_PORT (or --port) to a free one, "
                "or stop what listens there"
            )


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "serve",
        help="serve the HTTP API (gunicorn); defaults from APPROVALS_HOST, APPROVALS_PORT, APPROVALS_WORKERS",
    )
    p.add_argument("--host", help="address to listen on (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=int, help="port (default 8080)")
    p.add_argument("--workers", type=int, help="worker processes (default 2)")
    p.add_argument("--threads", type=int, help="threads per worker (default 4; 1 = sync workers)")
    p.add_argument(
        "--no-timers",
        dest="timers",
        action="store_false",
        default=None,
        help="do not poll for due timers (leave it to `approvals worker` processes)",
    )
    p.set_defaults(handler=serve)


def serve(engine: Engine, args: argparse.Namespace) -> int:
    from server.app import create_app
    from server.settings import ServerSettings

    settings = ServerSettings.from_env()
    names = ("host", "port", "workers", "threads", "timers")
    settings = replace(settings, **{k: getattr(args, k) for k in names if getattr(args, k) is not None})
    # This command's engine has checked (or created) the schema; each worker opens its own.
    engine.close()

    def worker_app() -> Any:
        worker_engine = Engine()
        if settings.timers:
            # Every worker polls: due timers are claimed in the database, so each fires exactly once.
            TimerPoller(worker_engine.timers, worker_engine.settings.timer_poll_seconds).start()
        return create_app(worker_engine, settings)

    check_port_free(settings.host, settings.port)
    base = f"http://{f'[{settings.host}]' if ':' in settings.host else settings.host}:{settings.port}"
    print(f"serving {base}/ (API page {base}/api/v1/docs/, health {base}/api/v1/health)", flush=True)
    run_gunicorn(worker_app, gunicorn_options(settings))
    return 0
