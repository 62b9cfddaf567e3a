"""The engine as one object: the services of Camunda's split (repository, runtime, tasks, history,
identity), sharing one database, one clock and one unit of work."""

from __future__ import annotations

from engine.audit.service import AuditService
from engine.clock import Clock, SystemClock
from engine.config import Settings
from engine.decisions.service import DecisionService
from engine.events.service import EventService
from engine.events.waits import sync_waits
from engine.external.service import ExternalTaskService
from engine.external.sync import sync_external
from engine.history.service import HistoryService
from engine.identity.service import IdentityService
from engine.incidents.service import IncidentService
from engine.overview.service import OverviewService
from engine.records.filing import RecordFiling
from engine.records.service import RecordService
from engine.repository.service import RepositoryService
from engine.runtime.outbox import Outbox
from engine.runtime.service import RuntimeService
from engine.runtime.stalls import StallCheck
from engine.runtime.step_history import StepHistory
from engine.runtime.unit_of_work import TableSync, UnitOfWork
from engine.runtime.values import InstanceValues
from engine.store import migrate
from engine.store.database import Database
from engine.tasks.escalation import BoundaryEscalation
from engine.tasks.projection import Inbox
from engine.tasks.service import TaskService
from engine.timers.service import TimerService


class Engine:
    def __init__(self, settings: Settings | None = None, clock: Clock | None = None) -> None:
        self.settings = settings or Settings.from_env()
        self.clock = clock or SystemClock()
        self.db = Database(self.settings.database_url, sqlite_synchronous=self.settings.sqlite_synchronous)
        self.identity = IdentityService(self.db, self.clock, self.settings)
        self.repository = RepositoryService(self.db, self.clock, self.settings)
        self.uow = UnitOfWork(self.db, self.repository, self.clock, self.settings)
        self.runtime = RuntimeService(self.db, self.repository, self.uow, self.clock, self.settings)
        # What every command keeps in step with the workflow, in this order (engine/runtime/unit_of_work.py).
        self.uow.project_with(
            StepHistory(),  # per step: the trail first,
            RecordFiling(),  # then the records an element files,
            BoundaryEscalation(),  # and the reminders and escalations a boundary timer asks for;
            self.runtime.calls,  # then children started and ended: they can move the instance on;
            Inbox(),  # once its end is decided: the inbox,
            TableSync(sync_waits),  # the timers and subscriptions,
            TableSync(sync_external),  # the external tasks,
            Outbox(),  # what it threw,
            InstanceValues(),  # the data's searchable values,
            StallCheck(),  # and last, whether a running instance still waits for anything.
        )
        self.tasks = TaskService(self.db, self.repository, self.uow, self.identity, self.clock)
        self.history = HistoryService(self.db, self.settings)
        self.decisions = DecisionService(self.repository)
        self.audit = AuditService(self.repository, self.runtime, self.history)
        self.timers = TimerService(
            self.db, self.repository, self.runtime, self.uow, self.clock, self.settings
        )
        self.events = EventService(self.db, self.repository, self.runtime, self.uow)
        self.records = RecordService(self.db)
        self.external = ExternalTaskService(self.db, self.uow, self.clock, self.settings)
        self.overview = OverviewService(self.db, self.clock)
        self.incidents = IncidentService(self.db, self.runtime, self.timers, self.external)

    def upgrade_schema(self) -> None:
        migrate.upgrade(self.db)

    def close(self) -> None:
        self.db.dispose()
