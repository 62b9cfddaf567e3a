"""FEEL dates, date-times, times and day-time durations, mapped to ``datetime`` types.

Process data arrives as JSON, so temporal values are often ISO strings; the same parsers
turn those into values when a column is declared as a date.
"""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_DATE = re.compile(r"-?\d{4,9}-\d{2}-\d{2}")
_TIME = re.compile(r"(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})?(?:@([A-Za-z_][\w/+-]*))?")
_DURATION = re.compile(r"(-)?P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?")
_YEARS_MONTHS = re.compile(r"-?P(?:\d+Y)?(?:\d+M)?")


def parse_date(text: str) -> dt.date:
    if not _DATE.fullmatch(text):
        raise ValueError(f"{text!r} is not a date (expected YYYY-MM-DD)")
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a valid calendar date")


def _parse_time_parts(text: str) -> dt.time:
    match = _TIME.fullmatch(text)
    if not match:
        raise ValueError(f"{text!r} is not a time (expected HH:MM:SS)")
    hour, minute, second, fraction, offset, zone = match.groups()
    micro = int((fraction[1:] + "000000")[:6]) if fraction else 0
    tz: dt.tzinfo | None = None
    if offset == "Z":
        tz = dt.UTC
    elif offset:
        sign = -1 if offset[0] == "-" else 1
        tz = dt.timezone(sign * dt.timedelta(hours=int(offset[1:3]), minutes=int(offset[4:6])))
    elif zone:
        try:
            tz = ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {zone!r}")
    try:
        return dt.time(int(hour), int(minute), int(second), micro, tzinfo=tz)
    except ValueError:
        raise ValueError(f"{text!r} is not a valid time")


def parse_time(text: str) -> dt.time:
    return _parse_time_parts(text)


def parse_date_time(text: str) -> dt.datetime:
    if "T" not in text:
        return dt.datetime.combine(parse_date(text), dt.time())
    day, clock = text.split("T", 1)
    return dt.datetime.combine(parse_date(day), _parse_time_parts(clock))


def parse_duration(text: str) -> dt.timedelta:
    match = _DURATION.fullmatch(text)
    if not match or text in ("P", "-P") or text.endswith("T"):
        if _YEARS_MONTHS.fullmatch(text):
            raise ValueError(f"years-and-months durations such as {text!r} are not supported")
        raise ValueError(f"{text!r} is not a duration (expected e.g. P1DT4H)")
    negative, days, hours, minutes, seconds = match.groups()
    value = dt.timedelta(
        days=int(days or 0), hours=int(hours or 0), minutes=int(minutes or 0), seconds=float(seconds or 0)
    )
    return -value if negative else value


def format_duration(value: dt.timedelta) -> str:
    """ISO 8601 text of a day-time duration (``P1DT4H``), for traces and JSON."""
    sign = "-" if value < dt.timedelta(0) else ""
    total = abs(value)
    days = total.days
    seconds = total.seconds
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    text = f"{sign}P"
    if days:
        text += f"{days}D"
    clock = ""
    if hours:
        clock += f"{hours}H"
    if minutes:
        clock += f"{minutes}M"
    if secs or total.microseconds:
        clock += f"{secs + total.microseconds / 1_000_000:g}S"
    if clock:
        text += "T" + clock
    return text if text not in ("P", "-P") else "PT0S"


def parse_temporal(text: str) -> dt.date | dt.datetime | dt.time | dt.timedelta:
    """The value of an ``@"..."`` literal, whichever temporal kind its text has."""
    if text.startswith(("P", "-P")):
        return parse_duration(text)
    if "T" in text:
        return parse_date_time(text)
    if _DATE.fullmatch(text):
        return parse_date(text)
    return parse_time(text)
