"""The `cli` fixture: the real `approvals` executable, in its own process, on a fresh SQLite file."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

APPROVALS = str(Path(sys.executable).with_name("approvals"))


@pytest.fixture
def cli(tmp_path):
    env = {**os.environ, "APPROVALS_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}"}

    def run(*args, ok=True, extra_env=None):
        result = subprocess.run(
            [APPROVALS, *args],
            capture_output=True,
            text=True,
            env={**env, **(extra_env or {})},
            cwd=tmp_path,
            timeout=60,
        )
        if ok:
            assert result.returncode == 0, result.stderr
        return result

    run.db = tmp_path / "cli.db"
    run.dir = tmp_path
    return run
