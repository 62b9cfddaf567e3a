"""One incident of each kind, made to happen for real through the engine: a timer whose script keeps
failing, an external task whose worker gave up, a call activity whose model is missing, and an
instance whose tokens stopped where nothing can move them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select

from engine import Engine
from engine.actor import SYSTEM
from engine.clock import ManualClock
from engine.external import TopicRequest
from engine.store.schema import instance_calls
from engine.tasks import TaskQuery
from tests.call_activities.models import PARENT, chain, definitions, script, user_task
from tests.external.models import PLAIN
from tests.factories import add_users, deploy_files
from tests.runtime.test_stalls import DEADLOCK

# An hour after it starts, a script that fails until the day given at start: a retry after that day
# moves the instance on to the finance check.
NIGHTLY = definitions(
    chain(
        "nightly",
        [
            '<bpmn:intermediateCatchEvent id="wait_hour"><bpmn:timerEventDefinition>'
            "<bpmn:timeDuration>PT1H</bpmn:timeDuration></bpmn:timerEventDefinition>"
            "</bpmn:intermediateCatchEvent>",
            script("export", "exported = 1 / (1 if now().date().isoformat() &gt;= ready_on else 0)"),
            user_task("check", group="finance"),
        ],
    )
)


@dataclass(frozen=True)
class Made:
    stalled: int  # instance ids, oldest incident first
    call: int
    external: int
    timer: int
    external_task_id: str
    timer_id: int
    call_id: int


def make_incidents(engine: Engine, clock: ManualClock) -> Made:
    for name, text in (
        ("nightly", NIGHTLY),
        ("plain", PLAIN),
        ("parent", PARENT),
        ("deadlock", DEADLOCK),
    ):
        deploy_files(engine, {f"{name}.bpmn": text})
    people = add_users(engine, ops_rep="sales", ops_fin="finance", ops_worker="external_worker")

    stalled = engine.runtime.start("deadlock", people["ops_fin"], {"go_a": False}, business_key="STALL-1")
    [prepare] = engine.tasks.list(SYSTEM, TaskQuery(instance_id=stalled.id))
    engine.tasks.complete(prepare.id, people["ops_fin"], {})
    clock.advance(timedelta(minutes=1))

    call = engine.runtime.start("parent", people["ops_rep"], {"amount": 5}, business_key="CALL-1")
    clock.advance(timedelta(minutes=1))

    external = engine.runtime.start("plain", people["ops_rep"], {}, business_key="EXT-1")
    [task] = engine.external.fetch_and_lock(people["ops_worker"], "w1", 1, [TopicRequest("work", 60_000)])
    engine.external.failure(task.id, people["ops_worker"], "w1", "the ledger is down", retries=0)
    clock.advance(timedelta(minutes=1))

    timer = engine.runtime.start(
        "nightly", people["ops_rep"], {"ready_on": "2026-03-05"}, business_key="TIMER-1"
    )
    [wait] = engine.timers.list(SYSTEM, instance_id=timer.id)
    for _ in range(engine.settings.timer_max_attempts):  # each failure backs off, at most an hour
        clock.advance(timedelta(hours=1, minutes=1))
        assert engine.timers.fire_due().failed == 1
    [call_row] = engine.runtime.get(call.id, SYSTEM).children
    assert call_row["status"] == "incident"
    with engine.db.read() as conn:
        call_id = conn.scalar(
            select(instance_calls.c.id).where(instance_calls.c.parent_instance_id == call.id)
        )
    return Made(stalled.id, call.id, external.id, timer.id, task.id, wait.id, call_id)
