"""Process data as JSON: the one encoding used for stored data, history and answers."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID


def to_jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    if isinstance(value, set | frozenset):
        return sorted((to_jsonable(v) for v in value), key=repr)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, UUID):
        return str(value)
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return repr(value)


def _scalar(value: Any) -> Any:
    converted = to_jsonable(value)
    if converted is value:
        raise TypeError(f"not JSON serializable: {type(value).__name__}")
    return converted


def dumps(value: Any) -> str:
    """Canonical JSON (sorted keys, no spaces): equal data gives equal text, so hashes are stable."""
    try:
        # Process data is almost always plain JSON already: let the C encoder do the walk.
        return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_scalar)
    except TypeError:  # keys that are not strings, or not mutually sortable
        return json.dumps(to_jsonable(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
