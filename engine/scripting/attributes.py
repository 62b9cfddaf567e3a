"""The attributes scripts may read: an allowlist per type, never a blocklist.

A type missing from ``ATTRIBUTES`` offers nothing, so a new kind of object reaching a script is
closed by default. Methods that can build something large or compare nested values (``join``,
``replace``, padding, ``format``, ``extend``, ``sort``, ``get``…) are handed out wrapped, so they
charge the run's budget first (``engine/scripting/guards.py``).
"""

from __future__ import annotations

import datetime as _dt
import decimal
import re
from collections.abc import Callable, Iterable
from typing import Any
from zoneinfo import ZoneInfo

from engine.errors import ScriptAccessDenied, ScriptError
from engine.scripting.budget import current
from engine.scripting.guards import compared, iterate, str_format


class Exposed:
    """A name handed to scripts in place of a module or class: callable when ``call`` is set, usable
    with ``isinstance`` when ``instance_of`` is, and offering only ``attributes``."""

    __slots__ = ("attributes", "call", "instance_of", "name")

    def __init__(
        self,
        name: str,
        attributes: dict[str, Any] | None = None,
        call: Callable[..., Any] | None = None,
        instance_of: type | tuple[type, ...] | None = None,
    ) -> None:
        self.name = name
        self.attributes = attributes or {}
        self.call = call
        self.instance_of = instance_of

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self.call is None:
            raise TypeError(f"'{self.name}' cannot be called")
        return self.call(*args, **kwargs)

    def __instancecheck__(self, obj: Any) -> bool:
        if self.instance_of is None:
            raise TypeError(f"'{self.name}' is not a type")
        return isinstance(obj, self.instance_of)

    def __repr__(self) -> str:
        return f"<{self.name}>"


def _str_join(separator: str, items: Iterable[Any]) -> str:
    parts = list(iterate(items))
    current().charge(sum(len(p) if isinstance(p, str) else 0 for p in parts) + len(separator) * len(parts))
    return separator.join(parts)


def _str_replace(text: str, old: str, new: str, count: int = -1) -> str:
    hits = text.count(old) if old else len(text) + 1
    if count >= 0:
        hits = min(hits, count)
    current().charge(len(text) + hits * max(len(new) - len(old), 0))
    return text.replace(old, new, count)


def _padding(method: str) -> Callable[..., Callable[..., str]]:
    def bind(text: str) -> Callable[..., str]:
        def pad(width: int, *fill: str) -> str:
            current().charge(max(width, len(text)))
            return getattr(text, method)(width, *fill)

        return pad

    return bind


def _strftime(moment: Any) -> Callable[[str], str]:
    def strftime(pattern: str) -> str:
        if re.search(r"%[-_0^#]*\d", pattern):
            raise ScriptError("strftime() widths are not available in process scripts")
        current().charge(len(pattern) * 16)
        return moment.strftime(pattern)

    return strftime


def _list_extend(items: list[Any]) -> Callable[[Iterable[Any]], None]:
    def extend(more: Iterable[Any]) -> None:
        more = more if isinstance(more, list | tuple | str | dict | set | frozenset) else list(iterate(more))
        current().charge(len(items) + len(more))
        items.extend(more)

    return extend


def _copy(collection: Any) -> Callable[[], Any]:
    def copy() -> Any:
        current().charge(len(collection))
        return collection.copy()

    return copy


def _comparing(method: str) -> Callable[[Any], Callable[..., Any]]:
    """A method that compares or hashes the collection's items (``sort``, ``index``, ``get``…)."""

    def bind(collection: Any) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            compared(collection)
            for arg in args:
                compared(arg)
            return getattr(collection, method)(*args, **kwargs)

        return call

    return bind


def _plain(*names: str) -> dict[str, Callable[[Any], Any] | None]:
    return dict.fromkeys(names)


def _bound(function: Callable[..., Any]) -> Callable[[Any], Callable[..., Any]]:
    return lambda obj: lambda *args, **kwargs: function(obj, *args, **kwargs)


_STR = {
    **_plain(
        "capitalize",
        "casefold",
        "count",
        "endswith",
        "find",
        "index",
        "isalnum",
        "isalpha",
        "isascii",
        "isdecimal",
        "isdigit",
        "isidentifier",
        "islower",
        "isnumeric",
        "isspace",
        "istitle",
        "isupper",
        "lower",
        "lstrip",
        "partition",
        "removeprefix",
        "removesuffix",
        "rfind",
        "rindex",
        "rpartition",
        "rsplit",
        "rstrip",
        "split",
        "splitlines",
        "startswith",
        "strip",
        "swapcase",
        "title",
        "upper",
    ),
    "join": _bound(_str_join),
    "replace": _bound(_str_replace),
    "format": _bound(str_format),
    "center": _padding("center"),
    "ljust": _padding("ljust"),
    "rjust": _padding("rjust"),
    "zfill": _padding("zfill"),
}
_LIST = {
    **_plain("append", "clear", "insert", "pop", "reverse"),
    **{name: _comparing(name) for name in ("count", "index", "remove", "sort")},
    "extend": _list_extend,
    "copy": _copy,
}
_DICT = {
    **_plain("items", "keys", "values", "popitem", "clear", "update"),
    **{name: _comparing(name) for name in ("get", "pop", "setdefault")},
    "copy": _copy,
}
_SET = {
    **_plain(
        "add",
        "discard",
        "remove",
        "pop",
        "clear",
        "union",
        "intersection",
        "difference",
        "symmetric_difference",
        "issubset",
        "issuperset",
        "isdisjoint",
        "update",
    ),
    "copy": _copy,
}
_DATE = {
    **_plain(
        "year", "month", "day", "weekday", "isoweekday", "isoformat", "replace", "toordinal", "isocalendar"
    ),
    "strftime": _strftime,
}
_DATETIME = {
    **_DATE,
    **_plain(
        "hour",
        "minute",
        "second",
        "microsecond",
        "tzinfo",
        "date",
        "time",
        "astimezone",
        "utcoffset",
        "timestamp",
    ),
}
_TIME = {
    **_plain("hour", "minute", "second", "microsecond", "tzinfo", "isoformat", "replace"),
    "strftime": _strftime,
}

ATTRIBUTES: dict[type, dict[str, Callable[[Any], Any] | None]] = {
    str: _STR,
    list: _LIST,
    dict: _DICT,
    set: _SET,
    frozenset: {
        k: v
        for k, v in _SET.items()
        if k
        in (
            "union",
            "intersection",
            "difference",
            "copy",
            "symmetric_difference",
            "issubset",
            "issuperset",
            "isdisjoint",
        )
    },
    tuple: {name: _comparing(name) for name in ("count", "index")},
    int: _plain("bit_length"),
    bool: _plain("bit_length"),
    float: _plain("is_integer"),
    decimal.Decimal: _plain("quantize", "to_integral_value", "normalize", "is_signed", "is_zero", "adjusted"),
    _dt.datetime: _DATETIME,
    _dt.date: _DATE,
    _dt.time: _TIME,
    _dt.timedelta: _plain("days", "seconds", "microseconds", "total_seconds"),
    _dt.timezone: _plain("utcoffset", "tzname"),
    ZoneInfo: _plain("key", "utcoffset", "tzname"),
    type(_dt.date(2000, 1, 1).isocalendar()): _plain("year", "week", "weekday"),
    range: _plain("start", "stop", "step", "count", "index"),
    slice: _plain("start", "stop", "step"),
}
_EXCEPTION = _plain("args")


def _refuse(obj: Any, name: str) -> ScriptAccessDenied:
    kind = obj.name if isinstance(obj, Exposed) else type(obj).__name__
    if isinstance(obj, dict) and not hasattr(dict, name):
        return ScriptAccessDenied(f"'dict' object has no attribute '{name}' (read a key with ['{name}'])")
    hint = "; the current time is now()" if name in ("now", "today", "utcnow") else ""
    return ScriptAccessDenied(f"'{kind}' object has no attribute '{name}' that process scripts may use{hint}")


def guarded_getattr(obj: Any, name: str) -> Any:
    allowed = ATTRIBUTES.get(type(obj))
    if allowed is None:
        if type(obj) is Exposed:
            try:
                return obj.attributes[name]
            except KeyError:
                raise _refuse(obj, name) from None
        allowed = _EXCEPTION if isinstance(obj, BaseException) else {}
    if name not in allowed:
        raise _refuse(obj, name)
    wrap = allowed[name]
    value = getattr(obj, name)
    return value if wrap is None else wrap(obj)
