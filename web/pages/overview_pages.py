"""The process overview: per model and version, how many instances run, ended or wait, and where.

``/ui/processes`` counts per version; ``/ui/processes/<key>/<version>`` is one version's heat map:
its diagram with each task coloured by how long instances wait there (web/static/heatmap.js), and
the same figures as a table, which is the page without JavaScript and on a phone. The figures are
the engine's (``engine.overview``); the period is chosen here, in the reader's time zone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import g, render_template, request

from engine.errors import InvalidInput
from engine.overview import DEFAULT_DAYS, ElementWaits, Period
from web import i18n
from web.blueprint import actor, bp, engine
from web.pages.names import model_names

DAY_CHOICES = (7, 30, 90)
# Upper bounds of the heat levels 1–4, in seconds; level 5 is anything longer. Fixed, not relative to
# the slowest task: a colour means the same wait on every version's map.
HEAT_BOUNDS = (4 * 3600, 24 * 3600, 2 * 24 * 3600, 5 * 24 * 3600)


@bp.app_template_filter("duration")
def _duration(seconds: float | None) -> str:
    return "–" if seconds is None else i18n.format_duration(seconds, g.locale)


@dataclass(frozen=True)
class PeriodChoice:
    """The period as the page's form holds it: a number of days, or a from/to pair of dates."""

    days: int | None
    start: date | None
    end: date | None

    @classmethod
    def from_args(cls, args: dict[str, str]) -> PeriodChoice:
        start, end = _date(args.get("from"), "from"), _date(args.get("to"), "to")
        raw = args.get("days") or ""
        if start or end:
            return cls(None, start, end)
        if not raw:
            return cls(DEFAULT_DAYS, None, None)
        if raw not in {str(d) for d in DAY_CHOICES}:
            raise InvalidInput(f"days must be one of {', '.join(map(str, DAY_CHOICES))}, not {raw!r}")
        return cls(int(raw), None, None)

    def period(self, now: datetime, zone: str) -> Period:
        """From the start of ``start`` to the end of ``end`` (both days included) in ``zone``; without
        ``end``, up to now; without ``start``, the 30 days before ``end``'s end."""
        if self.days is not None:
            return Period.last_days(now, self.days)
        tz = ZoneInfo(zone)
        since = datetime.combine(self.start, time(), tz) if self.start else None
        try:
            until = datetime.combine(self.end + timedelta(days=1), time(), tz) if self.end else None
            if until and not since:
                since = until - timedelta(days=DEFAULT_DAYS)
        except OverflowError:
            raise InvalidInput(f"to is out of range: {self.end}")
        if since and until and until <= since:
            raise InvalidInput("to must not be before from")
        return Period.chosen(now, None, since, until)

    def query(self) -> dict[str, Any]:
        """The query string of the same choice, for links to another page."""
        if self.days is not None:
            return {"days": self.days} if self.days != DEFAULT_DAYS else {}
        return {k: v.isoformat() for k, v in (("from", self.start), ("to", self.end)) if v}


def _date(raw: str | None, name: str) -> date | None:
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise InvalidInput(f"{name} must be a date (YYYY-MM-DD), not {raw[:40]!r}")


@bp.get("/processes")
def processes() -> str:
    choice = PeriodChoice.from_args(request.args)
    period = choice.period(engine().clock.now(), g.time_zone)
    versions = engine().overview.processes(actor(), period)
    by_model: dict[str, list[Any]] = {}
    for counts in versions:
        by_model.setdefault(counts.model_key, []).append(counts)
    return render_template(
        "web/processes.html",
        active="processes",
        by_model=by_model,
        names=model_names(),
        choice=choice,
        choices=DAY_CHOICES,
        period=period,
    )


@dataclass(frozen=True)
class HeatSpot:
    """One task on the map: its colour level (0: no figures) and what its badge says."""

    element: ElementWaits
    level: int

    @classmethod
    def of(cls, element: ElementWaits) -> HeatSpot:
        # The longer p90 of the waits completed in the period and of those still open: a task where
        # today's requests have waited a week is hot even if it used to be quick.
        shown = [f.p90 for f in (element.completed, element.waiting) if f.p90 is not None]
        return cls(element, heat_level(max(shown)) if shown else 0)

    def overlay(self) -> dict[str, Any]:
        """What heatmap.js draws on the element."""
        return {"id": self.element.element_id, "level": self.level, "lines": _badge_lines(self.element)}


def heat_level(seconds: float) -> int:
    return 1 + sum(seconds > bound for bound in HEAT_BOUNDS)


def _badge_lines(element: ElementWaits) -> list[str]:
    done, now = element.completed, element.waiting
    lines = []
    if done.count:
        lines.append(
            i18n.gettext(
                g.locale,
                "median %(median)s · p90 %(p90)s · n=%(n)s",
                median=_duration(done.median),
                p90=_duration(done.p90),
                n=done.count,
            )
        )
    if now.count:
        lines.append(
            i18n.gettext(
                g.locale, "%(n)s waiting now · median %(median)s", n=now.count, median=_duration(now.median)
            )
        )
    return lines


@bp.get("/processes/<model_key>/<int:version>")
def process_waits(model_key: str, version: int) -> str:
    choice = PeriodChoice.from_args(request.args)
    period = choice.period(engine().clock.now(), g.time_zone)
    waits = engine().overview.waits(model_key, version, actor(), period)
    spots = [HeatSpot.of(element) for element in waits.elements]
    legend = [(level, _legend(level)) for level in range(1, len(HEAT_BOUNDS) + 2)]
    return render_template(
        "web/process_waits.html",
        active="processes",
        waits=waits,
        spots=spots,
        heat=[spot.overlay() for spot in spots],
        legend=legend,
        name=model_names().get(model_key, model_key),
        choice=choice,
        choices=DAY_CHOICES,
        period=period,
    )


def _legend(level: int) -> str:
    if level == 1:
        return f"≤ {_duration(HEAT_BOUNDS[0])}"
    if level <= len(HEAT_BOUNDS):
        return f"{_duration(HEAT_BOUNDS[level - 2])} – {_duration(HEAT_BOUNDS[level - 1])}"
    return f"> {_duration(HEAT_BOUNDS[-1])}"
