"""Paging without a count query: ask the engine for one row more than the page holds."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

MAX_LIMIT = 200


def fetch_limit(query: dict[str, Any]) -> int:
    return query["limit"] + 1


def page(rows: Sequence[Any], query: dict[str, Any]) -> dict[str, Any]:
    limit, offset = query["limit"], query["offset"]
    return {
        "items": list(rows[:limit]),
        "limit": limit,
        "offset": offset,
        "next_offset": offset + limit if len(rows) > limit else None,
    }
