"""HTTP load test: `approvals serve` (gunicorn, several workers) on PostgreSQL with 100,000 open tasks.

    python bench/bench_api.py [--tasks 100000] [--workers 2] [--threads 4] [--duration 8] [--rounds 3]
                              [--users 8] [--postgres postgresql://postgres@127.0.0.1:5432/postgres]

Everything runs on loopback and stops by itself; a scratch database is created and dropped.

Seeding: a few instances of bench/models/bench_approval.bpmn are started through the engine; the
first one is the template, cloned with COPY into the rest: its instance row, workflow task rows,
inbox row and candidates, and its history, whose hash chain is recomputed for each clone (the
instance id is part of every hash). So every seeded task is a real one: the engine can complete
it, `verify` passes on it. Each waits in the `sales` inbox.

Measured, in this order, in the same run:
  1. in-process: `engine.tasks.complete` in a loop on seeded tasks (one thread, cold instances);
  2. over HTTP, with locust (headless, as a library, in a child process):
     - GET /api/v1/tasks?candidate=me as a `sales` clerk (every open task matches), one client
       and then --users clients: p50/p95 latency;
     - POST /api/v1/tasks/{id}/complete on other seeded tasks, one client and --users clients:
       completions/s, compared with (1).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC
from pathlib import Path
from typing import Any

from throwaway_key import use_throwaway_chain_key

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

APPROVAL = ROOT / "bench" / "models" / "bench_approval.bpmn"
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/postgres"
INBOX = "/api/v1/tasks?candidate=me"
INBOX_P95_TARGET_MS = 50
HTTP_SHARE_TARGET = 0.60
REAL_INSTANCES = 20
# Tables holding an instance's state, cloned for every seeded instance; any other table with an
# `instance_id` must hold nothing for the template (checked), or the clones would be inconsistent.
CLONED = ("process_instances", "instance_task_states", "user_tasks", "user_task_candidates", "history_events")


# --- the load generator (child process: locust patches the standard library with gevent) ---------


def run_load(args: argparse.Namespace) -> None:
    import gevent
    from gevent.queue import Empty, Queue
    from locust import FastHttpUser, constant, task
    from locust.env import Environment

    headers = {"Authorization": f"Bearer {args.token}", "Content-Type": "application/json"}
    work: Queue = Queue()
    for task_id in json.loads(Path(args.task_ids).read_text()) if args.task_ids else []:
        work.put(task_id)
    latencies: list[float] = []
    failures: list[str] = []
    ran_dry: list[float] = []  # when a client found no task left to complete

    class Client(FastHttpUser):
        host = args.url
        wait_time = constant(0)

        @task
        def call(self) -> None:
            if args.load_phase == "inbox":
                with self.client.get(INBOX, headers=headers, name="inbox", catch_response=True) as r:
                    if r.status_code != 200 or not r.json()["items"]:
                        r.failure(f"{r.status_code} {r.text[:200]}")
                return
            try:
                task_id = work.get_nowait()
            except Empty:
                ran_dry.append(time.perf_counter())
                gevent.sleep(0.05)
                return
            path = f"/api/v1/tasks/{task_id}/complete"
            with self.client.post(
                path, data="{}", headers=headers, name="complete", catch_response=True
            ) as r:
                if r.status_code != 200:
                    r.failure(f"{r.status_code} {r.text[:200]}")

    env = Environment(user_classes=[Client])

    def on_request(response_time: float, exception: Exception | None, **kwargs: Any) -> None:
        if exception is None:
            latencies.append(response_time)
        else:
            failures.append(str(exception))

    env.events.request.add_listener(on_request)
    runner = env.create_local_runner()
    runner.start(args.users, spawn_rate=args.users)
    gevent.sleep(1.0)  # let every client connect once before counting
    latencies.clear()
    started = time.perf_counter()
    gevent.sleep(args.duration)
    elapsed = time.perf_counter() - started
    count = len(latencies)
    runner.quit()
    # Running out of tasks mid-measurement would cap the rate at the pool's size, not the server's.
    dry = any(started <= t <= started + elapsed for t in ran_dry)
    print(
        json.dumps(
            {
                "count": count,
                "elapsed": elapsed,
                "latencies": latencies[:count],
                "failures": failures[:5] + (["ran out of tasks to complete: raise the pool"] if dry else []),
            }
        )
    )


# --- seeding ---------------------------------------------------------------------------------


@contextmanager
def scratch_database(admin_url: str) -> Iterator[str]:
    from sqlalchemy import text

    from engine.store.database import Database

    admin = Database(admin_url)
    name = f"approvals_bench_api_{os.getpid()}"
    with admin.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        conn.execute(text(f"CREATE DATABASE {name}"))
    try:
        yield admin.engine.url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


def seed(engine: Any, total: int) -> dict[str, Any]:
    """Users, the model, REAL_INSTANCES real instances, and clones up to ``total`` open tasks."""
    from engine.actor import SYSTEM

    engine.identity.add_groups(["sales", "manager", "finance"])
    engine.identity.add_user("starter", ["sales"])
    _, clerk_token = engine.identity.add_user("clerk", ["sales"])
    engine.repository.deploy(engine.repository.bundles_from_paths([APPROVAL]), SYSTEM)
    starter = engine.identity.actor("starter")
    real = [engine.runtime.start("bench_approval", starter).id for _ in range(REAL_INSTANCES)]
    t0 = time.perf_counter()
    clone(engine, real[0], total - REAL_INSTANCES)
    return {"clerk_token": clerk_token, "seconds": time.perf_counter() - t0}


def clone(engine: Any, template: int, copies: int) -> None:
    from engine.history.chain import GENESIS, event_mac, head_seal, link_content
    from engine.history.keys import chain_keys

    keys = chain_keys(engine.settings)

    raw = engine.db.engine.raw_connection()
    try:
        cur = raw.cursor()
        cur.execute(
            "SELECT table_name FROM information_schema.columns WHERE column_name = 'instance_id' "
            "AND table_schema = current_schema()"
        )
        for (table,) in cur.fetchall():
            if table not in CLONED:
                cur.execute(f"SELECT count(*) FROM {table} WHERE instance_id = %s", (template,))
                assert cur.fetchone()[0] == 0, f"the template has rows in {table}: clones would lack them"

        def rows(query: str) -> tuple[list[str], list[tuple]]:
            cur.execute(query, (template,))
            return [d.name for d in cur.description], cur.fetchall()

        inst_cols, (inst,) = rows("SELECT * FROM process_instances WHERE id = %s")
        state_cols, states = rows("SELECT * FROM instance_task_states WHERE instance_id = %s")
        task_cols, tasks = rows("SELECT * FROM user_tasks WHERE instance_id = %s ORDER BY id")
        cand_cols, cands = rows(
            "SELECT c.* FROM user_task_candidates c JOIN user_tasks t ON t.id = c.task_id "
            "WHERE t.instance_id = %s"
        )
        event_cols, events = rows("SELECT * FROM history_events WHERE instance_id = %s ORDER BY seq")
        cur.execute("SELECT max(id) FROM process_instances")
        next_instance = cur.fetchone()[0] + 1
        cur.execute("SELECT max(id) FROM user_tasks")
        next_task = cur.fetchone()[0] + 1

        def column(cols: list[str], name: str) -> int:
            return cols.index(name)

        ev = {name: column(event_cols, name) for name in event_cols}
        new_instances, new_states, new_tasks, new_cands, new_events = [], [], [], [], []
        for n in range(copies):
            instance_id = next_instance + n
            task_ids = {t[0]: next_task + n * len(tasks) + i for i, t in enumerate(tasks)}
            previous = GENESIS
            for e in events:
                row = list(e)
                row[ev["instance_id"]] = instance_id
                if row[ev["task_id"]] is not None:
                    row[ev["task_id"]] = task_ids[row[ev["task_id"]]]
                row[ev["prev_hash"]] = previous
                row[ev["key_gen"]] = keys.signing_generation
                content = link_content(
                    previous,
                    instance_id,
                    row[ev["seq"]],
                    row[ev["type"]],
                    row[ev["actor"]],
                    row[ev["occurred_at"]].replace(tzinfo=UTC),
                    row[ev["version_id"]],
                    row[ev["model_version"]],
                    row[ev["element_id"]],
                    row[ev["task_id"]],
                    row[ev["data"]],
                )
                row[ev["hash"]] = previous = event_mac(keys.signing_key, content)
                new_events.append([v for name, v in zip(event_cols, row, strict=True) if name != "id"])
            row = list(inst)
            row[column(inst_cols, "id")] = instance_id
            row[column(inst_cols, "last_hash")] = previous
            row[column(inst_cols, "head_seal")] = head_seal(
                keys.signing_key,
                keys.signing_generation,
                instance_id,
                row[column(inst_cols, "last_seq")],
                previous,
            )
            new_instances.append(row)
            for s in states:
                row = list(s)
                row[column(state_cols, "instance_id")] = instance_id
                new_states.append(row)
            for t in tasks:
                row = list(t)
                row[column(task_cols, "id")] = task_ids[t[0]]
                row[column(task_cols, "instance_id")] = instance_id
                new_tasks.append(row)
            for c in cands:
                row = list(c)
                row[column(cand_cols, "task_id")] = task_ids[c[column(cand_cols, "task_id")]]
                new_cands.append(row)

        def copy(table: str, cols: list[str], data: list[list]) -> None:
            with cur.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as out:
                for row in data:
                    out.write_row(row)

        copy("process_instances", inst_cols, new_instances)
        copy("instance_task_states", state_cols, new_states)
        copy("user_tasks", task_cols, new_tasks)
        copy("user_task_candidates", cand_cols, new_cands)
        copy("history_events", [c for c in event_cols if c != "id"], new_events)
        for table in ("process_instances", "user_tasks"):
            cur.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
            )
        raw.commit()
        for table in CLONED:
            cur.execute(f"ANALYZE {table}")  # fresh statistics, as autovacuum would give them soon
        raw.commit()
    finally:
        raw.close()


# --- measuring -------------------------------------------------------------------------------


def open_sales_tasks(engine: Any, count: int, skip: int = 0) -> list[int]:
    from sqlalchemy import text

    with engine.db.read() as conn:
        return list(
            conn.scalars(
                text(
                    "SELECT id FROM user_tasks WHERE status = 'open' AND element_id = 'submit' "
                    "ORDER BY id DESC LIMIT :n OFFSET :skip"
                ),
                {"n": count, "skip": skip},
            )
        )


def check_clones(engine: Any) -> None:
    """Seeded instances are real: their history verifies, like the engine-made template's."""
    from sqlalchemy import text

    from engine.actor import SYSTEM

    with engine.db.read() as conn:
        sample = list(conn.scalars(text("SELECT id FROM process_instances ORDER BY random() LIMIT 5")))
    for instance_id in sample:
        verdict = engine.history.verify(instance_id, SYSTEM)
        assert verdict.ok, verdict.describe()


def in_process_completions(engine: Any, task_ids: list[int]) -> float:
    clerk = engine.identity.actor("clerk")
    started = time.perf_counter()
    for task_id in task_ids:
        engine.tasks.complete(task_id, clerk, {})
    return len(task_ids) / (time.perf_counter() - started)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def server(url: str, args: argparse.Namespace) -> Iterator[str]:
    port = free_port()
    env = {**os.environ, "APPROVALS_DATABASE_URL": url}
    command = [
        str(Path(sys.executable).with_name("approvals")),
        "serve",
        "--port",
        str(port),
        "--workers",
        str(args.workers),
        "--threads",
        str(args.threads),
        "--no-timers",
    ]
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryFile(mode="w+") as log:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            yield _ready(base, process, log)
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)


def _ready(base: str, process: subprocess.Popen, log: Any) -> str:
    import httpx

    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(base + "/api/v1/health", timeout=2).status_code == 200:
                return base
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            log.seek(0)
            raise RuntimeError("the server did not start:\n" + log.read())
        time.sleep(0.2)


def load(
    phase: str, base: str, token: str, users: int, duration: float, task_ids: list[int] | None = None
) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(task_ids or [], f)
    command = [sys.executable, __file__, "--load-phase", phase, "--url", base, "--token", token]
    command += ["--users", str(users), "--duration", str(duration), "--task-ids", f.name]
    try:
        out = subprocess.run(command, capture_output=True, text=True, timeout=duration + 120)
    finally:
        os.unlink(f.name)
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-3000:])
    result = json.loads(out.stdout.strip().splitlines()[-1])
    if result["failures"] or not result["count"]:
        raise RuntimeError(
            f"{phase}: no successful requests or some failed: {result['failures']}\n{out.stderr[-2000:]}"
        )
    return result


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def vacuum(url: str) -> float:
    """VACUUM ANALYZE after the bulk load, as autovacuum would soon: measurements then do not share
    the machine with it."""
    from sqlalchemy import create_engine, text

    from engine.store.database import normalise_url

    started = time.perf_counter()
    engine = create_engine(normalise_url(url), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("VACUUM ANALYZE"))
    engine.dispose()
    return time.perf_counter() - started


def main() -> None:
    use_throwaway_chain_key()
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tasks", type=int, default=100_000, help="open tasks in the database")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes (serve's default)")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker (serve's default)")
    parser.add_argument("--users", type=int, default=8, help="concurrent HTTP clients")
    parser.add_argument("--duration", type=float, default=8, help="seconds per HTTP measurement")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds; medians are reported")
    parser.add_argument("--in-process", type=int, default=400, help="in-process completions per round")
    parser.add_argument("--postgres", default=DEFAULT_PG, help="an admin URL; a scratch database is created")
    parser.add_argument("--load-phase", choices=["inbox", "complete"], help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--token", help=argparse.SUPPRESS)
    parser.add_argument("--task-ids", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.load_phase:
        run_load(args)
        return

    from engine import Engine
    from engine.config import Settings

    with scratch_database(args.postgres) as url:
        engine = Engine(Settings.from_env(database_url=url))
        engine.upgrade_schema()
        seeded = seed(engine, args.tasks)
        check_clones(engine)
        vacuumed = vacuum(url)
        open_now = len(open_sales_tasks(engine, args.tasks + 1))
        print(
            f"{open_now:,} open tasks in the sales inbox (cloned in {seeded['seconds']:.1f} s, "
            f"VACUUM ANALYZE {vacuumed:.1f} s)",
            flush=True,
        )
        # Tasks for the HTTP completions: more than one client (then several) can do in --duration s.
        single_pool, many_pool = 3000, 6000
        per_round = args.in_process + single_pool + many_pool
        pool = open_sales_tasks(engine, per_round * args.rounds + 20)
        if len(pool) < per_round * args.rounds + 20:
            raise SystemExit(f"--tasks {args.tasks} is too few for {args.rounds} rounds: need {len(pool)}+")
        # Warm the in-process engine's compiled-model cache, as a serving process's would be.
        in_process_completions(engine, pool[-20:])
        figures: dict[str, list[Any]] = {k: [] for k in ("local", "inbox_1", "inbox_n", "done_1", "done_n")}
        with server(url, args) as base:
            token = seeded["clerk_token"]
            print(
                f"gunicorn {args.workers} workers x {args.threads} threads; locust on 127.0.0.1", flush=True
            )
            for n in range(args.rounds):
                ids = pool[n * per_round : (n + 1) * per_round]
                local, single, many = (
                    ids[: args.in_process],
                    ids[args.in_process : -many_pool],
                    ids[-many_pool:],
                )
                figures["local"].append(in_process_completions(engine, local))
                figures["inbox_1"].append(load("inbox", base, token, 1, args.duration))
                figures["inbox_n"].append(load("inbox", base, token, args.users, args.duration))
                figures["done_1"].append(load("complete", base, token, 1, args.duration, single))
                figures["done_n"].append(load("complete", base, token, args.users, args.duration, many))
                print(f"round {n + 1}/{args.rounds} done", flush=True)
        engine.close()
    report(args, figures)


def _rate(result: dict) -> float:
    return result["count"] / result["elapsed"]


def report(args: argparse.Namespace, f: dict[str, list[Any]]) -> None:
    med = statistics.median
    local = med(f["local"])

    def line(label: str, results: list[dict]) -> str:
        rate = med(_rate(r) for r in results)
        p50 = med(percentile(r["latencies"], 0.50) for r in results)
        p95 = med(percentile(r["latencies"], 0.95) for r in results)
        return f"  {label:44} {rate:7.1f}/s  p50 {p50:7.1f} ms  p95 {p95:7.1f} ms"

    print(f"\n{args.tasks:,} open tasks; {args.rounds} interleaved rounds, medians")
    print(f"  {'in-process engine.tasks.complete (1 thread)':44} {local:7.1f}/s")
    print(line(f"GET {INBOX}, 1 client", f["inbox_1"]))
    print(line(f"GET {INBOX}, {args.users} clients", f["inbox_n"]))
    print(line("POST /api/v1/tasks/{id}/complete, 1 client", f["done_1"]))
    print(line(f"POST /api/v1/tasks/{{id}}/complete, {args.users} clients", f["done_n"]))
    p95 = med(percentile(r["latencies"], 0.95) for r in f["inbox_1"])
    p95_n = med(percentile(r["latencies"], 0.95) for r in f["inbox_n"])
    verdict = "met" if max(p95, p95_n) <= INBOX_P95_TARGET_MS else "NOT met"
    print(
        f"\ninbox p95: {p95:.1f} ms (1 client), {p95_n:.1f} ms ({args.users} clients); "
        f"target <= {INBOX_P95_TARGET_MS} ms: {verdict}"
    )
    shares = [
        max(_rate(a), _rate(b)) / c for a, b, c in zip(f["done_1"], f["done_n"], f["local"], strict=True)
    ]
    single = [_rate(a) / c for a, c in zip(f["done_1"], f["local"], strict=True)]
    verdict = "met" if med(shares) >= HTTP_SHARE_TARGET else "NOT met"
    print(
        f"completions/s over HTTP vs in-process: {med(shares):.0%} "
        f"(rounds {min(shares):.0%}-{max(shares):.0%}), "
        f"1 client alone {med(single):.0%}; target >= {HTTP_SHARE_TARGET:.0%}: {verdict}"
    )


if __name__ == "__main__":
    main()
