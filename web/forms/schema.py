"""What the form code reads off a JSON Schema: field order, kinds, and conditional requirements."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jsonschema import Draft202012Validator

MAX_ROWS = 200  # most rows of a table a post may hold; more rows are a crafted post, not a person


def properties(schema: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found = schema.get("properties")
    if not isinstance(found, dict):
        return {}
    return {name: spec if isinstance(spec, dict) else {} for name, spec in found.items()}


def ordered(schema: dict[str, Any]) -> list[str]:
    """``x-order`` first, then the other properties as written."""
    names = properties(schema)
    order = [n for n in schema.get("x-order") or [] if isinstance(n, str) and n in names]
    return order + [n for n in names if n not in order]


def types_of(spec: dict[str, Any]) -> set[str]:
    kind = spec.get("type")
    if isinstance(kind, str):
        return {kind}
    if isinstance(kind, list):
        return {k for k in kind if isinstance(k, str)}
    return set()


def value_type(spec: dict[str, Any]) -> str:
    """The non-null JSON type a field holds: string, number, integer, boolean, array or object."""
    kinds = types_of(spec) - {"null"}
    if "enum" in spec or "const" in spec:
        choices = spec.get("enum") or [spec.get("const")]
        if all(isinstance(c, bool) for c in choices):
            return "boolean"
        if all(isinstance(c, int) and not isinstance(c, bool) for c in choices):
            return "integer"
        if all(isinstance(c, int | float) and not isinstance(c, bool) for c in choices):
            return "number"
        return "string"
    for kind in ("integer", "number", "boolean", "array", "object", "string"):
        if kind in kinds:
            return kind
    return "string"


def row_schema(spec: dict[str, Any]) -> dict[str, Any] | None:
    """The object schema of a table's rows (an array of objects), else None."""
    items = spec.get("items")
    if value_type(spec) == "array" and isinstance(items, dict) and properties(items):
        return items
    return None


@dataclass(frozen=True)
class Condition:
    """``if`` → ``then.required``: fields required when the condition holds on the data."""

    when: dict[str, Any]
    requires: tuple[str, ...]
    # For the page's script: the condition in the common shape "field X is one of these values".
    field: str | None
    values: tuple[Any, ...]

    def holds(self, data: dict[str, Any]) -> bool:
        try:
            return Draft202012Validator(self.when).is_valid(data)
        except Exception:  # a condition the validator cannot evaluate requires nothing here
            return False


def conditions(schema: dict[str, Any]) -> list[Condition]:
    found = []
    for part in [schema, *[p for p in schema.get("allOf") or [] if isinstance(p, dict)]]:
        when, then = part.get("if"), part.get("then")
        if not isinstance(when, dict) or not isinstance(then, dict):
            continue
        requires = tuple(n for n in then.get("required") or [] if isinstance(n, str))
        field, values = _simple(when)
        found.append(Condition(when, requires, field, values))
    return found


def _simple(when: dict[str, Any]) -> tuple[str | None, tuple[Any, ...]]:
    tested = properties(when)
    if len(tested) != 1:
        return None, ()
    [(name, spec)] = tested.items()
    if "const" in spec:
        return name, (spec["const"],)
    if isinstance(spec.get("enum"), list):
        return name, tuple(spec["enum"])
    return None, ()
