"""What FEEL operators mean on Python values: kinds, equality, ordering, arithmetic.

FEEL has one number type, so ``int``, ``float`` and ``Decimal`` are all numbers and
``bool`` is not (in Python ``True == 1``; in FEEL ``true = 1`` is false). ``None`` is FEEL
``null``: equality with null is defined (``null = null`` is true), while ordering and
arithmetic with null give null.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from engine.feel.errors import FeelLimitError, FeelTypeError
from engine.feel.temporal import format_duration

NUMBER_TYPES = (int, float, Decimal)
ORDERED_KINDS = frozenset({"number", "string", "date", "date and time", "time", "duration"})

# Bounded work: Python computes integers exactly, so 10 ** 100000000 would run for a minute and
# take megabytes. FEEL's numbers (decimal128) have 34 digits; no amount needs more than this.
MAX_DIGITS = 1000
_NUMBER_LIMIT = 10**MAX_DIGITS
# The longest string a FEEL operation may build (characters).
MAX_STRING = 1_000_000


def kind_of(value: Any) -> str:
    """The FEEL type name of ``value`` (``"number"``, ``"date and time"``, ...)."""
    if value is None:
        return "null"
    cls = value.__class__
    if cls is bool:
        return "boolean"
    if cls is int or cls is float or isinstance(value, NUMBER_TYPES):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dt.datetime):
        return "date and time"
    if isinstance(value, dt.date):
        return "date"
    if isinstance(value, dt.time):
        return "time"
    if isinstance(value, dt.timedelta):
        return "duration"
    if isinstance(value, list | tuple):
        return "list"
    if isinstance(value, Mapping):
        return "context"
    return cls.__name__


def is_number(value: Any) -> bool:
    return value.__class__ is not bool and isinstance(value, NUMBER_TYPES)


def describe(value: Any) -> str:
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{text} ({kind_of(value)})"


def feel_equal(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is None and b is None
    kind = kind_of(a)
    if kind != kind_of(b):
        return False
    if kind == "list":
        return len(a) == len(b) and all(feel_equal(x, y) for x, y in zip(a, b, strict=True))
    if kind == "context":
        return a.keys() == b.keys() and all(feel_equal(a[k], b[k]) for k in a)
    return bool(a == b)


def compare(a: Any, b: Any) -> int | None:
    """-1, 0 or 1; ``None`` when either side is null; FeelTypeError when they cannot be ordered."""
    if a is None or b is None:
        return None
    kind = kind_of(a)
    if kind != kind_of(b) or kind not in ORDERED_KINDS:
        raise FeelTypeError(f"cannot compare {describe(a)} with {describe(b)}")
    try:
        return (a > b) - (a < b)
    except TypeError:
        # e.g. a date-time with a time zone against one without
        raise FeelTypeError(f"cannot compare {describe(a)} with {describe(b)}")


def _numbers(a: Any, b: Any) -> tuple[Any, Any]:
    if isinstance(a, Decimal) != isinstance(b, Decimal) and (isinstance(a, float) or isinstance(b, float)):
        return float(a), float(b)
    return a, b


def _divide(a: Any, b: Any) -> Any:
    if b == 0:
        return None  # FEEL: division by zero is null
    if a.__class__ is int and b.__class__ is int and a % b == 0:
        return a // b
    return a / b


def _too_large(what: str) -> FeelLimitError:
    return FeelLimitError(f"{what} would have more than {MAX_DIGITS:,} digits, the limit of numbers here")


def _digits(value: Any) -> float:
    """About how many digits the integer part of a number has (0 for 0)."""
    magnitude = abs(value)
    return math.log10(magnitude) + 1 if magnitude >= 1 else 0.0


def _check_operands(op: str, a: Any, b: Any) -> None:
    """Refuse before computing what would exceed the limit: the computation itself is the cost."""
    if op == "**" and b > 0 and abs(a) > 1:
        exponent = float(b) if _digits(b) < 300 else math.inf
        if math.log10(abs(a)) * exponent > MAX_DIGITS:
            raise _too_large(f"{describe(a)} ** {describe(b)}")
    elif op == "*" and _digits(a) + _digits(b) > MAX_DIGITS + 2:
        raise _too_large(f"{describe(a)} * {describe(b)}")


def bounded_number(value: Any, what: str = "the result") -> Any:
    """``value`` if it is a finite number within the limit; FeelLimitError otherwise."""
    if value.__class__ is int:
        if -_NUMBER_LIMIT < value < _NUMBER_LIMIT:
            return value
        raise _too_large(what)
    if value.__class__ is float:
        if math.isfinite(value):
            return value
        raise FeelLimitError(f"{what} is out of the range of numbers")
    if isinstance(value, complex):  # (-8) ** 0.5 in Python
        raise FeelTypeError(f"{what} is not a real number")
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise FeelLimitError(f"{what} is out of the range of numbers")
        if value and value.adjusted() >= MAX_DIGITS:
            raise _too_large(what)
    return value


def check_string_length(length: int) -> None:
    if length > MAX_STRING:
        raise FeelLimitError(
            f"the string would have {length:,} characters; FEEL strings here have at most {MAX_STRING:,}"
        )


def arithmetic(op: str, a: Any, b: Any) -> Any:
    if a is None or b is None:
        return None
    ka, kb = kind_of(a), kind_of(b)
    try:
        if ka == "number" and kb == "number":
            a, b = _numbers(a, b)
            if op == "+":
                return bounded_number(a + b)
            if op == "-":
                return bounded_number(a - b)
            _check_operands(op, a, b)
            if op == "*":
                return bounded_number(a * b)
            if op == "/":
                result = _divide(a, b)
                return None if result is None else bounded_number(result)
            return bounded_number(a**b)
        if op == "+":
            if ka == kb == "string":
                check_string_length(len(a) + len(b))
                return a + b
            if ka in ("date", "date and time") and kb == "duration":
                return a + b
            if ka == "duration" and kb in ("date", "date and time", "duration"):
                return a + b
        elif op == "-":
            if ka == kb and ka in ("date", "date and time", "duration"):
                return a - b
            if ka in ("date", "date and time") and kb == "duration":
                return a - b
        elif op == "*":
            if ka == "duration" and kb == "number":
                return a * float(b)
            if ka == "number" and kb == "duration":
                return b * float(a)
        elif op == "/":
            if ka == "duration" and kb == "number":
                return None if b == 0 else a / float(b)
            if ka == kb == "duration":
                return None if not b else a / b
    except (TypeError, OverflowError, ArithmeticError) as exc:
        raise FeelTypeError(f"cannot compute {describe(a)} {op} {describe(b)}: {exc}")
    raise FeelTypeError(f"cannot compute {describe(a)} {op} {describe(b)}")


def negate(value: Any) -> Any:
    if value is None:
        return None
    if is_number(value) or isinstance(value, dt.timedelta):
        return -value
    raise FeelTypeError(f"cannot negate {describe(value)}")


def truth(value: Any) -> bool | None:
    """FEEL three-valued logic treats anything but true/false as null."""
    return value if value.__class__ is bool else None


def feel_and(a: Any, b: Any) -> bool | None:
    a, b = truth(a), truth(b)
    if a is False or b is False:
        return False
    if a is True and b is True:
        return True
    return None


_TEMPORAL_PROPERTIES = {
    "year": lambda v: v.year,
    "month": lambda v: v.month,
    "day": lambda v: v.day,
    "weekday": lambda v: v.isoweekday(),
    "hour": lambda v: v.hour,
    "minute": lambda v: v.minute,
    "second": lambda v: v.second,
    "days": lambda v: v.days,
    "hours": lambda v: v.seconds // 3600,
    "minutes": lambda v: v.seconds // 60 % 60,
    "seconds": lambda v: v.seconds % 60,
}


def member(value: Any, key: str) -> Any:
    """``value.key``: a context entry, or a property of a date/time/duration.

    Arbitrary Python attributes are deliberately not reachable: decision data is data.
    """
    if value is None:
        return None
    if isinstance(value, Mapping):
        return value.get(key)
    if isinstance(value, list | tuple):
        return [member(item, key) for item in value]
    getter = _TEMPORAL_PROPERTIES.get(key)
    if getter is not None and isinstance(value, dt.date | dt.time | dt.timedelta):
        try:
            return getter(value)
        except AttributeError:
            return None
    return None


def to_json(value: Any) -> Any:
    """A JSON-serialisable copy of ``value``: dates as ISO text, durations as ISO 8601 durations."""
    if value is None or value.__class__ in (str, int, float, bool):
        return value
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return format_duration(value)
    if isinstance(value, Mapping):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_json(v) for v in value]
    if isinstance(value, int | float | str):
        return value
    return str(value)
