"""Collecting every definition problem of a decision model instead of stopping at the first."""

from __future__ import annotations

from dataclasses import dataclass, field

from engine.errors import Problem


@dataclass
class ProblemLog:
    problems: list[Problem] = field(default_factory=list)

    def add(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        decision_id: str | None = None,
        rule: int | None = None,
        column: str | None = None,
        element_id: str | None = None,
    ) -> None:
        self.problems.append(
            Problem(
                message,
                file=file,
                line=line,
                element_id=element_id,
                decision_id=decision_id,
                rule=rule,
                column=column,
            )
        )

    def for_decision(self, file: str, decision_id: str) -> DecisionProblems:
        return DecisionProblems(self, file, decision_id)

    def __bool__(self) -> bool:
        return bool(self.problems)


@dataclass
class DecisionProblems:
    """The log, with file and decision filled in: what the table compiler reports to."""

    log: ProblemLog
    file: str
    decision_id: str
    count: int = 0

    def add(
        self,
        message: str,
        *,
        line: int | None = None,
        rule: int | None = None,
        column: str | None = None,
        element_id: str | None = None,
    ) -> None:
        self.count += 1
        self.log.add(
            message,
            file=self.file,
            line=line,
            decision_id=self.decision_id,
            rule=rule,
            column=column,
            element_id=element_id,
        )
