"""Median and p90 per element, computed the same way on SQLite and PostgreSQL.

PostgreSQL has ``percentile_cont``; SQLite has no percentile at all, and ranking with a window
function (``row_number() over (partition by … order by …)``) made SQLite sort 100,000 rows in its
sorter, several times slower than what this does: the database computes each wait in seconds off
a covering index (no table row is read) and Python sorts each element's list and interpolates
between the two closest ranks, as ``percentile_cont`` does:
value = v[floor(p·(n−1))] + frac · (v[ceil] − v[floor]), with p a fraction of integers so that the
ranks are exact.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Float, cast, func, literal_column

MEDIAN = (1, 2)
P90 = (9, 10)


@dataclass(frozen=True)
class WaitFigures:
    """How many tasks, and the median and p90 of their waits in seconds (None when there are none)."""

    count: int
    median: float | None
    p90: float | None


EMPTY = WaitFigures(0, None, None)


def summarise(rows: Iterable[tuple[Hashable, float]]) -> dict[Hashable, WaitFigures]:
    """(key, seconds) rows → each key's count, median and p90."""
    by_key: defaultdict[Hashable, list[float]] = defaultdict(list)
    for key, seconds in rows:
        by_key[key].append(seconds)
    figures = {}
    for key, values in by_key.items():
        values.sort()
        figures[key] = WaitFigures(len(values), percentile(values, MEDIAN), percentile(values, P90))
    return figures


def percentile(ordered: list[float], fraction: tuple[int, int]) -> float:
    """The percentile ``num/den`` of ascending ``ordered``, interpolated linearly between ranks."""
    num, den = fraction
    low, rest = divmod(num * (len(ordered) - 1), den)
    if rest == 0:
        return ordered[low]
    return ordered[low] + (ordered[low + 1] - ordered[low]) * rest / den


def seconds_between(dialect: str, start: Any, end: Any) -> Any:
    """``end − start`` in seconds, a float, as each database says it."""
    if dialect == "sqlite":
        return (func.julianday(end) - func.julianday(start)) * literal_column("86400.0")
    # extract() answers numeric on PostgreSQL 14+: a float is what the sort wants, and far cheaper.
    return cast(func.extract("epoch", end - start), Float)
