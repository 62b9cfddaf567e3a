"""Process overview benchmark: median and p90 waits per task at 100,000 completed tasks of one version.

    python bench/bench_overview.py [--tasks 100000] [--repeat 9] [--database-url postgresql://…]

Fills a fresh database (a temporary SQLite file, or a scratch schema on PostgreSQL when
--database-url is given) directly: the measured version ("campaign" v2) has --tasks completed user
tasks spread over 6 elements and 90 days, with log-normal waits (minutes to weeks), plus 2,000 open
ones; another version and another model add as many rows again, which the queries must skip. One
instance per task. Then times (median of --repeat runs, in ms): the version's waits over the last 30
and 90 days, the overview's counts of every version, and the two web pages, signed in, over WSGI.
Target: the waits of one version under 300 ms (CPU time, on SQLite: the wall time of a shared
machine says more about its neighbours).
"""

from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scratch import scratch_engine, vacuum_analyze

from engine import Engine
from engine.actor import SYSTEM
from engine.overview import Period
from engine.store.schema import model_versions, process_instances, user_tasks

NOW = datetime(2026, 6, 15, 9, 0, tzinfo=UTC)
ELEMENTS = ["draft", "manager_review", "finance_review", "legal_review", "vp_approval", "publish"]
# (id, model key, version): the measured version is id 2; the others are rows to skip.
VERSIONS = [(1, "campaign", 1), (2, "campaign", 2), (3, "budget", 1)]
MEASURED = 2


class FixedClock:
    def now(self) -> datetime:
        return NOW


def fill(engine: Engine, completed: int, seed: int = 11) -> None:
    rnd = random.Random(seed)
    with engine.db.engine.begin() as conn:
        conn.execute(
            insert(model_versions),
            [
                {
                    "id": vid,
                    "model_key": key,
                    "version": version,
                    "content_hash": f"{vid}" * 64,
                    "deployed_by": "bench",
                    "deployed_at": NOW - timedelta(days=200),
                    "info": "{}",
                }
                for vid, key, version in VERSIONS
            ],
        )
        plan = [(MEASURED, "completed")] * completed + [(MEASURED, "open")] * 2000
        plan += [(rnd.choice((1, 3)), rnd.choice(("completed", "open"))) for _ in range(completed)]
        instances, tasks = [], []
        for i, (vid, status) in enumerate(plan, start=1):
            key = VERSIONS[vid - 1][1]
            element = rnd.randrange(len(ELEMENTS))
            wait = timedelta(minutes=min(60 * 24 * 40, rnd.lognormvariate(5 + element * 0.5, 1.2)))
            if status == "completed":
                done = NOW - timedelta(minutes=rnd.randrange(60 * 24 * 90))
                created = done - wait
            else:
                done, created = None, NOW - wait
            instances.append(
                {
                    "id": i,
                    "model_key": key,
                    "version_id": vid,
                    "status": "completed" if status == "completed" else "running",
                    "initiator": "bench",
                    "started_at": created,
                    "updated_at": done or created,
                    "ended_at": done,
                    "revision": 1,
                    "state": "{}",
                    "data": "{}",
                }
            )
            tasks.append(
                {
                    "id": i,
                    "instance_id": i,
                    "spiff_task_id": f"{i:036d}",
                    "element_id": ELEMENTS[element],
                    "name": ELEMENTS[element].replace("_", " ").title(),
                    "model_key": key,
                    "version_id": vid,
                    "status": status,
                    "created_at": created,
                    "completed_at": done,
                    "completed_by": "bench" if done else None,
                    "due_at": created + timedelta(days=2),
                    "priority": 50,
                    "is_approval": True,
                    "suspended": False,
                }
            )
            if len(tasks) == 10_000 or i == len(plan):
                conn.execute(insert(process_instances), instances)
                conn.execute(insert(user_tasks), tasks)
                instances, tasks = [], []


def timed(run: Callable[[], Any], repeat: int) -> tuple[float, float, Any]:
    """Median wall time and median CPU time of this process, in ms. On a shared machine the CPU time
    is the steadier figure; on SQLite it includes the database's work, on PostgreSQL it does not."""
    run()  # warm the caches: a page is read again and again
    walls, cpus, result = [], [], None
    for _ in range(repeat):
        start, cpu = time.perf_counter(), time.process_time()
        result = run()
        walls.append((time.perf_counter() - start) * 1000)
        cpus.append((time.process_time() - cpu) * 1000)
    return statistics.median(walls), statistics.median(cpus), result


def described(result: Any) -> str:
    if hasattr(result, "elements"):
        counted = sum(e.completed.count for e in result.elements)
        return f"{len(result.elements)} elements, {counted:,} completed tasks"
    if isinstance(result, list):
        return f"{len(result)} versions"
    return str(result)


def web_pages(engine: Engine) -> list[tuple[str, Callable[[], Any]]]:
    """The two pages as a browser gets them (session, figures, HTML), over WSGI."""
    from server.app import create_app

    engine.identity.add_user("olive", ["process_owner"], password="bench password 7")
    client = create_app(engine).test_client()
    form = client.get("/ui/sign-in").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    signed = client.post(
        "/ui/sign-in", data={"name": "olive", "password": "bench password 7", "csrf_token": token}
    )
    assert signed.status_code == 302, signed.get_data(as_text=True)

    def page(path: str) -> str:
        answer = client.get(path)
        assert answer.status_code == 200, answer.status_code
        return f"{len(answer.data) // 1024} KiB HTML"

    return [
        ("web: /ui/processes", lambda: page("/ui/processes")),
        ("web: /ui/processes/campaign/2 (heat map)", lambda: page("/ui/processes/campaign/2?days=90")),
    ]


def bench(engine: Engine, repeat: int) -> list[tuple[str, float, float, Any]]:
    cases: list[tuple[str, Callable[[], Any]]] = [
        (
            "waits of campaign v2, last 30 days",
            lambda: engine.overview.waits("campaign", 2, SYSTEM, Period.last_days(NOW, 30)),
        ),
        (
            "waits of campaign v2, last 90 days",
            lambda: engine.overview.waits("campaign", 2, SYSTEM, Period.last_days(NOW, 90)),
        ),
        (
            "counts of every version, last 30 days",
            lambda: engine.overview.processes(SYSTEM, Period.last_days(NOW)),
        ),
    ]
    cases += web_pages(engine)
    return [(label, *timed(run, repeat)) for label, run in cases]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tasks", type=int, default=100_000, help="completed tasks of the measured version")
    parser.add_argument("--repeat", type=int, default=9, help="runs per query; the median is printed")
    parser.add_argument("--database-url", help="PostgreSQL: a scratch schema is created and dropped")
    args = parser.parse_args()
    runs = [("sqlite", None)] + ([("postgresql", args.database_url)] if args.database_url else [])
    for name, url in runs:
        with scratch_engine("overview", url, FixedClock()) as engine:
            start = time.perf_counter()
            fill(engine, args.tasks)
            vacuum_analyze(engine)
            if engine.db.dialect == "sqlite":
                with engine.db.engine.begin() as conn:
                    conn.execute(text("ANALYZE"))
            filled = time.perf_counter() - start
            print(
                f"\n{name}: {args.tasks:,} completed tasks of one version (and as many others) "
                f"filled in {filled:.1f} s; median of {args.repeat} runs; load average "
                f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs",
                flush=True,
            )
            results = bench(engine, args.repeat)
            width = max(len(label) for label, *_ in results)
            print(f"  {'':<{width}}      wall       CPU", flush=True)
            for label, ms, cpu, result in results:
                flag = "" if cpu < 300 else "   <-- over 300 ms"
                shown = f"{ms:6.1f} ms  {cpu:6.1f} ms   ({described(result)}){flag}"
                print(f"  {label:<{width}}  {shown}", flush=True)


if __name__ == "__main__":
    main()
