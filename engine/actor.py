"""Who is asking: a user name and the groups that decide what they may do (engine/access.py)."""

from __future__ import annotations

from dataclasses import dataclass

ADMIN = "admin"
AUDITOR = "auditor"
PROCESS_OWNER = "process_owner"
EXTERNAL_WORKER = "external_worker"  # Camunda-style workers of external (service) tasks


@dataclass(frozen=True)
class Actor:
    name: str
    groups: frozenset[str]

    def in_any(self, *groups: str) -> bool:
        return not self.groups.isdisjoint(groups)

    @property
    def is_admin(self) -> bool:
        return ADMIN in self.groups


# The local operator at the command line: the CLI acts with full rights on the database it opens.
SYSTEM = Actor("system", frozenset({ADMIN}))
