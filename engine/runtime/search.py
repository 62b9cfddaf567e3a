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

from sqlalchemy import Select, func, select, union

from engine import access
from engine.actor import Actor
from engine.datavalues import FIELD_NAME, MAX_VALUE, query_texts
from engine.errors import InvalidInput, Problem
from engine.statuses import INSTANCE_STATUSES
from engine.store.bounds import bound
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
MAX_LIMIT = 500
COUNT_CAP = 10_000  # a total beyond this is shown as "10,000+": counting further costs a scan
MAX_CURSOR = 1000
MAX_DATA_FILTERS = 5
MAX_NAME = 100  # user names, model keys


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


def business_key_filter(value: str) -> Any:
    key = pi.business_key
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


def data_ids(name: str, value: str) -> Any:
    texts = query_texts(value)
    return select(instance_values.c.instance_id).where(
        (instance_values.c.name == name) & instance_values.c.value.in_(texts)
    )


def conditions(search: InstanceSearch, actor: Actor) -> list[Any]:
    where = [access.visible_to(actor)]
    if search.model_key:
        where.append(pi.model_key == search.model_key)
    if search.version is not None:
        where.append(model_versions.c.version == search.version)
    if search.business_key:
        where.append(business_key_filter(search.business_key))
    if search.status:
        where.append(pi.status == search.status)
    if search.initiator:
        where.append(pi.initiator == search.initiator)
    if search.participant:
        where.append(pi.id.in_(participant_ids(search.participant)))
    for column, low, high in (
        (pi.started_at, search.started_from, search.started_to),
        (pi.ended_at, search.ended_from, search.ended_to),
    ):
        if low is not None:
            where.append(column >= bound(low, low=True))
        if high is not None:
            where.append(column < bound(high, low=True))
    for name, value in search.data:
        where.append(pi.id.in_(data_ids(name, value)))
    return [c for c in where if c is not None]


def base_query(where: list[Any]) -> Select:
    query = select(*access.INSTANCE_COLUMNS).join(model_versions, model_versions.c.id == pi.version_id)
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


def page_queries(search: InstanceSearch, where: list[Any], fetch: int) -> list[Select]:
    """The queries that read the page, in order: the rows with a sort value after the cursor, then
    (nullable orders) the rows without one. The caller runs the next only while the page is short."""
    cursor = read_cursor(search)
    column = SORTS[search.sort]
    nullable = search.sort in NULLABLE_SORTS
    queries = []
    if cursor is None or cursor.key is not None:
        query = base_query(where)
        if cursor is not None:
            query = query.where(after_cursor(search, cursor))
        elif nullable:
            query = query.where(column.is_not(None))
        queries.append(query.order_by(*order_by(search)).limit(fetch))
    if nullable:
        query = base_query(where).where(column.is_(None))
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
    return base_query(where).order_by(*order).limit(fetch).offset(search.offset)
