"""Which language a text is in, and compiling it in that language.

``expressionLanguage`` is honoured on the expression itself first, then on the
definitions. When neither says anything, FEEL is tried first (it is the DMN default and
what dmn-js / Camunda Modeler produce) and SpiffWorkflow-style Python second, so tables
written for SpiffWorkflow keep working unchanged: a cell that is not FEEL but is Python
is read as Python. A few texts are valid in both; those that look like Python
(``True``, ``x is None``, cells using ``?``) are read as Python.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from engine.dmn.python_style import (
    compile_python_expression,
    compile_python_tests,
    looks_like_python,
)
from engine.errors import ScriptError
from engine.feel import FeelSyntaxError, FeelTooComplex, compile_expression, compile_unary_tests

FEEL = "feel"
PYTHON = "python"
JUEL = "juel"

_PYTHON_WORDS = frozenset({"True", "False", "None", "is", "lambda"})
# Python's compiler recurses once per level of nesting; no table cell needs that many.
_TOO_DEEP = "not a valid Python expression: nested too deeply to compile"


class ExpressionProblem(Exception):
    """A text that cannot be compiled; the message is written for the process owner."""


def language_of(uri: str | None) -> str | None:
    """FEEL, PYTHON or JUEL for an ``expressionLanguage`` value; None when it is not given."""
    if uri is None or not uri.strip():
        return None
    lowered = uri.lower()
    if "feel" in lowered:
        return FEEL
    if "python" in lowered:
        return PYTHON
    if "juel" in lowered:
        return JUEL
    raise ExpressionProblem(f"expression language '{uri}' is not supported; use FEEL or Python")


def _pythonic(names: Iterable[str], known_names: frozenset[str]) -> bool:
    for name in names:
        words = name.split()
        if _PYTHON_WORDS.intersection(words):
            return True
        if len(words) > 1 and name not in known_names:
            return True
    return False


def _unwrap_juel(text: str) -> str:
    stripped = text.strip()
    if stripped.startswith("${") and stripped.endswith("}"):
        return stripped[2:-1]
    if stripped.startswith("#{") and stripped.endswith("}"):
        return stripped[2:-1]
    return stripped


class ExpressionCompiler:
    """Compiles the texts of one decision; ``known_names`` are multi-word names in scope."""

    def __init__(self, known_names: Iterable[str], default_language: str | None) -> None:
        self.known_names = frozenset(known_names)
        self.default_language = default_language

    def _language(self, own: str | None) -> str | None:
        return language_of(own) if own and own.strip() else self.default_language

    def expression(self, text: str, own_language: str | None = None) -> Any:
        """A CompiledExpression (FEEL) or PythonExpression."""
        language = self._language(own_language)
        if language == PYTHON:
            return self._python(compile_python_expression, text)
        if language == JUEL:
            try:
                return compile_expression(_unwrap_juel(text), self.known_names)
            except FeelSyntaxError as exc:
                raise ExpressionProblem(
                    f"JUEL is only understood for names, paths, literals and arithmetic: {exc}"
                )
        try:
            compiled = compile_expression(text, self.known_names)
        except FeelSyntaxError as exc:
            if language == FEEL or isinstance(exc, FeelTooComplex):
                raise ExpressionProblem(f"not valid FEEL: {exc}")
            return self._fallback(compile_python_expression, text, exc)
        if language is None and _pythonic(compiled.names, self.known_names) and looks_like_python(text):
            return self._fallback(compile_python_expression, text, None, compiled)
        return compiled

    def tests(self, text: str, own_language: str | None = None) -> Any:
        """CompiledTests (FEEL) or PythonTests for an input entry or allowed-values list."""
        language = self._language(own_language)
        if language == PYTHON:
            return self._python(compile_python_tests, text)
        try:
            compiled = compile_unary_tests(_unwrap_juel(text) if language == JUEL else text, self.known_names)
        except FeelSyntaxError as exc:
            if language in (FEEL, JUEL) or isinstance(exc, FeelTooComplex):
                raise ExpressionProblem(f"not a valid FEEL unary test: {exc}")
            return self._fallback(compile_python_tests, text, exc)
        # "?" in a cell is SpiffWorkflow's hallmark (FEEL authors rarely need it): with no
        # declared language such a cell is read SpiffWorkflow's way, and its table with it.
        if (
            language is None
            and (compiled.uses_input or _pythonic(compiled.names, self.known_names))
            and looks_like_python(text)
        ):
            return self._fallback(compile_python_tests, text, None, compiled)
        return compiled

    @staticmethod
    def _python(compile_python: Any, text: str) -> Any:
        try:
            return compile_python(text)
        except RecursionError:
            raise ExpressionProblem(_TOO_DEEP)
        except ScriptError as exc:
            raise ExpressionProblem(f"not a valid Python expression: {exc}")

    @staticmethod
    def _fallback(
        compile_python: Any, text: str, feel_error: FeelSyntaxError | None, feel_result: Any = None
    ) -> Any:
        try:
            return compile_python(text)
        except RecursionError:
            raise ExpressionProblem(_TOO_DEEP)
        except ScriptError as exc:
            if feel_result is not None:
                return feel_result
            if exc.message.startswith("Syntax error"):
                # Not Python either; the FEEL message is the one a table author can act on.
                raise ExpressionProblem(f"not valid FEEL ({feel_error})")
            raise ExpressionProblem(f"not valid FEEL ({feel_error}), and as Python: {exc.message}")
