"""Inbox benchmark: the queries an inbox page makes, at 100,000 open tasks.

    python bench/bench_inbox.py [--tasks 100000] [--repeat 15] [--database-url postgresql://…]

Fills a fresh database (a temporary SQLite file, or a scratch schema on PostgreSQL when
--database-url is given) with open tasks inserted directly: 5 models, 12 groups (one or two
candidate groups per task, a few tasks for anyone), 15% claimed, 20% overdue, 25% without a
deadline. Then times, for a member of two groups, each query a page needs (median of --repeat
runs, in ms): the first inbox page, the counts, a text filter, a business key filter (exact and
prefix), page 200 by offset and by cursor; then the web UI's whole inbox page for that user, signed
in (session, filters, counts, HTML). Targets on SQLite: every query under 50 ms, a whole page under
150 ms (it makes several: the page, the counts of its tabs, the session, the models' names).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scratch import scratch_engine, vacuum_analyze

from engine import Engine
from engine.actor import Actor
from engine.store.schema import model_versions, process_instances, user_task_candidates, user_tasks
from engine.tasks import TaskQuery

MODELS = ["campaign", "budget", "event", "sponsorship", "press_release"]
GROUPS = [f"team_{i:02d}" for i in range(12)]
USERS = [f"user{i:03d}" for i in range(200)]
NOW = datetime(2026, 6, 15, 9, 0, tzinfo=UTC)
PAGE = 50
REGIONS = ["EMEA", "APAC", "NA"]


class FixedClock:
    def now(self) -> datetime:
        return NOW


def fill(engine: Engine, count: int, seed: int = 7) -> None:
    rnd = random.Random(seed)
    with engine.db.engine.begin() as conn:
        conn.execute(
            insert(model_versions),
            [
                {
                    "id": i + 1,
                    "model_key": key,
                    "version": 1,
                    "content_hash": "0" * 64,
                    "deployed_by": "bench",
                    "deployed_at": NOW,
                    "info": "{}",
                }
                for i, key in enumerate(MODELS)
            ],
        )
        instances, tasks, candidates = [], [], []
        for i in range(1, count + 1):
            model = rnd.randrange(len(MODELS))
            key = f"MKT-2026-{i:06d}"
            created = NOW - timedelta(minutes=rnd.randrange(60 * 24 * 60))
            roll = rnd.random()
            if roll < 0.25:
                due = None
            elif roll < 0.45:
                due = NOW - timedelta(minutes=rnd.randrange(1, 60 * 24 * 10))  # overdue
            else:
                due = NOW + timedelta(minutes=rnd.randrange(1, 60 * 24 * 20))
            instances.append(
                {
                    "id": i,
                    "model_key": MODELS[model],
                    "version_id": model + 1,
                    "business_key": key,
                    "status": "running",
                    "initiator": rnd.choice(USERS),
                    "started_at": created,
                    "updated_at": created,
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
                    "element_id": "review",
                    "name": f"{MODELS[model].replace('_', ' ').title()} review {rnd.choice(REGIONS)}",
                    "model_key": MODELS[model],
                    "version_id": model + 1,
                    "business_key": key,
                    "status": "open",
                    "assignee": rnd.choice(USERS) if rnd.random() < 0.15 else None,
                    "created_at": created,
                    "due_at": due,
                    "priority": rnd.choice([20, 50, 50, 50, 80]),
                    "is_approval": True,
                    "suspended": False,
                }
            )
            if rnd.random() < 0.01:
                candidates.append({"task_id": i, "kind": "anyone", "name": "*"})
            else:
                for group in rnd.sample(GROUPS, rnd.choice([1, 1, 2])):
                    candidates.append({"task_id": i, "kind": "group", "name": group})
            if len(tasks) == 10_000 or i == count:
                conn.execute(insert(process_instances), instances)
                conn.execute(insert(user_tasks), tasks)
                conn.execute(insert(user_task_candidates), candidates)
                instances, tasks, candidates = [], [], []


def timed(run: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    run()  # warm the caches: a page is read again and again
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = run()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), result


def bench(engine: Engine, repeat: int) -> list[tuple[str, float, str]]:
    me = Actor("user007", frozenset({"team_03", "team_08"}))
    inbox = TaskQuery(mine=me, limit=PAGE)
    # the cursor of page 199's last row, taken by walking: what a user paging on would hold
    cursor = None
    for _ in range(199):
        cursor = engine.tasks.page(me, TaskQuery(mine=me, limit=PAGE, after=cursor)).next_cursor
    cases: list[tuple[str, Callable[[], Any]]] = [
        ("inbox page 1 (mine, due order)", lambda: engine.tasks.page(me, inbox)),
        ("inbox counts (total/mine/claimable/overdue)", lambda: engine.tasks.inbox_counts(me, inbox)),
        ("count(mine)", lambda: engine.tasks.count(me, inbox)),
        ("text 'apac' page 1", lambda: engine.tasks.page(me, TaskQuery(mine=me, text="apac", limit=PAGE))),
        ("text 'apac' counts", lambda: engine.tasks.inbox_counts(me, TaskQuery(text="apac"))),
        ("text no match page 1", lambda: engine.tasks.page(me, TaskQuery(mine=me, text="zzz", limit=PAGE))),
        (
            "business key exact",
            lambda: engine.tasks.page(me, TaskQuery(mine=me, business_key="MKT-2026-004242", limit=PAGE)),
        ),
        (
            "business key prefix MKT-2026-0042*",
            lambda: engine.tasks.page(me, TaskQuery(mine=me, business_key="MKT-2026-0042*", limit=PAGE)),
        ),
        (
            "due today (Asia/Shanghai)",
            lambda: engine.tasks.page(me, TaskQuery(mine=me, due="today", tz="Asia/Shanghai")),
        ),
        (
            "model + min_priority 80",
            lambda: engine.tasks.page(me, TaskQuery(mine=me, model_key="budget", min_priority=80)),
        ),
        (
            "page 200 by offset",
            lambda: engine.tasks.page(me, TaskQuery(mine=me, limit=PAGE, offset=199 * PAGE)),
        ),
        ("page 200 by cursor", lambda: engine.tasks.page(me, TaskQuery(mine=me, limit=PAGE, after=cursor))),
        ("priority order page 1", lambda: engine.tasks.page(me, TaskQuery(mine=me, sort="priority"))),
    ]
    cases += web_pages(engine, cursor)
    results = []
    for label, run in cases:
        ms, result = timed(run, repeat)
        shown = f"{len(result.items)} rows" if hasattr(result, "items") else str(result)
        results.append((label, ms, shown))
    return results


def web_pages(engine: Engine, cursor: str | None) -> list[tuple[str, Callable[[], Any]]]:
    """The whole inbox page as a browser gets it (sign-in session, filters, counts, HTML), over WSGI."""
    import re

    from server.app import create_app

    engine.identity.add_user("user007", ["team_03", "team_08"], password="bench password 7")
    client = create_app(engine).test_client()
    form = client.get("/ui/sign-in").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    signed = client.post(
        "/ui/sign-in", data={"name": "user007", "password": "bench password 7", "csrf_token": token}
    )
    assert signed.status_code == 302, signed.get_data(as_text=True)

    def page(query: str) -> Any:
        answer = client.get("/ui/inbox" + query)
        assert answer.status_code == 200, answer.status_code
        rows = answer.get_data(as_text=True).count('<li class="task')
        return f"{rows} rows, {len(answer.data) // 1024} KiB HTML"

    return [
        ("web: inbox page 1 (HTML, counts)", lambda: page("")),
        ("web: inbox, text 'apac'", lambda: page("?q=apac")),
        ("web: inbox page 200 by cursor", lambda: page(f"?after={cursor}")),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=15, help="runs per query; the median is printed")
    parser.add_argument("--database-url", help="PostgreSQL: a scratch schema is created and dropped")
    args = parser.parse_args()
    runs = [("sqlite", None)] + ([("postgresql", args.database_url)] if args.database_url else [])
    for name, url in runs:
        with scratch_engine("inbox", url, FixedClock()) as engine:
            start = time.perf_counter()
            fill(engine, args.tasks)
            vacuum_analyze(engine)
            filled = time.perf_counter() - start
            print(
                f"\n{name}: {args.tasks:,} open tasks filled in {filled:.1f} s; median of {args.repeat} runs"
            )
            results = bench(engine, args.repeat)
            width = max(len(label) for label, _, _ in results)
            for label, ms, shown in results:
                target = 150 if label.startswith("web:") else 50
                flag = "" if ms < target else f"   <-- over {target} ms"
                print(f"  {label:<{width}}  {ms:8.2f} ms   ({shown}){flag}")


if __name__ == "__main__":
    main()
