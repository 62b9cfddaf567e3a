"""What scripts can reach: the names they are given, and everything two attribute steps from them.

The walk goes through the same attribute guard compiled scripts call, over every attribute name
Python knows for each object (dunder names included: the guard, not only RestrictedPython's
compile-time rule, must refuse them).
"""

from __future__ import annotations

import datetime as dt
import decimal
from types import CodeType, FrameType, FunctionType, ModuleType, TracebackType
from typing import Any

import pytest

from engine.scripting.attributes import Exposed, guarded_getattr
from engine.scripting.sandbox import SANDBOX_GLOBALS, evaluate
from engine.scripting.surface import BUILTINS, EXCEPTIONS

# Values scripts make by calling what they are given (and what SpiffWorkflow hands them).
MADE = {
    "now()": "now()",
    "a date": "date(2026, 1, 31)",
    "a time": "datetime.time(12, 30)",
    "a duration": "timedelta(days=2)",
    "a decimal": "Decimal('1.25')",
    "a generator": "(i for i in [1])",
    "a lambda": "lambda: 1",
    "a dict view": "{'a': 1}.items()",
    "a range": "range(3)",
    "a zip": "zip([1], [2])",
    "a map": "map(str, [1])",
    "an enumerate": "enumerate([1])",
    "a week": "date(2026, 1, 31).isocalendar()",
    "a zone": "now().tzinfo",
    "utc": "timezone.utc",
    "a bound method": "'a'.upper",
    "a wrapped method": "'a'.join",
}


def _now() -> dt.datetime:
    return dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC).astimezone(dt.timezone(dt.timedelta(hours=8)))


def _roots() -> dict[str, Any]:
    roots = {name: value for name, value in SANDBOX_GLOBALS.items() if not name.startswith("_")}
    roots.update({f"builtins.{name}": value for name, value in BUILTINS.items()})
    functions = {"now": _now}
    roots.update({name: evaluate(source, {}, functions) for name, source in MADE.items()})
    roots["a caught exception"] = evaluate("[e for e in [ZeroDivisionError('x')]][0]", {})
    return roots


def _dangerous(value: Any) -> str | None:
    if isinstance(value, ModuleType | FrameType | CodeType | TracebackType):
        return type(value).__name__
    if value is type or value is object:
        return "a root class"
    if isinstance(value, type):
        return f"the class {value.__name__}"
    if isinstance(value, dict) and ("__builtins__" in value or "__name__" in value):
        return "a namespace dict"
    if isinstance(value, FunctionType) and value.__globals__.get("__name__") not in (None, "process_script"):
        # Our wrappers are functions too; handing one out is fine only while its attributes stay shut.
        return None
    return None


def _attributes(value: Any) -> list[str]:
    names = set(dir(value)) | set(dir(type(value)))
    if isinstance(value, Exposed):
        names |= set(value.attributes) | {"name", "call", "instance_of", "attributes"}
    return sorted(names)


def _reachable(value: Any) -> list[tuple[str, Any]]:
    found = []
    for name in _attributes(value):
        try:
            found.append((name, guarded_getattr(value, name)))
        except AttributeError:
            continue
    return found


ROOT_NAMES = sorted(
    [name for name in SANDBOX_GLOBALS if not name.startswith("_")]
    + [f"builtins.{name}" for name in BUILTINS]
    + [*MADE, "a caught exception"]
)


@pytest.mark.parametrize("root", ROOT_NAMES)
def test_nothing_two_attribute_steps_away_is_a_way_out(root: str) -> None:
    if root in MADE or root == "a caught exception":
        value = _roots()[root]
    else:
        value = BUILTINS[root[len("builtins.") :]] if root.startswith("builtins.") else SANDBOX_GLOBALS[root]
    assert _dangerous(value) is None or value in EXCEPTIONS, root
    for first, one in _reachable(value):
        assert _dangerous(one) is None, f"{root}.{first} is {_dangerous(one)}"
        assert not first.startswith("_"), f"{root}.{first} is handed out"
        for second, two in _reachable(one):
            assert _dangerous(two) is None, f"{root}.{first}.{second} is {_dangerous(two)}"
            assert not second.startswith("_"), f"{root}.{first}.{second} is handed out"


def test_the_walk_finds_a_module_when_one_is_handed_out() -> None:
    # The walk itself can fail: a real module as a global is caught at the first step.
    assert _dangerous(dt) == "module"
    leaky = Exposed("leaky", {"datetime": dt.datetime})
    assert any(_dangerous(v) for _, v in _reachable(leaky))


def test_what_bundled_models_use_keeps_working() -> None:
    functions = {"now": _now}
    assert evaluate("now() - datetime.datetime.fromisoformat('2026-03-01T09:00:00+08:00') > timedelta(days=0)",
                    {}, functions)  # fmt: skip
    assert evaluate("datetime.datetime(2026, 1, 31).year", {}) == 2026
    assert evaluate("(date(2026, 1, 31) + timedelta(days=1)).isoformat()", {}) == "2026-02-01"
    assert evaluate("now().date().isoformat()", {}, functions) == "2026-03-02"
    assert evaluate("math.ceil(Decimal('2.1') * 3)", {}) == 7
    assert evaluate("Decimal('0.1') + Decimal('0.2') == Decimal('0.3')", {}) is True
    assert evaluate("round((100 - 95) / 100 * 100, 4)", {}) == 5.0
    assert evaluate("isinstance(x, list) and isinstance(y, (str, int)) and isinstance(now(), datetime.datetime)",
                    {"x": [], "y": 1}, functions) is True  # fmt: skip
    assert evaluate("sorted({'b': 1, 'a': 2}.items())", {}) == [("a", 2), ("b", 1)]
    assert evaluate("'; '.join(x + ': ' + str(n) for x, n in [('a', 1)])", {}) == "a: 1"
    assert evaluate("dict({'a': 1}, b={'c': 2})", {}) == {"a": 1, "b": {"c": 2}}
    assert (
        evaluate("f'{amount:,.2f} {currency!r}'", {"amount": 1234.5, "currency": "CNY"}) == "1,234.50 'CNY'"
    )
    assert evaluate("'%s-%03d' % ('A', 7)", {}) == "A-007"
    assert evaluate("[1, 2].index(2) + len(range(5)) + sum([1, 2]) + pow(2, 10)", {}) == 1 + 5 + 3 + 1024
    assert evaluate("datetime.timezone.utc == timezone.utc", {}) is True
    assert evaluate(
        "decimal_value.quantize(Decimal('0.01'))", {"decimal_value": decimal.Decimal("1.234")}
    ) == (decimal.Decimal("1.23"))
