"""Engine benchmark: the shared benchmark workloads through the engine, next to plain SpiffWorkflow.

    python bench/bench_engine.py [--instances 300] [--postgres URL] [--no-postgres]

For bench/models/bench_approval.bpmn: instances/s and user-task completions/s. For
bench_loop.bpmn (200 review rounds): the mean step time of the first and the last 10 rounds and
their ratio. Each is measured for
  - plain SpiffWorkflow in memory,
  - plain SpiffWorkflow with the whole workflow JSON-serialized and restored at every step,
  - this engine on SQLite (the default file database) and on PostgreSQL,
all in the same run, and printed as figures and ratios.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnParser
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from throwaway_key import use_throwaway_chain_key

from engine import Engine
from engine.actor import SYSTEM
from engine.config import Settings
from engine.store.database import Database
from engine.tasks.service import TaskQuery

MODELS = Path(__file__).resolve().parent / "models"
APPROVAL = MODELS / "bench_approval.bpmn"
LOOP = MODELS / "bench_loop.bpmn"
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/postgres"


class Figures:
    """One variant's figures over several rounds; medians are reported."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.instances_per_s: list[float] = []
        self.completions_per_s: list[float] = []
        self.loop_first: list[float] = []
        self.loop_last: list[float] = []

    def add_loop(self, step_times: list[float]) -> None:
        self.loop_first.append(statistics.mean(step_times[:10]) * 1000)
        self.loop_last.append(statistics.mean(step_times[-10:]) * 1000)

    @staticmethod
    def median(values: list[float]) -> float:
        return statistics.median(values)

    @property
    def loop_ratio(self) -> float:
        return self.median(
            [last / first for first, last in zip(self.loop_first, self.loop_last, strict=True)]
        )


# --- plain SpiffWorkflow ---------------------------------------------------------------------


def _spec(path: Path, process_id: str):
    parser = BpmnParser()
    parser.add_bpmn_file(str(path))
    return parser.get_spec(process_id)


class Plain:
    def __init__(self, round_trip: bool) -> None:
        self.round_trip = round_trip
        self.figures = Figures(
            "SpiffWorkflow, JSON round-trip per step" if round_trip else "SpiffWorkflow, in memory"
        )
        self.serializer = BpmnWorkflowSerializer()
        self.approval = _spec(APPROVAL, "bench_approval")
        self.loop = _spec(LOOP, "bench_loop")

    def _steps(self, spec, on_step: Callable[[float], None]) -> None:
        wf = BpmnWorkflow(spec)
        wf.do_engine_steps()
        saved = self.serializer.serialize_json(wf) if self.round_trip else None
        while True:
            t0 = time.perf_counter()
            if self.round_trip:
                wf = self.serializer.deserialize_json(saved)
            ready = wf.get_tasks(state=TaskState.READY, manual=True)
            if not ready:
                return
            ready[0].run()
            wf.do_engine_steps()
            if self.round_trip:
                saved = self.serializer.serialize_json(wf)
            on_step(time.perf_counter() - t0)

    def run_round(self, instances: int) -> None:
        times: list[float] = []
        started = time.perf_counter()
        for _ in range(instances):
            self._steps(self.approval, times.append)
        self.figures.instances_per_s.append(instances / (time.perf_counter() - started))
        self.figures.completions_per_s.append(len(times) / sum(times))
        steps: list[float] = []
        self._steps(self.loop, steps.append)
        self.figures.add_loop(steps)


# --- the engine ------------------------------------------------------------------------------


class OnEngine:
    def __init__(self, label: str, url: str, **settings: str) -> None:
        self.figures = Figures(label)
        self.engine = Engine(Settings.from_env(database_url=url, **settings))
        engine = self.engine
        engine.upgrade_schema()
        engine.identity.add_groups(["sales", "manager", "finance"])
        for group in ("sales", "manager", "finance"):
            engine.identity.add_user(f"bench_{group}", [group])
        actors = {g: engine.identity.actor(f"bench_{g}") for g in ("sales", "manager", "finance")}
        engine.repository.deploy(engine.repository.bundles_from_paths([APPROVAL, LOOP]), SYSTEM)
        self.starter = actors["sales"]
        self.loop_starter = actors["manager"]
        self.who = {
            "submit": actors["sales"],
            "manager_approve": actors["manager"],
            "finance_review": actors["finance"],
            "review": actors["sales"],
        }

    def run_round(self, instances: int) -> None:
        engine = self.engine
        times: list[float] = []
        started = time.perf_counter()
        for _ in range(instances):
            instance = engine.runtime.start("bench_approval", self.starter)
            tasks = engine.tasks.list(SYSTEM, TaskQuery(instance_id=instance.id))
            while tasks:
                task = tasks[0]
                t0 = time.perf_counter()
                tasks = engine.tasks.complete(task.id, self.who[task.element_id]).next_tasks
                times.append(time.perf_counter() - t0)
        self.figures.instances_per_s.append(instances / (time.perf_counter() - started))
        self.figures.completions_per_s.append(len(times) / sum(times))

        instance = engine.runtime.start("bench_loop", self.loop_starter)
        tasks = engine.tasks.list(SYSTEM, TaskQuery(instance_id=instance.id))
        steps = []
        while tasks:
            t0 = time.perf_counter()
            tasks = engine.tasks.complete(tasks[0].id, self.who["review"]).next_tasks
            steps.append(time.perf_counter() - t0)
        assert len(steps) == 200, len(steps)
        self.figures.add_loop(steps)

    def close(self) -> None:
        self.engine.close()


def _fresh_pg_database(admin_url: str) -> tuple[str, Callable[[], None]]:
    admin = Database(admin_url)
    name = f"approvals_bench_{int(time.time())}"
    with admin.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    url = admin.engine.url.set(database=name).render_as_string(hide_password=False)

    def drop() -> None:
        with admin.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()

    return url, drop


def main() -> None:
    use_throwaway_chain_key()
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--instances", type=int, default=200, help="bench_approval instances per round")
    parser.add_argument("--rounds", type=int, default=5, help="rounds; medians are reported")
    parser.add_argument("--postgres", default=DEFAULT_PG, help="an admin URL; a scratch database is created")
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()

    memory, round_trip = Plain(round_trip=False), Plain(round_trip=True)
    with tempfile.TemporaryDirectory() as scratch:
        variants: list = [
            memory,
            round_trip,
            OnEngine(
                "engine, SQLite (default: NORMAL)",
                f"sqlite:///{scratch}/bench.db",
                sqlite_synchronous="NORMAL",
            ),
            OnEngine(
                "engine, SQLite synchronous=FULL", f"sqlite:///{scratch}/full.db", sqlite_synchronous="FULL"
            ),
        ]
        drop = None
        if not args.no_postgres:
            url, drop = _fresh_pg_database(args.postgres)
            variants.append(OnEngine("engine, PostgreSQL", url))
        try:
            # Rounds interleave the variants, so that a slow patch of a shared machine hits all of them.
            for _ in range(args.rounds):
                for variant in variants:
                    variant.run_round(args.instances)
        finally:
            for variant in variants[2:]:
                variant.close()
            if drop:
                drop()
    report(args, [v.figures for v in variants])


def report(args: argparse.Namespace, results: list[Figures]) -> None:
    med = Figures.median
    memory, round_trip = results[0], results[1]
    print(
        f"bench_approval.bpmn: {args.instances} instances x 3 user tasks per round; "
        "bench_loop.bpmn: 200 review rounds;"
    )
    print(f"{args.rounds} interleaved rounds, medians (per-round ratios, then their median)\n")
    header = (
        f"{'':40} {'inst/s':>7} {'compl/s':>8} {'ms/compl':>9} {'vs RT':>6} "
        f"{'loop 1-10':>10} {'loop 191-200':>13} {'ratio':>6}"
    )
    print(header)
    print("-" * len(header))
    for f in results:
        vs_rt = med([a / b for a, b in zip(f.completions_per_s, round_trip.completions_per_s, strict=True)])
        print(
            f"{f.label:40} {med(f.instances_per_s):7.0f} {med(f.completions_per_s):8.0f} "
            f"{1000 / med(f.completions_per_s):9.3f} {vs_rt:6.0%} "
            f"{med(f.loop_first):8.3f}ms {med(f.loop_last):11.3f}ms {f.loop_ratio:6.1f}"
        )
    print()
    for f in results[2:]:
        ratios = [a / b for a, b in zip(f.completions_per_s, round_trip.completions_per_s, strict=True)]
        verdict = "met" if med(ratios) >= 0.5 else "NOT met"
        print(
            f"{f.label}: completions/s vs SpiffWorkflow with JSON round-trip: median {med(ratios):.0%} "
            f"(rounds {min(ratios):.0%}-{max(ratios):.0%})"
            + (f"; target >= 50%: {verdict}" if "SQLite" in f.label else "")
        )
        verdict = "met" if f.loop_ratio <= memory.loop_ratio else "NOT met"
        print(
            f"{f.label}: loop ratio {f.loop_ratio:.1f} vs SpiffWorkflow in memory "
            f"{memory.loop_ratio:.1f} ({verdict}); "
            f"round 191-200 step {med(f.loop_last):.2f} ms vs {med(memory.loop_last):.2f} ms in memory "
            f"({med(f.loop_last) / med(memory.loop_last):.2f}x)"
        )


if __name__ == "__main__":
    main()
