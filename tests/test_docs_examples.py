"""Every example in docs/api.md, run as written and in order against a real `approvals serve`.

The page's examples form one session on a fresh `make run` database: the shell blocks from "For
employees and other systems" up to "For the next engineer" run in one bash, with `curl` wrapped to
record each answer's status. A status the text does not announce fails the test: every 4xx must be
intended, said in the comment line right under the call (`# 403 …`); without one, 2xx is expected.
"""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
from pathlib import Path

import pytest

from tests.conftest import ON_POSTGRES, REPO
from tests.served import free_port, wait_until_up

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(ON_POSTGRES, reason="the docs' session is a fresh `make run`, on its SQLite file"),
]

API_DOC = REPO / "docs" / "api.md"
FIRST, LAST = "## For employees and other systems", "## For the next engineer"
BIN = Path(shutil.which("approvals") or REPO / ".venv" / "bin" / "approvals").parent

# Each call appends "<status>" to $CALLS; its body goes to stdout as curl would print it.
CURL_WRAPPER = r"""
curl() {
  local body status
  body=$(mktemp)
  status=$(command curl -sS -o "$body" -w '%{http_code}' "$@") || { echo "curl failed: $*" >&2; exit 2; }
  cat "$body"; echo; rm -f "$body"
  echo "$status" >> "$CALLS"
}
"""


def shell_blocks(text: str) -> list[str]:
    section = text[text.index(FIRST) : text.index(LAST)]
    return re.findall(r"^```sh\n(.*?)^```", section, flags=re.S | re.M)


def expected_statuses(blocks: list[str]) -> list[str]:
    """Per `curl` call, in order: the status the comment under it announces, or "2xx"."""
    expected = []
    for block in blocks:
        lines = block.splitlines()
        for i, line in enumerate(lines):
            if not re.search(r"(^|[(&;|]\s*)curl\s", line.strip()):
                continue
            j = i
            while lines[j].rstrip().endswith("\\"):
                j += 1
            after = lines[j + 1].strip() if j + 1 < len(lines) else ""
            announced = re.match(r"^#\s*(\d{3})\b", after)
            expected.append(announced.group(1) if announced else "2xx")
    return expected


def test_the_api_page_runs_as_written(tmp_path: Path) -> None:
    blocks = shell_blocks(API_DOC.read_text("utf-8"))
    expected = expected_statuses(blocks)
    assert len(expected) >= 20, "the walkthrough lost its examples"
    port = free_port()
    env = {
        "PATH": f"{BIN}:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "APPROVALS_DATABASE_URL": f"sqlite:///{tmp_path / 'approvals.db'}",
        "APPROVALS_PORT": str(port),
        "CALLS": str(tmp_path / "calls"),
    }
    # What `make run` does before it serves.
    for step in (["db", "upgrade"], ["deploy", "process_models/", "--strict"]):
        subprocess.run(["approvals", *step], cwd=REPO, env=env, check=True, capture_output=True, timeout=300)
    server = subprocess.Popen(
        ["approvals", "serve", "--workers", "1", "--threads", "4"],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert wait_until_up(f"http://127.0.0.1:{port}/api/v1/health", server).status_code == 200
        script = "set -euo pipefail\n" + CURL_WRAPPER + "\n".join(blocks)
        script = script.replace("127.0.0.1:8080", f"127.0.0.1:{port}")
        run = subprocess.run(
            ["bash", "-c", script],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=300,
        )
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    transcript = run.stdout[-4000:] + run.stderr[-4000:]
    assert run.returncode == 0, transcript
    calls = (tmp_path / "calls").read_text().split()
    assert len(calls) == len(expected), transcript
    for number, (got, wanted) in enumerate(zip(calls, expected, strict=True), start=1):
        ok = got.startswith("2") if wanted == "2xx" else got == wanted
        assert ok, f"curl call {number} answered {got}, the docs say {wanted}\n{transcript}"
    assert "Traceback" not in run.stdout + run.stderr
