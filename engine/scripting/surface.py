"""Everything a script can name: the builtins and globals of the sandbox.

Nothing here is a module or a class whose attributes lead anywhere: ``datetime`` and ``math`` are
``Exposed`` namespaces holding only what process models use (dates, durations, decimal
arithmetic, rounding), the builtin types are ``Exposed`` constructors that charge the budget for
what they build, and the functions that could run long in C (``range``, ``sum``, ``round``,
``pow``, ``sorted``…) are wrapped so their size is bounded before they run. Exception classes are
the real ones, since ``except`` needs them; the attribute guard offers nothing on any class.
"""

from __future__ import annotations

import builtins
import datetime as _dt
import decimal
import math as _math
from collections.abc import Callable, Iterable
from typing import Any

from RestrictedPython.Guards import guarded_iter_unpack_sequence, guarded_unpack_sequence

from engine.scripting import guards
from engine.scripting.attributes import Exposed, guarded_getattr
from engine.scripting.budget import current


def _sized(function: Callable[..., Any]) -> Callable[..., Any]:
    def build(*args: Any, **kwargs: Any) -> Any:
        if args and not isinstance(args[0], list | tuple | dict | set | frozenset | str | range):
            args = (guards.iterate(args[0]), *args[1:])
        value = function(*args, **kwargs)
        current().charge(len(value))
        return value

    return build


def _comparing(function: Callable[..., Any]) -> Callable[..., Any]:
    def run(*args: Any, **kwargs: Any) -> Any:
        if len(args) == 1 and not isinstance(args[0], list | tuple | dict | set | frozenset | str | range):
            args = (list(guards.iterate(args[0])),)
        for arg in args:
            guards.compared(arg)
        return function(*args, **kwargs)

    return run


def _text(function: Callable[..., str]) -> Callable[..., str]:
    def convert(*args: Any) -> str:
        guards.charge_text(*args)
        return function(*args)

    return convert


def _int(*args: Any) -> int:
    value = int(*args)
    current().int_bits(value.bit_length())
    return value


def _range(*args: Any) -> range:
    numbers = range(*args)
    try:
        size = len(numbers)
    except OverflowError:
        size = current().limits.max_items + 1
    current().charge(size)
    return numbers


def _sum(items: Iterable[Any], start: Any = 0) -> Any:
    if not isinstance(start, int | float | decimal.Decimal | _dt.timedelta):
        raise TypeError("sum() adds numbers; join text with ''.join(…) and lists with a comprehension")
    total = sum(guards.iterate(items), start)
    if type(total) is int:
        current().int_bits(total.bit_length())
    return total


def _round(number: Any, digits: int | None = None) -> Any:
    if digits is None:
        return round(number)
    if isinstance(number, int) and isinstance(digits, int) and digits < 0:
        # round(x, -n) computes 10**n first.
        current().int_bits(-digits * 10 // 3 + 1)
    return round(number, digits)


def _decimal(value: Any = "0") -> decimal.Decimal:
    number = decimal.Decimal(value)
    if number.is_finite() and number != 0:
        current().int_bits(int(abs(number.adjusted()) * 3.33) + 1)
    return number


def decimal_context(max_int_bits: int) -> decimal.Context:
    """Decimal arithmetic in scripts: exponents bounded like integers (an ``int()`` of the result
    stays within the integer limit), errors raised rather than turned into NaN or Infinity."""
    exponent = max_int_bits * 3 // 10
    return decimal.Context(
        prec=28,
        Emax=exponent,
        Emin=-exponent,
        traps=[decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow],
    )


def _type(name: str, cls: type, call: Callable[..., Any] | None = None, **attributes: Any) -> Exposed:
    return Exposed(name, attributes, call or cls, cls)


def _function(name: str, call: Callable[..., Any]) -> Exposed:
    return Exposed(name, {}, call)


_DATETIME = _type(
    "datetime.datetime",
    _dt.datetime,
    fromisoformat=_dt.datetime.fromisoformat,
    combine=_dt.datetime.combine,
    min=_dt.datetime.min,
    max=_dt.datetime.max,
)
_DATE = _type(
    "datetime.date",
    _dt.date,
    fromisoformat=_dt.date.fromisoformat,
    fromordinal=_dt.date.fromordinal,
    min=_dt.date.min,
    max=_dt.date.max,
)
_TIME = _type("datetime.time", _dt.time, fromisoformat=_dt.time.fromisoformat)
_TIMEDELTA = _type("datetime.timedelta", _dt.timedelta, min=_dt.timedelta.min, max=_dt.timedelta.max)
_TIMEZONE = _type("datetime.timezone", _dt.timezone, utc=_dt.UTC)

DATETIME = Exposed(
    "datetime",
    {"datetime": _DATETIME, "date": _DATE, "time": _TIME, "timedelta": _TIMEDELTA, "timezone": _TIMEZONE},
)
MATH = Exposed(
    "math",
    {
        name: getattr(_math, name)
        for name in (
            "ceil",
            "floor",
            "trunc",
            "sqrt",
            "isqrt",
            "fabs",
            "isclose",
            "isfinite",
            "isinf",
            "isnan",
            "log",
            "log10",
            "log2",
            "exp",
            "gcd",
            "fsum",
            "copysign",
            "hypot",
            "pi",
            "e",
            "inf",
            "nan",
        )
    },
)
DECIMAL = _type("Decimal", decimal.Decimal, call=_decimal)

EXCEPTIONS = (
    ArithmeticError,
    AssertionError,
    AttributeError,
    Exception,
    IndexError,
    KeyError,
    LookupError,
    NameError,
    NotImplementedError,
    OverflowError,
    RuntimeError,
    StopIteration,
    TypeError,
    UnboundLocalError,
    ValueError,
    ZeroDivisionError,
)

BUILTINS: dict[str, Any] = {
    "None": None,
    "True": True,
    "False": False,
    **{cls.__name__: cls for cls in EXCEPTIONS},
    # Pure functions of bounded arguments, handed out as they are.
    **{
        name: getattr(builtins, name)
        for name in (
            "abs",
            "all",
            "any",
            "bin",
            "callable",
            "chr",
            "divmod",
            "hex",
            "isinstance",
            "len",
            "oct",
            "ord",
        )
    },
    # Lazy iterators over what they are given; whoever consumes them pays per step.
    **{
        name: _function(name, getattr(builtins, name))
        for name in ("enumerate", "filter", "map", "reversed", "zip")
    },
    "bool": _type("bool", bool),
    "float": _type("float", float),
    "int": _type("int", int, call=_int),
    "str": _type("str", str, call=_text(str)),
    "repr": _function("repr", _text(repr)),
    "list": _type("list", list, call=_sized(list)),
    "tuple": _type("tuple", tuple, call=_sized(tuple)),
    "set": _type("set", set, call=_sized(_comparing(set))),
    "frozenset": _type("frozenset", frozenset, call=_sized(_comparing(frozenset))),
    "min": _function("min", _comparing(min)),
    "max": _function("max", _comparing(max)),
    "dict": _type("dict", dict, call=_sized(dict)),
    "sorted": _function("sorted", _sized(_comparing(sorted))),
    "range": _type("range", range, call=_range),
    "sum": _function("sum", _sum),
    "round": _function("round", _round),
    "pow": _function("pow", guards.power),
}

GLOBALS: dict[str, Any] = {
    "datetime": DATETIME,
    "date": _DATE,
    "timedelta": _TIMEDELTA,
    "timezone": _TIMEZONE,
    "Decimal": DECIMAL,
    "math": MATH,
}

# The guards RestrictedPython's compiled code calls, and ours (engine/scripting/transform.py).
GUARDS: dict[str, Any] = {
    "__builtins__": BUILTINS,
    "__name__": "process_script",
    "_getattr_": guarded_getattr,
    "_getitem_": guards.guarded_getitem,
    "_getiter_": guards.iterate,
    # RestrictedPython's, iterating through the _getiter_ above.
    "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
    "_unpack_sequence_": guarded_unpack_sequence,
    "_write_": guards.guarded_write,
    "_inplacevar_": guards.inplace,
    "_print_": guards.PrintCollector,
    "_apply_": guards.apply,
    "_add_": guards.add,
    "_mul_": guards.mul,
    "_pow_": guards.power,
    "_lshift_": guards.lshift,
    "_mod_": guards.mod,
    "_format_value_": guards.format_value,
    "_built_": guards.built,
    "_compared_": guards.compared,
}
