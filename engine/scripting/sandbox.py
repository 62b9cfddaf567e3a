"""Sandboxed evaluation of the Python expressions and scripts found in process models.

Models are uploaded by process owners, so their scripts are untrusted code, and they run inside
the command that holds the instance's lock. Three layers keep them in their place:

* **Compile** (``compile_sandboxed``): RestrictedPython's rules (no ``_`` names or attributes,
  no ``import``/``class``/``with``) and ours (``engine/scripting/transform.py``), which make the
  code call the budget and the size guards. Cached per source text: a hot condition compiles once.
* **Surface** (``engine/scripting/surface.py``): scripts see the process data and purpose-built
  names only, never a module or an object whose attributes reach one; attributes come from an
  allowlist per type (``engine/scripting/guards.py``).
* **Budget** (``engine/scripting/budget.py``): every run gets time, steps and sizes
  (``ScriptLimits``, APPROVALS_SCRIPT_* variables); past one the run fails with
  ``ScriptLimitExceeded``, which the script cannot catch, and its command rolls back.
"""

from __future__ import annotations

import ast
import builtins as _builtins
import datetime as _datetime
import decimal
from collections.abc import Callable, Mapping, MutableMapping
from functools import lru_cache
from types import CodeType, ModuleType
from typing import Any

from RestrictedPython import compile_restricted_eval, compile_restricted_exec

from engine.errors import ApprovalsError, ScriptError, ScriptLimitExceeded
from engine.scripting import budget as budgets
from engine.scripting.surface import BUILTINS, GLOBALS, GUARDS, decimal_context
from engine.scripting.transform import BudgetingTransformer

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

FORBIDDEN_NAMES = frozenset(_FORBIDDEN_CALLS)  # for translated text (juel.py): read as data instead

# What a script can name before its data: the sandbox's globals, its builtins through
# ``__builtins__``, and the guards (which data cannot hide: their names start with ``_``).
SANDBOX_GLOBALS: Mapping[str, Any] = {**GLOBALS, **GUARDS}


def _policy_problems(tree: ast.AST) -> list[str]:
    """Rules RestrictedPython would only enforce at run time; we want them at compile time."""
    problems = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            problems.append(f"line {node.lineno}: import is not allowed in process scripts")
        elif isinstance(node, ast.Name) and node.id in _FORBIDDEN_CALLS:
            problems.append(f"line {node.lineno}: '{node.id}' is not available in process scripts")
        elif isinstance(node, ast.Global) and any(name.startswith("_") for name in node.names):
            problems.append(f"line {node.lineno}: names starting with '_' are not allowed in process scripts")
        elif isinstance(node, ast.ClassDef):
            problems.append(f"line {node.lineno}: class definitions are not allowed in process scripts")
    return problems


@lru_cache(maxsize=4096)
def _compile(source: str, mode: str, policy: type = BudgetingTransformer) -> tuple[CodeType, bool]:
    kind = "expression" if mode == "eval" else "script"
    try:
        tree = ast.parse(source, mode=mode)
    except SyntaxError as exc:
        raise ScriptError(f"Syntax error in {kind} on line {exc.lineno}: {exc.msg}: {source.strip()!r}")
    problems = _policy_problems(tree)
    if not problems:
        compiler = compile_restricted_eval if mode == "eval" else compile_restricted_exec
        result = compiler(tree, policy=policy)
        if result.errors:
            problems = list(result.errors)
        else:
            names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
            return result.code, "Decimal" in names
    raise ScriptError(f"The {kind} breaks the sandbox rules: " + "; ".join(problems))


def compile_sandboxed(source: str, mode: str, policy: type = BudgetingTransformer) -> CodeType:
    """Compile ``source`` ('eval' for expressions, 'exec' for scripts) under the sandbox rules.

    Raises ScriptError naming the line of the first violation or syntax error.
    """
    return _compile(source, mode, policy)[0]


_BASE = {**GLOBALS, **GUARDS}
_GUARD_NAMES = frozenset(GUARDS)


def _scope(names: Mapping[str, Any], functions: Mapping[str, Callable[..., Any]] | None) -> dict[str, Any]:
    scope = _BASE.copy()
    if functions:
        scope.update(functions)
    scope.update(names)
    if names.keys() & _GUARD_NAMES:
        # Process data (form input, say) named like a guard must not replace it.
        scope.update(GUARDS)
    return scope


_PYTHON_BUILTINS = frozenset(dir(_builtins))


def _run(code: CodeType, scope: dict[str, Any], uses_decimal: bool) -> Any:
    budget = budgets.Budget(budgets.limits())
    scope["_tick_"] = budget.tick
    previous = budgets.enter(budget)
    try:
        try:
            if uses_decimal:
                with decimal.localcontext(decimal_context(budget.limits.max_int_bits)):
                    result = eval(code, scope)
            else:
                result = eval(code, scope)
        except ScriptLimitExceeded:
            raise
        except RecursionError:
            budget.failure = budget.failure or "calls nested too deeply (recursion)"
        except MemoryError:
            budget.failure = budget.failure or "it ran out of memory"
        except decimal.Overflow:
            exponent = decimal.getcontext().Emax if not uses_decimal else budget.limits.max_int_bits * 3 // 10
            budget.failure = budget.failure or (
                f"a Decimal would pass 1E+{exponent} (APPROVALS_SCRIPT_MAX_INT_BITS)"
            )
        except NameError as exc:
            if budget.failure is None and exc.name in _PYTHON_BUILTINS and exc.name not in BUILTINS:
                raise ScriptError(f"'{exc.name}' is not available in process scripts") from None
            raise _tamed(exc, budget)
        except ApprovalsError:
            if budget.failure is None:
                raise
        except Exception as exc:
            raise _tamed(exc, budget)
    finally:
        budgets.enter(previous)
    if budget.failure is not None:
        # Whatever the script did with it, a limit passed fails the run.
        raise ScriptLimitExceeded(f"script limit exceeded: {budget.failure}") from None
    return result


_MESSAGE_LIMIT = 500


def _tamed(exc: Exception, budget: budgets.Budget) -> Exception:
    """The script's own exception, its arguments cut to text of bounded size (the engine prints
    them in error messages and the audit trail, outside any budget)."""
    if budget.failure is not None:
        return ScriptLimitExceeded(f"script limit exceeded: {budget.failure}")
    if isinstance(exc, decimal.DecimalException):
        exc.args = (f"Decimal arithmetic failed: {type(exc).__name__}",)
        return exc
    args = []
    for arg in exc.args:
        if not isinstance(arg, str | int | float | bool | type(None)) or (
            isinstance(arg, int) and arg.bit_length() > 64
        ):
            arg = f"<{type(arg).__name__}>"
        elif isinstance(arg, str) and len(arg) > _MESSAGE_LIMIT:
            arg = arg[:_MESSAGE_LIMIT] + "…"
        args.append(arg)
    exc.args = tuple(args)
    return exc


def evaluate(
    expression: str,
    names: Mapping[str, Any],
    functions: Mapping[str, Callable[..., Any]] | None = None,
    *,
    policy: type = BudgetingTransformer,
    helpers: Mapping[str, Any] | None = None,
) -> Any:
    """Evaluate a Python expression over ``names`` (task data) inside the sandbox.

    ``functions`` are the caller's additions to the sandbox's globals (e.g. ``now`` bound to the
    command's clock); like the globals, a process variable of the same name hides them.
    ``policy`` and ``helpers`` serve text the engine translated (JUEL, engine/scripting/juel.py):
    a compiler that lets it name its helpers, and the helpers, which data cannot hide.
    """
    code, uses_decimal = _compile(expression.strip(), "eval", policy)
    scope = _scope(names, functions)
    if helpers:
        scope.update(helpers)
    return _run(code, scope, uses_decimal)


def execute(
    script: str, data: MutableMapping[str, Any], functions: Mapping[str, Callable[..., Any]] | None = None
) -> None:
    """Run a script against ``data``: assignments become (or replace) data entries, ``del`` removes them."""
    code, uses_decimal = _compile(script, "exec")
    scope = _scope(data, functions)
    _run(code, scope, uses_decimal)
    for key in list(data):
        if key not in scope:
            del data[key]
    for key, value in scope.items():
        if key.startswith("_") or callable(value) or isinstance(value, ModuleType):
            continue
        if data.get(key, _UNSET) is not value:
            _require_storable(key, value)
        data[key] = value


_UNSET = object()
_SCALARS = (str, int, float, bool, type(None))


_TOO_BIG = object()


def _unstorable(value: Any, limit: int) -> Any:
    """The first part of ``value`` that JSON cannot hold, _TOO_BIG past ``limit`` parts (a list
    holding one list many times is stored many times), or _UNSET when all of it can be kept."""
    stack = [value]
    seen = 0
    while stack:
        item = stack.pop()
        seen += 1
        if seen > limit:
            return _TOO_BIG
        if isinstance(item, _SCALARS):
            continue
        if isinstance(item, list | tuple):
            stack.extend(reversed(item))
        elif isinstance(item, dict):
            for key in item:
                if not isinstance(key, _SCALARS):
                    return key
            stack.extend(reversed(item.values()))
        else:
            return item
    return _UNSET


def _require_storable(name: str, value: Any) -> None:
    # Process data is saved as JSON when the command ends; refusing here names the script and the
    # variable, where a failed save could only say that something somewhere was not JSON.
    limit = budgets.limits().max_items
    bad = _unstorable(value, limit)
    if bad is _UNSET:
        return
    if bad is _TOO_BIG:
        raise ScriptLimitExceeded(
            f"script limit exceeded: process variable '{name}' would hold more than {limit:,} values "
            "(APPROVALS_SCRIPT_MAX_ITEMS)"
        )
    hint = ""
    if isinstance(bad, _datetime.date | _datetime.time):
        hint = "; keep its text instead, e.g. now().isoformat() or now().date().isoformat()"
    raise ScriptError(
        f"process variable '{name}' would hold a {type(bad).__name__}, which process data cannot keep{hint}"
    )
