"""Instance search: every instance the reader may see, filtered, sorted, paged and exported.

The filters are a GET form, so a search is a URL one can bookmark or send. Paging is by cursor (the
engine's ``RuntimeService.search``): the next page starts after the last row shown, as cheap deep in a
million instances as on page 1. "Previous" needs the cursors of the pages before: the URL carries
them (``back``, at most ``MAX_BACK``; further back, "First page"). The CSV link runs the same search
through ``RuntimeService.export``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from flask import Response, g, render_template, request

from engine.errors import InvalidInput, Problem
from engine.runtime import EXPORT_MAX_ROWS, SORTS, InstanceSearch, csv_lines
from engine.statuses import INSTANCE_STATUSES
from web import i18n
from web.blueprint import actor, bp, engine
from web.pages.names import model_names
from web.vocabulary import N_

PAGE_SIZE = 50
MAX_BACK = 20
CSV_HEADER = (
    N_("Id"),
    N_("Request number"),
    N_("Process"),
    N_("Process key"),
    N_("Version"),
    N_("Status"),
    N_("Initiator"),
    N_("Started"),
    N_("Ended"),
)
FIRST_PAGE = "0"  # in ``back``: the first page (a cursor is never this short)
TEXT_FIELDS = ("process", "key", "status", "participant", "field", "value")
DATE_FIELDS = ("started_from", "started_to", "ended_from", "ended_to")


def _bad(name: str, message: str) -> InvalidInput:
    return InvalidInput(f"{name}: {message}", [Problem(message, field=name)])


def _day(raw: str, name: str) -> date | None:
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise _bad(name, f"{raw[:40]!r} is not a date (YYYY-MM-DD)")


@dataclass(frozen=True)
class SearchForm:
    """The page's query string, as typed; ``search()`` makes it the engine's InstanceSearch."""

    process: str = ""
    version: str = ""
    key: str = ""
    status: str = ""
    participant: str = ""
    field: str = ""
    value: str = ""
    started_from: str = ""
    started_to: str = ""
    ended_from: str = ""
    ended_to: str = ""
    sort: str = "started"
    order: str = "desc"
    after: str = ""
    back: str = ""

    @classmethod
    def from_args(cls, args: dict[str, str]) -> SearchForm:
        values = {name: (args.get(name) or "").strip()[:310] for name in cls.__dataclass_fields__}
        values["sort"] = values["sort"] or "started"
        values["order"] = values["order"] or "desc"
        if values["sort"] not in SORTS:
            raise _bad("sort", f"must be one of {', '.join(SORTS)}")
        if values["order"] not in ("asc", "desc"):
            raise _bad("order", "must be asc or desc")
        if values["status"] and values["status"] not in INSTANCE_STATUSES:
            raise _bad("status", f"must be one of {', '.join(INSTANCE_STATUSES)}")
        return cls(**values)

    def _version(self) -> int | None:
        if not self.version:
            return None
        if not self.version.isdigit():
            raise _bad("version", f"{self.version[:20]!r} is not a version number")
        return int(self.version)

    def _moment(self, name: str, zone: ZoneInfo) -> datetime | None:
        """A day of the reader's calendar: "from" is its start, "to" the start of the day after."""
        day = _day(getattr(self, name), name)
        if day is None:
            return None
        if name.endswith("_to"):
            day += timedelta(days=1)
        return datetime.combine(day, time(), tzinfo=zone)

    def search(self, limit: int | None = None) -> InstanceSearch:
        zone = ZoneInfo(g.time_zone)
        data: tuple[tuple[str, str], ...] = ()
        if self.field or self.value:
            if not self.field:
                raise _bad("field", "name the data field the value is for")
            data = ((self.field, self.value),)
        return InstanceSearch(
            model_key=self.process or None,
            version=self._version(),
            business_key=self.key or None,
            status=self.status or None,
            participant=self.participant or None,
            started_from=self._moment("started_from", zone),
            started_to=self._moment("started_to", zone),
            ended_from=self._moment("ended_from", zone),
            ended_to=self._moment("ended_to", zone),
            data=data,
            sort=self.sort,
            descending=self.order == "desc",
            limit=limit or PAGE_SIZE,
            after=self.after or None,
            count=True,
        )

    @property
    def filtered(self) -> bool:
        return any(getattr(self, name) for name in (*TEXT_FIELDS, "version", *DATE_FIELDS))

    def link(self, **changes: object) -> str:
        values = {name: getattr(self, name) for name in self.__dataclass_fields__}
        values.update(changes)
        defaults = {"sort": "started", "order": "desc"}
        return "?" + urlencode({k: v for k, v in values.items() if v and defaults.get(k) != v})

    def sort_link(self, sort: str) -> str:
        """A column header's link: that order (newest or last first), or the other way if already it."""
        if self.sort == sort:
            order = "asc" if self.order == "desc" else "desc"
        else:
            order = "desc" if sort in ("started", "ended") else "asc"
        return self.link(sort=sort, order=order, after="", back="")

    def next_link(self, cursor: str) -> str:
        pages = [*(self.back.split("~") if self.back else []), self.after or FIRST_PAGE]
        return self.link(after=cursor, back="~".join(pages[-MAX_BACK:]))

    def previous_link(self) -> str | None:
        if not self.back:
            return None
        *earlier, previous = self.back.split("~")
        return self.link(after="" if previous == FIRST_PAGE else previous, back="~".join(earlier))


@bp.get("/instances")
def instance_search() -> str:
    form = SearchForm.from_args(request.args.to_dict())
    found = engine().runtime.search(actor(), form.search())
    return render_template(
        "web/instances.html",
        active="instances",
        form=form,
        found=found,
        names=model_names(),
        statuses=INSTANCE_STATUSES,
    )


@bp.get("/instances.csv")
def instance_export() -> Response:
    form = SearchForm.from_args(request.args.to_dict())
    rows = engine().runtime.export(actor(), form.search(), EXPORT_MAX_ROWS + 1)
    locale, names = g.locale, model_names()
    header = [i18n.gettext(locale, label) for label in CSV_HEADER]
    note = i18n.gettext(
        locale,
        "More instances matched: an export stops at %(n)s rows. Narrow the search.",
        n=f"{EXPORT_MAX_ROWS:,}",
    )
    lines = csv_lines(
        rows, lambda key: i18n.localized(names.get(key, key), locale), header=header, more_note=note
    )
    response = Response(lines, mimetype="text/csv")
    response.headers["Content-Disposition"] = 'attachment; filename="instances.csv"'
    response.headers["X-Export-Limit"] = str(EXPORT_MAX_ROWS)
    return response
