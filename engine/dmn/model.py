"""The loaded decision model: its decisions, looking them up, evaluating them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from engine.dmn.evaluate import run
from engine.dmn.trace import DecisionOutcome
from engine.dmn.typeref import TypeRef
from engine.errors import NotFound


@dataclass(frozen=True, eq=False)
class Decision:
    id: str
    name: str
    kind: str  # "table" | "literal"
    file: str
    line: int | None
    required_decisions: tuple[str, ...]  # ids
    required_inputs: tuple[str, ...]  # inputData names
    input_labels: tuple[str, ...]
    output_names: tuple[str, ...]
    hit_policy: str | None  # None for literal expressions
    aggregation: str | None
    spiffworkflow_style: bool  # written for SpiffWorkflow: Python cells, inputs without expression (docs)
    logic: Any = field(repr=False)  # DecisionTable or LiteralDecision
    input_types: Mapping[str, TypeRef] = field(default_factory=dict, repr=False)  # of required inputData


class DecisionModel:
    """Every decision of one deployed bundle, compiled and ready to evaluate."""

    def __init__(self, decisions: Mapping[str, Decision], plans: Mapping[str, tuple[Decision, ...]]) -> None:
        self._decisions = dict(decisions)
        self.decisions: Mapping[str, Decision] = MappingProxyType(self._decisions)
        self._by_name = {d.name: d for d in decisions.values()}
        self._plans = dict(plans)

    def find(self, ref: str) -> Decision:
        """The decision with id ``ref``, or else with name ``ref``."""
        decision = self._decisions.get(ref) or self._by_name.get(ref)
        if decision is None:
            available = ", ".join(f"{d.id} ({d.name})" for d in self._decisions.values()) or "none"
            raise NotFound(f"no decision '{ref}' in this model; available: {available}")
        return decision

    def evaluate(self, ref: str, context: Mapping[str, Any]) -> DecisionOutcome:
        """Evaluate decision ``ref`` (id or name), after every decision it requires, over ``context``."""
        decision = self.find(ref)
        return run(self._plans[decision.id], context)

    def __repr__(self) -> str:
        return f"DecisionModel({', '.join(self._decisions)})"
