"""What a running command lends the workflow: its clock, the decision model of the
instance's version, and a place to note what happened for the audit trail."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from engine.clock import Clock, SystemClock


@dataclass
class Notice:
    """Something an element did during the command that history must record."""

    type: str
    element_id: str
    data: dict[str, Any]


def _default_timezone() -> tzinfo:
    return ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True)
class WorkLimit:
    """How many automatic elements one command may run, and for how long (APPROVALS_COMMAND_*)."""

    max_elements: int = 100_000
    timeout_ms: int = 10_000


@dataclass
class CommandContext:
    clock: Clock = field(default_factory=SystemClock)
    actor: str | None = None
    decisions: Any = None  # engine.dmn.DecisionModel of the instance's version, if it has DMN
    timezone: tzinfo = field(default_factory=_default_timezone)  # for date-times written without offset
    # Timers fire only in the timer poller's commands, and only those due by this moment (the claimed
    # timer's due time): each timer fires in its own transaction, in due order, and a failing timer
    # never blocks people's work on the instance.
    fire_until: datetime | None = None
    work_limit: WorkLimit = field(default_factory=WorkLimit)
    notices: list[Notice] = field(default_factory=list)

    def notice(self, type_: str, element_id: str, **data: Any) -> None:
        self.notices.append(Notice(type_, element_id, data))
