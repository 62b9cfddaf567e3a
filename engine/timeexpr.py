"""ISO 8601 durations, date-times and repeating intervals, as process models write them.

Calendar units are calendar units: ``P1M`` after January 31 is the last day of February,
and the n-th occurrence of a cycle is computed from its start (``start + n × period``), so
``R/2026-01-31T18:00:00+08:00/P1M`` stays on the last day of every month instead of
drifting to the 28th.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo

from engine.cron import CronCycle, looks_like_cron, parse_cron

_DURATION = re.compile(
    r"^P(?!$)(?:(?P<years>\d+(?:[.,]\d+)?)Y)?(?:(?P<months>\d+(?:[.,]\d+)?)M)?(?:(?P<weeks>\d+(?:[.,]\d+)?)W)?"
    r"(?:(?P<days>\d+(?:[.,]\d+)?)D)?"
    r"(?:T(?=\d)(?:(?P<hours>\d+(?:[.,]\d+)?)H)?(?:(?P<minutes>\d+(?:[.,]\d+)?)M)?"
    r"(?:(?P<seconds>\d+(?:[.,]\d+)?)S)?)?$"
)


@dataclass(frozen=True)
class Duration:
    years: int = 0
    months: int = 0
    weeks: float = 0
    days: float = 0
    hours: float = 0
    minutes: float = 0
    seconds: float = 0

    def times(self, n: int) -> Duration:
        return Duration(
            self.years * n,
            self.months * n,
            self.weeks * n,
            self.days * n,
            self.hours * n,
            self.minutes * n,
            self.seconds * n,
        )

    @property
    def fixed_part(self) -> timedelta:
        return timedelta(
            weeks=self.weeks, days=self.days, hours=self.hours, minutes=self.minutes, seconds=self.seconds
        )


def parse_duration(text: str) -> Duration:
    match = _DURATION.match(text.strip().upper())
    if not match:
        raise ValueError(f"{text!r} is not an ISO 8601 duration (e.g. PT4H, P2D, P1M)")
    values = {k: float(v.replace(",", ".")) for k, v in match.groupdict().items() if v is not None}
    for unit in ("years", "months"):
        if unit in values and not values[unit].is_integer():
            raise ValueError(f"{text!r}: fractional {unit} are not supported")
    return Duration(
        years=int(values.get("years", 0)),
        months=int(values.get("months", 0)),
        weeks=values.get("weeks", 0),
        days=values.get("days", 0),
        hours=values.get("hours", 0),
        minutes=values.get("minutes", 0),
        seconds=values.get("seconds", 0),
    )


def add_months(moment: datetime, months: int) -> datetime:
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def add_duration(moment: datetime, duration: Duration) -> datetime:
    return add_months(moment, duration.years * 12 + duration.months) + duration.fixed_part


def parse_datetime(text: str, default_tz: tzinfo = UTC) -> datetime:
    """An ISO 8601 date or date-time; one without an offset is read in ``default_tz``."""
    moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=default_tz)


@dataclass(frozen=True)
class Cycle:
    repetitions: int | None  # None: unbounded
    start: datetime
    period: Duration

    def occurrence(self, n: int) -> datetime:
        return add_duration(self.start, self.period.times(n))

    def next_after(self, moment: datetime, done: int = 0) -> tuple[int, datetime] | None:
        """The first occurrence index >= ``done`` falling strictly after ``moment``."""
        n = done
        while self.repetitions is None or n < self.repetitions:
            when = self.occurrence(n)
            if when > moment:
                return n, when
            n += 1
        return None


def parse_cycle(text: str, now: datetime, default_tz: tzinfo = UTC) -> Cycle | CronCycle:
    """``R[n]/start/period``, ``R[n]/period`` (first occurrence one period from ``now``), or a
    Quartz cron expression (engine/cron.py), evaluated in ``default_tz``."""
    if looks_like_cron(text):
        return parse_cron(text.strip(), default_tz)
    parts = text.strip().split("/")
    if not parts[0].upper().startswith("R") or len(parts) not in (2, 3):
        raise ValueError(
            f"{text!r} is not an ISO 8601 repeating interval (e.g. R/2026-01-31T18:00:00+08:00/P1M)"
        )
    count = parts[0][1:]
    repetitions = int(count) if count else None
    if len(parts) == 2:
        period = parse_duration(parts[1])
        return Cycle(repetitions, add_duration(now, period), period)
    if parts[1].upper().startswith("P"):
        raise ValueError(f"{text!r}: write the start before the period (R/start/period)")
    return Cycle(repetitions, parse_datetime(parts[1], default_tz), parse_duration(parts[2]))
