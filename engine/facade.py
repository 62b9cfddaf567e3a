"""The engine as one object: the services of Camunda's split (repository, runtime, tasks, history,
identity), sharing one database, one clock and one workflow cache."""

from __future__ import annotations

from engine.clock import Clock, SystemClock
from engine.config import Settings
from engine.decisions.service import DecisionService
from engine.events.service import EventService
from engine.external.service import ExternalTaskService
from engine.history.service import HistoryService
from engine.identity.service import IdentityService
from engine.records.service import RecordService
from engine.repository.service import RepositoryService
from engine.runtime.calls import CallActivities
from engine.runtime.commands import InstanceCommands
from engine.runtime.service import RuntimeService
from engine.store import migrate
from engine.store.database import Database
from engine.tasks.service import TaskService
from engine.timers.service import TimerService


class Engine:
    def __init__(self, settings: Settings | None = None, clock: Clock | None = None) -> None:
        self.settings = settings or Settings.from_env()
        self.clock = clock or SystemClock()
        self.db = Database(self.settings.database_url, sqlite_synchronous=self.settings.sqlite_synchronous)
        self.identity = IdentityService(self.db, self.clock, self.settings)
        self.repository = RepositoryService(self.db, self.clock, self.settings)
        self.commands = InstanceCommands(self.db, self.repository, self.clock, self.settings)
        self.runtime = RuntimeService(self.db, self.repository, self.commands, self.clock, self.settings)
        self.commands.calls = CallActivities(self.commands, self.runtime)
        self.tasks = TaskService(self.db, self.repository, self.commands, self.identity, self.clock)
        self.history = HistoryService(self.db, self.settings)
        self.decisions = DecisionService(self.repository)
        self.timers = TimerService(
            self.db, self.repository, self.runtime, self.commands, self.clock, self.settings
        )
        self.events = EventService(self.db, self.repository, self.runtime, self.commands)
        self.records = RecordService(self.db)
        self.external = ExternalTaskService(self.db, self.commands, self.clock, self.settings)

    def upgrade_schema(self) -> None:
        migrate.upgrade(self.db)

    def close(self) -> None:
        self.db.dispose()
