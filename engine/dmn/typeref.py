"""Declared types (``typeRef``) of inputs, outputs and input data.

Both FEEL names (``number``, ``date and time``) and the names Camunda Modeler writes
(``integer``, ``long``, ``double``) are understood; ``itemDefinition`` names resolve to
their base type. A type is checked once per input per evaluation, and it is what makes
``"500000"`` (a string) in a number column an error instead of a silent non-match.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from engine.feel.errors import FeelTypeError
from engine.feel.temporal import parse_date, parse_date_time, parse_duration, parse_time
from engine.feel.values import describe, kind_of

_ALIASES = {
    "number": "number",
    "decimal": "number",
    "double": "number",
    "float": "number",
    # Camunda's integer/long are FEEL numbers; whole-number checks would refuse 30.5 in
    # tables SpiffWorkflow users typed "long" without meaning it.
    "integer": "number",
    "int": "number",
    "long": "number",
    "short": "number",
    "string": "string",
    "boolean": "boolean",
    "bool": "boolean",
    "date": "date",
    "date and time": "date and time",
    "datetime": "date and time",
    "date time": "date and time",
    "time": "time",
    "days and time duration": "duration",
    "daytimeduration": "duration",
    "duration": "duration",
    "context": "context",
    "list": "list",
    "any": None,
}


@dataclass(frozen=True)
class TypeRef:
    declared: str  # as written in the file
    kind: str  # FEEL kind ("number", "string", "date", ...)

    def accepts(self, value: Any) -> bool:
        """Whether a literal/result is of this type (null always is)."""
        return value is None or kind_of(value) == self.kind

    def checker(self) -> Callable[[Any], Any]:
        """``coerce`` with a fast path for the exact Python classes of the type (the hot path)."""
        exact = _EXACT_CLASSES.get(self.kind, ())
        coerce = self.coerce
        return lambda value: value if value.__class__ in exact else coerce(value)

    def coerce(self, value: Any) -> Any:
        """The input value in this type, or FeelTypeError. ISO strings become dates, because
        process data travels as JSON; nothing else is converted."""
        if value is None or self.accepts(value):
            return value
        parser = _FROM_TEXT.get(self.kind)
        if parser is not None and isinstance(value, str):
            try:
                return parser(value)
            except ValueError:
                pass
        if self.kind == "date and time" and kind_of(value) == "date":
            return dt.datetime.combine(value, dt.time())
        raise FeelTypeError(f"expected a {self.declared}, got {describe(value)}")


_EXACT_CLASSES: dict[str, frozenset[type]] = {
    "number": frozenset({int, float}),
    "string": frozenset({str}),
    "boolean": frozenset({bool}),
    "date": frozenset({dt.date}),
    "date and time": frozenset({dt.datetime}),
    "time": frozenset({dt.time}),
    "duration": frozenset({dt.timedelta}),
    "list": frozenset({list}),
    "context": frozenset({dict}),
}

_FROM_TEXT: dict[str, Callable[[str], Any]] = {
    "date": parse_date,
    "date and time": parse_date_time,
    "time": parse_time,
    "duration": parse_duration,
}


def resolve_type(declared: str | None, item_types: Mapping[str, str | None]) -> TypeRef | None:
    """The type named ``declared``; None for no/``Any`` type. ValueError for an unknown name.

    ``item_types`` maps itemDefinition names to their own typeRef (None for structures).
    """
    if not declared or not declared.strip():
        return None
    seen: set[str] = set()
    name = declared.strip()
    while True:
        local = name.rsplit(":", 1)[-1]  # "feel:string", "xsd:double"
        key = " ".join(local.lower().split())
        if key in _ALIASES:
            kind = _ALIASES[key]
            return None if kind is None else TypeRef(declared.strip(), kind)
        if local in item_types and local not in seen:
            seen.add(local)
            base = item_types[local]
            if base is None:
                return TypeRef(declared.strip(), "context")
            name = base
            continue
        raise ValueError(f"unknown type '{declared}'")
