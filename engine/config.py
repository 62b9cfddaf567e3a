"""Settings, read from environment variables (the table in docs/configuration.md lists them all)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"environment variable {name} must be an integer, got {raw!r}")


def _float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError:
        raise ValueError(f"environment variable {name} must be a number, got {raw!r}")


def default_database_url() -> str:
    return "sqlite:///" + str(Path.cwd() / "instance" / "approvals.db")


@dataclass(frozen=True)
class Settings:
    database_url: str = field(default_factory=default_database_url)
    # WAL mode with NORMAL (as Rails does for SQLite): a committed command survives a crash of
    # the process, and the database is never corrupted; only an OS crash or power cut may roll
    # back the last commands. FULL also survives those, at ~0.35 ms more per command.
    sqlite_synchronous: str = "NORMAL"
    workflow_cache_size: int = 512
    max_upload_bytes: int = 10 * 1024 * 1024
    max_file_bytes: int = 2 * 1024 * 1024
    # Debug check for tests: compare the incrementally written workflow state with a full one.
    verify_state: bool = False
    timezone: str = "Asia/Shanghai"
    timer_poll_seconds: float = 1.0
    timer_max_attempts: int = 5
    timer_retry_seconds: int = 30

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        values: dict[str, object] = {
            "database_url": os.environ.get("APPROVALS_DATABASE_URL") or default_database_url(),
            "sqlite_synchronous": os.environ.get("APPROVALS_SQLITE_SYNCHRONOUS", "NORMAL").upper(),
            "workflow_cache_size": _int("APPROVALS_WORKFLOW_CACHE_SIZE", 512),
            "max_upload_bytes": _int("APPROVALS_MAX_UPLOAD_BYTES", 10 * 1024 * 1024),
            "max_file_bytes": _int("APPROVALS_MAX_XML_BYTES", 2 * 1024 * 1024),
            "verify_state": os.environ.get("APPROVALS_VERIFY_STATE", "") in ("1", "true", "yes"),
            "timezone": os.environ.get("APPROVALS_TIMEZONE", "Asia/Shanghai"),
            "timer_poll_seconds": _float("APPROVALS_TIMER_POLL_SECONDS", 1.0),
            "timer_max_attempts": _int("APPROVALS_TIMER_MAX_ATTEMPTS", 5),
            "timer_retry_seconds": _int("APPROVALS_TIMER_RETRY_SECONDS", 30),
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        if values["sqlite_synchronous"] not in ("OFF", "NORMAL", "FULL", "EXTRA"):
            raise ValueError("APPROVALS_SQLITE_SYNCHRONOUS must be one of OFF, NORMAL, FULL, EXTRA")
        return cls(**values)  # type: ignore[arg-type]
