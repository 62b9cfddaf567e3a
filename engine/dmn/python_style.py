"""SpiffWorkflow-style cells: Python expressions, run in the engine's sandbox.

SpiffWorkflow's own DMN engine reads a cell like this, and so do we:

* ``-`` or empty matches everything;
* a cell containing ``?`` (outside quotes) is a condition with ``?`` standing for the input
  value: ``100 < ? <= 110``, ``"PEANUTS" in ?``;
* a cell that is a complete expression is compared for equality: ``"m"``, ``5``, ``True``;
* anything else is appended to the input value: ``> 1000``, ``in ["a", "b"]``, ``!= "x"``.

Nothing is evaluated with a bare ``eval``: sources are compiled (and checked against the
sandbox rules) at load time and run through ``engine.scripting.sandbox.evaluate``.
"""

from __future__ import annotations

import ast as python_ast
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from engine.errors import ScriptError
from engine.scripting.sandbox import SANDBOX_GLOBALS, compile_sandboxed, evaluate

# The name the input value gets inside a cell; SpiffWorkflow used the same one, and the
# sandbox refuses names that start with an underscore.
INPUT_NAME = "dmninputexpr"
_KNOWN = set(SANDBOX_GLOBALS) | set(SANDBOX_GLOBALS["__builtins__"]) | {INPUT_NAME}


@dataclass(frozen=True)
class PythonExpression:
    source: str
    evaluate: Callable[[Mapping[str, Any], Any], Any]
    names: frozenset[str]
    is_constant: bool = False
    constant: Any = None
    uses_input: bool = False
    language: str = "python"


@dataclass(frozen=True)
class PythonTests:
    source: str
    test: Callable[..., bool] | None
    names: frozenset[str]
    uses_input: bool
    literals: tuple[tuple[Any, str], ...] = ()
    language: str = "python"


def _replace_question_marks(text: str) -> str:
    out: list[str] = []
    quote: str | None = None
    for ch in text:
        if quote:
            if ch == quote:
                quote = None
            out.append(ch)
        elif ch in ("'", '"'):
            quote = ch
            out.append(ch)
        elif ch == "?":
            out.append(INPUT_NAME)
        else:
            out.append(ch)
    return "".join(out)


def _free_names(source: str) -> frozenset[str]:
    tree = python_ast.parse(source.strip(), mode="eval")
    bound = {
        n.id
        for n in python_ast.walk(tree)
        if isinstance(n, python_ast.Name) and isinstance(n.ctx, python_ast.Store)
    }
    return frozenset(
        n.id
        for n in python_ast.walk(tree)
        if isinstance(n, python_ast.Name) and n.id not in _KNOWN and n.id not in bound
    )


def _scope(ctx: Mapping[str, Any], value: Any) -> dict[str, Any]:
    scope = dict(ctx)
    scope[INPUT_NAME] = value
    return scope


def compile_python_expression(text: str) -> PythonExpression:
    """Compile an input expression or output entry; ScriptError if it breaks syntax or sandbox rules."""
    source = text.strip()
    compile_sandboxed(source, "eval")
    return PythonExpression(source, lambda ctx, q: evaluate(source, ctx), _free_names(source))


def compile_python_tests(text: str) -> PythonTests:
    """Compile an input entry in SpiffWorkflow's reading; ScriptError when no reading compiles."""
    source = text.strip()
    if source in ("", "-"):
        return PythonTests(source, None, frozenset(), False)
    replaced = _replace_question_marks(source)
    if replaced != source:
        condition = replaced
    else:
        try:
            compile_sandboxed(source, "eval")
            condition = f"({INPUT_NAME}) == ({source})"
        except ScriptError as first_error:
            condition = f"{INPUT_NAME} {source}"
            try:
                compile_sandboxed(condition, "eval")
            except ScriptError:
                raise first_error
    compile_sandboxed(condition, "eval")

    def test(v: Any, ctx: Mapping[str, Any], q: Any = None) -> bool:
        return bool(evaluate(condition, _scope(ctx, v)))

    return PythonTests(source, test, _free_names(condition), replaced != source)


def looks_like_python(text: str) -> bool:
    """Whether ``text`` compiles as a Python expression (alone or after an input value)."""
    source = _replace_question_marks(text.strip())
    for candidate in (source, f"{INPUT_NAME} {source}"):
        try:
            python_ast.parse(candidate, mode="eval")
            return True
        except SyntaxError:
            continue
    return False
