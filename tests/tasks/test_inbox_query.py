"""The inbox query: its filters, counts and cursor paging, on real task rows (SQLite, and
PostgreSQL when APPROVALS_TEST_DATABASE_URL is set)."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, update

from engine.errors import InvalidInput
from engine.store.schema import user_tasks
from engine.tasks import InboxCounts, TaskQuery
from tests.conftest import ON_POSTGRES
from tests.factories import MODELS, add_users, deploy_path

NOW = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # the clock fixture: 09:00 in Shanghai
DUE = [
    NOW - timedelta(days=2),  # overdue
    NOW - timedelta(minutes=5),  # overdue, today everywhere
    datetime(2026, 3, 2, 17, 0, tzinfo=UTC),  # today in UTC, tomorrow in Shanghai
    datetime(2026, 3, 1, 20, 0, tzinfo=UTC),  # overdue; today in Shanghai (04:00), yesterday in UTC
    NOW + timedelta(days=3),  # this week
    NOW + timedelta(days=9),  # later
    None,
    None,
]


@pytest.fixture
def inbox(engine):
    """12 countersign requests: a finance and a legal task each. The finance tasks get business keys,
    deadlines and priorities set on their rows, as the projection would have written them."""
    deploy_path(engine, MODELS / "countersign")
    people = add_users(engine, sam="sales", fay="finance", fred="finance", lee="legal", out="marketing")
    finance = []
    for i in range(12):
        instance = engine.runtime.start("countersign", people["sam"], {"customer": f"C{i}", "amount": 100})
        (task,) = engine.tasks.list(
            people["fay"], TaskQuery(instance_id=instance.id, claimable_by=people["fay"])
        )
        finance.append(task.id)
    names = {3: "Review 100%_off offer", 4: "Review 100 percent offer"}
    with engine.db.transaction() as conn:
        for i, task_id in enumerate(finance):
            conn.execute(
                update(user_tasks)
                .where(user_tasks.c.id == task_id)
                .values(
                    business_key=f"MKT-2026-{i + 1:06d}",
                    due_at=DUE[i % len(DUE)],
                    priority=(20, 50, 80)[i % 3],
                    name=names.get(i, "Finance review"),
                )
            )
    return people, finance


def ids(engine, actor, **query):
    return [t.id for t in engine.tasks.list(actor, TaskQuery(limit=500, **query))]


def test_business_key_exact_or_prefix(engine, inbox):
    people, finance = inbox
    fay = people["fay"]
    assert ids(engine, fay, mine=fay, business_key="MKT-2026-000003") == [finance[2]]
    assert ids(engine, fay, mine=fay, business_key="MKT-2026-00000") == []  # exact unless it ends with *
    assert sorted(ids(engine, fay, mine=fay, business_key="MKT-2026-00001*")) == finance[9:12]
    assert sorted(ids(engine, fay, mine=fay, business_key="MKT-*")) == finance
    assert ids(engine, fay, mine=fay, business_key="mkt-*") == []  # keys are compared exactly
    assert ids(engine, fay, mine=fay, business_key="MKT-2026-00000_*") == []  # _ is no wildcard
    with pytest.raises(InvalidInput, match="at least one character before"):
        engine.tasks.list(fay, TaskQuery(mine=fay, business_key="*"))


def test_text_matches_name_or_business_key_case_insensitively(engine, inbox):
    people, finance = inbox
    fay = people["fay"]
    assert ids(engine, fay, mine=fay, text="mkt-2026-000012") == [finance[11]]
    assert sorted(ids(engine, fay, mine=fay, text="100")) == [finance[3], finance[4]]
    assert sorted(ids(engine, fay, mine=fay, text="2026-00001")) == finance[9:12]
    assert ids(engine, fay, mine=fay, text="FINANCE REVIEW") != []


def test_text_takes_wildcards_literally(engine, inbox):
    people, finance = inbox
    fay = people["fay"]
    assert ids(engine, fay, mine=fay, text="100%_off") == [finance[3]]
    assert ids(engine, fay, mine=fay, text="%") == [finance[3]]
    assert ids(engine, fay, mine=fay, text="_") == [finance[3]]
    assert ids(engine, fay, mine=fay, text="100_percent") == []
    assert ids(engine, fay, mine=fay, text="\\") == []


def test_a_text_longer_than_any_name_is_refused(engine, inbox):
    fay = inbox[0]["fay"]
    with pytest.raises(InvalidInput, match="at most 300 characters"):
        engine.tasks.list(fay, TaskQuery(mine=fay, text="x" * 10_000))
    with pytest.raises(InvalidInput, match="at most 300 characters"):
        engine.tasks.inbox_counts(fay, TaskQuery(text="x" * 10_000))


def test_filters_never_widen_what_an_outsider_sees(engine, inbox):
    people, _ = inbox
    out = people["out"]
    for query in (
        {"text": "review"},
        {"text": "%"},
        {"business_key": "MKT-*"},
        {"business_key": "MKT-2026-000001"},
        {"due": "overdue"},
        {"min_priority": 0},
    ):
        assert ids(engine, out, **query) == []
        assert ids(engine, out, mine=out, **query) == []
        assert ids(engine, out, claimable_by=out, **query) == []
        assert engine.tasks.count(out, TaskQuery(**query)) == 0
        assert engine.tasks.inbox_counts(out, TaskQuery(**query)) == InboxCounts(0, 0, 0, 0)
    lee = people["lee"]  # a legal reviewer sees the legal tasks, never the finance ones
    assert ids(engine, lee, mine=lee, text="finance") == []
    assert ids(engine, lee, mine=lee, business_key="MKT-*") == []


def test_due_windows_follow_the_users_time_zone(engine, inbox):
    people, finance = inbox
    fay = people["fay"]

    def due(window, tz=None):
        return sorted(ids(engine, fay, mine=fay, due=window, tz=tz))

    at = {i: [f for j, f in enumerate(finance) if j % len(DUE) == i] for i in range(len(DUE))}
    assert due("overdue") == sorted(at[0] + at[1] + at[3])
    assert due("none") == sorted(at[6] + at[7])
    assert due("today") == sorted(at[1] + at[2])
    assert due("today", "Asia/Shanghai") == sorted(at[1] + at[3])
    assert due("week") == sorted(at[1] + at[2] + at[4])
    with pytest.raises(InvalidInput, match="unknown time zone"):
        due("today", "Mars/Olympus")
    with pytest.raises(InvalidInput, match="due must be one of"):
        due("someday")


def test_explicit_due_bounds_and_priority(engine, inbox):
    people, finance = inbox
    fay = people["fay"]
    after, before = NOW, NOW + timedelta(days=4)
    expected = [f for j, f in enumerate(finance) if DUE[j % len(DUE)] and after <= DUE[j % len(DUE)] < before]
    assert sorted(ids(engine, fay, mine=fay, due_after=after, due_before=before)) == sorted(expected)
    assert sorted(ids(engine, fay, mine=fay, min_priority=80)) == finance[2::3]
    with pytest.raises(InvalidInput, match="needs a time zone"):
        ids(engine, fay, mine=fay, due_before=datetime(2026, 3, 5))


def test_overdue_first_then_later_deadlines_then_none(engine, inbox):
    people, _ = inbox
    fay = people["fay"]
    tasks = engine.tasks.list(fay, TaskQuery(mine=fay, limit=500))
    dues = [t.due_at for t in tasks]
    dated = [d for d in dues if d is not None]
    assert dated == sorted(dated) and dues[len(dated) :] == [None] * (len(dues) - len(dated))
    assert tasks[0].overdue


@pytest.mark.parametrize(
    "sort, descending", [("due", False), ("due", True), ("priority", False), ("created", False)]
)
def test_cursor_paging_walks_every_row_once_while_a_task_is_completed(engine, inbox, sort, descending):
    fay = inbox[0]["fay"]
    query = TaskQuery(mine=fay, sort=sort, descending=descending, limit=5)
    everything = ids(engine, fay, mine=fay, sort=sort, descending=descending)
    seen, cursor, completed = [], None, None
    while True:
        page = engine.tasks.page(fay, TaskQuery(**{**query.__dict__, "after": cursor}))
        seen += [t.id for t in page.items]
        if completed is None:  # complete a task the next pages would show
            completed = everything[-2]
            engine.tasks.complete(completed, fay, {"decision": "approve"})
        cursor = page.next_cursor
        if cursor is None:
            break
    assert len(seen) == len(set(seen))
    assert seen == [t for t in everything if t != completed]


def test_a_bad_cursor_is_refused_clearly(engine, inbox):
    fay = inbox[0]["fay"]
    first = engine.tasks.page(fay, TaskQuery(mine=fay, limit=2))
    assert first.next_cursor is not None
    for bad in ("garbage!", "e30", "", "x" * 5000, "WyJkdWUiLGZhbHNlLG51bGwsIngiXQ"):
        with pytest.raises(InvalidInput, match="not a cursor of this list"):
            engine.tasks.list(fay, TaskQuery(mine=fay, after=bad))
    with pytest.raises(InvalidInput, match="another order"):
        engine.tasks.list(fay, TaskQuery(mine=fay, sort="priority", after=first.next_cursor))
    with pytest.raises(InvalidInput, match="offset and after do not combine"):
        engine.tasks.list(fay, TaskQuery(mine=fay, offset=2, after=first.next_cursor))


def test_counts_agree_with_the_list(engine, inbox):
    people, finance = inbox
    fay = people["fay"]
    engine.tasks.claim(finance[0], fay)
    engine.tasks.claim(finance[1], people["fred"])  # held by someone else: not in fay's inbox
    for query in (
        {},
        {"text": "100"},
        {"due": "overdue"},
        {"business_key": "MKT-2026-00001*"},
        {"min_priority": 50},
    ):
        mine = engine.tasks.list(fay, TaskQuery(mine=fay, limit=500, **query))
        counts = engine.tasks.inbox_counts(fay, TaskQuery(**query))
        assert counts.total == len(mine) == engine.tasks.count(fay, TaskQuery(mine=fay, **query))
        assert counts.assigned_to_me == len([t for t in mine if t.assignee == "fay"])
        assert counts.claimable == len([t for t in mine if t.assignee is None])
        assert counts.overdue == len([t for t in mine if t.overdue])
        claimable = engine.tasks.list(fay, TaskQuery(claimable_by=fay, limit=500, **query))
        assert (
            engine.tasks.count(fay, TaskQuery(claimable_by=fay, **query))
            == len(claimable)
            == counts.claimable
        )
    assert engine.tasks.inbox_counts(fay).assigned_to_me == 1
    assert engine.tasks.inbox_counts(fay).total == len(finance) - 1


@pytest.mark.skipif(ON_POSTGRES, reason="SQLite's plans; PostgreSQL's planner chooses by its statistics")
def test_each_inbox_query_reads_the_index_it_was_built_for(engine, inbox):
    """A page in due order walks (status, due_at, id) and stops at its end, a cursor page starts
    inside that index, a business key goes to its own index, and a text search starts from the
    actor's task ids rather than walking every open task in page order."""
    fay = inbox[0]["fay"]
    statements = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        if statement.startswith("SELECT user_tasks.id,") or statement.startswith("SELECT count(*)"):
            statements.append((statement, parameters))

    def plan(run):
        statements.clear()
        event.listen(engine.db.engine, "before_cursor_execute", capture)
        try:
            run()
        finally:
            event.remove(engine.db.engine, "before_cursor_execute", capture)
        with engine.db.read() as conn:
            return [
                " ".join(r[3] for r in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {s}", p).all())
                for s, p in statements
            ]

    (first,) = plan(lambda: engine.tasks.list(fay, TaskQuery(mine=fay)))
    assert "ix_user_tasks_status_due_at_id (status=?)" in first and "TEMP B-TREE" not in first
    cursor = engine.tasks.page(fay, TaskQuery(mine=fay, limit=2)).next_cursor
    (deeper,) = plan(lambda: engine.tasks.list(fay, TaskQuery(mine=fay, limit=2, after=cursor)))
    assert "ix_user_tasks_status_due_at_id (status=? AND due_at>?)" in deeper
    (by_key,) = plan(lambda: engine.tasks.list(fay, TaskQuery(mine=fay, business_key="MKT-2026-00001*")))
    assert "ix_user_tasks_business_key (business_key>? AND business_key<?)" in by_key
    (by_text,) = plan(lambda: engine.tasks.list(fay, TaskQuery(mine=fay, text="offer")))
    assert "INTEGER PRIMARY KEY (rowid=?)" in by_text and "ix_user_tasks_status_due_at_id" not in by_text
    held, claimable = plan(lambda: engine.tasks.inbox_counts(fay))
    assert "ix_user_tasks_status_assignee (status=? AND assignee=?)" in held
    assert "INTEGER PRIMARY KEY (rowid=?)" in claimable and "CORRELATED" not in claimable
