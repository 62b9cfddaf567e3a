"""Median and p90 per element, computed by the database on SQLite and PostgreSQL alike.

PostgreSQL has ``percentile_cont``, SQLite has no percentile at all. Both have window functions: the
database ranks each element's durations (``row_number() … order by duration``) and returns only the
rows at or beside the wanted ranks — at most three per percentile, whatever the number of tasks —
and Python interpolates between the two closest ranks, as ``percentile_cont`` does:
value = v[floor(p·(n−1))] + frac · (v[ceil] − v[floor]). The rank test is integer arithmetic
(``10·r`` against ``9·(n−1)``), so both databases pick the same rows.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, literal_column, or_, select

# Percentiles as a fraction num/den (integers: the rank test must not round differently per database).
MEDIAN = (1, 2)
P90 = (9, 10)


@dataclass(frozen=True)
class WaitFigures:
    count: int
    median: float | None
    p90: float | None


EMPTY = WaitFigures(0, None, None)


def ranked_rows(key: Any, duration: Any, source: Any, where: Any) -> Any:
    """SELECT key, n, r, d: only the rows ranked at or beside the median and the p90 of each key."""
    ranked = (
        select(
            key.label("k"),
            duration.label("d"),
            (func.row_number().over(partition_by=key, order_by=duration) - 1).label("r"),
            func.count().over(partition_by=key).label("n"),
        )
        .select_from(source)
        .where(where)
        .subquery()
    )
    r, n = ranked.c.r, ranked.c.n

    def beside(fraction: tuple[int, int]) -> Any:
        num, den = fraction
        # |den·r − num·(n−1)| <= den: the floor and ceiling ranks of p·(n−1), and at most one more.
        return and_(den * r >= num * (n - 1) - den, den * r <= num * (n - 1) + den)

    return select(ranked.c.k, n, r, ranked.c.d).where(or_(beside(MEDIAN), beside(P90)))


def summarise(rows: Iterable[Any]) -> dict[Any, WaitFigures]:
    """(key, n, rank, duration) rows of ``ranked_rows`` → each key's count, median and p90."""
    by_key: dict[Any, dict[int, float]] = defaultdict(dict)
    counts: dict[Any, int] = {}
    for key, n, rank, duration in rows:
        by_key[key][int(rank)] = float(duration)
        counts[key] = int(n)
    return {
        key: WaitFigures(
            counts[key], interpolate(ranks, counts[key], MEDIAN), interpolate(ranks, counts[key], P90)
        )
        for key, ranks in by_key.items()
    }


def interpolate(ranks: dict[int, float], n: int, fraction: tuple[int, int]) -> float:
    num, den = fraction
    low, rest = divmod(num * (n - 1), den)
    if rest == 0:
        return ranks[low]
    return ranks[low] + (ranks[low + 1] - ranks[low]) * rest / den


def seconds_between(db_dialect: str, start: Any, end: Any) -> Any:
    """``end − start`` in seconds (a float), as each database says it."""
    if db_dialect == "sqlite":
        return (func.julianday(end) - func.julianday(start)) * literal_column("86400.0")
    return func.extract("epoch", end - start)
