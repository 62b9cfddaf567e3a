"""Login throttling: exponential back-off per user name and per client address.

The counters live in the ``login_throttle`` table, so every server process (and every machine on
one PostgreSQL) counts the same failures. Policy:

- Each address and each user name may fail ``free_failures`` times; every further failure blocks
  it for 1 s, 2 s, 4 s … up to its ``max_delay``. A blocked login is refused before its password is
  looked at (even a right one), costs no hash and does not count: waiting out the block never
  makes it longer.
- The per-address limit is the stricter one (longer back-off): it stops one machine trying many
  passwords or many names. The per-user limit stops many machines trying one name, and is short so
  that attackers cannot keep a person out for long; and a login from an address this user has
  logged in from before ("known") is not held by the per-user back-off at all, only by its
  address's own. So nobody can lock a real user out for ever from elsewhere.
- Unknown user names are counted exactly like real ones: the answer never tells them apart.
- IPv6 clients are counted per /64 network: one machine usually holds a whole /64 and may pick
  any address in it.
- A success clears the user name's counter and takes back its own count from the address (but not
  the address's earlier failures: logging in to one's own account between guesses forgives
  nothing). A counter is forgotten ``forget_after`` after its last failure's back-off ended (not
  after the failure itself, or a back-off as long as the memory would wipe the slate each time).

An attempt is counted as a failure *before* its password is checked (``reserve``), in a short
transaction that holds the two rows' locks, and taken back on success (``succeeded``). Concurrent
guesses therefore cannot slip through together before the first failure is written, and the
slow hash runs outside any transaction.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, delete, or_, select, tuple_, update

from engine.clock import Clock
from engine.config import Settings
from engine.errors import TooManyAttempts
from engine.store.schema import login_throttle
from engine.store.upsert import dialect_insert

USER = "user"
ADDRESS = "address"
KNOWN = "known"

BASE_DELAY = timedelta(seconds=1)
# How long an address a user logged in from stays "known" without another login from it.
KNOWN_FOR = timedelta(days=90)
_SUBJECT_MAX = 200

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Limits:
    free_failures: int
    max_delay: timedelta

    def block_after(self, failures: int) -> timedelta | None:
        """How long the ``failures``-th failure blocks (None: not at all)."""
        over = failures - self.free_failures
        if over <= 0:
            return None
        # The exponent is capped so that the power stays small; max_delay caps the result anyway.
        return min(BASE_DELAY * 2 ** min(over - 1, 32), self.max_delay)


@dataclass(frozen=True)
class ThrottlePolicy:
    user: Limits
    address: Limits
    forget_after: timedelta

    @classmethod
    def from_settings(cls, settings: Settings) -> ThrottlePolicy:
        return cls(
            user=Limits(settings.login_user_free_failures, timedelta(seconds=settings.login_user_max_delay)),
            address=Limits(
                settings.login_address_free_failures, timedelta(seconds=settings.login_address_max_delay)
            ),
            forget_after=timedelta(seconds=settings.login_forget_after),
        )


@dataclass(frozen=True)
class Attempt:
    """A login attempt, counted as failed until ``succeeded`` says otherwise."""

    user: str
    address: str
    # The blocks this attempt put on its address (lifted again if it succeeds) and user name.
    address_block: datetime | None
    user_block: datetime | None = None


class LoginThrottle:
    def __init__(self, policy: ThrottlePolicy, clock: Clock) -> None:
        self.policy = policy
        self.clock = clock

    def check(self, conn: Connection, name: str, address: str) -> None:
        """Refuse the attempt (``TooManyAttempts``) if its address or user name is blocked, reading
        only: a flood of refused attempts then never takes a write lock (SQLite has one for all)."""
        now = self.clock.now()
        user, address = _subject(name), _subject(address_key(address))
        rows = {
            row.scope: row
            for row in conn.execute(
                select(login_throttle.c.scope, login_throttle.c.blocked_until).where(
                    _row(ADDRESS, address) | _row(USER, user)
                )
            )
        }
        self._refuse_if_blocked(conn, name, user, address, rows.get(ADDRESS), rows.get(USER), now)

    def reserve(self, conn: Connection, name: str, address: str) -> Attempt:
        """Refuse the attempt if its address or user name is blocked (``TooManyAttempts``), else
        count it as a failure. Call in its own transaction: the refusal rolls nothing back that
        matters, and the count must be committed before the password is checked."""
        now = self.clock.now()
        user, address = _subject(name), _subject(address_key(address))
        # Lock order: the address row, then the user row (``succeeded`` follows it too).
        at_address = _lock(conn, ADDRESS, address, now)
        for_user = _lock(conn, USER, user, now)
        # Again under the locks: a concurrent failure may have started a back-off since ``check``.
        self._refuse_if_blocked(conn, name, user, address, at_address, for_user, now)
        address_block = self._count(conn, ADDRESS, address, at_address, self.policy.address, now)
        user_block = self._count(conn, USER, user, for_user, self.policy.user, now)
        self._prune(conn, now)
        return Attempt(user, address, address_block, user_block)

    def failed(self, attempt: Attempt) -> None:
        """The attempt's password was wrong: it stays counted; a back-off it started is logged."""
        if attempt.address_block is not None:
            log.warning("login back-off: address %s blocked until %s", attempt.address, attempt.address_block)
        if attempt.user_block is not None:
            log.warning("login back-off: user name %r blocked until %s", attempt.user, attempt.user_block)

    def succeeded(self, conn: Connection, attempt: Attempt) -> None:
        """The attempt's password was right: clear the user's counter, take the attempt back from
        its address, and remember the address as one this user logs in from."""
        now = self.clock.now()
        at_address = _lock(conn, ADDRESS, attempt.address, now)
        blocked_until = at_address.blocked_until
        if blocked_until is not None and blocked_until == attempt.address_block:
            blocked_until = None  # only this attempt's own block: any earlier one had expired
        conn.execute(
            update(login_throttle)
            .where(_row(ADDRESS, attempt.address))
            .values(failures=max(at_address.failures - 1, 0), blocked_until=blocked_until)
        )
        conn.execute(delete(login_throttle).where(_row(USER, attempt.user)))
        known = _subject(f"{attempt.user} {attempt.address}")
        _lock(conn, KNOWN, known, now)
        conn.execute(update(login_throttle).where(_row(KNOWN, known)).values(updated_at=now))

    def clear(self, conn: Connection, name: str | None, address: str | None) -> int:
        """Forget the failures of a user name and/or an address (an operator's remedy); how many
        counters there were."""
        cleared = 0
        for scope, subject in ((USER, name), (ADDRESS, address)):
            if subject is not None:
                subject = address_key(subject) if scope == ADDRESS else subject
                cleared += conn.execute(delete(login_throttle).where(_row(scope, _subject(subject)))).rowcount
        return cleared

    def _refuse_if_blocked(
        self,
        conn: Connection,
        name: str,
        user: str,
        address: str,
        at_address: Any,
        for_user: Any,
        now: datetime,
    ) -> None:
        if at_address is not None and _blocked(at_address, now):
            raise TooManyAttempts(
                f"too many failed logins from this address: try again in {_wait(at_address, now)} s",
                _wait(at_address, now),
            )
        if for_user is not None and _blocked(for_user, now) and not _is_known(conn, user, address, now):
            raise TooManyAttempts(
                f"too many failed logins for user name {name!r}: try again in {_wait(for_user, now)} s "
                "(or from an address you have logged in from before)",
                _wait(for_user, now),
            )

    def _count(
        self, conn: Connection, scope: str, subject: str, row: Any, limits: Limits, now: datetime
    ) -> datetime | None:
        failures = self._live_failures(row, now) + 1
        block = limits.block_after(failures)
        blocked_until = now + block if block is not None else None
        conn.execute(
            update(login_throttle)
            .where(_row(scope, subject))
            .values(failures=failures, blocked_until=blocked_until, updated_at=now)
        )
        return blocked_until

    def _live_failures(self, row: Any, now: datetime) -> int:
        last = max(row.updated_at, row.blocked_until or row.updated_at)
        if row.failures and last <= now - self.policy.forget_after:
            return 0
        return int(row.failures)

    def _prune(self, conn: Connection, now: datetime) -> None:
        """Delete counters nobody needs any more, so that sprayed user names do not pile up.

        Rows another login holds are skipped (``SKIP LOCKED``), so this never waits for one: the
        transaction that runs it already holds two row locks of its own.
        """
        cutoff = now - self.policy.forget_after
        stale = or_(
            and_(
                login_throttle.c.scope != KNOWN,
                login_throttle.c.updated_at <= cutoff,
                or_(login_throttle.c.blocked_until.is_(None), login_throttle.c.blocked_until <= cutoff),
            ),
            and_(login_throttle.c.scope == KNOWN, login_throttle.c.updated_at <= now - KNOWN_FOR),
        )
        doomed = (
            select(login_throttle.c.scope, login_throttle.c.subject)
            .where(stale)
            .limit(100)
            .with_for_update(skip_locked=True)
        )
        conn.execute(
            delete(login_throttle).where(tuple_(login_throttle.c.scope, login_throttle.c.subject).in_(doomed))
        )


def address_key(address: str) -> str:
    """What one client is counted by: its IPv4 address, or its IPv6 address's /64 network."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def _subject(text: str) -> str:
    if len(text) <= _SUBJECT_MAX:
        return text
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def _row(scope: str, subject: str) -> Any:
    return (login_throttle.c.scope == scope) & (login_throttle.c.subject == subject)


def _lock(conn: Connection, scope: str, subject: str, now: datetime) -> Any:
    """The row, created if missing, locked until the transaction ends.

    An upsert whose update changes nothing: unlike SELECT … FOR UPDATE it also locks a row that
    does not exist yet, and it cannot fail when a concurrent login inserts or prunes the same row.
    """
    stmt = dialect_insert(conn.dialect.name, login_throttle).values(
        scope=scope, subject=subject, failures=0, blocked_until=None, updated_at=now
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=[login_throttle.c.scope, login_throttle.c.subject],
        set_={"failures": login_throttle.c.failures},
    ).returning(login_throttle.c.failures, login_throttle.c.blocked_until, login_throttle.c.updated_at)
    return conn.execute(stmt).one()


def _blocked(row: Any, now: datetime) -> bool:
    return row.blocked_until is not None and row.blocked_until > now


def _wait(row: Any, now: datetime) -> int:
    return max(1, math.ceil((row.blocked_until - now).total_seconds()))


def _is_known(conn: Connection, user: str, address: str, now: datetime) -> bool:
    updated = conn.scalar(
        select(login_throttle.c.updated_at).where(_row(KNOWN, _subject(f"{user} {address}")))
    )
    return updated is not None and updated > now - KNOWN_FOR
