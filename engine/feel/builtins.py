"""The FEEL built-in functions we offer: the few a sales table plausibly needs.

Every function answers ``null`` when an argument it needs is null, and raises
FeelTypeError on arguments of the wrong type.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from functools import cmp_to_key
from typing import Any

from engine.feel.errors import FeelTypeError
from engine.feel.temporal import parse_date, parse_date_time, parse_duration, parse_time
from engine.feel.values import compare, describe, feel_equal, is_number, kind_of, truth


@dataclass(frozen=True)
class Builtin:
    function: Callable[..., Any]
    min_args: int
    max_args: int | None  # None: any number


def _need(value: Any, kind: str, function: str) -> None:
    if kind_of(value) != kind:
        raise FeelTypeError(f"{function}() expects a {kind}, got {describe(value)}")


def _not(value: Any) -> bool | None:
    b = truth(value)
    return None if b is None else not b


def _date(*args: Any) -> dt.date | None:
    if any(a is None for a in args):
        return None
    if len(args) == 3:
        for a in args:
            _need(a, "number", "date")
        try:
            return dt.date(int(args[0]), int(args[1]), int(args[2]))
        except ValueError as exc:
            raise FeelTypeError(f"date(): {exc}")
    value = args[0]
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    _need(value, "string", "date")
    try:
        return parse_date(value)
    except ValueError as exc:
        raise FeelTypeError(f"date(): {exc}")


def _date_and_time(*args: Any) -> dt.datetime | None:
    if any(a is None for a in args):
        return None
    if len(args) == 2:
        day, clock = args
        if not (isinstance(day, dt.date) and isinstance(clock, dt.time)):
            raise FeelTypeError("date and time() expects a date and a time")
        return dt.datetime.combine(day if not isinstance(day, dt.datetime) else day.date(), clock)
    value = args[0]
    if isinstance(value, dt.datetime):
        return value
    _need(value, "string", "date and time")
    try:
        return parse_date_time(value)
    except ValueError as exc:
        raise FeelTypeError(f"date and time(): {exc}")


def _parsed(parser: Callable[[str], Any], name: str) -> Callable[[Any], Any]:
    def convert(value: Any) -> Any:
        if value is None:
            return None
        _need(value, "string", name)
        try:
            return parser(value)
        except ValueError as exc:
            raise FeelTypeError(f"{name}(): {exc}")

    return convert


def _string(value: Any) -> str | None:
    if value is None:
        return None
    if value.__class__ is bool:
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)


def _number(value: Any) -> Any:
    if value is None:
        return None
    if is_number(value):
        return value
    _need(value, "string", "number")
    try:
        return int(value) if value.strip().lstrip("+-").isdigit() else float(value)
    except ValueError:
        return None


def _strings(name: str, transform: Callable[..., Any]) -> Callable[..., Any]:
    def apply(*args: Any) -> Any:
        if any(a is None for a in args):
            return None
        for a in args:
            _need(a, "string", name)
        return transform(*args)

    return apply


def _substring(text: Any, start: Any, length: Any = None) -> str | None:
    if text is None or start is None:
        return None
    _need(text, "string", "substring")
    _need(start, "number", "substring")
    begin = int(start) - 1 if start > 0 else len(text) + int(start)
    if length is None:
        return text[begin:]
    _need(length, "number", "substring")
    return text[begin : begin + int(length)]


def _numeric(name: str, transform: Callable[..., Any]) -> Callable[..., Any]:
    def apply(*args: Any) -> Any:
        if any(a is None for a in args):
            return None
        for a in args:
            _need(a, "number", name)
        return transform(*args)

    return apply


def _decimal(value: Any, scale: Any) -> Any:
    # FEEL rounds half to even; going through Decimal avoids binary-float surprises.
    result = Decimal(str(value)).quantize(Decimal(1).scaleb(-int(scale)), rounding=ROUND_HALF_EVEN)
    return int(result) if int(scale) <= 0 else float(result)


def _modulo(a: Any, b: Any) -> Any:
    return None if b == 0 else a % b


def _items(name: str, args: tuple[Any, ...]) -> list[Any]:
    if len(args) == 1 and isinstance(args[0], list | tuple):
        return list(args[0])
    if len(args) == 1 and args[0] is None:
        raise FeelTypeError(f"{name}() expects a list")
    return list(args)


def _extreme(name: str, pick_last: bool) -> Callable[..., Any]:
    def apply(*args: Any) -> Any:
        items = _items(name, args)
        if not items or any(i is None for i in items):
            return None
        ordered = sorted(items, key=cmp_to_key(compare))
        return ordered[-1] if pick_last else ordered[0]

    return apply


def _sum(*args: Any) -> Any:
    items = _items("sum", args)
    if not items or any(i is None for i in items):
        return None
    for i in items:
        _need(i, "number", "sum")
    return sum(items)


def _mean(*args: Any) -> Any:
    total = _sum(*args)
    return None if total is None else total / len(_items("mean", args))


def _count(values: Any) -> int:
    if not isinstance(values, list | tuple):
        raise FeelTypeError(f"count() expects a list, got {describe(values)}")
    return len(values)


def _list_contains(values: Any, item: Any) -> bool | None:
    if values is None:
        return None
    if not isinstance(values, list | tuple):
        raise FeelTypeError(f"list contains() expects a list, got {describe(values)}")
    return any(feel_equal(v, item) for v in values)


BUILTINS: dict[str, Builtin] = {
    "not": Builtin(_not, 1, 1),
    "date": Builtin(_date, 1, 3),
    "date and time": Builtin(_date_and_time, 1, 2),
    "time": Builtin(_parsed(parse_time, "time"), 1, 1),
    "duration": Builtin(_parsed(parse_duration, "duration"), 1, 1),
    "string": Builtin(_string, 1, 1),
    "number": Builtin(_number, 1, 1),
    "string length": Builtin(_strings("string length", len), 1, 1),
    "upper case": Builtin(_strings("upper case", str.upper), 1, 1),
    "lower case": Builtin(_strings("lower case", str.lower), 1, 1),
    "contains": Builtin(_strings("contains", lambda s, m: m in s), 2, 2),
    "starts with": Builtin(_strings("starts with", str.startswith), 2, 2),
    "ends with": Builtin(_strings("ends with", str.endswith), 2, 2),
    "substring": Builtin(_substring, 2, 3),
    "abs": Builtin(_numeric("abs", abs), 1, 1),
    "floor": Builtin(_numeric("floor", math.floor), 1, 1),
    "ceiling": Builtin(_numeric("ceiling", math.ceil), 1, 1),
    "decimal": Builtin(_numeric("decimal", _decimal), 2, 2),
    "modulo": Builtin(_numeric("modulo", _modulo), 2, 2),
    "min": Builtin(_extreme("min", pick_last=False), 1, None),
    "max": Builtin(_extreme("max", pick_last=True), 1, None),
    "sum": Builtin(_sum, 1, None),
    "mean": Builtin(_mean, 1, None),
    "count": Builtin(_count, 1, 1),
    "list contains": Builtin(_list_contains, 2, 2),
}
