"""The inbox: the tasks a person holds or may claim, overdue first, with filters and paging."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from flask import g, render_template, request

from engine.errors import InvalidInput
from engine.tasks import TaskQuery
from web import i18n
from web.blueprint import actor, bp, engine
from web.pages.names import model_names

PAGE_SIZE = 25
VIEWS = ("all", "assigned", "claimable")


def page_number(raw: str | None) -> int:
    try:
        page = int(raw or 1)
    except ValueError:
        raise InvalidInput(f"page must be a whole number, not {raw!r}")
    return max(1, min(page, 100_000))


@dataclass(frozen=True)
class InboxFilters:
    view: str = "all"
    process: str = ""
    page: int = 1

    @classmethod
    def from_args(cls, args: dict[str, str]) -> InboxFilters:
        view = args.get("view") or "all"
        if view not in VIEWS:
            raise InvalidInput(f"view must be one of {', '.join(VIEWS)}, not {view!r}")
        return cls(view=view, process=(args.get("process") or "").strip(), page=page_number(args.get("page")))

    def query(self) -> TaskQuery:
        me = actor()
        return TaskQuery(
            assigned_to=me.name if self.view == "assigned" else None,
            claimable_by=me if self.view == "claimable" else None,
            mine=me if self.view == "all" else None,
            model_key=self.process or None,
            sort="due",
            limit=PAGE_SIZE + 1,  # one more tells whether there is a next page
            offset=(self.page - 1) * PAGE_SIZE,
        )

    def link(self, **changes: object) -> str:
        values = {"view": self.view, "process": self.process, "page": self.page, **changes}
        return "?" + urlencode({k: v for k, v in values.items() if v not in ("", None, 1, "all")})


@bp.get("/inbox")
def inbox() -> str:
    filters = InboxFilters.from_args(request.args.to_dict())
    found = engine().tasks.list(actor(), filters.query())
    return render_template(
        "web/inbox.html",
        active="inbox",
        tasks=found[:PAGE_SIZE],
        has_next=len(found) > PAGE_SIZE,
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
