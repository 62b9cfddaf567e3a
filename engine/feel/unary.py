"""Compile FEEL unary tests (the cells of input columns) into predicates.

A compiled test is ``test(value, context) -> True | False | None``; a rule matches only on
``True``. ``None`` is FEEL's null: ``< 5`` on a null input is null, and ``not(< 5)`` of that
is still null, so neither matches (the standard's three-valued logic).

With ``fast=True`` (decision tables) tests against literals become bare Python
comparisons. That is only safe because the table checks each input's type once per
evaluation before any rule runs (see ``engine.dmn.table``); a mismatched type that
still slips through raises TypeError, which the table reports as a DecisionError.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from engine.feel import ast
from engine.feel.compiler import compile_node
from engine.feel.parser import parse_unary_tests
from engine.feel.values import compare, feel_equal, kind_of, truth

# test(value, context[, input]) -> True | False | None. ``input`` is what ``?`` means; it is
# the tested value itself except inside ``x in (...)``, where it stays the cell's input.
Test = Callable[..., "bool | None"]
_SAME: Any = object()

_ORDER_ACCEPT = {"<": (-1,), "<=": (-1, 0), ">": (1,), ">=": (1, 0)}


@dataclass(frozen=True)
class CompiledTests:
    source: str
    test: Test | None  # None: the cell is "-" or empty and matches everything
    names: frozenset[str]
    uses_input: bool
    # Literal values the cell compares against, to check them against the column's type and
    # allowed values when the model is loaded: (value, "equal" | "order").
    literals: tuple[tuple[Any, str], ...]
    language: str = "feel"


class _Collector:
    def __init__(self, allow_input: bool, condition_on_input: bool) -> None:
        self.allow_input = allow_input
        # In a cell, "? > 5" is a condition on the tested value; inside "x in (...)" the
        # tested value is x and "?" is still the cell's input, so no such reading applies.
        self.condition_on_input = condition_on_input
        self.names: set[str] = set()
        self.uses_input = False
        self.literals: list[tuple[Any, str]] = []

    def expression(self, node: ast.Node) -> tuple[Callable[..., Any], bool, Any, bool]:
        fn, constant, value, names, uses_input = compile_node(node, allow_input=self.allow_input)
        self.names.update(names)
        self.uses_input = self.uses_input or uses_input
        return fn, constant, value, uses_input


def _fast_compare(op: str, c: Any) -> Test:
    if op == "<":
        return lambda v, ctx, q=None: None if v is None else v < c
    if op == "<=":
        return lambda v, ctx, q=None: None if v is None else v <= c
    if op == ">":
        return lambda v, ctx, q=None: None if v is None else v > c
    return lambda v, ctx, q=None: None if v is None else v >= c


def _fast_range(lo: Any, hi: Any, low_closed: bool, high_closed: bool) -> Test:
    if low_closed and high_closed:
        return lambda v, ctx, q=None: None if v is None else lo <= v <= hi
    if low_closed:
        return lambda v, ctx, q=None: None if v is None else lo <= v < hi
    if high_closed:
        return lambda v, ctx, q=None: None if v is None else lo < v <= hi
    return lambda v, ctx, q=None: None if v is None else lo < v < hi


def _fast_equal(c: Any) -> Test:
    kind = kind_of(c)
    if c is None:
        return lambda v, ctx, q=None: v is None
    if kind == "boolean":
        return lambda v, ctx, q=None: v is c
    if kind == "number":
        # bool is an int in Python, but true is not 1 in FEEL
        return lambda v, ctx, q=None: v == c and v.__class__ is not bool
    if kind in ("string", "date", "date and time", "time", "duration"):
        return lambda v, ctx, q=None: v == c
    if kind == "list":
        items = list(c)
        return lambda v, ctx, q=None: any(feel_equal(v, item) for item in items)
    return lambda v, ctx, q=None: feel_equal(v, c)


def _generic_compare(op: str, endpoint: Callable[..., Any]) -> Test:
    accept = _ORDER_ACCEPT[op]

    def test(v: Any, ctx: Mapping[str, Any], q: Any = _SAME) -> bool | None:
        result = compare(v, endpoint(ctx, v if q is _SAME else q))
        return None if result is None else result in accept

    return test


def _generic_range(
    low: Callable[..., Any], high: Callable[..., Any], low_closed: bool, high_closed: bool
) -> Test:
    def test(v: Any, ctx: Mapping[str, Any], q: Any = _SAME) -> bool | None:
        q = v if q is _SAME else q
        above = compare(v, low(ctx, q))
        below = compare(v, high(ctx, q))
        if above is None or below is None:
            return None
        return (above > 0 or (low_closed and above == 0)) and (below < 0 or (high_closed and below == 0))

    return test


def _generic_expression(fn: Callable[..., Any], uses_input: bool) -> Test:
    if uses_input:
        # "? > 5", "starts with(?, "A")": the expression is the condition itself.
        return lambda v, ctx, q=_SAME: truth(fn(ctx, v))

    def test(v: Any, ctx: Mapping[str, Any], q: Any = _SAME) -> bool | None:
        expected = fn(ctx, v if q is _SAME else q)
        if isinstance(expected, list | tuple):
            return any(feel_equal(v, item) for item in expected)
        if expected.__class__ is bool and v.__class__ is not bool and v is not None:
            # A condition written without "?" ("amount > 5") decides on its own.
            return expected
        return feel_equal(v, expected)

    return test


def _positive(node: ast.Node, collector: _Collector, fast: bool) -> Test:
    if isinstance(node, ast.CompareTest):
        fn, constant, value, _ = collector.expression(node.endpoint)
        if constant:
            collector.literals.append((value, "order"))
            if fast and value is not None:
                return _fast_compare(node.op, value)
        return _generic_compare(node.op, fn)
    if isinstance(node, ast.RangeTest):
        low, low_constant, low_value, _ = collector.expression(node.low)
        high, high_constant, high_value, _ = collector.expression(node.high)
        if low_constant:
            collector.literals.append((low_value, "order"))
        if high_constant:
            collector.literals.append((high_value, "order"))
        if fast and low_constant and high_constant and low_value is not None and high_value is not None:
            return _fast_range(low_value, high_value, node.low_closed, node.high_closed)
        return _generic_range(low, high, node.low_closed, node.high_closed)
    if isinstance(node, ast.ExpressionTest):
        fn, constant, value, uses_input = collector.expression(node.expression)
        if constant:
            if isinstance(value, list):
                collector.literals.extend((item, "equal") for item in value)
            else:
                collector.literals.append((value, "equal"))
            if fast:
                return _fast_equal(value)
        return _generic_expression(fn, uses_input and collector.condition_on_input)
    raise AssertionError(f"not a positive unary test: {node!r}")


def _combine(tests: list[Test], negated: bool) -> Test:
    if len(tests) == 1 and not negated:
        return tests[0]
    if len(tests) == 1:
        only = tests[0]

        def negation(v: Any, ctx: Mapping[str, Any], q: Any = _SAME) -> bool | None:
            result = only(v, ctx, q)
            return None if result is None else not result

        return negation

    def disjunction(v: Any, ctx: Mapping[str, Any], q: Any = _SAME) -> bool | None:
        unknown = False
        for test in tests:
            result = test(v, ctx, q)
            if result is True:
                return not negated
            if result is None:
                unknown = True
        if unknown:
            return None
        return negated

    return disjunction


def _string_set(node: ast.UnaryTests) -> frozenset[str] | None:
    """The strings of a cell like ``"new","overseas"``, which a set lookup answers fastest."""
    values = []
    for test in node.tests:
        if not (
            isinstance(test, ast.ExpressionTest)
            and isinstance(test.expression, ast.Literal)
            and isinstance(test.expression.value, str)
        ):
            return None
        values.append(test.expression.value)
    return frozenset(values)


def compile_test_node(
    node: ast.Node, allow_input: bool, fast: bool, collector: _Collector | None = None
) -> tuple[Test | None, set[str], bool]:
    """Compile a parsed cell; with no ``collector`` the tests belong to an ``x in (...)``."""
    collector = collector or _Collector(allow_input, condition_on_input=False)
    if isinstance(node, ast.AnyTest):
        return None, collector.names, False
    assert isinstance(node, ast.UnaryTests)
    tests = [_positive(test, collector, fast) for test in node.tests]
    combined = _combine(tests, node.negated)
    strings = _string_set(node) if fast and len(node.tests) > 1 else None
    if strings is not None:
        combined = _in_strings(strings, node.negated)
    return combined, collector.names, collector.uses_input


def _in_strings(strings: frozenset[str], negated: bool) -> Test:
    # A null input is "not equal" to every string, so not("a","b") matches it.
    if negated:
        return lambda v, ctx, q=None: not (v.__class__ is str and v in strings)
    return lambda v, ctx, q=None: v.__class__ is str and v in strings


def compile_unary_tests(text: str, known_names: Iterable[str] = (), fast: bool = True) -> CompiledTests:
    """Parse and compile one input entry; FeelSyntaxError if it is outside the subset."""
    node = parse_unary_tests(text, known_names)
    collector = _Collector(allow_input=True, condition_on_input=True)
    test, names, uses_input = compile_test_node(node, True, fast, collector)
    return CompiledTests(text, test, frozenset(names), uses_input, tuple(collector.literals))
