"""A compiled decision table and its evaluation: the hot path.

Everything that can be decided when the model is loaded was decided then (see
``table_builder``): inputs have evaluators and type checks, cells are predicates, rules
whose outputs are literals carry their finished output tuple. Evaluating is then:

1. evaluate each input expression once and check its type and allowed values;
2. walk the rules, calling only the predicates of non-``-`` cells, stopping at the first
   failing cell (and, for FIRST, at the first matching rule);
3. let the hit policy build the result from the matched rules.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from engine.dmn.hit_policies import Policy
from engine.dmn.typeref import TypeRef
from engine.errors import DecisionError, Problem
from engine.feel import FeelTypeError
from engine.feel.values import describe


def decision_error(
    decision_id: str, decision_name: str, message: str, *, rule: int | None = None, column: str | None = None
) -> DecisionError:
    """The error of a failed evaluation: a headline naming the decision, the details in one Problem
    (so that ``str()`` reads "decision 'x', rule 2, column 'amount': ..." without repeating itself)."""
    return DecisionError(
        f"decision '{decision_name}' ({decision_id}) could not be evaluated",
        [Problem(message, decision_id=decision_id, rule=rule, column=column)],
    )


Evaluator = Callable[[Mapping[str, Any], Any], Any]
Test = Callable[..., Any]


@dataclass(frozen=True, slots=True)
class InputColumn:
    label: str
    evaluate: Evaluator
    coerce: Callable[[Any], Any] | None  # type check / ISO-date conversion; raises FeelTypeError
    allowed: Test | None
    allowed_text: str | None


@dataclass(frozen=True, slots=True)
class OutputColumn:
    name: str
    type: TypeRef | None
    allowed: Test | None
    allowed_text: str | None
    priorities: tuple[Test, ...] | None  # outputValues in decreasing priority
    default: Evaluator | None


def _distinct(labels: Iterable[str]) -> tuple[str, ...]:
    """Labels as trace keys: a repeated label gets a number so no input value is lost."""
    seen: dict[str, int] = {}
    out = []
    for label in labels:
        seen[label] = seen.get(label, 0) + 1
        out.append(label if seen[label] == 1 else f"{label} ({seen[label]})")
    return tuple(out)


class Rule:
    __slots__ = ("constant", "id", "matches", "number", "outputs", "tests")

    def __init__(
        self,
        number: int,
        rule_id: str,
        tests: tuple[tuple[int, Test], ...],
        outputs: tuple[Evaluator, ...],
        constant: tuple[Any, ...] | None,
    ) -> None:
        self.number = number
        self.id = rule_id
        self.tests = tests  # (input column index, predicate) for every cell that is not "-"
        self.matches = _conjunction(tests)
        self.outputs = outputs
        self.constant = constant  # the output values when every output entry is a literal


def _conjunction(tests: tuple[tuple[int, Test], ...]) -> Callable[[list[Any], Mapping[str, Any]], Any]:
    """One closure per rule: ``and`` over its cells, unrolled for the usual few inputs.

    Cells answer True, False or None (null), so plain truthiness is the rule's match; an
    unrolled ``and`` saves the loop and tuple unpacking a generic walk pays per cell.
    """
    if not tests:
        return lambda values, ctx: True
    if len(tests) == 1:
        ((i0, t0),) = tests
        return lambda values, ctx: t0(values[i0], ctx)
    if len(tests) == 2:
        (i0, t0), (i1, t1) = tests
        return lambda values, ctx: t0(values[i0], ctx) and t1(values[i1], ctx)
    if len(tests) == 3:
        (i0, t0), (i1, t1), (i2, t2) = tests
        return lambda values, ctx: t0(values[i0], ctx) and t1(values[i1], ctx) and t2(values[i2], ctx)
    if len(tests) == 4:
        (i0, t0), (i1, t1), (i2, t2), (i3, t3) = tests
        return lambda values, ctx: (
            t0(values[i0], ctx) and t1(values[i1], ctx) and t2(values[i2], ctx) and t3(values[i3], ctx)
        )
    return lambda values, ctx: all(test(values[index], ctx) for index, test in tests)


class DecisionTable:
    def __init__(
        self,
        decision_id: str,
        decision_name: str,
        hit_policy: str,
        aggregation: str | None,
        policy: Policy,
        first_only: bool,
        inputs: Sequence[InputColumn],
        outputs: Sequence[OutputColumn],
        rules: Sequence[Rule],
    ) -> None:
        self.decision_id = decision_id
        self.decision_name = decision_name
        self.hit_policy = hit_policy
        self.aggregation = aggregation
        self.policy = policy
        self.first_only = first_only
        self.inputs = tuple(inputs)
        self.outputs = tuple(outputs)
        self.rules = tuple(rules)
        self.labels = _distinct(column.label for column in self.inputs)
        self.output_names = tuple(column.name for column in self.outputs)
        self._single_output = len(self.outputs) == 1

    # --- errors --------------------------------------------------------------------

    def fail(self, message: str, rules: Sequence[Any] = (), column: str | None = None) -> DecisionError:
        # One problem; when several rules are involved the message names them all.
        rule = rules[0].number if len(rules) == 1 else None
        return decision_error(self.decision_id, self.decision_name, message, rule=rule, column=column)

    # --- evaluation ----------------------------------------------------------------

    def evaluate(self, ctx: Mapping[str, Any]) -> tuple[Any, list[Any], list[Rule]]:
        """The result, the input values (in column order) and the matched rules."""
        values = self._input_values(ctx)
        matched = self._match(values, ctx)
        return self.policy(self, matched, ctx), values, matched

    def _input_values(self, ctx: Mapping[str, Any]) -> list[Any]:
        values = []
        for column in self.inputs:
            try:
                value = column.evaluate(ctx, None)
            except DecisionError:
                raise
            except Exception as exc:
                raise self.fail(f"input '{column.label}': its expression failed: {exc}", column=column.label)
            if value is not None:
                if column.coerce is not None:
                    try:
                        value = column.coerce(value)
                    except FeelTypeError as exc:
                        raise self.fail(
                            f"input '{column.label}' has the wrong type: {exc}", column=column.label
                        )
                if column.allowed is not None and column.allowed(value, ctx) is not True:
                    raise self.fail(
                        f"input '{column.label}' is {describe(value)}, which is not one of its "
                        f"allowed values ({column.allowed_text})",
                        column=column.label,
                    )
            values.append(value)
        return values

    def _match(self, values: list[Any], ctx: Mapping[str, Any]) -> list[Rule]:
        try:
            if self.first_only:
                for rule in self.rules:
                    if rule.matches(values, ctx):
                        return [rule]
                return []
            return [rule for rule in self.rules if rule.matches(values, ctx)]
        except Exception:
            raise self._explain(values, ctx)

    def _explain(self, values: list[Any], ctx: Mapping[str, Any]) -> DecisionError:
        """Find the cell that failed by walking the rules again one cell at a time (cells have
        no side effects), so the fast path need not keep track of where it is."""
        for rule in self.rules:
            for index, test in rule.tests:
                try:
                    if not test(values[index], ctx):
                        break
                except Exception as exc:
                    label = self.labels[index]
                    reason = str(exc)
                    if isinstance(exc, TypeError):
                        reason = f"{describe(values[index])} cannot be compared this way ({exc})"
                    return self.fail(
                        f"rule '{rule.id}' could not test input '{label}': {reason}", [rule], label
                    )
        return self.fail("a rule could not be tested")

    # --- what hit policies use (engine.dmn.hit_policies.TableView) ------------

    def outputs_of(self, rule: Rule, ctx: Mapping[str, Any]) -> tuple[Any, ...]:
        if rule.constant is not None:
            return rule.constant
        values = []
        for column, output in zip(self.outputs, rule.outputs, strict=True):
            try:
                value = output(ctx, None)
            except Exception as exc:
                raise self.fail(
                    f"rule '{rule.id}' could not compute output '{column.name}': {exc}", [rule], column.name
                )
            values.append(self._checked_output(column, value, rule))
        return tuple(values)

    def _checked_output(self, column: OutputColumn, value: Any, rule: Rule | None) -> Any:
        if value is None:
            return None
        problem = None
        if column.type is not None and not column.type.accepts(value):
            problem = f"output '{column.name}' is {describe(value)}, but its type is {column.type.declared}"
        elif column.allowed is not None and column.allowed(value, {}) is not True:
            problem = (
                f"output '{column.name}' is {describe(value)}, which is not one of its allowed values "
                f"({column.allowed_text})"
            )
        if problem is not None:
            raise self.fail(problem, [rule] if rule else (), column=column.name)
        return value

    def shape(self, values: tuple[Any, ...]) -> Any:
        if self._single_output:
            return values[0]
        return dict(zip(self.output_names, values, strict=True))

    def priority_key(self, values: tuple[Any, ...]) -> tuple[int, ...]:
        key = []
        for column, value in zip(self.outputs, values, strict=True):
            if column.priorities is None:
                continue
            rank = len(column.priorities)
            for position, test in enumerate(column.priorities):
                if test(value, {}) is True:
                    rank = position
                    break
            key.append(rank)
        return tuple(key)

    def no_match(self, ctx: Mapping[str, Any]) -> Any:
        if not any(column.default is not None for column in self.outputs):
            return None
        values = []
        for column in self.outputs:
            value = column.default(ctx, None) if column.default is not None else None
            values.append(self._checked_output(column, value, None))
        return self.shape(tuple(values))
