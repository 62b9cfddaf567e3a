"""What compiled sandbox code calls instead of Python's own item, iteration, operator and formatting
machinery (attributes: ``engine/scripting/attributes.py``).

Operators and methods that can build something large (``*``, ``**``, ``<<``, ``+`` on sequences,
``%``, joins, padding, f-string widths) estimate the size of their result and charge it to the
run's budget *before* computing it.
"""

from __future__ import annotations

import datetime as _dt
import decimal
import operator
import re
import string
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from engine.errors import ScriptAccessDenied, ScriptError
from engine.scripting.budget import current

# --- sizes ------------------------------------------------------------------------------------

_SEQUENCES = (str, list, tuple, bytes)
_SCALAR_TEXT = (bool, type(None), float, decimal.Decimal, _dt.date, _dt.time, _dt.timedelta)


def text_size(value: Any, limit: int) -> int:
    """An upper estimate of ``len(str(value))``, walking at most ~``limit`` parts (a list holding
    the same big list twice prints it twice, so sharing does not make printing cheap)."""
    total = 0
    stack = [value]
    while stack:
        item = stack.pop()
        kind = type(item)
        if kind is str:
            total += len(item) + 2
        elif kind is int:
            total += item.bit_length() // 3 + 2
        elif kind is decimal.Decimal:
            digits, exponent = len(item.as_tuple().digits), item.as_tuple().exponent
            total += digits + (abs(exponent) if isinstance(exponent, int) else 0) + 8
        elif isinstance(item, _SCALAR_TEXT):
            total += 48
        elif kind in (list, tuple, set, frozenset):
            total += 2 + 2 * len(item)
            stack.extend(item)
        elif kind is dict:
            total += 2 + 4 * len(item)
            stack.extend(item.keys())
            stack.extend(item.values())
        else:
            total += 64
        if total > limit:
            return total
    return total


_CONTAINERS = (list, tuple, dict, set, frozenset)


def compared(value: Any) -> Any:
    """An operand of ``==``, ``<``, ``in``…, or what ``sorted``, ``min``, ``set`` compare or hash.

    Python compares and hashes nested containers element by element in C, without a way to stop
    it: a list holding the same list twice, 60 levels deep, compares 2**60 leaves. Refuse values
    whose nesting, counted out, passes the size limit.
    """
    if type(value) not in _CONTAINERS:
        return value
    budget = current()
    limit = budget.limits.max_items
    seen = 0
    stack = [value]
    while stack:
        item = stack.pop()
        kind = type(item)
        if kind is dict:
            seen += len(item)
            stack.extend(v for v in item.values() if type(v) in _CONTAINERS)
            stack.extend(k for k in item if type(k) is tuple)
        elif kind in _CONTAINERS:
            seen += len(item)
            stack.extend(v for v in item if type(v) in _CONTAINERS)
        if seen > limit:
            budget.fail(
                f"a value compared or sorted nests more than {limit:,} items (APPROVALS_SCRIPT_MAX_ITEMS)"
            )
    return value


def charge_text(*values: Any) -> None:
    """Refuse to turn ``values`` into text when the text would pass the size limits."""
    budget = current()
    limit = budget.limits.max_items
    budget.charge(sum(text_size(v, limit) for v in values))


def _check_int(value: Any) -> Any:
    if type(value) is int:
        current().int_bits(value.bit_length())
    return value


# --- operators ----------------------------------------------------------------------------------


def add(a: Any, b: Any) -> Any:
    if isinstance(a, _SEQUENCES) and isinstance(b, _SEQUENCES):
        current().charge(len(a) + len(b))
        return a + b
    return _check_int(a + b)


def mul(a: Any, b: Any) -> Any:
    if isinstance(a, int) and isinstance(b, int):
        current().int_bits(a.bit_length() + b.bit_length())
    elif isinstance(a, _SEQUENCES) and isinstance(b, int):
        current().charge(len(a) * max(b, 0))
    elif isinstance(b, _SEQUENCES) and isinstance(a, int):
        current().charge(len(b) * max(a, 0))
    return a * b


def power(a: Any, b: Any, modulo: Any = None) -> Any:
    if modulo is not None:
        budget = current()
        for part in (a, b, modulo):
            if isinstance(part, int):
                budget.int_bits(part.bit_length())
        return pow(a, b, modulo)
    if isinstance(a, int) and isinstance(b, int) and b > 0 and abs(a) > 1:
        # A lower bound of the result's size, exact for powers of two; checked again after.
        current().int_bits((abs(a).bit_length() - 1) * b + 1)
        return _check_int(a**b)
    return a**b


def lshift(a: Any, b: Any) -> Any:
    if isinstance(a, int) and isinstance(b, int) and b > 0:
        current().int_bits(a.bit_length() + b)
    return a << b


_PERCENT = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?[hlL]?(.)", re.S)


def mod(a: Any, b: Any) -> Any:
    if not isinstance(a, str | bytes):
        return a % b
    text = a if isinstance(a, str) else a.decode("latin-1")
    numbers = [n for width, precision, _ in _PERCENT.findall(text) for n in (width, precision)]
    if "*" in numbers:
        raise ScriptError("'%*d'-style widths are not available in process scripts; write the width")
    current().charge(_widths(numbers) * max(len(numbers) // 2, 1))
    values = b.values() if isinstance(b, dict) else b if isinstance(b, tuple) else (b,)
    charge_text(a, *values)
    return a % b


_INPLACE = {
    "+=": add,
    "-=": operator.sub,
    "*=": mul,
    "/=": operator.truediv,
    "//=": operator.floordiv,
    "%=": mod,
    "**=": power,
    "<<=": lshift,
    ">>=": operator.rshift,
    "&=": operator.and_,
    "^=": operator.xor,
    "|=": operator.or_,
}


def inplace(op: str, target: Any, value: Any) -> Any:
    # Plain (not in-place) operators: a list bound to two names is not changed through one of them.
    try:
        function = _INPLACE[op]
    except KeyError:
        raise ScriptError(f"the operator {op} is not available in process scripts")
    return function(target, value)


# --- formatting -----------------------------------------------------------------------------------

_SPEC_NUMBERS = re.compile(r"\d+")


def _widths(numbers: Iterable[str]) -> int:
    """The largest width or precision written, which is about the size of what it formats."""
    largest = 0
    for number in numbers:
        if number:
            largest = max(largest, int(number) if len(number) <= 12 else 10**12)
    return largest


def _check_spec(spec: str) -> None:
    current().charge(_widths(_SPEC_NUMBERS.findall(spec)))


def format_value(value: Any, conversion: int, spec: str | None) -> str:
    """One ``{value!conversion:spec}`` of an f-string."""
    charge_text(value)
    if conversion == ord("r"):
        value = repr(value)
    elif conversion == ord("a"):
        value = ascii(value)
    elif conversion == ord("s"):
        value = str(value)
    if spec:
        _check_spec(spec)
    return format(value, spec or "")


_FORMATTER = string.Formatter()
_FIELD = re.compile(r"^(\d*|[A-Za-z]\w*)$")


def str_format(template: str, *args: Any, **kwargs: Any) -> str:
    """``str.format`` without its attribute and item walks (``{0.__class__}``, ``{x[key]}``)."""
    parts: list[str] = []
    automatic = 0
    for literal, field, spec, conversion in _FORMATTER.parse(template):
        parts.append(literal)
        if field is None:
            continue
        if not _FIELD.match(field):
            raise ScriptError(f"'{{{field}}}' in a format string: only positions and names may be formatted")
        if spec and "{" in spec:
            raise ScriptError("nested fields in a format specification are not available in process scripts")
        if field == "":
            value = args[automatic]
            automatic += 1
        elif field.isdigit():
            value = args[int(field)]
        else:
            value = kwargs[field]
        code = ord(conversion) if conversion else -1
        parts.append(format_value(value, code, spec))
    current().charge(sum(len(p) for p in parts))
    return "".join(parts)


_INDEXABLE = (dict, list, tuple, str, range)


def guarded_getitem(obj: Any, key: Any) -> Any:
    if not isinstance(obj, _INDEXABLE):
        raise ScriptAccessDenied(f"'{type(obj).__name__}' objects cannot be indexed in process scripts")
    if type(key) is slice and not isinstance(obj, dict):
        start, stop, step = key.indices(len(obj))
        current().charge(len(range(start, stop, step)))
    elif type(key) is tuple:
        compared(key)  # hashed
    return obj[key]


class _ListWriter:
    """What ``xs[i] = v`` writes through: a slice assignment cannot grow a list past the limits."""

    __slots__ = ("items",)

    def __init__(self, items: list[Any]) -> None:
        self.items = items

    def __setitem__(self, key: Any, value: Any) -> None:
        if type(key) is slice:
            value = value if isinstance(value, list | tuple | str) else list(iterate(value))
            start, stop, step = key.indices(len(self.items))
            current().charge(len(self.items) - len(range(start, stop, step)) + len(value))
        self.items[key] = value

    def __delitem__(self, key: Any) -> None:
        del self.items[key]


def guarded_write(obj: Any) -> Any:
    if type(obj) is dict:
        return obj
    if type(obj) is list:
        return _ListWriter(obj)
    raise ScriptAccessDenied(f"process scripts cannot change attributes or items of a {type(obj).__name__}")


# --- iteration ------------------------------------------------------------------------------------


def iterate(iterable: Any) -> Iterator[Any]:
    """Every ``for`` and comprehension step: counted, and the clock looked at."""
    tick = current().tick
    for item in iter(iterable):
        tick()
        yield item


def apply(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """A call written with ``*args`` or ``**kwargs``."""
    current().charge(len(args) + len(kwargs))
    return function(*args, **kwargs)


def built(value: Any) -> Any:
    """A list, tuple, set or dict display with ``*``/``**`` unpacking, charged once built."""
    current().charge(len(value))
    return value


class PrintCollector:
    """``print`` in a script: collected (bounded) text that ``printed`` reads."""

    def __init__(self, _getattr_: Any = None) -> None:
        self.parts: list[str] = []

    def _call_print(self, *objects: Any, sep: str = " ", end: str = "\n") -> None:
        charge_text(*objects)
        self.parts.append(sep.join(str(o) for o in objects) + end)

    def __call__(self) -> str:
        return "".join(self.parts)
