"""Sandboxed evaluation of the Python expressions and scripts found in process models.

Models are uploaded by process owners, so their scripts are untrusted code. They are
compiled with RestrictedPython (names and attributes starting with ``_`` are rejected,
attribute access goes through guards) and run with a short list of builtins: no
``import``, no ``open()``, no ``eval``/``exec``, no access to dunder attributes.
Compiled code is cached per source text, so a hot condition is compiled once.

Known limit: the sandbox bounds what code can reach, not how long it runs; a model
with an endless loop blocks its command until the worker is restarted.
"""

from __future__ import annotations

import ast
import datetime as _datetime
import decimal
import math
import operator
from collections.abc import Callable, Mapping, MutableMapping
from functools import lru_cache
from types import CodeType, ModuleType
from typing import Any

from RestrictedPython import compile_restricted_eval, compile_restricted_exec
from RestrictedPython.Eval import default_guarded_getitem
from RestrictedPython.Guards import (
    full_write_guard,
    guarded_iter_unpack_sequence,
    guarded_unpack_sequence,
    safe_builtins,
    safer_getattr_raise,
)
from RestrictedPython.PrintCollector import PrintCollector

from engine.errors import ScriptError

_FORBIDDEN_CALLS = {
    "open",
    "exec",
    "eval",
    "compile",
    "__import__",
    "globals",
    "locals",
    "vars",
    "input",
    "breakpoint",
    "help",
    "getattr",
    "setattr",
    "delattr",
    "memoryview",
}

_INPLACE_OPERATORS = {
    "+=": operator.iadd,
    "-=": operator.isub,
    "*=": operator.imul,
    "/=": operator.itruediv,
    "//=": operator.ifloordiv,
    "%=": operator.imod,
    "**=": operator.ipow,
    "<<=": operator.ilshift,
    ">>=": operator.irshift,
    "&=": operator.iand,
    "^=": operator.ixor,
    "|=": operator.ior,
    "@=": operator.imatmul,
}


def _inplace(op: str, target: Any, value: Any) -> Any:
    return _INPLACE_OPERATORS[op](target, value)


def _build_globals() -> dict[str, Any]:
    builtins = {k: v for k, v in safe_builtins.items() if k not in _FORBIDDEN_CALLS}
    builtins.pop("__build_class__", None)
    for name in (
        "min",
        "max",
        "sum",
        "any",
        "all",
        "sorted",
        "enumerate",
        "zip",
        "map",
        "filter",
        "list",
        "dict",
        "set",
        "frozenset",
        "tuple",
        "reversed",
    ):
        builtins[name] = __builtins__[name] if isinstance(__builtins__, dict) else getattr(__builtins__, name)
    return {
        "__builtins__": builtins,
        "__name__": "process_script",
        # A missing attribute must fail, not quietly read as None.
        "_getattr_": safer_getattr_raise,
        "_getitem_": default_guarded_getitem,
        "_getiter_": iter,
        "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
        "_unpack_sequence_": guarded_unpack_sequence,
        "_write_": full_write_guard,
        "_inplacevar_": _inplace,
        "_print_": PrintCollector,
        # The module, as SpiffWorkflow-style scripts expect (datetime.datetime(…), datetime.date.today()).
        "datetime": _datetime,
        "date": _datetime.date,
        "timedelta": _datetime.timedelta,
        "timezone": _datetime.timezone,
        "Decimal": decimal.Decimal,
        "math": math,
    }


SANDBOX_GLOBALS: Mapping[str, Any] = _build_globals()


def _policy_problems(tree: ast.AST) -> list[str]:
    """Rules RestrictedPython would only enforce at run time; we want them at compile time."""
    problems = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            problems.append(f"line {node.lineno}: import is not allowed in process scripts")
        elif isinstance(node, ast.Name) and node.id in _FORBIDDEN_CALLS:
            problems.append(f"line {node.lineno}: '{node.id}' is not available in process scripts")
        elif isinstance(node, ast.ClassDef):
            problems.append(f"line {node.lineno}: class definitions are not allowed in process scripts")
    return problems


@lru_cache(maxsize=4096)
def compile_sandboxed(source: str, mode: str) -> CodeType:
    """Compile ``source`` ('eval' for expressions, 'exec' for scripts) under the sandbox rules.

    Raises ScriptError naming the line of the first violation or syntax error.
    """
    kind = "expression" if mode == "eval" else "script"
    try:
        tree = ast.parse(source, mode=mode)
    except SyntaxError as exc:
        raise ScriptError(f"Syntax error in {kind} on line {exc.lineno}: {exc.msg}: {source.strip()!r}")
    problems = _policy_problems(tree)
    if not problems:
        result = (compile_restricted_eval if mode == "eval" else compile_restricted_exec)(source)
        if result.errors:
            problems = list(result.errors)
        else:
            return result.code
    raise ScriptError(f"The {kind} breaks the sandbox rules: " + "; ".join(problems))


def evaluate(
    expression: str, names: Mapping[str, Any], functions: Mapping[str, Callable[..., Any]] | None = None
) -> Any:
    """Evaluate a Python expression over ``names`` (task data) inside the sandbox.

    ``functions`` are the caller's additions to the sandbox's globals (e.g. ``now`` bound to the
    command's clock); like the globals, a process variable of the same name hides them.
    """
    code = compile_sandboxed(expression.strip(), "eval")
    scope = dict(SANDBOX_GLOBALS)
    if functions:
        scope.update(functions)
    scope.update(names)
    return eval(code, scope)


def execute(
    script: str, data: MutableMapping[str, Any], functions: Mapping[str, Callable[..., Any]] | None = None
) -> None:
    """Run a script against ``data``: assignments become (or replace) data entries, ``del`` removes them."""
    code = compile_sandboxed(script, "exec")
    scope = dict(SANDBOX_GLOBALS)
    if functions:
        scope.update(functions)
    scope.update(data)
    exec(code, scope)
    for key in list(data):
        if key not in scope:
            del data[key]
    for key, value in scope.items():
        if key in SANDBOX_GLOBALS and SANDBOX_GLOBALS[key] is value:
            continue
        if key.startswith("_") or callable(value) or isinstance(value, ModuleType):
            continue
        if data.get(key, _UNSET) is not value:
            _require_storable(key, value)
        data[key] = value


_UNSET = object()
_SCALARS = (str, int, float, bool, type(None))


def _unstorable(value: Any) -> Any:
    """The first part of ``value`` that JSON cannot hold, or _UNSET when all of it can."""
    if isinstance(value, _SCALARS):
        return _UNSET
    if isinstance(value, list | tuple):
        parts = value
    elif isinstance(value, dict):
        bad_keys = [k for k in value if not isinstance(k, _SCALARS)]
        if bad_keys:
            return bad_keys[0]
        parts = list(value.values())
    else:
        return value
    for part in parts:
        bad = _unstorable(part)
        if bad is not _UNSET:
            return bad
    return _UNSET


def _require_storable(name: str, value: Any) -> None:
    # Process data is saved as JSON when the command ends; refusing here names the script and the
    # variable, where a failed save could only say that something somewhere was not JSON.
    bad = _unstorable(value)
    if bad is _UNSET:
        return
    hint = ""
    if isinstance(bad, _datetime.date | _datetime.time):
        hint = "; keep its text instead, e.g. now().isoformat() or now().date().isoformat()"
    raise ScriptError(
        f"process variable '{name}' would hold a {type(bad).__name__}, which process data cannot keep{hint}"
    )
