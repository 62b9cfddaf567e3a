"""`approvals serve`: the real command, gunicorn with several workers, on the test database."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from cli.serve_command import gunicorn_options
from engine.errors import ConfigurationError
from server.settings import ServerSettings
from tests.conftest import process_env
from tests.factories import MODELS
from tests.served import APPROVALS, free_port, wait_until_up

WAKEUP = MODELS / "wakeup" / "wakeup.bpmn"


def listening_addresses(port: int) -> set[str]:
    """Local addresses with a TCP socket listening on ``port`` (from /proc, without sending anything)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if not os.path.exists(table):
            continue
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                found.add(address)
    return found


@pytest.fixture
def cli_env(database_url: str, tmp_path: Path) -> dict[str, str]:
    return process_env(database_url)


def add_user(env: dict[str, str], name: str, groups: str) -> str:
    added = subprocess.run(
        [APPROVALS, "users", "add", name, "--groups", groups, "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(added.stdout)["token"]


def test_serve_runs_gunicorn_on_loopback_with_tokens_from_the_cli(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    token = add_user(cli_env, "sam", "sales")
    admin = {"Authorization": "Bearer " + add_user(cli_env, "root", "admin")}
    port = free_port()
    server = subprocess.Popen(
        [APPROVALS, "serve", "--port", str(port), "--workers", "2", "--threads", "2"],
        env=cli_env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}/api/v1"
        assert wait_until_up(base + "/health", server).status_code == 200
        assert listening_addresses(port) == {"0100007F"}  # 127.0.0.1 only
        me = httpx.get(base + "/me", headers={"Authorization": f"Bearer {token}"}, timeout=5)
        assert me.status_code == 200 and me.json()["groups"] == ["sales"]
        assert httpx.get(base + "/me", timeout=5).status_code == 401

        # the workers also poll for due timers: a one-second timer fires without anyone asking
        bpmn = WAKEUP.read_bytes().replace(b"PT1H", b"PT1S")
        deployed = httpx.post(base + "/models", files={"wakeup.bpmn": ("wakeup.bpmn", bpmn)}, headers=admin)
        assert deployed.status_code == 201, deployed.text
        started = httpx.post(
            base + "/instances", json={"model": "wakeup", "data": {"spin": 3}}, headers=admin
        )
        assert started.json()["status"] == "running"
        instance = base + f"/instances/{started.json()['id']}"
        deadline = time.monotonic() + 20
        while httpx.get(instance, headers=admin).json()["status"] != "completed":
            assert time.monotonic() < deadline, "the timer never fired"
            time.sleep(0.3)
        assert httpx.get(instance, headers=admin).json()["data"]["woken"] is True
    finally:
        server.send_signal(signal.SIGTERM)
        output = server.communicate(timeout=30)[0]
    assert server.returncode == 0, output
    assert "Booting worker" in output and "Traceback" not in output


def test_serving_options() -> None:
    options = gunicorn_options(ServerSettings(host="::1", port=9000, workers=3, threads=1))
    assert (options["bind"], options["workers"], options["worker_class"]) == ("[::1]:9000", 3, "sync")
    options = gunicorn_options(ServerSettings())
    assert (options["bind"], options["worker_class"], options["threads"]) == ("127.0.0.1:8080", "gthread", 4)


def test_serving_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APPROVALS_HOST", "0.0.0.0")
    monkeypatch.setenv("APPROVALS_PORT", "9090")
    monkeypatch.setenv("APPROVALS_WORKERS", "5")
    monkeypatch.setenv("APPROVALS_MAX_JSON_BYTES", "4096")
    settings = ServerSettings.from_env()
    assert (settings.host, settings.port, settings.workers, settings.max_json_bytes) == (
        "0.0.0.0",
        9090,
        5,
        4096,
    )
    monkeypatch.setenv("APPROVALS_PORT", "eighty")
    with pytest.raises(ConfigurationError, match="APPROVALS_PORT must be an integer"):
        ServerSettings.from_env()
    monkeypatch.setenv("APPROVALS_PORT", "70000")
    with pytest.raises(ConfigurationError, match="APPROVALS_PORT must be at most 65535"):
        ServerSettings.from_env()
