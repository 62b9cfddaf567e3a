"""Turn FEEL expression trees into Python closures, once, at load time.

Every compiled expression is a function ``(context, input_value) -> value``; the second
argument is what ``?`` means inside a unary test and is ignored elsewhere. Constant
sub-expressions (``date("2026-01-31")``, ``-5``, ``100 * 1000``) are folded here, so a
bad literal is reported when the model is deployed, not when a request arrives. Folding runs
under the same size limits as evaluation (``values.py``), checked before computing, so a
constant like ``10 ** 100000000`` is refused at once rather than computed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from engine.feel import ast
from engine.feel.builtins import BUILTINS
from engine.feel.errors import FeelLimitError, FeelSyntaxError, FeelTooComplex, FeelTypeError
from engine.feel.parser import parse_expression
from engine.feel.values import (
    arithmetic,
    check_string_length,
    compare,
    feel_and,
    feel_equal,
    is_number,
    member,
    negate,
    truth,
)

Evaluator = Callable[[Mapping[str, Any], Any], Any]


@dataclass(frozen=True)
class CompiledExpression:
    source: str
    evaluate: Evaluator
    names: frozenset[str]  # context names the expression reads (first segment of a path)
    is_constant: bool
    constant: Any
    uses_input: bool
    language: str = "feel"


@dataclass
class _Info:
    names: set[str]
    uses_input: bool = False


def _constant(value: Any) -> Evaluator:
    return lambda ctx, q: value


def _dotted(node: ast.Node) -> str | None:
    """``a.b.c`` as text when the path is made of names only."""
    if isinstance(node, ast.Name):
        return node.name
    if isinstance(node, ast.Path):
        base = _dotted(node.base)
        return None if base is None else f"{base}.{node.key}"
    return None


class _Compiler:
    def __init__(self, allow_input: bool) -> None:
        self.allow_input = allow_input
        self.info = _Info(set())

    def compile(self, node: ast.Node) -> tuple[Evaluator, bool, Any]:
        """Return the evaluator, whether it is a constant, and the constant."""
        method = getattr(self, "_" + type(node).__name__.lower())
        return method(node)

    def fn(self, node: ast.Node) -> Evaluator:
        return self.compile(node)[0]

    def _literal(self, node: ast.Literal) -> tuple[Evaluator, bool, Any]:
        return _constant(node.value), True, node.value

    def _name(self, node: ast.Name) -> tuple[Evaluator, bool, Any]:
        name = node.name
        self.info.names.add(name)
        return (lambda ctx, q: ctx.get(name)), False, None

    def _inputvalue(self, node: ast.InputValue) -> tuple[Evaluator, bool, Any]:
        if not self.allow_input:
            raise FeelSyntaxError("'?' (the input value) can only be used in an input entry")
        self.info.uses_input = True
        return (lambda ctx, q: q), False, None

    def _path(self, node: ast.Path) -> tuple[Evaluator, bool, Any]:
        base, constant, value = self.compile(node.base)
        key = node.key
        if constant:
            result = member(value, key)
            return _constant(result), True, result
        dotted = _dotted(node)
        if dotted is not None:
            # Longest match: a context key that literally contains the dots wins over
            # walking into nested contexts (SpiffWorkflow tables use such keys).
            def dotted_path(ctx: Mapping[str, Any], q: Any) -> Any:
                if dotted in ctx:
                    return ctx[dotted]
                return member(base(ctx, q), key)

            return dotted_path, False, None
        return (lambda ctx, q: member(base(ctx, q), key)), False, None

    def _index(self, node: ast.Index) -> tuple[Evaluator, bool, Any]:
        base = self.fn(node.base)
        index, constant, value = self.compile(node.index)
        if constant and not is_number(value):
            # FEEL would read list["key"] as a filter; it is Python's item access in disguise.
            raise FeelSyntaxError("only a number can index a list (filters are not supported)")

        def get_item(ctx: Mapping[str, Any], q: Any) -> Any:
            items, position = base(ctx, q), index(ctx, q)
            if items is None or position is None:
                return None
            if not isinstance(items, list | tuple) or not is_number(position):
                raise FeelTypeError("only lists can be indexed, with a number (filters are not supported)")
            i = int(position)
            if i == 0 or abs(i) > len(items):
                return None
            return items[i - 1] if i > 0 else items[i]

        return get_item, False, None

    def _call(self, node: ast.Call) -> tuple[Evaluator, bool, Any]:
        builtin = BUILTINS.get(node.function)
        if builtin is None:
            raise FeelSyntaxError(f"unknown function '{node.function}'", node.offset)
        count = len(node.args)
        if count < builtin.min_args or (builtin.max_args is not None and count > builtin.max_args):
            raise FeelSyntaxError(f"wrong number of arguments for {node.function}()", node.offset)
        compiled = [self.compile(arg) for arg in node.args]
        function = builtin.function
        if all(c[1] for c in compiled):
            try:
                value = function(*(c[2] for c in compiled))
            except FeelLimitError as exc:
                raise FeelTooComplex(str(exc), node.offset)
            except FeelTypeError as exc:
                raise FeelSyntaxError(str(exc), node.offset)
            except (ArithmeticError, ValueError, TypeError) as exc:
                # e.g. date(10000, 1, 1), decimal(1, 1000000000): a constant that cannot be computed
                raise FeelTooComplex(f"{node.function}(): {exc}", node.offset)
            return _constant(value), True, value
        args = [c[0] for c in compiled]
        if len(args) == 1:
            only = args[0]
            return (lambda ctx, q: function(only(ctx, q))), False, None
        return (lambda ctx, q: function(*(a(ctx, q) for a in args))), False, None

    def _negate(self, node: ast.Negate) -> tuple[Evaluator, bool, Any]:
        operand, constant, value = self.compile(node.operand)
        if constant:
            return self._fold(lambda: negate(value))
        return (lambda ctx, q: negate(operand(ctx, q))), False, None

    def _fold(self, compute: Callable[[], Any]) -> tuple[Evaluator, bool, Any]:
        try:
            value = compute()
        except FeelLimitError as exc:
            raise FeelTooComplex(str(exc))
        except FeelTypeError as exc:
            raise FeelSyntaxError(str(exc))
        return _constant(value), True, value

    def _arithmetic(self, node: ast.Arithmetic) -> tuple[Evaluator, bool, Any]:
        left, constant, value = self.compile(node.first)
        steps: list[tuple[str, Evaluator]] = []
        for op, operand in node.rest:
            right, right_constant, right_value = self.compile(operand)
            if constant and right_constant:  # a constant prefix of the chain folds
                try:
                    value = arithmetic(op, value, right_value)
                except FeelLimitError as exc:
                    raise FeelTooComplex(str(exc))
                except FeelTypeError as exc:
                    raise FeelSyntaxError(str(exc))
                left = _constant(value)
            else:
                constant = False
                steps.append((op, right))
        if constant:
            return left, True, value
        if len(steps) == 1:
            (op, right), first = steps[0], left
            return (lambda ctx, q: arithmetic(op, first(ctx, q), right(ctx, q))), False, None
        return _chain(left, steps), False, None

    def _comparison(self, node: ast.Comparison) -> tuple[Evaluator, bool, Any]:
        left = self.fn(node.left)
        right = self.fn(node.right)
        op = node.op
        if op == "=":
            return (lambda ctx, q: feel_equal(left(ctx, q), right(ctx, q))), False, None
        if op == "!=":
            return (lambda ctx, q: not feel_equal(left(ctx, q), right(ctx, q))), False, None
        accept = {"<": (-1,), "<=": (-1, 0), ">": (1,), ">=": (1, 0)}[op]

        def ordered(ctx: Mapping[str, Any], q: Any) -> bool | None:
            result = compare(left(ctx, q), right(ctx, q))
            return None if result is None else result in accept

        return ordered, False, None

    def _and(self, node: ast.And) -> tuple[Evaluator, bool, Any]:
        return self._junction(node.operands, decisive=False)

    def _or(self, node: ast.Or) -> tuple[Evaluator, bool, Any]:
        return self._junction(node.operands, decisive=True)

    def _junction(self, nodes: Any, decisive: bool) -> tuple[Evaluator, bool, Any]:
        """``and`` (false decides) or ``or`` (true decides), three-valued, left to right: the deciding
        value wins at once, later operands unevaluated; otherwise null if any operand was not a
        boolean, else the other value. A chain of any length is one loop, never recursion."""
        operands = [self.fn(operand) for operand in nodes]

        def junction(ctx: Mapping[str, Any], q: Any) -> bool | None:
            result: bool | None = not decisive
            for operand in operands:
                value = truth(operand(ctx, q))
                if value is decisive:
                    return decisive
                if value is None:
                    result = None
            return result

        return junction, False, None

    def _if(self, node: ast.If) -> tuple[Evaluator, bool, Any]:
        condition, then, otherwise = self.fn(node.condition), self.fn(node.then), self.fn(node.otherwise)
        return (lambda ctx, q: then(ctx, q) if truth(condition(ctx, q)) else otherwise(ctx, q)), False, None

    def _between(self, node: ast.Between) -> tuple[Evaluator, bool, Any]:
        value, low, high = self.fn(node.value), self.fn(node.low), self.fn(node.high)

        def between(ctx: Mapping[str, Any], q: Any) -> bool | None:
            v = value(ctx, q)
            above, below = compare(v, low(ctx, q)), compare(v, high(ctx, q))
            return feel_and(None if above is None else above >= 0, None if below is None else below <= 0)

        return between, False, None

    def _in(self, node: ast.In) -> tuple[Evaluator, bool, Any]:
        # Imported here because unary tests compile their endpoints with this module.
        from engine.feel.unary import compile_test_node

        value = self.fn(node.value)
        test, names, uses_input = compile_test_node(node.tests, self.allow_input, fast=False)
        self.info.names.update(names)
        self.info.uses_input = self.info.uses_input or uses_input
        return (lambda ctx, q: test(value(ctx, q), ctx, q)), False, None

    def _listexpr(self, node: ast.ListExpr) -> tuple[Evaluator, bool, Any]:
        compiled = [self.compile(item) for item in node.items]
        if all(c[1] for c in compiled):
            value = [c[2] for c in compiled]
            return (lambda ctx, q: list(value)), True, value
        items = [c[0] for c in compiled]
        return (lambda ctx, q: [item(ctx, q) for item in items]), False, None

    def _contextexpr(self, node: ast.ContextExpr) -> tuple[Evaluator, bool, Any]:
        entries = [(key, self.fn(value)) for key, value in node.entries]
        return (lambda ctx, q: {key: fn(ctx, q) for key, fn in entries}), False, None


def _chain(first: Evaluator, steps: list[tuple[str, Evaluator]]) -> Evaluator:
    """A chain of operations as one loop (no nested closures, however long the chain)."""

    def chain(ctx: Mapping[str, Any], q: Any) -> Any:
        result = first(ctx, q)
        pieces: list[str] = []  # strings still to append to ``result`` (joined once: linear work)
        for op, operand in steps:
            value = operand(ctx, q)
            if op == "+" and result.__class__ is str and value.__class__ is str:
                if not pieces:
                    pieces.append(result)
                    length = len(result)
                length += len(value)
                check_string_length(length)
                pieces.append(value)
                continue
            if pieces:
                result, pieces = "".join(pieces), []
            result = arithmetic(op, result, value)
        return "".join(pieces) if pieces else result

    return chain


def compile_node(node: ast.Node, allow_input: bool = False) -> tuple[Evaluator, bool, Any, set[str], bool]:
    compiler = _Compiler(allow_input)
    fn, constant, value = compiler.compile(node)
    return fn, constant, value, compiler.info.names, compiler.info.uses_input


def compile_expression(
    text: str, known_names: Iterable[str] = (), allow_input: bool = False
) -> CompiledExpression:
    """Parse and compile one FEEL expression; FeelSyntaxError if it is outside the subset."""
    node = parse_expression(text, known_names)
    fn, constant, value, names, uses_input = compile_node(node, allow_input)
    return CompiledExpression(text, fn, frozenset(names), constant, value, uses_input)
