"""Timer workers as real, separate processes: exactly once with several workers, and a worker killed in
the middle of firing leaves its timer to fire (once) later."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from engine.actor import SYSTEM
from engine.store.schema import history_events, timers
from tests.conftest import ON_POSTGRES, process_env
from tests.factories import MODELS, add_users, deploy_path

APPROVALS = str(Path(sys.executable).with_name("approvals"))
pytestmark = pytest.mark.slow


def worker(database_url: str, *args: str) -> subprocess.Popen:
    # The test's own APPROVALS_* settings (script budgets) reach the worker too.
    env = {**os.environ, **process_env(database_url)}
    return subprocess.Popen(
        [APPROVALS, "worker", *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def start_sleepers(engine, count: int, spin: int) -> list[int]:
    # Instances are started on the test's clock (early 2026): in the workers' real time their
    # one-hour timers are long due.
    deploy_path(engine, MODELS / "wakeup")
    starter = add_users(engine, sam="sales_rep")["sam"]
    return [engine.runtime.start("wakeup", starter, {"spin": spin}).id for _ in range(count)]


def fired_per_instance(engine) -> dict[int, int]:
    with engine.db.read() as conn:
        rows = conn.execute(
            select(history_events.c.instance_id, func.count())
            .where((history_events.c.type == "timer_fired") & (history_events.c.element_id == "one_hour"))
            .group_by(history_events.c.instance_id)
        ).all()
    return dict(rows)


@pytest.mark.postgres
def test_two_workers_fire_a_thousand_due_timers_exactly_once(engine, database_url):
    ids = start_sleepers(engine, 1000, spin=0)
    workers = [worker(database_url, "--once") for _ in range(2)]
    outputs = [w.communicate(timeout=300) for w in workers]
    assert [w.returncode for w in workers] == [0, 0], outputs
    counts = [int(out.split("fired ")[1].split(",")[0]) for out, _ in outputs]
    assert sum(counts) == 1000 and all(c > 0 for c in counts), counts
    assert fired_per_instance(engine) == dict.fromkeys(ids, 1)
    with engine.db.read() as conn:
        assert dict(conn.execute(select(timers.c.status, func.count()).group_by(timers.c.status)).all()) == {
            "fired": 1000
        }
    assert {engine.runtime.get(i, SYSTEM).status for i in ids} == {"completed"}


def _instance_locked(engine, instance_id: int) -> bool:
    """Is a worker in the middle of a command on the instance (holding its lock)?"""
    if ON_POSTGRES:
        with engine.db.engine.connect() as conn, conn.begin():
            try:
                conn.execute(
                    text("SELECT 1 FROM process_instances WHERE id = :id FOR UPDATE NOWAIT"),
                    {"id": instance_id},
                )
                return False
            except Exception:
                return True
    raw = engine.db.engine.raw_connection()
    try:
        raw.execute("PRAGMA busy_timeout = 0")
        try:
            raw.execute("BEGIN IMMEDIATE")
            raw.execute("ROLLBACK")
            return False
        except Exception:
            return True
    finally:
        raw.close()


def test_a_worker_killed_while_firing_leaves_the_timer_to_fire_once_later(engine, database_url, monkeypatch):
    # Several seconds of script work after the timer: far past the default script budget (1 s), so
    # the workers get a larger one (every loop step is counted, ~1 µs each).
    monkeypatch.setenv("APPROVALS_SCRIPT_TIMEOUT_MS", "120000")
    monkeypatch.setenv("APPROVALS_SCRIPT_MAX_STEPS", "1000000000")
    monkeypatch.setenv("APPROVALS_SCRIPT_MAX_ITEMS", "100000000")
    (instance_id,) = start_sleepers(engine, 1, spin=4_000_000)
    first = worker(database_url, "--once")
    deadline = time.monotonic() + 60
    while not _instance_locked(engine, instance_id):
        assert first.poll() is None, first.communicate()
        assert time.monotonic() < deadline, "the worker never started firing"
        time.sleep(0.05)
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=30)

    assert fired_per_instance(engine) == {}
    (timer,) = engine.timers.list(SYSTEM, instance_id=instance_id)
    assert timer.status == "pending" and timer.attempts == 0  # a crash is not a failure: no backoff
    assert engine.runtime.get(instance_id, SYSTEM).status == "running"

    second = worker(database_url, "--once")
    out, err = second.communicate(timeout=120)
    assert second.returncode == 0 and "fired 1," in out, err
    assert fired_per_instance(engine) == {instance_id: 1}
    done = engine.runtime.get(instance_id, SYSTEM)
    assert done.status == "completed" and done.data["woken"] is True
    assert engine.history.verify(instance_id, SYSTEM).ok
