"""Syntax tree of the FEEL subset: expressions and unary tests."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


class Node:
    __slots__ = ()


@dataclass(slots=True)
class Literal(Node):
    value: Any


@dataclass(slots=True)
class Name(Node):
    name: str
    offset: int = 0


@dataclass(slots=True)
class InputValue(Node):
    """``?``: the value of the column's input expression inside a unary test."""


@dataclass(slots=True)
class Path(Node):
    base: Node
    key: str


@dataclass(slots=True)
class Index(Node):
    base: Node
    index: Node


@dataclass(slots=True)
class Call(Node):
    function: str
    args: list[Node]
    offset: int = 0


@dataclass(slots=True)
class Negate(Node):
    operand: Node


@dataclass(slots=True)
class Arithmetic(Node):
    """``first op x op y …`` evaluated left to right: a whole chain of ``+``/``-`` (or ``*``/``/``,
    or ``**``) is one node, so a long chain is a long list rather than a deep tree."""

    first: Node
    rest: list[tuple[str, Node]]  # (operator, operand); operators: + - * / **


@dataclass(slots=True)
class Comparison(Node):
    op: str  # = != < <= > >=
    left: Node
    right: Node


@dataclass(slots=True)
class And(Node):
    operands: list[Node]  # two or more: ``a and b and c`` is one node


@dataclass(slots=True)
class Or(Node):
    operands: list[Node]


@dataclass(slots=True)
class If(Node):
    condition: Node
    then: Node
    otherwise: Node


@dataclass(slots=True)
class Between(Node):
    value: Node
    low: Node
    high: Node


@dataclass(slots=True)
class In(Node):
    value: Node
    tests: UnaryTests


@dataclass(slots=True)
class ListExpr(Node):
    items: list[Node]


@dataclass(slots=True)
class ContextExpr(Node):
    entries: list[tuple[str, Node]]


# --- unary tests -------------------------------------------------------------------


@dataclass(slots=True)
class AnyTest(Node):
    """``-`` or an empty cell: matches every value, null included."""


@dataclass(slots=True)
class CompareTest(Node):
    op: str  # < <= > >=
    endpoint: Node


@dataclass(slots=True)
class RangeTest(Node):
    low: Node
    high: Node
    low_closed: bool
    high_closed: bool


@dataclass(slots=True)
class ExpressionTest(Node):
    """A plain expression in a cell: equality with the input, membership when it is a
    list, or a boolean condition when it mentions ``?``."""

    expression: Node


@dataclass(slots=True)
class UnaryTests(Node):
    """One or more positive tests separated by commas, optionally wrapped in ``not(...)``."""

    tests: list[Node]
    negated: bool = False


def walk(node: Node):
    """Yield ``node`` and every node below it."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        for slot in getattr(current, "__slots__", ()):
            child = getattr(current, slot)
            if isinstance(child, Node):
                stack.append(child)
            elif isinstance(child, list):
                for item in child:
                    if isinstance(item, Node):
                        stack.append(item)
                    elif isinstance(item, tuple):
                        stack.extend(x for x in item if isinstance(x, Node))
