"""Timer benchmark on PostgreSQL: firing throughput with 1 and 2 worker processes, and due-to-fire lag.

    python bench/bench_timers.py [--timers 10000] [--postgres URL]

1. Throughput: N instances each wait on a timer that is already due; `approvals worker --once`
   processes (1, then 2, on a fresh batch) fire them all. Timers fired per second are measured
   between the first and the last fire recorded in the database (process start-up excluded).
2. Lag: one worker polls every second (the default idle interval) while timers come due spread over
   twenty seconds; the lag from each due time to its firing is reported as p50 and p95.
Each worker is a separate OS process, as in production.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from throwaway_key import use_throwaway_chain_key

from engine import Engine
from engine.actor import SYSTEM
from engine.config import Settings
from engine.store.database import Database
from engine.store.schema import timers

APPROVALS = str(Path(sys.executable).with_name("approvals"))
MODEL = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="Defs_bench_timer"
    targetNamespace="http://example.com/bench">
  <bpmn:process id="bench_timer" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:intermediateCatchEvent id="wait"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:timerEventDefinition><bpmn:timeDate>${due}</bpmn:timeDate></bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="wait" />
    <bpmn:sequenceFlow id="f2" sourceRef="wait" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>
"""


def _start_batch(args: tuple[str, list[str]]) -> int:
    url, dues = args
    engine = Engine(Settings.from_env(database_url=url))
    try:
        for due in dues:
            engine.runtime.start("bench_timer", SYSTEM, {"due": due})
    finally:
        engine.close()
    return len(dues)


def start_instances(url: str, dues: list[str], processes: int = 2) -> None:
    chunks = [dues[i::processes] for i in range(processes)]
    with ProcessPoolExecutor(processes) as pool:
        list(pool.map(_start_batch, [(url, chunk) for chunk in chunks]))


def fired_between(engine: Engine, since: datetime) -> tuple[int, datetime, datetime]:
    with engine.db.read() as conn:
        row = conn.execute(
            select(func.count(), func.min(timers.c.fired_at), func.max(timers.c.fired_at)).where(
                (timers.c.status == "fired") & (timers.c.fired_at >= since)
            )
        ).one()
    return row[0], row[1], row[2]


def workers(url: str, count: int, *args: str) -> list[subprocess.Popen]:
    env = {**os.environ, "APPROVALS_DATABASE_URL": url}
    return [
        subprocess.Popen(
            [APPROVALS, "worker", *args], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        for _ in range(count)
    ]


def throughput(engine: Engine, url: str, count: int, n_workers: int) -> float:
    due = (datetime.now(UTC) - timedelta(seconds=1)).isoformat()
    start_instances(url, [due] * count)
    since = datetime.now(UTC)
    for process in workers(url, n_workers, "--once"):
        process.wait()
    fired, first, last = fired_between(engine, since)
    assert fired == count, f"fired {fired} of {count}"
    return fired / (last - first).total_seconds()


def lag(engine: Engine, url: str, count: int) -> list[float]:
    poller = workers(url, 1, "--interval", "1")[0]
    try:
        time.sleep(3)  # the worker is up and idle
        base = datetime.now(UTC) + timedelta(seconds=5)
        dues = [(base + timedelta(seconds=20 * i / count)).isoformat() for i in range(count)]
        since = datetime.now(UTC)
        start_instances(url, dues, processes=1)
        deadline = time.monotonic() + 120
        while fired_between(engine, since)[0] < count:
            assert time.monotonic() < deadline, "timers did not fire in time"
            time.sleep(0.5)
    finally:
        poller.terminate()
        poller.wait()
    with engine.db.read() as conn:
        rows = conn.execute(
            select(timers.c.due_at, timers.c.fired_at).where(
                (timers.c.status == "fired") & (timers.c.fired_at >= since)
            )
        ).all()
    return sorted((fired - due).total_seconds() for due, fired in rows)


def main() -> None:
    use_throwaway_chain_key()
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--timers", type=int, default=10_000)
    parser.add_argument("--lag-timers", type=int, default=200)
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()

    admin = Database(args.postgres)
    name = f"approvals_bench_timers_{int(time.time())}"
    with admin.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    url = admin.engine.url.set(database=name).render_as_string(hide_password=False)
    engine = Engine(Settings.from_env(database_url=url))
    try:
        engine.upgrade_schema()
        engine.repository.deploy(
            [engine.repository.bundle_from_files({"bench_timer.bpmn": MODEL.encode()})], SYSTEM
        )
        rates = {n: throughput(engine, url, args.timers, n) for n in (1, 2)}
        lags = lag(engine, url, args.lag_timers)
    finally:
        engine.close()
        with admin.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()

    print(f"PostgreSQL, {args.timers:,} timers due at once, `approvals worker --once` processes:")
    for n, rate in rates.items():
        label = f"{n} worker{'s' if n > 1 else ''}"
        print(f"  {label:9}: {rate:8.0f} timers fired/s  ({rate / rates[1]:.2f}x one worker)")
    p50 = statistics.median(lags)
    p95 = lags[int(0.95 * (len(lags) - 1))]
    print(f"lag from due time to firing, 1 worker polling every 1 s, {len(lags)} timers due over 20 s:")
    print(f"  p50 {p50:.3f} s   p95 {p95:.3f} s   max {lags[-1]:.3f} s")


if __name__ == "__main__":
    main()
