"""One app factory for the whole server: `approvals serve` runs it, and only it builds a Flask app."""

from __future__ import annotations

import re
import signal
import subprocess
import tomllib
from pathlib import Path

import httpx
import pytest

from tests.conftest import REPO, process_env
from tests.served import APPROVALS, free_port, wait_until_up

SHARED_CONTRACT = "What the faces share in server/ imports neither face: only the app factory joins them"


def test_only_the_factory_builds_a_flask_app() -> None:
    builders = [
        path.relative_to(REPO).as_posix()
        for folder in ("server", "api", "web", "cli", "engine", "bench")
        for path in (REPO / folder).rglob("*.py")
        if re.search(r"\bFlask\(", path.read_text())
    ]
    assert builders == ["server/app.py"]


def test_every_shared_server_module_is_held_to_import_no_face() -> None:
    contracts = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
    (shared,) = [c for c in contracts if c["name"] == SHARED_CONTRACT]
    modules = {
        f"server.{p.stem}" for p in (REPO / "server").glob("*.py") if p.stem not in ("__init__", "app")
    }
    # A new module in server/ must join the contract's list, or it could import a face unnoticed.
    assert set(shared["source_modules"]) == modules


@pytest.mark.slow
def test_approvals_serve_serves_the_ui_beside_the_api(database_url: str, tmp_path: Path) -> None:
    port = free_port()
    server = subprocess.Popen(
        [APPROVALS, "serve", "--port", str(port), "--workers", "1", "--threads", "2", "--no-timers"],
        env=process_env(database_url),
        cwd=tmp_path,  # templates and static files are found from the package, not the directory
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        page = wait_until_up(base + "/ui/sign-in", server)
        assert page.status_code == 200 and "marketing-approvals" in page.text
        assert page.headers["cache-control"] == "no-store"
        css = httpx.get(base + "/ui/static/web.css", timeout=5)
        assert css.status_code == 200 and css.headers["cache-control"] == "public, max-age=3600"
        assert httpx.get(base + "/api/v1/health", timeout=5).json()["status"] == "ok"
    finally:
        server.send_signal(signal.SIGTERM)
        output = server.communicate(timeout=30)[0]
    assert server.returncode == 0 and "Traceback" not in output, output
