"""Instance search (auditors' and process owners' lists): what an ``InstanceSearch`` asks, as SQL.

Filters: process, version, business key (exact or a ``*`` prefix), status, initiator, participant,
started and ended windows, and data fields equal to a value (``instance_values``, kept in step by
engine/runtime/values.py). Orders: started, ended, business key, process, status, each ascending or
descending and always ending in the id, so that every row has one place. Paging is by keyset
cursor: the next page starts strictly after the last row shown, read off the order's index, so a
page deep in a million instances costs what the first does (bench/bench_instance_search.py).

Ended and business key may be null (a running instance, an instance without a key): those rows
come after the others in both directions, read by a second query once the first runs out.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Connection,
    Select,
    String,
    and_,
    any_,
    exists,
    func,
    literal_column,
    or_,
    select,
    type_coerce,
    union,
)

from engine import access
from engine.actor import Actor
from engine.datavalues import FIELD_NAME, MAX_VALUE, query_texts
from engine.errors import InvalidInput, Problem
from engine.statuses import INSTANCE_STATUSES
from engine.store.bounds import range_bound as bound
from engine.store.schema import history_events, instance_values, model_versions, process_instances

pi = process_instances.c

SORTS = {
    "started": pi.started_at,
    "ended": pi.ended_at,
    "business_key": pi.business_key,
    "process": pi.model_key,
    "status": pi.status,
}
NULLABLE_SORTS = {"ended", "business_key"}
SORT_FILTER_COLUMNS = SORTS
SORT_FILTER = {  # the filter on each order's column
    "started": "started",
    "ended": "ended",
    "business_key": "business_key",
    "process": "model_key",
    "status": "status",
}
MAX_LIMIT = 500
COUNT_CAP = 10_000  # a total beyond this is shown as "10,000+": counting further costs a scan
MAX_CURSOR = 1000
MAX_DATA_FILTERS = 5
MAX_NAME = 100  # user names, model keys
# What a page shows of each instance: everything but the workflow's state.
PAGE_COLUMNS = tuple(c for c in access.INSTANCE_COLUMNS if c.name != "state")
# What an export writes: no data either.
EXPORT_COLUMNS = tuple(c for c in PAGE_COLUMNS if c.name != "data")


@dataclass(frozen=True)
class InstanceSearch:
    model_key: str | None = None
    version: int | None = None  # the model's version number (needs model_key)
    business_key: str | None = None  # exact, or a prefix when it ends with "*" ("MKT-2026-*")
    status: str | None = None
    initiator: str | None = None
    # The initiator, or anyone recorded in the trail as acting on the instance (started it, claimed
    # or completed a task of it, was assigned one, cancelled it …): ``access.visible_to``'s notion.
    participant: str | None = None
    started_from: datetime | None = None  # at or after (aware datetimes)
    started_to: datetime | None = None  # strictly before
    ended_from: datetime | None = None
    ended_to: datetime | None = None
    # (field, value) pairs, all of which must hold: a top-level scalar of the data equal to the value
    # (engine/datavalues.py: "5000" finds 5000 and 5000.0, "true" the boolean).
    data: tuple[tuple[str, str], ...] = ()
    sort: str = "started"
    descending: bool = True
    limit: int = 50
    after: str | None = None  # a cursor from ``InstancePage.next_cursor``
    offset: int = 0  # the API's offset paging, kept for its clients; a cursor is what stays cheap
    count: bool = False  # also count the matches (up to COUNT_CAP)


@dataclass(frozen=True)
class InstancePage:
    items: list[Any]  # InstanceInfo
    next_cursor: str | None
    total: int | None = None  # with ``count``: the number of matches, at most COUNT_CAP …
    total_capped: bool = False  # … and True when there are more
    has_more: bool = False  # another page follows (offset paging reads it from here)


# --- checking the search -----------------------------------------------------------------------


def _problem(name: str, message: str) -> InvalidInput:
    return InvalidInput(f"{name}: {message}", [Problem(message, field=name)])


def _aware(value: datetime | None, name: str) -> None:
    if value is not None and (value.tzinfo is None or value.utcoffset() is None):
        raise _problem(name, "needs a time zone (a date and time without one is ambiguous)")


def check(search: InstanceSearch) -> None:
    """Refuse what cannot be a search, naming the field."""
    if search.sort not in SORTS:
        raise _problem("sort", f"must be one of {', '.join(SORTS)}, not {search.sort!r}")
    if search.status is not None and search.status not in INSTANCE_STATUSES:
        raise _problem("status", f"must be one of {', '.join(INSTANCE_STATUSES)}, not {search.status!r}")
    if search.version is not None:
        if search.version < 1:
            raise _problem("version", "must be a version number, 1 or more")
        if not search.model_key:
            raise _problem("version", "a version number needs the process (model) it belongs to")
    for name in ("model_key", "initiator", "participant"):
        value = getattr(search, name)
        if value is not None and len(value) > MAX_NAME:
            raise _problem(name, f"at most {MAX_NAME} characters")
    key = search.business_key
    if key is not None:
        if len(key) > 101:
            raise _problem("business_key", "at most 100 characters (and a final '*')")
        if key.endswith("*") and not key[:-1]:
            raise _problem("business_key", "a prefix needs at least one character before '*'")
    for name in ("started_from", "started_to", "ended_from", "ended_to"):
        _aware(getattr(search, name), name)
    if len(search.data) > MAX_DATA_FILTERS:
        raise _problem("data", f"at most {MAX_DATA_FILTERS} data conditions")
    for name, value in search.data:
        if not FIELD_NAME.match(name):
            raise _problem(
                "data",
                f"{name[:100]!r} is not a field name (letters, digits and _, not starting with a digit, "
                "at most 100)",
            )
        if len(value) > MAX_VALUE:
            raise _problem("data", f"{name}: values are compared on their first {MAX_VALUE} characters")
    if search.offset < 0:
        raise _problem("offset", "must be 0 or more")
    if search.after is not None and search.offset:
        raise _problem("offset", "a page is chosen by cursor or by offset, not both")


# --- filters -----------------------------------------------------------------------------------


def business_key_filter(value: str, key: Any) -> Any:
    if not value.endswith("*"):
        return key == value
    prefix = value[:-1]
    # substr compares exactly on both databases (SQLite's LIKE ignores case); the range lets the
    # business key's index start and stop the scan.
    return (key >= prefix) & (key < prefix + "\U0010ffff") & (func.substr(key, 1, len(prefix)) == prefix)


def participant_ids(user: str) -> Any:
    """The ids of the instances ``user`` started or acted on: two index-only reads, one union."""
    return union(
        select(pi.id).where(pi.initiator == user),
        select(history_events.c.instance_id).where(history_events.c.actor == user),
    )


def participant_probe(user: str) -> Any:
    """The same, asked of one row (an index probe each): for a walk in page order."""
    acted = exists().where((history_events.c.actor == user) & (history_events.c.instance_id == pi.id))
    return or_(pi.initiator.concat("") == user, acted)


def participant_sources(user: str) -> list[Any]:
    return [
        select(pi.id).where(pi.initiator == user),
        select(history_events.c.instance_id).where(history_events.c.actor == user),
    ]


def data_ids(name: str, value: str) -> Any:
    return select(instance_values.c.instance_id).where(
        (instance_values.c.name == name) & instance_values.c.value.in_(query_texts(value))
    )


def data_probe(name: str, value: str) -> Any:
    return exists().where(
        (instance_values.c.instance_id == pi.id)
        & (instance_values.c.name == name)
        & instance_values.c.value.in_(query_texts(value))
    )


# --- how the rows are found --------------------------------------------------------------------
#
# Two ways, chosen per search (as the inbox does, engine/tasks/query.py): walk the order's index and
# keep the rows that pass every filter, stopping at the page's end — cheap while matches are common;
# or read the ids one filter's index names and sort them — cheap while that filter is selective.
# PostgreSQL's planner chooses well from its statistics. SQLite's (no statistics: nothing runs
# ANALYZE) would read an equality's index and sort whatever it finds — 300,000 rows for a status —
# so on SQLite the engine counts, off each filter's index and up to DRIVE_LIMIT, what each would
# read, drives from the smallest under the limit, and hides the other filters from the planner
# (``col || ''`` is served by no index; a set filter becomes a probe per row).

DRIVE_LIMIT = 5_000
# A walk in page order that finds less than a page in this many rows stops, and the page is read
# again from the smallest filter's index, if one selects at most FALLBACK_LIMIT rows.
WALK_LIMIT = 20_000
FALLBACK_LIMIT = 300_000
SET_FILTERS = {"participant"}  # and "data0" …: filters whose ids come from another table
PROBE_ORDER = ["business_key", "data", "initiator", "participant", "started", "ended", "status", "model_key"]


def _filters(search: InstanceSearch) -> dict[str, Any]:
    """Each filter an index can serve: its name -> (indexed condition, condition without an index,
    what to count off the index for an estimate: None for the indexed condition on the instances)."""
    found: dict[str, Any] = {}

    def plain(column: Any) -> Any:
        return type_coerce(column, String()).concat("")

    if search.model_key:
        found["model_key"] = (pi.model_key == search.model_key, plain(pi.model_key) == search.model_key, None)
    if search.business_key:
        found["business_key"] = (
            business_key_filter(search.business_key, pi.business_key),
            business_key_filter(search.business_key, plain(pi.business_key)),
            None,
        )
    if search.status:
        found["status"] = (pi.status == search.status, plain(pi.status) == search.status, None)
    if search.initiator:
        found["initiator"] = (pi.initiator == search.initiator, plain(pi.initiator) == search.initiator, None)
    if search.participant:
        found["participant"] = (
            pi.id.in_(participant_ids(search.participant)),
            participant_probe(search.participant),
            participant_sources(search.participant),
        )
    for name, column, low, high in (
        ("started", pi.started_at, search.started_from, search.started_to),
        ("ended", pi.ended_at, search.ended_from, search.ended_to),
    ):
        if low is None and high is None:
            continue
        pair = []
        for target in (column, plain(column)):
            parts = []
            if low is not None:
                parts.append(target >= bound(low, low=True))
            if high is not None:
                parts.append(target < bound(high, low=True))
            pair.append(and_(*parts))
        found[name] = (*pair, None)
    for i, (name, value) in enumerate(search.data):
        found[f"data{i}"] = (
            pi.id.in_(data_ids(name, value)),
            data_probe(name, value),
            [data_ids(name, value)],
        )
    return found


def _estimate(conn: Connection, condition: Any, sources: list[Any] | None, cap: int) -> int:
    """How many rows a filter selects, counted off its index up to ``cap`` (a set filter's ids are
    counted where they are listed: asked through the instances, the whole set would be read first)."""
    total = 0
    for source in sources or [select(pi.id).where(condition)]:
        inner = source.limit(cap - total).subquery()
        total += conn.scalar(select(func.count()).select_from(inner)) or 0
        if total >= cap:
            break
    return total


def choose_driver(
    conn: Connection, search: InstanceSearch, sqlite: bool, limit: int | None = None
) -> str | None:
    """The filter whose index finds the rows, if one selects at most ``limit`` (None: walk the order's
    index). PostgreSQL: its planner decides."""
    filters = _filters(search)
    if not sqlite:  # PostgreSQL: its planner, but for the sets (see ``conditions``)
        filters = {name: f for name, f in filters.items() if name in SET_FILTERS or name.startswith("data")}
    walk = SORT_FILTER[search.sort]  # a filter on the order's own column is the walk itself
    best, fewest = None, (DRIVE_LIMIT if limit is None else limit) + 1
    # The likely selective first: each later count stops at the smallest so far.
    for name in sorted(filters, key=lambda n: PROBE_ORDER.index(n.rstrip("0123456789"))):
        indexed, _, sources = filters[name]
        if name == walk:
            continue
        n = _estimate(conn, indexed, sources, fewest)
        if n < fewest:
            best, fewest = name, n
    return best


def walks_blind(search: InstanceSearch) -> bool:
    """Whether a walk in page order checks filters the order's index knows nothing of."""
    return bool(search.data or search.version is not None) or any(
        name != SORT_FILTER[search.sort] for name in _filters(search)
    )


def walk_limit(conn: Connection, search: InstanceSearch, cursor: Cursor | None) -> Any:
    """A condition that stops a walk in page order after WALK_LIMIT rows of the order's index (None:
    fewer are left), read index-only off that index: the walk's rows are then at most these."""
    if cursor is not None and cursor.key is None:
        return None  # in the rows without a key: walked by id
    column = SORT_FILTER_COLUMNS[search.sort]
    query = select(column, pi.id)
    if cursor is not None:
        query = query.where(after_cursor(search, cursor))
    elif search.sort in NULLABLE_SORTS:
        query = query.where(column.is_not(None))
    last = conn.execute(query.order_by(*order_by(search)).offset(WALK_LIMIT).limit(1)).first()
    if last is None:
        return None
    key = last[0]
    if search.descending:
        return (column >= bound(key, low=True)) & ((column > bound(key, low=False)) | (pi.id >= last[1]))
    return (column <= bound(key, low=False)) & ((column < bound(key, low=True)) | (pi.id <= last[1]))


def conditions(
    search: InstanceSearch, actor: Actor, driver: str | None = None, sqlite: bool = False
) -> list[Any]:
    """The search's conditions; on SQLite only ``driver``'s (and the order's own range) indexed.

    PostgreSQL plans the rest itself, but a set of ids (participant, data field) given as ``IN`` is
    turned into a hash join over a sequential scan of every instance as soon as it holds a few
    thousand ids (~850 ms at a million). So a set becomes either the ids themselves, read first
    (``id = ANY(array)``: one primary-key look-up each) when it is the driver — at most DRIVE_LIMIT —
    or a probe per row, for a walk in page order that finds its matches often enough."""
    where = [access.visible_to(actor)]
    if search.version is not None:
        where.append(model_versions.c.version == search.version)
    for name, (indexed, plain, sources) in _filters(search).items():
        if not sqlite and sources is not None:
            where.append(id_array(sources) if name == driver else plain)
            continue
        use_index = not sqlite or name == driver or (driver is None and name == SORT_FILTER[search.sort])
        where.append(indexed if use_index else plain)
    return [c for c in where if c is not None]


def id_array(sources: list[Any]) -> Any:
    """``id = ANY(ARRAY(ids))`` (PostgreSQL): the ids are read once, then looked up by primary key."""
    ids = (union(*sources) if len(sources) > 1 else sources[0]).subquery()
    # Wrapped in a function call: ``= ANY (SELECT …)`` would compare each id with the whole array.
    array = func.coalesce(
        select(func.array_agg(ids.c[0])).scalar_subquery(), literal_column("'{}'::integer[]")
    )
    return pi.id == any_(array)


def base_query(where: list[Any], columns: tuple[Any, ...]) -> Select:
    query = select(*columns).join(model_versions, model_versions.c.id == pi.version_id)
    for condition in where:
        query = query.where(condition)
    return query


def count_query(search: InstanceSearch, where: list[Any]) -> Select:
    """How many match, up to COUNT_CAP + 1 (whether there are more is all a page shows)."""
    inner = select(pi.id)
    if search.version is not None:
        inner = inner.join(model_versions, model_versions.c.id == pi.version_id)
    for condition in where:
        inner = inner.where(condition)
    return select(func.count()).select_from(inner.limit(COUNT_CAP + 1).subquery())


# --- order and cursor --------------------------------------------------------------------------


@dataclass(frozen=True)
class Cursor:
    key: Any  # the sort column's value of the last row shown (None: in the tail of nulls)
    id: int


def order_by(search: InstanceSearch, tail: bool = False) -> list[Any]:
    """The order of the rows with a value (``tail``: of those without one, by id)."""
    column = SORTS[search.sort]
    if tail:
        return [pi.id.desc() if search.descending else pi.id.asc()]
    if search.descending:
        return [column.desc(), pi.id.desc()]
    return [column.asc(), pi.id.asc()]


def after_cursor(search: InstanceSearch, cursor: Cursor) -> Any:
    """Rows strictly after ``cursor``, among those with a value.

    ``key >= k AND (key > k OR id > i)`` rather than one OR of the two: the first half is a range
    of the (key, id) index, which both planners walk in order and stop at the page's end."""
    column = SORTS[search.sort]
    key = cursor.key
    if search.descending:
        return (column <= bound(key, low=False)) & ((column < bound(key, low=True)) | (pi.id < cursor.id))
    return (column >= bound(key, low=True)) & ((column > bound(key, low=False)) | (pi.id > cursor.id))


def key_of(info: Any, sort: str) -> Any:
    value = {
        "started": info.started_at,
        "ended": info.ended_at,
        "business_key": info.business_key,
        "process": info.model_key,
        "status": info.status,
    }[sort]
    return value.isoformat() if isinstance(value, datetime) else value


def cursor_after(info: Any, search: InstanceSearch) -> str:
    raw = json.dumps(
        [search.sort, search.descending, key_of(info, search.sort), info.id], separators=(",", ":")
    )
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def read_cursor(search: InstanceSearch) -> Cursor | None:
    if search.after is None:
        return None
    bad = _problem("after", "not a cursor of this list (take next_cursor from the previous page)")
    if len(search.after) > MAX_CURSOR:
        raise bad
    try:
        text = base64.urlsafe_b64decode(search.after + "=" * (-len(search.after) % 4)).decode()
        sort, descending, key, instance_id = json.loads(text)
    except (binascii.Error, UnicodeDecodeError, ValueError, TypeError) as error:
        raise bad from error
    if sort != search.sort or descending is not search.descending:
        raise _problem("after", "the cursor was made for another order (sort and order must not change)")
    if type(instance_id) is not int:
        raise bad
    if key is None:
        if sort not in NULLABLE_SORTS:
            raise bad
        return Cursor(None, instance_id)
    if not isinstance(key, str):
        raise bad
    if sort in ("started", "ended"):
        try:
            moment = datetime.fromisoformat(key)
        except ValueError as error:
            raise bad from error
        if moment.tzinfo is None:
            raise bad
        return Cursor(moment, instance_id)
    return Cursor(key, instance_id)


def page_queries(
    search: InstanceSearch, where: list[Any], fetch: int, columns: tuple[Any, ...] = PAGE_COLUMNS
) -> list[Select]:
    """The queries that read the page, in order: the rows with a sort value after the cursor, then
    (nullable orders) the rows without one. The caller runs the next only while the page is short."""
    cursor = read_cursor(search)
    column = SORTS[search.sort]
    nullable = search.sort in NULLABLE_SORTS
    queries = []
    if cursor is None or cursor.key is not None:
        query = base_query(where, columns)
        if cursor is not None:
            query = query.where(after_cursor(search, cursor))
        elif nullable:
            query = query.where(column.is_not(None))
        queries.append(query.order_by(*order_by(search)).limit(fetch))
    if nullable:
        query = base_query(where, columns).where(column.is_(None))
        if cursor is not None and cursor.key is None:
            query = query.where(pi.id < cursor.id if search.descending else pi.id > cursor.id)
        queries.append(query.order_by(*order_by(search, tail=True)).limit(fetch))
    return queries


def offset_query(search: InstanceSearch, where: list[Any], fetch: int) -> Select:
    """Offset paging (the API's older clients): one query, rows without a value last."""
    column = SORTS[search.sort]
    order = order_by(search)
    if search.sort in NULLABLE_SORTS:
        order = [column.is_(None), *order]
    return base_query(where, PAGE_COLUMNS).order_by(*order).limit(fetch).offset(search.offset)
