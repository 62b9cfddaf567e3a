"""Each decision an instance evaluated, beside the table as its process owner wrote it: the inputs
it saw, the rules that matched (highlighted on the table) and what it answered."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from engine.dmn.parser import DecisionSource, read_document
from engine.dmn.problems import ProblemLog


@dataclass(frozen=True)
class TableRule:
    number: int  # 1-based, as the modeler numbers rows
    id: str  # the rule's id, or "rule-<number>" when the file gives none (as the evaluator names it)
    inputs: tuple[str, ...]  # the cells' text as written
    outputs: tuple[str, ...]
    description: str | None


@dataclass(frozen=True)
class DecisionTable:
    """A decision's table (or literal expression) as written in its file, for showing it."""

    decision_id: str
    name: str
    file: str
    hit_policy: str | None  # None for a literal expression
    inputs: tuple[str, ...]  # each column's label, or its expression
    outputs: tuple[str, ...]
    rules: tuple[TableRule, ...]
    literal: str | None = None


@dataclass(frozen=True)
class Evaluation:
    """One decision of one evaluation (a required decision is an evaluation of its own)."""

    decision_id: str
    decision_name: str
    inputs: dict[str, Any]
    matched: tuple[str, ...]  # rule ids
    outputs: Any
    table: DecisionTable | None  # None: the version's files do not hold it (cannot happen for our own)


@dataclass(frozen=True)
class DecisionRecord:
    """A business rule task's evaluation, from the trail."""

    seq: int
    at: datetime
    actor: str | None
    element_id: str | None
    decision_id: str
    evaluations: tuple[Evaluation, ...]


def read_tables(files: Mapping[str, bytes]) -> dict[str, DecisionTable]:
    """Every decision of the given DMN files by id (files that do not parse are skipped: they were
    deployed, so they parsed then; a table that cannot be shown does not hide the evaluations)."""
    tables: dict[str, DecisionTable] = {}
    for name, content in files.items():
        document = read_document(content, name, ProblemLog())
        for source in document.decisions if document else ():
            tables[source.id] = _table(source)
    return tables


def _table(source: DecisionSource) -> DecisionTable:
    table = source.table
    if table is None:
        literal = source.literal.text if source.literal else None
        return DecisionTable(source.id, source.name, source.file, None, (), (), (), literal)
    return DecisionTable(
        source.id,
        source.name,
        source.file,
        table.hit_policy + (f" {table.aggregation}" if table.aggregation else ""),
        tuple(i.label or (i.expression.text or "").strip() for i in table.inputs),
        tuple(o.label or o.name or "" for o in table.outputs),
        tuple(
            TableRule(
                rule.number,
                rule.id or f"rule-{rule.number}",
                tuple((cell.text or "").strip() if cell else "" for cell in rule.inputs),
                tuple((cell.text or "").strip() if cell else "" for cell in rule.outputs),
                rule.description,
            )
            for rule in table.rules
        ),
    )


def decision_records(events: Sequence[Any], tables: Mapping[str, DecisionTable]) -> list[DecisionRecord]:
    records = []
    for event in events:
        if event.type != "decision_evaluated":
            continue
        data = event.data
        evaluations = tuple(
            Evaluation(
                e.get("decision_id", ""),
                e.get("decision_name", ""),
                dict(e.get("inputs") or {}),
                tuple(e.get("matched_rules") or ()),
                e.get("outputs"),
                tables.get(e.get("decision_id", "")),
            )
            for e in data.get("evaluations", ())
        )
        records.append(
            DecisionRecord(
                event.seq,
                event.occurred_at,
                event.actor,
                event.element_id,
                data.get("decision_id", ""),
                evaluations,
            )
        )
    return records
