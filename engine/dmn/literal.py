"""Literal expression decisions: one FEEL (or Python) expression whose value is the result."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.dmn.table import decision_error
from engine.dmn.typeref import TypeRef
from engine.feel.values import describe


class LiteralDecision:
    def __init__(self, decision_id: str, decision_name: str, compiled: Any, type_ref: TypeRef | None) -> None:
        self.decision_id = decision_id
        self.decision_name = decision_name
        self.compiled = compiled
        self.type_ref = type_ref
        # What the expression reads is what an auditor needs to see next to its value.
        self.labels = tuple(sorted(compiled.names))

    def evaluate(self, ctx: Mapping[str, Any]) -> tuple[Any, list[Any], list[Any]]:
        try:
            value = self.compiled.evaluate(ctx, None)
        except Exception as exc:
            raise decision_error(self.decision_id, self.decision_name, f"the expression failed: {exc}")
        if self.type_ref is not None and not self.type_ref.accepts(value):
            raise decision_error(
                self.decision_id,
                self.decision_name,
                f"the result is {describe(value)}, but the decision's type is {self.type_ref.declared}",
            )
        return value, [ctx.get(name) for name in self.labels], []
