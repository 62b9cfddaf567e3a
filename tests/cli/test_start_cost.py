"""What every `approvals` process imports before it does anything: the libraries only some commands
need stay out (bench/bench_cli_start.py measures the cost; docs/engineering.md, "Test suite time")."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import REPO

# Each is imported where it is used: a form loaded (jsonschema), a key read or a checkpoint signed
# (cryptography), a cron timer (croniter), a poller started (apscheduler), a PostgreSQL upsert.
LOADED_WHEN_NEEDED = (
    "jsonschema",
    "cryptography",
    "croniter",
    "apscheduler",
    "sqlalchemy.dialects.postgresql",
)

PROBE = f"""
import sys
import cli.main
from engine import Engine
print(" ".join(name for name in {LOADED_WHEN_NEEDED!r} if name in sys.modules))
"""


def test_a_command_starts_without_the_libraries_only_some_commands_need() -> None:
    probe = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, cwd=REPO, check=True, timeout=120
    )
    assert probe.stdout.split() == []
