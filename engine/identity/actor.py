"""Who is asking: a user name and the groups that decide what they may do."""

from __future__ import annotations

from dataclasses import dataclass

ADMIN = "admin"
AUDITOR = "auditor"
PROCESS_OWNER = "process_owner"


@dataclass(frozen=True)
class Actor:
    name: str
    groups: frozenset[str]

    def in_any(self, *groups: str) -> bool:
        return not self.groups.isdisjoint(groups)

    @property
    def is_admin(self) -> bool:
        return ADMIN in self.groups

    @property
    def reads_everything(self) -> bool:
        """Admins and auditors see every instance and its history."""
        return self.in_any(ADMIN, AUDITOR)

    @property
    def may_deploy(self) -> bool:
        return self.in_any(ADMIN, PROCESS_OWNER)


# The local operator at the command line: the CLI acts with full rights on the database it opens.
SYSTEM = Actor("system", frozenset({ADMIN}))
