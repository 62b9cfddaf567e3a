"""The inbox: the tasks a person holds or may claim, overdue first, with filters, counts and paging.

Paging is by cursor (the engine's ``TaskService.page``): the next page starts after the last row shown,
so it costs the same at page 1 and page 4,000 (bench/bench_inbox.py), and a task completed meanwhile
neither repeats a row nor skips one.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from urllib.parse import urlencode

from flask import g, render_template, request

from engine.errors import InvalidInput
from engine.tasks import DUE_WINDOWS, TaskQuery
from web import i18n
from web.blueprint import actor, bp, engine
from web.pages.names import model_names

PAGE_SIZE = 25
VIEWS = ("all", "assigned", "claimable")
MAX_TEXT = 100


def page_number(raw: str | None) -> int:
    try:
        page = int(raw or 1)
    except ValueError:
        raise InvalidInput(f"page must be a whole number, not {raw!r}")
    return max(1, min(page, 100_000))


def _priority(raw: str | None) -> int | None:
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        raise InvalidInput(f"priority must be a whole number, not {raw!r}")


@dataclass(frozen=True)
class InboxFilters:
    view: str = "all"
    process: str = ""
    key: str = ""
    due: str = ""
    priority: int | None = None
    text: str = ""
    after: str = ""

    @classmethod
    def from_args(cls, args: dict[str, str]) -> InboxFilters:
        view = args.get("view") or "all"
        if view not in VIEWS:
            raise InvalidInput(f"view must be one of {', '.join(VIEWS)}, not {view!r}")
        due = args.get("due") or ""
        if due and due not in DUE_WINDOWS:
            raise InvalidInput(f"due must be one of {', '.join(DUE_WINDOWS)}, not {due!r}")
        return cls(
            view=view,
            process=(args.get("process") or "").strip(),
            key=(args.get("key") or "").strip(),
            due=due,
            priority=_priority(args.get("priority")),
            text=(args.get("q") or "").strip()[:MAX_TEXT],
            after=args.get("after") or "",
        )

    def query(self) -> TaskQuery:
        """This view's tasks with the filters, for the actor; counts use it without the view."""
        me = actor()
        return TaskQuery(
            assigned_to=me.name if self.view == "assigned" else None,
            claimable_by=me if self.view == "claimable" else None,
            mine=me if self.view == "all" else None,
            model_key=self.process or None,
            business_key=self.key or None,
            text=self.text or None,
            due=self.due or None,
            tz=g.time_zone,
            min_priority=self.priority,
            sort="due",
            limit=PAGE_SIZE,
            after=self.after or None,
        )

    @property
    def filtered(self) -> bool:
        return bool(self.process or self.key or self.due or self.priority is not None or self.text)

    def link(self, **changes: object) -> str:
        values = {
            "view": self.view,
            "process": self.process,
            "key": self.key,
            "due": self.due,
            "priority": self.priority,
            "q": self.text,
            "after": self.after,
            **changes,
        }
        return "?" + urlencode({k: v for k, v in values.items() if v not in ("", None, "all")})


@bp.get("/inbox")
def inbox() -> str:
    filters = InboxFilters.from_args(request.args.to_dict())
    query = filters.query()
    found = engine().tasks.page(actor(), query)
    counts = engine().tasks.inbox_counts(actor(), replace(query, after=None))
    return render_template(
        "web/inbox.html",
        active="inbox",
        tasks=found.items,
        next_cursor=found.next_cursor,
        counts=counts,
        filters=filters,
        names=model_names(),
        here=request.full_path.rstrip("?"),
        notice=_notice(request.args),
    )


def _notice(args: dict[str, str]) -> str | None:
    # Only notices the pages send themselves: a link cannot make the page say something else.
    if args.get("notice") == "completed":
        task = i18n.localized(args.get("task", ""), g.locale)[:200]
        return i18n.gettext(g.locale, "Done: %(task)s", task=task)
    return None
