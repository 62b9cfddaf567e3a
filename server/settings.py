"""Serving settings, read from environment variables (docs/configuration.md lists them all).

Engine settings (database, upload limits, time zone) stay in ``engine.config.Settings``; these are
only about the HTTP side: where to listen, how many processes, how large a JSON body may be.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from engine.config import env_flag, env_int

APP_NAME = "marketing-approvals"  # what pages call the product
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8080


@dataclass(frozen=True)
class ServerSettings:
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    # Processes, each with its own engine and database pool; threads per process (1 = gunicorn's
    # sync worker, more = its gthread worker, useful while requests wait on the database).
    workers: int = 2
    threads: int = 4
    timeout: int = 60
    # JSON request bodies are small (form data, filters); bundles have their own, larger limit
    # (engine Settings.max_upload_bytes).
    max_json_bytes: int = 1024 * 1024
    access_log: bool = False
    # Each worker also runs the timer poller, so one `approvals serve` is a complete installation;
    # off when dedicated `approvals worker` processes do it.
    timers: bool = True
    # The web UI's cookies: None sends them `Secure` exactly when the request came over TLS; set it
    # when a TLS-terminating proxy forwards plain HTTP.
    secure_cookies: bool | None = None

    @classmethod
    def from_env(cls) -> ServerSettings:
        return cls(
            host=os.environ.get("APPROVALS_HOST", "").strip() or DEFAULT_HOST,
            port=env_int("APPROVALS_PORT", DEFAULT_PORT, 0, 65535),
            workers=env_int("APPROVALS_WORKERS", 2, 1, 64),
            threads=env_int("APPROVALS_THREADS", 4, 1, 256),
            timeout=env_int("APPROVALS_REQUEST_TIMEOUT", 60, 1, 3600),
            max_json_bytes=env_int("APPROVALS_MAX_JSON_BYTES", 1024 * 1024, 1024, 1024**3),
            access_log=env_flag("APPROVALS_ACCESS_LOG", False),
            timers=env_flag("APPROVALS_SERVE_TIMERS", True),
            secure_cookies=(
                env_flag("APPROVALS_SECURE_COOKIES", False)
                if os.environ.get("APPROVALS_SECURE_COOKIES")
                else None
            ),
        )
