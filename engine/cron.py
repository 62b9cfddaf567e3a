"""Quartz cron expressions, the other way Camunda 7 models write a ``timeCycle``.

``0 0/5 * * * ?`` — seconds, minutes, hours, day-of-month, month, day-of-week and an optional year,
with Quartz's meanings: day-of-week 1 is Sunday (SUN-SAT), exactly one of the two day fields is
``?``, ``L`` is the last day of the month (or, after a weekday, its last one in the month), ``15W``
the weekday nearest the 15th, ``6#3`` the third Friday.

The calendar arithmetic is croniter's (docs/engineering.md says why that library). It counts
weekdays from 0 = Sunday and knows neither ``5L`` nor ``?``, so this module checks every field
itself — problems name the field — and hands croniter a translation in which every range and step
is spelled out as a list: nothing is left to the two dialects agreeing on what ``1/2`` means.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

_MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
_DAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]


@dataclass(frozen=True)
class _Field:
    name: str
    low: int
    high: int
    names: tuple[str, ...] = ()  # names[i] stands for low + i
    noun: str = "value"


_FIELDS = (
    _Field("seconds", 0, 59),
    _Field("minutes", 0, 59),
    _Field("hours", 0, 23),
    _Field("day-of-month", 1, 31),
    _Field("month", 1, 12, tuple(_MONTHS), "month"),
    _Field("day-of-week", 1, 7, tuple(_DAYS), "day"),
    _Field("year", 1970, 2099),
)
_DOM, _DOW = 3, 5
_TOKEN = re.compile(r"^[0-9A-Za-z*?/,#\-]+$")
_PYTHON_WORDS = {"if", "else", "and", "or", "not", "in", "is", "for", "lambda", "None", "True", "False"}
# With a year field, croniter must be allowed to look as far as Quartz's last year.
_MAX_YEARS = 2099 - 1970 + 1


def looks_like_cron(text: str) -> bool:
    """Whether a timer definition is meant as a cron expression (not ISO 8601 and not Python).

    Deliberately generous (five or eight fields count too), so a near miss is refused at deploy
    with a cron message instead of a puzzling Python syntax error.
    """
    parts = text.split()
    return (
        len(parts) >= 5
        and all(_TOKEN.match(part) for part in parts)
        and not any(part in _PYTHON_WORDS for part in parts)
        and any(ch.isdigit() or ch in "*?" for ch in text)
    )


class CronError(ValueError):
    """A cron expression that cannot be used; the message names the field."""


def _value(field: _Field, text: str) -> int:
    upper = text.upper()
    if field.names and upper in field.names:
        return field.low + field.names.index(upper)
    if not text.isdigit():
        if field.names:
            raise CronError(f"{field.name}: {text!r} is not a {field.noun}")
        raise CronError(f"{field.name}: {text!r} is not a number")
    if len(text) > 4 or not field.low <= int(text) <= field.high:
        raise CronError(f"{field.name}: {text} is outside {field.low}-{field.high}")
    return int(text)


def _expand(field: _Field, item: str) -> list[int]:
    """A plain item (``*``, ``5``, ``MON-FRI``, ``0/15``, ``10-40/5``) as the values it stands for."""
    base, slash, step_text = item.partition("/")
    if base == "*":
        first, last = field.low, field.high
    elif "-" in base:
        a, _, b = base.partition("-")
        first, last = _value(field, a), _value(field, b)
        if first > last:
            raise CronError(f"{field.name}: the range {base} runs backwards")
    else:
        first = _value(field, base)
        last = field.high if slash else first
    if not slash:
        return list(range(first, last + 1))
    if not step_text.isdigit():
        raise CronError(f"{field.name}: the step {step_text!r} is not a number")
    step = int(step_text)
    if step == 0:
        raise CronError(f"{field.name}: a step of 0 never moves ({item!r})")
    if step > field.high - field.low + 1:
        raise CronError(f"{field.name}: the step {step} is larger than the field ({item!r})")
    return list(range(first, last + 1, step))


def _day_of_month(item: str, alone: bool) -> str:
    field = _FIELDS[_DOM]
    upper = item.upper()
    if upper == "L":
        return "L"
    if upper == "LW" or upper.startswith("L-"):
        raise CronError(f"day-of-month: {item!r} is not supported by this engine (use L or a day)")
    if upper.endswith("W"):
        if not alone:
            raise CronError(f"day-of-month: {item!r} cannot be part of a list")
        return f"{_value(field, upper[:-1])}W"
    return ",".join(str(v) for v in _expand(field, item))


def _day_of_week(item: str, alone: bool) -> str:
    """Quartz's 1 = Sunday becomes croniter's 0 = Sunday."""
    field = _FIELDS[_DOW]
    upper = item.upper()
    if upper == "L":
        return "6"  # Quartz: a lone L in day-of-week is Saturday
    if "#" in upper or upper.endswith("L"):
        if not alone:
            raise CronError(f"day-of-week: {item!r} cannot be part of a list")
        if upper.endswith("L"):
            return f"L{_value(field, upper[:-1]) - 1}"
        day, _, nth = upper.partition("#")
        if not nth.isdigit() or not 1 <= int(nth) <= 5:
            raise CronError(f"day-of-week: in {item!r} the week must be 1-5")
        return f"{_value(field, day) - 1}#{nth}"
    return ",".join(str(v - 1) for v in _expand(field, item))


def _translate(index: int, text: str) -> str:
    field = _FIELDS[index]
    if text == "?":
        if index not in (_DOM, _DOW):
            raise CronError(f"{field.name}: '?' is only allowed in day-of-month or day-of-week")
        return "*"
    if text == "*":
        return "*"
    items = text.split(",")
    if any(not item for item in items):
        raise CronError(f"{field.name}: {text!r} has an empty list item")
    alone = len(items) == 1
    if index == _DOM:
        parts = [_day_of_month(item, alone) for item in items]
    elif index == _DOW:
        parts = [_day_of_week(item, alone) for item in items]
    else:
        parts = [",".join(str(v) for v in _expand(field, item)) for item in items]
    return ",".join(parts)


@dataclass(frozen=True)
class CronCycle:
    """A cron schedule in a time zone; shaped like ``timeexpr.Cycle`` so timers use either alike.

    A cron schedule has no n-th occurrence to compute from a start: each next firing is the first
    time on the schedule after the moment asked about, which is itself on the schedule's grid, so
    there is no drift; asked after a downtime it is the first one after *now*: no burst of catch-up
    firings (as Camunda does).
    """

    expression: str
    translated: str
    timezone: tzinfo

    def next_after(self, moment: datetime, done: int = 0) -> tuple[int, datetime] | None:
        """The first firing strictly after ``moment`` (``done`` only counts firings)."""
        # croniter answers strictly after a whole second. A moment 1 µs before a whole second
        # counts as that second: the timers arm a cycle with `now - 1 µs` so that an ISO cycle's
        # start may be now, but a cron timer armed now fires strictly after now (as in Camunda).
        start = (moment + timedelta(microseconds=1)).replace(microsecond=0).astimezone(self.timezone)
        # Imported where used, not at the top: most `approvals` processes never meet a cron timer.
        from croniter import CroniterBadDateError, croniter

        try:
            when = croniter(
                self.translated, start, second_at_beginning=True, max_years_between_matches=_MAX_YEARS
            ).get_next(datetime)
        except CroniterBadDateError:
            return None
        return done, when


def parse_cron(text: str, timezone: tzinfo) -> CronCycle:
    """A Quartz cron expression, checked field by field (``CronError`` names the field)."""
    parts = text.split()
    if len(parts) not in (6, 7):
        raise CronError(
            f"{text!r}: a cron expression has 6 or 7 fields (seconds minutes hours day-of-month "
            f"month day-of-week [year]), this one has {len(parts)}"
        )
    dom, dow = parts[_DOM], parts[_DOW]
    if (dom == "?") == (dow == "?"):
        raise CronError(
            f"{text!r}: exactly one of day-of-month and day-of-week must be '?' "
            "(e.g. '0 0 12 ? * MON-FRI' or '0 0 12 1 * ?')"
        )
    translated = " ".join(_translate(index, part) for index, part in enumerate(parts))
    from croniter import croniter

    try:
        croniter(translated, second_at_beginning=True)
    except Exception as exc:  # a combination the field checks let through
        raise CronError(f"{text!r} is not a usable cron expression ({exc})") from exc
    return CronCycle(text, translated, timezone)


def check_cron(text: str, timezone: tzinfo, now: datetime) -> CronCycle:
    """``parse_cron`` plus the deploy-time check that the schedule fires at all after ``now``."""
    cycle = parse_cron(text, timezone)
    if cycle.next_after(now) is None:
        raise CronError(f"{text!r} never fires (no such date after {now.date().isoformat()})")
    return cycle
