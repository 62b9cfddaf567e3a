"""Evaluating a decision together with the decisions it requires (a small DRG)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from engine.dmn.table import decision_error
from engine.dmn.trace import DecisionOutcome, DecisionTrace
from engine.errors import DecisionError
from engine.feel import FeelTypeError

if TYPE_CHECKING:
    from engine.dmn.model import Decision


def _typed_inputs(decision: Decision, scope: dict[str, Any]) -> None:
    for name, type_ref in decision.input_types.items():
        value = scope.get(name)
        if value is None:
            continue
        try:
            scope[name] = type_ref.coerce(value)
        except FeelTypeError as exc:
            raise decision_error(
                decision.id, decision.name, f"input data '{name}' has the wrong type: {exc}", column=name
            )


def _publish(decision: Decision, result: Any, scope: dict[str, Any]) -> None:
    names: dict[str, Any] = {decision.id: result}
    if decision.kind == "table" and len(decision.output_names) == 1:
        names[decision.output_names[0]] = result
    elif decision.kind == "table":
        for output in decision.output_names:
            if isinstance(result, list):
                names[output] = [row.get(output) if isinstance(row, dict) else None for row in result]
            else:
                names[output] = result.get(output) if isinstance(result, dict) else None
    for name, value in names.items():
        if name != decision.name:
            scope[name] = value


def run(plan: Sequence[Decision], context: Mapping[str, Any]) -> DecisionOutcome:
    """Evaluate ``plan`` (required decisions first, the requested one last) over ``context``.

    Each decision's result is visible to the decisions after it under the decision's name, its id
    and the names of its outputs (Camunda 7's way: a required table's single output is read by its
    output name, several outputs each by its own; a multiple-hit table's output is the list of the
    matched rules' values). Like Camunda, a required decision's result hides a caller's value of the
    same name: the decision is evaluated to provide that value.
    """
    if not isinstance(context, Mapping):
        raise DecisionError(
            f"decision data must be a mapping of names to values, got {type(context).__name__}"
        )
    needs_scope = len(plan) > 1 or bool(plan[-1].input_types)
    scope: Mapping[str, Any] = dict(context) if needs_scope else context
    results: dict[str, Any] = {}
    trace: list[DecisionTrace] = []
    result = None
    for decision in plan:
        if decision.input_types:
            _typed_inputs(decision, scope)  # type: ignore[arg-type]
        result, values, matched = decision.logic.evaluate(scope)
        if needs_scope:
            scope[decision.name] = result  # type: ignore[index]
            if len(plan) > 1:
                _publish(decision, result, scope)  # type: ignore[arg-type]
        results[decision.name] = result
        trace.append(
            DecisionTrace(
                decision.id,
                decision.name,
                dict(zip(decision.logic.labels, values, strict=True)),
                [rule.id for rule in matched],
                result,
                [rule.number for rule in matched],
                decision.hit_policy,
            )
        )
    return DecisionOutcome(result, results, trace)
