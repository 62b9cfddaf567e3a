"""What an evaluation leaves behind for the audit trail."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from engine.feel.values import to_json


# Not frozen: a frozen dataclass's __init__ costs a noticeable share of a 20 µs evaluation.
@dataclass(slots=True)
class DecisionTrace:
    """One decision's evaluation: what it saw, which rules matched, what it answered.

    ``inputs`` are keyed by the input column's label (for a literal expression decision:
    by the names the expression reads).
    """

    decision_id: str
    decision_name: str
    inputs: Mapping[str, Any]
    matched_rules: list[str]
    outputs: Any
    matched_rule_numbers: list[int] = field(default_factory=list)
    hit_policy: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON-serialisable: dates and date-times as ISO text, durations as ISO 8601."""
        return {
            "decision_id": self.decision_id,
            "decision_name": self.decision_name,
            "inputs": to_json(dict(self.inputs)),
            "matched_rules": list(self.matched_rules),
            "outputs": to_json(self.outputs),
        }


@dataclass(slots=True)
class DecisionOutcome:
    result: Any  # of the requested decision
    results: dict[str, Any]  # decision name -> result, for it and every decision it required
    trace: list[DecisionTrace]  # in evaluation order: required decisions first
