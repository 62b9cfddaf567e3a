"""A real `approvals serve` for the tests that need the product as users run it: a free port, and
waiting until the server answers (failing at once, with its output, when it dies instead)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

APPROVALS = str(Path(sys.executable).with_name("approvals"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(url: str, server: subprocess.Popen, seconds: float = 60) -> httpx.Response:
    """The first answer (any status) to GET ``url`` from ``server`` once it listens."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            return httpx.get(url, timeout=2)
        except httpx.TransportError:
            pass
        if server.poll() is not None:
            output = server.stdout.read() if server.stdout else ""
            raise AssertionError(f"the server stopped (exit {server.returncode}): {output}")
        assert time.monotonic() < deadline, "the server did not come up"
        time.sleep(0.1)
