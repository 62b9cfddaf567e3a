"""Settings, read from environment variables (the table in docs/configuration.md lists them all)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from engine.errors import ConfigurationError


def env_int(name: str, default: int, low: int | None = None, high: int | None = None) -> int:
    """An integer environment variable, ``default`` when unset or empty."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigurationError(f"environment variable {name} must be an integer, got {raw!r}")
    if low is not None and value < low:
        raise ConfigurationError(f"environment variable {name} must be at least {low}, got {value}")
    if high is not None and value > high:
        raise ConfigurationError(f"environment variable {name} must be at most {high}, got {value}")
    return value


def env_float(name: str, default: float, low: float = 0.0) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigurationError(f"environment variable {name} must be a number, got {raw!r}")
    if value < low:
        raise ConfigurationError(f"environment variable {name} must be at least {low}, got {value}")
    return value


def env_flag(name: str, default: bool) -> bool:
    raw = os.environ.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise ConfigurationError(f"environment variable {name} must be 1 or 0 (true/false, on/off), got {raw!r}")


_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


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
            "workflow_cache_size": env_int("APPROVALS_WORKFLOW_CACHE_SIZE", 512, 0),
            "max_upload_bytes": env_int("APPROVALS_MAX_UPLOAD_BYTES", 10 * 1024 * 1024, 1024),
            "max_file_bytes": env_int("APPROVALS_MAX_XML_BYTES", 2 * 1024 * 1024, 1024),
            "verify_state": env_flag("APPROVALS_VERIFY_STATE", False),
            "timezone": os.environ.get("APPROVALS_TIMEZONE", "Asia/Shanghai"),
            "timer_poll_seconds": env_float("APPROVALS_TIMER_POLL_SECONDS", 1.0, 0.01),
            "timer_max_attempts": env_int("APPROVALS_TIMER_MAX_ATTEMPTS", 5, 1),
            "timer_retry_seconds": env_int("APPROVALS_TIMER_RETRY_SECONDS", 30, 0),
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        if values["sqlite_synchronous"] not in ("OFF", "NORMAL", "FULL", "EXTRA"):
            raise ConfigurationError(
                f"environment variable APPROVALS_SQLITE_SYNCHRONOUS must be one of OFF, NORMAL, FULL, EXTRA, "
                f"got {values['sqlite_synchronous']!r}"
            )
        try:
            ZoneInfo(str(values["timezone"]))
        except (ZoneInfoNotFoundError, ValueError):
            raise ConfigurationError(
                f"environment variable APPROVALS_TIMEZONE names no known time zone: {values['timezone']!r}"
            )
        return cls(**values)  # type: ignore[arg-type]
