"""The correlation key of a message, on both sides.

A catching event is known by one key (``event_subscriptions.correlation_key``):
- the value of its ``correlationKey`` extension property (an expression over the process data);
- else the values of the BPMN correlation properties of its message (``bpmn:correlationProperty``
  with a ``correlationPropertyRetrievalExpression`` for that message, as a ``bpmn:correlationKey``
  groups them), each retrieval expression evaluated over the process data;
- else the instance's business key.

A message names its key directly, or — as BPMN has it — carries the property values in its
payload, where the same retrieval expressions find them. One property: the key is its value; several:
a JSON list of their values in the order the file lists the properties. A value that is missing
(None) leaves the event without a key.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from engine.scripting.expressions import evaluate


def combine(values: Sequence[Any]) -> str | None:
    """The key made of the properties' values (None if any is missing)."""
    if not values or any(v is None for v in values):
        return None
    if len(values) == 1:
        return str(values[0])
    return json.dumps([str(v) for v in values], ensure_ascii=False, separators=(",", ":"))


def key_from_data(expressions: Sequence[str], data: dict[str, Any]) -> str | None:
    """Evaluate the retrieval expressions over process data (errors are the caller's to report)."""
    return combine([evaluate(expression, data) for expression in expressions])


def key_from_payload(expressions: Sequence[str], payload: dict[str, Any]) -> str | None:
    """The key a message's payload carries, or None if it does not carry every property."""
    if not expressions:
        return None
    values = []
    for expression in expressions:
        try:
            values.append(evaluate(expression, payload))
        except Exception:  # the payload does not carry this property
            return None
    return combine(values)


def carried_fields(expressions: Sequence[str]) -> set[str]:
    """Payload fields that only carry correlation values (retrieval expressions that are plain names):
    they named the instance and hold what it already holds, so they are not written into it."""
    return {e.strip() for e in expressions if e.strip().isidentifier()}
