"""Everything an auditor asks of one instance, read in one go: the version it ran on, its trail,
the path that trail traces on the diagram, its decisions beside their tables, and the chain's
verification (computed now, not remembered)."""

from __future__ import annotations

from dataclasses import dataclass

from engine.actor import Actor
from engine.audit.decisions import DecisionRecord, decision_records, read_tables
from engine.audit.path import PathTaken, trace_path
from engine.history.service import HistoryEvent, HistoryService
from engine.history.verify import ChainVerification
from engine.repository.service import RepositoryService, VersionInfo
from engine.runtime.service import InstanceInfo, RuntimeService
from engine.statuses import CANCELLED, COMPLETED


@dataclass(frozen=True)
class InstanceAudit:
    instance: InstanceInfo
    version: VersionInfo
    events: list[HistoryEvent]
    element_names: dict[str, str]  # element id -> its name in the diagram (ids without a name absent)
    path: PathTaken
    decisions: list[DecisionRecord]
    verification: ChainVerification


class AuditService:
    def __init__(
        self, repository: RepositoryService, runtime: RuntimeService, history: HistoryService
    ) -> None:
        self.repository = repository
        self.runtime = runtime
        self.history = history

    def instance(self, instance_id: int, actor: Actor) -> InstanceAudit:
        """Refused (404, 403) exactly as reading the instance is."""
        instance = self.runtime.get(instance_id, actor)
        events = self.history.events(instance_id, actor)
        verification = self.history.verify(instance_id, actor)
        version = self.repository.get_version(instance.model_key, instance.model_version)
        document = self.repository.compiled(instance.version_id).document
        tables = read_tables(
            {
                f.name: self.repository.file(instance.model_key, instance.model_version, f.name)[0]
                for f in version.files
                if f.kind == "dmn"
            }
        )
        return InstanceAudit(
            instance,
            version,
            events,
            {e.id: e.name for e in document.elements.values() if e.name},
            trace_path(events, document, ended=instance.status in (COMPLETED, CANCELLED)),
            decision_records(events, tables),
            verification,
        )
