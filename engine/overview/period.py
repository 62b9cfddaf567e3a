"""The period an overview reads: from ``since`` (inclusive) to ``until`` (exclusive)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from engine.errors import InvalidInput

DEFAULT_DAYS = 30
MAX_DAYS = 3660  # ten years: a longer period is a typo, and reads every row there is


@dataclass(frozen=True)
class Period:
    since: datetime
    until: datetime

    def __post_init__(self) -> None:
        for name in ("since", "until"):
            value = getattr(self, name)
            if value.tzinfo is None or value.utcoffset() is None:
                raise InvalidInput(f"{name} needs a time zone (a naive datetime is ambiguous)")
        if self.until <= self.since:
            raise InvalidInput("until must be after since")
        if self.until - self.since > timedelta(days=MAX_DAYS):
            raise InvalidInput(f"since: a period is at most {MAX_DAYS} days")

    @classmethod
    def chosen(
        cls,
        now: datetime,
        days: int | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> Period:
        """What a page or a query asks for: ``since``/``until`` (``until`` defaults to now, ``since``
        to ``days`` before ``until``), or else the last ``days`` (30 by default) up to now."""
        if since is None and until is None:
            return cls.last_days(now, DEFAULT_DAYS if days is None else days)
        until = until or now
        if since is None:
            try:
                since = until - timedelta(days=DEFAULT_DAYS if days is None else _checked(days))
            except OverflowError:
                raise InvalidInput("until is too early: the period would start before the year 1")
        return cls(since, until)

    @classmethod
    def last_days(cls, now: datetime, days: int = DEFAULT_DAYS) -> Period:
        return cls(now - timedelta(days=_checked(days)), now)


def _checked(days: int) -> int:
    if not 1 <= days <= MAX_DAYS:
        raise InvalidInput(f"days must be between 1 and {MAX_DAYS}")
    return days
