"""`approvals users passwd NAME`: asked twice at a terminal (unechoed), once from a pipe; short refused."""

from __future__ import annotations

import os
import pty
import select
import signal
import subprocess
import time

from engine import Engine
from engine.config import Settings
from engine.errors import AuthenticationFailed
from tests.cli.conftest import APPROVALS

PASSWORD = "correct horse battery"


def _logs_in(cli, name: str, password: str) -> bool:
    engine = Engine(Settings.from_env(database_url=f"sqlite:///{cli.db}"))
    try:
        engine.identity.login(name, password)
        return True
    except AuthenticationFailed:
        return False
    finally:
        engine.close()


def test_a_password_piped_in_is_set_and_never_printed(cli):
    cli("users", "add", "fay", "--groups", "finance")
    for args in (("users", "passwd", "fay"), ("users", "passwd", "fay", "--password-stdin")):
        result = subprocess.run(
            [APPROVALS, *args],
            input=PASSWORD + "\n",
            capture_output=True,
            text=True,
            env={**os.environ, "APPROVALS_DATABASE_URL": f"sqlite:///{cli.db}"},
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == "password of fay set"
        assert PASSWORD not in result.stdout + result.stderr
    assert _logs_in(cli, "fay", PASSWORD)
    assert not _logs_in(cli, "fay", PASSWORD + "\n")  # the line's end is not part of it


def test_a_short_password_or_an_unknown_user_is_refused_and_nothing_changes(cli):
    cli("users", "add", "fay", "--groups", "finance")
    env = {**os.environ, "APPROVALS_DATABASE_URL": f"sqlite:///{cli.db}"}
    for args, given, message in (
        (("users", "passwd", "fay"), "short\n", "a password needs at least 8 characters"),
        (("users", "passwd", "fay"), "", "a password needs at least 8 characters"),
        (("users", "passwd", "nobody"), PASSWORD + "\n", "no user named 'nobody'"),
    ):
        result = subprocess.run(
            [APPROVALS, *args], input=given, capture_output=True, text=True, env=env, timeout=60
        )
        assert result.returncode == 1
        assert message in result.stderr and "Traceback" not in result.stderr
        assert "short" not in result.stdout + result.stderr.replace(message, "")
    assert not _logs_in(cli, "fay", "short")


def _at_a_terminal(cli, name: str, *answers: str) -> tuple[int, str]:
    """Run `users passwd` with a terminal of its own (getpass reads it with echo off); type each
    answer after its prompt; return the exit status and everything the terminal showed."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: its controlling terminal is the pty
        os.environ["APPROVALS_DATABASE_URL"] = f"sqlite:///{cli.db}"
        os.execv(APPROVALS, [APPROVALS, "users", "passwd", name])
    shown = b""
    pending = list(answers)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(fd, 1024)
            except OSError:  # the child closed the terminal: it has ended
                break
            if not chunk:
                break
            shown += chunk
            # Answer each prompt once, when it is the last thing shown. After an answer getpass prints
            # only a newline, so "ends with a colon" alone would answer the first prompt twice, and
            # the second getpass flushes an answer typed before it asks (TCSAFLUSH): a hang.
            prompts = shown.count(b"New password for") + shown.count(b"Repeat the password:")
            if pending and prompts > len(answers) - len(pending) and shown.endswith((b":", b": ")):
                os.write(fd, pending.pop(0).encode() + b"\n")
    else:
        os.kill(pid, signal.SIGKILL)  # never wait for ever on a child still asking
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    return os.waitstatus_to_exitcode(status), shown.decode(errors="replace")


def test_at_a_terminal_it_asks_twice_without_echo_and_both_must_match(cli):
    cli("users", "add", "fay", "--groups", "finance")
    code, shown = _at_a_terminal(cli, "fay", PASSWORD, PASSWORD + "!")
    assert code == 1 and "the two passwords differ" in shown
    assert PASSWORD not in shown  # typed twice, shown never
    assert not _logs_in(cli, "fay", PASSWORD)

    code, shown = _at_a_terminal(cli, "fay", "short")
    assert code == 1 and "at least 8 characters" in shown and "Repeat" not in shown

    code, shown = _at_a_terminal(cli, "fay", PASSWORD, PASSWORD)
    assert code == 0, shown
    assert "New password for fay:" in shown and "Repeat the password:" in shown
    assert "password of fay set" in shown and PASSWORD not in shown
    assert _logs_in(cli, "fay", PASSWORD)
