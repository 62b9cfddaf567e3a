"""One rule for every expression a model holds: which language it is in, compiled once.

Conditions, timers, assignees, candidates, due dates, priorities, escalation groups, correlation
keys, loop cardinalities and completion conditions all come here, at deploy (``compile_expression``
refuses what cannot run, with the column) and when they run (``evaluate``):

- ``${…}`` or ``#{…}``: JUEL, as Camunda 7 models write it, translated into sandboxed Python
  (``engine/scripting/juel.py``); text inside that is no JUEL but is Python (written for this
  engine before it read JUEL) runs as Python, under the same refusal of method calls.
- ``=…``: FEEL, as Camunda 8 models write it, run by the decision engine's FEEL
  (``engine/feel``) over the process data.
- anything else: Python, in the sandbox, as SpiffWorkflow models write it. (Where a bare text is a
  literal instead, e.g. a candidate group, the caller asks ``is_expression`` first.)

A ``language`` attribute (``conditionExpression language="…"``) may say python, juel or feel;
any other language is refused.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from engine.errors import ScriptError
from engine.scripting import sandbox
from engine.scripting.juel import DATA_NAME, HELPERS, JuelError, JuelTransformer, UnknownVariable, translate

PYTHON = "python"
JUEL = "juel"
FEEL = "feel"
_LANGUAGES = {PYTHON: PYTHON, JUEL: JUEL, FEEL: FEEL}


def language_of(attribute: str | None) -> str | None:
    """PYTHON, JUEL or FEEL for a ``language`` attribute (a name or a URI naming one); None when
    absent. Raises ScriptError naming any other language."""
    if attribute is None or not attribute.strip():
        return None
    lowered = attribute.strip().lower()
    if lowered in _LANGUAGES:
        return _LANGUAGES[lowered]
    if "/" in lowered or ":" in lowered:  # a URI, e.g. http://www.omg.org/spec/FEEL/20140401
        for name in (FEEL, JUEL, PYTHON):
            if name in lowered:
                return name
    raise ScriptError(f"expression language '{attribute.strip()}' is not supported: use python, juel or feel")


def _wrapped(text: str) -> str | None:
    """The body of ``${…}`` / ``#{…}``, or None."""
    if len(text) >= 3 and text[0] in "$#" and text[1] == "{" and text.endswith("}"):
        return text[2:-1]
    return None


def is_expression(raw: str | None) -> bool:
    """Whether an attribute's text is an expression (``${…}``, ``#{…}``, ``=…``) rather than a literal."""
    text = (raw or "").strip()
    return _wrapped(text) is not None or (text.startswith("=") and len(text) > 1)


@dataclass(frozen=True)
class CompiledExpression:
    text: str  # as written
    language: str  # PYTHON, JUEL or FEEL
    source: str  # the Python the sandbox runs (PYTHON, JUEL), or the FEEL text
    _feel: Any = field(default=None, repr=False, compare=False)

    def evaluate(
        self, data: Mapping[str, Any], functions: Mapping[str, Callable[..., Any]] | None = None
    ) -> Any:
        if self.language == PYTHON:
            return sandbox.evaluate(self.source, data, functions)
        if self.language == JUEL:
            try:
                return sandbox.evaluate(
                    self.source,
                    data,
                    functions,
                    policy=JuelTransformer,
                    helpers={**HELPERS, DATA_NAME: data},
                )
            except (NameError, UnknownVariable) as exc:
                # Camunda: "Unknown property used in expression". Said with the variable's name.
                raise ScriptError(
                    f"{_shown(self.text)}: unknown variable '{exc.name}' (no process variable has that name)"
                ) from None
        from engine.feel import FeelTypeError

        try:
            return self._feel.evaluate(data, None)
        except FeelTypeError as exc:
            raise ScriptError(f"FEEL expression {_shown(self.text)} failed: {exc}") from None


def _shown(text: str) -> str:
    return repr(text if len(text) <= 200 else text[:200] + "…")


def _method_calls(tree: ast.AST) -> str | None:
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            return node.func.attr
    return None


def _compile_juel(text: str, body: str, column_base: int = 2) -> CompiledExpression:
    try:
        source = translate(body, column_base)
    except JuelError as juel_error:
        if not juel_error.syntax:
            raise ScriptError(f"JUEL expression {_shown(text)}: {juel_error.message}") from None
        # No JUEL; perhaps the Python an earlier model wrote inside ${…}.
        try:
            tree = ast.parse(body.strip(), mode="eval")
            sandbox.compile_sandboxed(body.strip(), "eval")
        except (SyntaxError, ScriptError, RecursionError, ValueError, MemoryError):
            raise ScriptError(f"JUEL expression {_shown(text)}: {juel_error.message}") from None
        method = _method_calls(tree)
        if method is not None:
            raise ScriptError(
                f"expression {_shown(text)}: method calls are not supported: '.{method}(…)'; "
                "compute the value in a script task and use the variable"
            ) from None
        return CompiledExpression(text, PYTHON, body.strip())
    try:
        sandbox.compile_sandboxed(source, "eval", JuelTransformer)
    except ScriptError as exc:
        raise ScriptError(f"JUEL expression {_shown(text)}: {exc.message}") from None
    return CompiledExpression(text, JUEL, source)


def _compile_feel(text: str, body: str) -> CompiledExpression:
    from engine.feel import FeelSyntaxError, FeelTypeError
    from engine.feel import compile_expression as compile_feel

    try:
        compiled = compile_feel(body)
    except FeelSyntaxError as exc:
        where = "" if exc.offset is None else f" (column {exc.offset + 1 + len(text) - len(body)})"
        raise ScriptError(f"FEEL expression {_shown(text)}: {exc.message}{where}") from None
    except (FeelTypeError, RecursionError) as exc:
        raise ScriptError(f"FEEL expression {_shown(text)}: {exc or 'nested too deeply'}") from None
    return CompiledExpression(text, FEEL, body, compiled)


@lru_cache(maxsize=4096)
def compile_expression(text: str, language: str | None = None) -> CompiledExpression:
    """Compile ``text`` by the rule above; ``language`` is a ``language`` attribute's value (or None).

    Raises ScriptError saying what is wrong, with the column for JUEL and FEEL.
    """
    stripped = text.strip()
    declared = language_of(language)
    body = _wrapped(stripped)
    if body is not None and declared in (None, JUEL, PYTHON):
        return _compile_juel(stripped, body)
    if declared == JUEL:
        return _compile_juel(stripped, stripped, 0)
    if declared == FEEL or (declared is None and stripped.startswith("=")):
        feel = stripped[1:] if stripped.startswith("=") else stripped
        if not feel.strip():
            raise ScriptError(f"FEEL expression {_shown(stripped)} is empty")
        return _compile_feel(stripped, feel)
    if not stripped:
        raise ScriptError("the expression is empty")
    try:
        sandbox.compile_sandboxed(stripped, "eval")
    except RecursionError:
        raise ScriptError("the expression is nested too deeply to compile") from None
    return CompiledExpression(stripped, PYTHON, stripped)


def evaluate(
    text: str,
    data: Mapping[str, Any],
    functions: Mapping[str, Callable[..., Any]] | None = None,
    language: str | None = None,
) -> Any:
    """Evaluate ``text`` (compiled once per text) over ``data``."""
    return compile_expression(text, language).evaluate(data, functions)
