"""The instance data's top-level scalars as searchable text: what ``instance_values`` holds.

One text per value, so that "customer = ACME" and "amount = 5000" are one index look-up each:
a string is itself, a boolean ``true``/``false``, a whole number its digits (``5000`` whether
the JSON said ``5000`` or ``5000.0``), another number Python's shortest round-trip form. Nulls,
lists and objects are not searchable. A value is compared on its first ``MAX_VALUE`` characters.
"""

from __future__ import annotations

import math
import re
from typing import Any

MAX_VALUE = 200
MAX_NAME = 100
FIELD_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,99}$")


def scalar_text(value: Any) -> str | None:
    """The searchable text of one JSON value; None for a value that is not searched."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)[:MAX_VALUE]
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        if value.is_integer() and abs(value) < 1e16:
            return str(int(value))
        return repr(value)
    if isinstance(value, str):
        return value[:MAX_VALUE]
    return None


def searchable(data: dict[str, Any]) -> dict[str, str]:
    """Field name -> text, for the fields a search can name (identifiers) holding a scalar."""
    found = {}
    for name, value in data.items():
        if FIELD_NAME.match(name):
            text = scalar_text(value)
            if text is not None:
                found[name] = text
    return found


def query_texts(typed: str) -> list[str]:
    """The stored texts a typed value matches: itself, and a number's canonical form (``5000.0``
    finds 5000, and the string "5000.0")."""
    typed = typed[:MAX_VALUE]
    texts = [typed]
    try:
        number = float(typed)
    except ValueError:
        return texts
    if re.fullmatch(r"\s*-?\d+(\.\d*)?([eE][-+]?\d+)?\s*", typed):
        canonical = scalar_text(int(typed) if re.fullmatch(r"-?\d+", typed.strip()) else number)
        if canonical is not None and canonical not in texts:
            texts.append(canonical)
    return texts
