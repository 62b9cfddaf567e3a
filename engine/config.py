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
    # Debug check for tests: every command runs as a new process would (no cached workflow, the
    # model compiled again), so a test suite run with it proves that cold behaves like warm.
    cold_commands: bool = False
    max_upload_bytes: int = 10 * 1024 * 1024
    max_file_bytes: int = 2 * 1024 * 1024
    # Bounds on the work one model upload may ask of validate and deploy (engine/repository/compiler.py):
    # XML elements of its BPMN file, and how deep they nest.
    max_model_elements: int = 50_000
    max_model_depth: int = 40
    # Bounds on process data (engine/datalimits.py): its JSON after a command, and its nesting.
    max_data_bytes: int = 1024 * 1024
    max_data_depth: int = 32
    # Debug check for tests: compare the incrementally written workflow state with a full one.
    verify_state: bool = False
    # The automatic work one command may do before it fails and rolls back: each script has its own
    # budget, but a loop of automatic elements that never waits would otherwise run for ever while
    # holding the instance (and, on SQLite, the database's write lock).
    command_max_elements: int = 100_000
    command_timeout_ms: int = 10_000
    timezone: str = "Asia/Shanghai"
    timer_poll_seconds: float = 1.0
    timer_max_attempts: int = 5
    timer_retry_seconds: int = 30
    # Login throttling (engine/identity/throttle.py): failures allowed before back-off starts and
    # the longest back-off, per user name and per client address; when failures are forgotten.
    login_user_free_failures: int = 5
    login_user_max_delay: int = 300
    login_address_free_failures: int = 10
    login_address_max_delay: int = 3600
    login_forget_after: int = 3600
    # Argon2id cost of login passwords (OWASP's minimum: 19 MiB, 2 passes, 1 lane).
    password_memory_kib: int = 19456
    password_time_cost: int = 2
    # The history chain's MAC keys (engine/history/keys.py): inline text, or a file; neither set
    # means a key file generated beside the SQLite database on first use.
    chain_keys: str = ""
    chain_key_file: str = ""
    # Signed checkpoints of all chain heads (engine/history/checkpoints.py); off without a directory.
    checkpoint_dir: str = ""
    checkpoint_signing_key_file: str = ""
    checkpoint_public_key_file: str = ""
    checkpoint_seconds: float = 3600.0

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        values: dict[str, object] = {
            "database_url": os.environ.get("APPROVALS_DATABASE_URL") or default_database_url(),
            "sqlite_synchronous": os.environ.get("APPROVALS_SQLITE_SYNCHRONOUS", "NORMAL").upper(),
            "workflow_cache_size": env_int("APPROVALS_WORKFLOW_CACHE_SIZE", 512, 0),
            "cold_commands": env_flag("APPROVALS_COLD_COMMANDS", False),
            "max_upload_bytes": env_int("APPROVALS_MAX_UPLOAD_BYTES", 10 * 1024 * 1024, 1024),
            "max_file_bytes": env_int("APPROVALS_MAX_XML_BYTES", 2 * 1024 * 1024, 1024),
            "max_model_elements": env_int("APPROVALS_MAX_MODEL_ELEMENTS", 50_000, 100, 1_000_000),
            # lxml refuses documents nested deeper than 256 levels anyway.
            "max_model_depth": env_int("APPROVALS_MAX_MODEL_DEPTH", 40, 8, 250),
            "max_data_bytes": env_int("APPROVALS_MAX_DATA_BYTES", 1024 * 1024, 1024, 1024**3),
            # Every serializer recurses once per level; 200 keeps them far from Python's limit.
            "max_data_depth": env_int("APPROVALS_MAX_DATA_DEPTH", 32, 4, 200),
            "verify_state": env_flag("APPROVALS_VERIFY_STATE", False),
            "command_max_elements": env_int("APPROVALS_COMMAND_MAX_ELEMENTS", 100_000, 100),
            "command_timeout_ms": env_int("APPROVALS_COMMAND_TIMEOUT_MS", 10_000, 100),
            "timezone": os.environ.get("APPROVALS_TIMEZONE", "Asia/Shanghai"),
            "timer_poll_seconds": env_float("APPROVALS_TIMER_POLL_SECONDS", 1.0, 0.01),
            "timer_max_attempts": env_int("APPROVALS_TIMER_MAX_ATTEMPTS", 5, 1),
            "timer_retry_seconds": env_int("APPROVALS_TIMER_RETRY_SECONDS", 30, 0),
            "login_user_free_failures": env_int("APPROVALS_LOGIN_USER_FREE_FAILURES", 5, 0, 1000),
            "login_user_max_delay": env_int("APPROVALS_LOGIN_USER_MAX_DELAY", 300, 1, 86400),
            "login_address_free_failures": env_int("APPROVALS_LOGIN_ADDRESS_FREE_FAILURES", 10, 0, 10000),
            "login_address_max_delay": env_int("APPROVALS_LOGIN_ADDRESS_MAX_DELAY", 3600, 1, 86400),
            "login_forget_after": env_int("APPROVALS_LOGIN_FORGET_AFTER", 3600, 60, 30 * 86400),
            "password_memory_kib": env_int("APPROVALS_PASSWORD_MEMORY_KIB", 19456, 8192, 4 * 1024 * 1024),
            "password_time_cost": env_int("APPROVALS_PASSWORD_TIME_COST", 2, 1, 100),
            "chain_keys": os.environ.get("APPROVALS_CHAIN_KEYS", ""),
            "chain_key_file": os.environ.get("APPROVALS_CHAIN_KEY_FILE", "").strip(),
            "checkpoint_dir": os.environ.get("APPROVALS_CHECKPOINT_DIR", "").strip(),
            "checkpoint_signing_key_file": os.environ.get(
                "APPROVALS_CHECKPOINT_SIGNING_KEY_FILE", ""
            ).strip(),
            "checkpoint_public_key_file": os.environ.get("APPROVALS_CHECKPOINT_PUBLIC_KEY_FILE", "").strip(),
            "checkpoint_seconds": env_float("APPROVALS_CHECKPOINT_SECONDS", 3600.0, 1.0),
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


@dataclass(frozen=True)
class ScriptLimits:
    """The budget of one script or expression run in the sandbox (engine/scripting/budget.py)."""

    timeout_ms: int = 1000
    max_steps: int = 1_000_000
    max_int_bits: int = 10_000
    max_items: int = 1_000_000
    max_total_items: int = 10_000_000

    @classmethod
    def from_env(cls) -> ScriptLimits:
        return cls(
            timeout_ms=env_int("APPROVALS_SCRIPT_TIMEOUT_MS", 1000, 1, 600_000),
            max_steps=env_int("APPROVALS_SCRIPT_MAX_STEPS", 1_000_000, 1),
            max_int_bits=env_int("APPROVALS_SCRIPT_MAX_INT_BITS", 10_000, 64, 1_000_000),
            max_items=env_int("APPROVALS_SCRIPT_MAX_ITEMS", 1_000_000, 1000),
            max_total_items=env_int("APPROVALS_SCRIPT_MAX_TOTAL_ITEMS", 10_000_000, 1000),
        )
