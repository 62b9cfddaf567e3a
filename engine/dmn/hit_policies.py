"""The DMN hit policies: which matched rules make the result, and in what shape.

Single hit (UNIQUE, ANY, PRIORITY, FIRST) answers one result; multiple hit (COLLECT,
RULE ORDER, OUTPUT ORDER) answers a list, or one number for COLLECT with an aggregation.
A policy sees the table only through ``TableView``, so the rules of the standard stay
readable here, apart from the mechanics of matching.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import cmp_to_key
from typing import Any, Protocol

from engine.errors import DecisionError
from engine.feel import FeelTypeError
from engine.feel.values import compare, describe, feel_equal, is_number

HIT_POLICIES = ("UNIQUE", "FIRST", "PRIORITY", "ANY", "COLLECT", "RULE ORDER", "OUTPUT ORDER")
AGGREGATIONS = ("SUM", "MIN", "MAX", "COUNT")
SINGLE_HIT = frozenset({"UNIQUE", "FIRST", "PRIORITY", "ANY"})


class MatchedRule(Protocol):
    number: int
    id: str


class TableView(Protocol):
    def outputs_of(self, rule: Any, ctx: Mapping[str, Any]) -> tuple[Any, ...]: ...
    def shape(self, values: tuple[Any, ...]) -> Any: ...
    def priority_key(self, values: tuple[Any, ...]) -> tuple[int, ...]: ...
    def no_match(self, ctx: Mapping[str, Any]) -> Any: ...
    def fail(self, message: str, rules: Sequence[Any] = ()) -> DecisionError: ...


def normalise_hit_policy(text: str) -> str | None:
    """The standard spelling of a hitPolicy attribute, or None when it is not one."""
    spelled = " ".join(text.replace("_", " ").upper().split())
    return spelled if spelled in HIT_POLICIES else None


def rule_list(rules: Sequence[MatchedRule]) -> str:
    return ", ".join(f"{r.number} ({r.id})" for r in rules)


Policy = Callable[[TableView, list[Any], Mapping[str, Any]], Any]


def _unique(table: TableView, matched: list[Any], ctx: Mapping[str, Any]) -> Any:
    if len(matched) > 1:
        raise table.fail(
            f"hit policy UNIQUE allows one matching rule, but rules {rule_list(matched)} all match", matched
        )
    if not matched:
        return table.no_match(ctx)
    return table.shape(table.outputs_of(matched[0], ctx))


def _first(table: TableView, matched: list[Any], ctx: Mapping[str, Any]) -> Any:
    if not matched:
        return table.no_match(ctx)
    return table.shape(table.outputs_of(matched[0], ctx))


def _any(table: TableView, matched: list[Any], ctx: Mapping[str, Any]) -> Any:
    if not matched:
        return table.no_match(ctx)
    outputs = [table.outputs_of(rule, ctx) for rule in matched]
    first = outputs[0]
    for rule, values in zip(matched[1:], outputs[1:], strict=True):
        if not all(feel_equal(a, b) for a, b in zip(first, values, strict=True)):
            raise table.fail(
                f"hit policy ANY requires matching rules to agree, but rule {matched[0].number} "
                f"({matched[0].id}) gives {table.shape(first)!r} and rule {rule.number} ({rule.id}) "
                f"gives {table.shape(values)!r}",
                [matched[0], rule],
            )
    return table.shape(first)


def _priority(table: TableView, matched: list[Any], ctx: Mapping[str, Any]) -> Any:
    if not matched:
        return table.no_match(ctx)
    outputs = [table.outputs_of(rule, ctx) for rule in matched]
    # min() keeps the first of equals, i.e. rule order breaks ties.
    best = min(outputs, key=table.priority_key)
    return table.shape(best)


def _rule_order(table: TableView, matched: list[Any], ctx: Mapping[str, Any]) -> Any:
    return [table.shape(table.outputs_of(rule, ctx)) for rule in matched]


def _output_order(table: TableView, matched: list[Any], ctx: Mapping[str, Any]) -> Any:
    outputs = [table.outputs_of(rule, ctx) for rule in matched]
    outputs.sort(key=table.priority_key)  # stable: rule order among equals
    return [table.shape(values) for values in outputs]


def _single_values(table: TableView, matched: list[Any], ctx: Mapping[str, Any]) -> list[Any]:
    # Null outputs (empty cells) take no part in SUM/MIN/MAX.
    return [v for rule in matched for v in table.outputs_of(rule, ctx)[:1] if v is not None]


def _collect_sum(table: TableView, matched: list[Any], ctx: Mapping[str, Any]) -> Any:
    values = _single_values(table, matched, ctx)
    for value in values:
        if not is_number(value):
            raise table.fail(f"COLLECT SUM needs numbers, got {describe(value)}", matched)
    return sum(values) if values else None


def _collect_extreme(pick_max: bool) -> Policy:
    def extreme(table: TableView, matched: list[Any], ctx: Mapping[str, Any]) -> Any:
        values = _single_values(table, matched, ctx)
        if not values:
            return None
        try:
            ordered = sorted(values, key=cmp_to_key(compare))
        except FeelTypeError as exc:
            raise table.fail(f"COLLECT {'MAX' if pick_max else 'MIN'}: {exc}", matched)
        return ordered[-1] if pick_max else ordered[0]

    return extreme


def _collect_count(table: TableView, matched: list[Any], ctx: Mapping[str, Any]) -> Any:
    return len(matched)


_POLICIES: dict[tuple[str, str | None], Policy] = {
    ("UNIQUE", None): _unique,
    ("FIRST", None): _first,
    ("ANY", None): _any,
    ("PRIORITY", None): _priority,
    ("COLLECT", None): _rule_order,
    ("RULE ORDER", None): _rule_order,
    ("OUTPUT ORDER", None): _output_order,
    ("COLLECT", "SUM"): _collect_sum,
    ("COLLECT", "MIN"): _collect_extreme(pick_max=False),
    ("COLLECT", "MAX"): _collect_extreme(pick_max=True),
    ("COLLECT", "COUNT"): _collect_count,
}


def policy_for(hit_policy: str, aggregation: str | None) -> Policy:
    return _POLICIES[(hit_policy, aggregation)]


def stops_at_first_match(hit_policy: str) -> bool:
    return hit_policy == "FIRST"
