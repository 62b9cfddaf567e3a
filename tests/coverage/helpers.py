"""Small models of our own for the BPMN coverage tests, and a driver that runs each command in a
new engine (as a new process would) or keeps one."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from engine import Engine
from engine.actor import SYSTEM
from engine.store.schema import event_subscriptions, timers, user_tasks
from engine.tasks.service import TaskQuery
from tests.factories import add_users, deploy_files

NAMESPACES = (
    'xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
    'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
)


def bpmn(key: str, body: str, definitions: str = "") -> str:
    """A BPMN file with one executable process ``key`` holding ``body``; ``definitions`` go before it
    (messages, signals, errors, escalations)."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<bpmn:definitions {NAMESPACES} id="Defs_{key}" targetNamespace="http://example.com/coverage">\n'
        f"{definitions}\n"
        f'<bpmn:process id="{key}" isExecutable="true">\n{body}\n</bpmn:process>\n'
        "</bpmn:definitions>\n"
    )


def flow(flow_id: str, source: str, target: str, condition: str | None = None) -> str:
    if condition is None:
        return f'<bpmn:sequenceFlow id="{flow_id}" sourceRef="{source}" targetRef="{target}" />'
    return (
        f'<bpmn:sequenceFlow id="{flow_id}" sourceRef="{source}" targetRef="{target}">'
        f'<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">{condition}</bpmn:conditionExpression>'
        "</bpmn:sequenceFlow>"
    )


def user_task(task_id: str, group: str = "staff", fields: tuple[str, ...] = ()) -> str:
    """A user task for ``group``; ``fields`` are the string fields its completion may write."""
    if not fields:
        return f'<bpmn:userTask id="{task_id}" name="{task_id}" camunda:candidateGroups="{group}" />'
    declared = "".join(f'<camunda:formField id="{f}" type="string" />' for f in fields)
    return (
        f'<bpmn:userTask id="{task_id}" name="{task_id}" camunda:candidateGroups="{group}">'
        f"<bpmn:extensionElements><camunda:formData>{declared}</camunda:formData></bpmn:extensionElements>"
        "</bpmn:userTask>"
    )


def script(task_id: str, text: str) -> str:
    return f'<bpmn:scriptTask id="{task_id}"><bpmn:script>{text}</bpmn:script></bpmn:scriptTask>'


class Driver:
    """Drives one instance; with ``cold`` every command gets an engine of its own, compiled afresh
    and with no cached workflow (APPROVALS_COLD_COMMANDS), as separate processes would."""

    def __init__(self, make_engine: Callable[..., Engine], clock: Any, cold: bool) -> None:
        self.make_engine = make_engine
        self.clock = clock
        self.cold = cold
        self._engine = make_engine(cold_commands=cold)
        self.people = add_users(self._engine, sam="sales", stu="staff")
        self.instance_id: int | None = None

    @property
    def engine(self) -> Engine:
        return self.make_engine(cold_commands=True) if self.cold else self._engine

    def deploy(self, files: dict[str, str]) -> None:
        deploy_files(self.engine, files)

    def start(self, key: str, data: dict[str, Any] | None = None, business_key: str | None = None) -> int:
        info = self.engine.runtime.start(key, self.people["sam"], data or {}, business_key=business_key)
        self.instance_id = info.id
        return info.id

    def open_tasks(self) -> dict[str, int]:
        """element id -> inbox task id of the instance's open tasks."""
        found = self.engine.tasks.list(self.people["stu"], TaskQuery(instance_id=self.instance_id))
        return {t.element_id: t.id for t in found}

    def complete(self, element_id: str, data: dict[str, Any] | None = None) -> None:
        task_id = self.open_tasks()[element_id]
        self.engine.tasks.complete(task_id, self.people["stu"], data or {})

    def message(self, name: str, key: str | None, data: dict[str, Any] | None = None) -> Any:
        return self.engine.events.correlate_message(name, key, data or {}, SYSTEM)

    def signal(self, name: str, data: dict[str, Any] | None = None) -> Any:
        return self.engine.events.broadcast_signal(name, data or {}, SYSTEM)

    def advance(self, delta: timedelta) -> int:
        """Move the clock and fire what came due; returns how many timers fired."""
        self.clock.advance(delta)
        return self.engine.timers.fire_due().fired

    def status(self) -> str:
        return self.engine.runtime.get(self.instance_id, SYSTEM).status

    def data(self) -> dict[str, Any]:
        return self.engine.runtime.get(self.instance_id, SYSTEM).data

    def history(self) -> list[Any]:
        return self.engine.history.events(self.instance_id, SYSTEM)

    def history_types(self, element_id: str | None = None) -> list[str]:
        return [e.type for e in self.history() if element_id is None or e.element_id == element_id]

    def verify(self) -> None:
        assert self.engine.history.verify(self.instance_id, SYSTEM).ok

    def rows(self) -> dict[str, list[tuple[str, str]]]:
        """(element id, status) of the instance's inbox, timer and subscription rows."""
        with self.engine.db.read() as conn:
            return {
                table.name: sorted(
                    (r.element_id, r.status)
                    for r in conn.execute(
                        select(table.c.element_id, table.c.status).where(
                            table.c.instance_id == self.instance_id
                        )
                    )
                )
                for table in (user_tasks, timers, event_subscriptions)
            }
