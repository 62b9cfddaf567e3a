"""Users, groups and API tokens."""

from __future__ import annotations

import difflib
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from functools import cache
from typing import Final, Literal
from zoneinfo import available_timezones

from sqlalchemy import Connection, bindparam, delete, func, insert, select, update
from sqlalchemy.exc import OperationalError

from engine import access
from engine.actor import ADMIN, SYSTEM, Actor
from engine.clock import Clock
from engine.config import Settings
from engine.errors import AuthenticationFailed, Conflict, InvalidInput, NotFound, PermissionDenied
from engine.identity.admins import keep_an_admin
from engine.identity.credentials import PasswordHashing, new_token, token_hash
from engine.identity.throttle import LoginThrottle, ThrottlePolicy
from engine.store.database import Database
from engine.store.schema import api_tokens, groups, user_groups, users

USER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,99}$")
GROUP_NAME = re.compile(r"^[a-z][a-z0-9_.-]{0,99}$")

# A token's last use is stamped at most this often: precise enough to tell a token in use from a
# forgotten one, coarse enough that authenticating stays a read for nearly every request.
TOKEN_USE_RESOLUTION = timedelta(minutes=1)

# The languages of the web UI; a user who chose none gets their browser's (web/i18n.py).
LOCALES: Final = ("en", "zh")

log = logging.getLogger(__name__)


class _Unchanged(Enum):
    UNCHANGED = "unchanged"


# set_preferences: leave this preference as it is (None clears it: "not chosen").
UNCHANGED: Final = _Unchanged.UNCHANGED


_TOKEN_HOLDER = (
    select(
        users.c.name,
        users.c.active,
        api_tokens.c.id.label("token_id"),
        api_tokens.c.revoked_at,
        api_tokens.c.last_used_at,
        user_groups.c.group_name,
    )
    .join(api_tokens, api_tokens.c.user_id == users.c.id)
    .outerjoin(user_groups, user_groups.c.user_id == users.c.id)
    .where(api_tokens.c.token_hash == bindparam("digest"))
)


@dataclass(frozen=True)
class UserInfo:
    name: str
    display_name: str | None
    groups: list[str]
    active: bool
    created_at: datetime
    # None: not chosen (the web UI follows the browser's language and the server's zone).
    locale: str | None = None
    time_zone: str | None = None


@dataclass(frozen=True)
class GroupInfo:
    name: str
    description: str | None
    members: int


def check_user_name(name: str) -> str:
    if not isinstance(name, str) or not USER_NAME.match(name):
        raise InvalidInput(f"invalid user name {name!r}: use letters, digits and _ . @ - (at most 100)")
    return name


def check_group_names(names: Iterable[str]) -> list[str]:
    result = []
    for name in names:
        name = name.strip()
        if not GROUP_NAME.match(name):
            raise InvalidInput(
                f"invalid group name {name!r}: use lower-case letters, digits and _ . - (at most 100)"
            )
        if name not in result:
            result.append(name)
    return result


def check_locale(locale: str | None) -> str | None:
    """A supported language, or None ("not chosen"; an empty string means the same)."""
    if locale is None or locale == "":
        return None
    if locale not in LOCALES:
        raise InvalidInput(f"unknown locale {locale!r} (field 'locale'): use one of {', '.join(LOCALES)}")
    return locale


@cache
def time_zones() -> frozenset[str]:
    """Every IANA time zone name a user may choose."""
    # From the tzdata package (a dependency): the same list on every platform.
    return frozenset(available_timezones())


def check_time_zone(time_zone: str | None) -> str | None:
    """An IANA time zone name such as Asia/Shanghai, or None ("not chosen"; also an empty string)."""
    if time_zone is None or time_zone == "":
        return None
    if not isinstance(time_zone, str) or time_zone not in time_zones():
        close = difflib.get_close_matches(str(time_zone), sorted(time_zones()), n=3)
        hint = f"did you mean {', '.join(close)}?" if close else "e.g. Asia/Shanghai, Europe/Berlin or UTC"
        raise InvalidInput(
            f"unknown time zone {time_zone!r} (field 'time_zone'): use an IANA time zone name; {hint}"
        )
    return time_zone


def ensure_groups(
    conn: Connection, names: Iterable[str], now: datetime, descriptions: dict[str, str] | None = None
) -> list[str]:
    """Create the groups that do not exist yet; return the names that were created."""
    names = list(names)
    existing = set(conn.scalars(select(groups.c.name).where(groups.c.name.in_(names))))
    created = [n for n in names if n not in existing]
    if created:
        conn.execute(
            insert(groups),
            [{"name": n, "description": (descriptions or {}).get(n), "created_at": now} for n in created],
        )
    for name, text in (descriptions or {}).items():
        if name in existing:
            conn.execute(update(groups).where(groups.c.name == name).values(description=text))
    return created


def known_groups(conn: Connection) -> set[str]:
    return set(conn.scalars(select(groups.c.name)))


class IdentityService:
    def __init__(self, db: Database, clock: Clock, settings: Settings | None = None) -> None:
        self.db = db
        self.clock = clock
        settings = settings or Settings.from_env()
        self.passwords = PasswordHashing(settings.password_memory_kib, settings.password_time_cost)
        self.throttle = LoginThrottle(ThrottlePolicy.from_settings(settings), clock)

    # --- users ----------------------------------------------------------------------------

    def add_user(
        self,
        name: str,
        group_names: Iterable[str],
        *,
        display_name: str | None = None,
        password: str | None = None,
        actor: Actor = SYSTEM,
    ) -> tuple[UserInfo, str]:
        """Create a user in the given groups (creating missing groups) and return it with a new API token.

        The token is shown once: only its hash is stored.
        """
        access.manage_users(actor).require()
        check_user_name(name)
        names = check_group_names(group_names)
        now = self.clock.now()
        token = new_token()
        # Hashed before the transaction: its ~20 ms must not hold SQLite's write lock.
        password_hash = self.passwords.hash(password) if password else None
        with self.db.transaction() as conn:
            if conn.scalar(select(users.c.id).where(users.c.name == name)) is not None:
                raise Conflict(f"user {name!r} already exists")
            user_id = conn.execute(
                insert(users).values(
                    name=name,
                    display_name=display_name,
                    active=True,
                    created_at=now,
                    password_hash=password_hash,
                )
            ).inserted_primary_key[0]
            ensure_groups(conn, names, now)
            if names:
                conn.execute(insert(user_groups), [{"user_id": user_id, "group_name": g} for g in names])
            conn.execute(
                insert(api_tokens).values(
                    user_id=user_id, token_hash=token_hash(token), label="created with user", created_at=now
                )
            )
        return self.get_user(name), token

    def set_groups(self, name: str, group_names: Iterable[str], actor: Actor = SYSTEM) -> UserInfo:
        access.manage_users(actor).require()
        names = check_group_names(group_names)
        with self.db.transaction() as conn:
            user_id = _user_id(conn, name, lock=True)
            if ADMIN not in names:
                keep_an_admin(conn, user_id, name, "remove the admin group from")
            ensure_groups(conn, names, self.clock.now())
            conn.execute(delete(user_groups).where(user_groups.c.user_id == user_id))
            if names:
                conn.execute(insert(user_groups), [{"user_id": user_id, "group_name": g} for g in names])
        return self.get_user(name)

    def set_password(self, name: str, password: str, actor: Actor = SYSTEM) -> None:
        access.manage_credentials(actor, name).require()
        if len(password) < 8:
            raise InvalidInput("a password needs at least 8 characters")
        password_hash = self.passwords.hash(password)
        with self.db.transaction() as conn:
            user_id = _user_id(conn, name)
            conn.execute(update(users).where(users.c.id == user_id).values(password_hash=password_hash))

    def set_active(self, name: str, active: bool, actor: Actor = SYSTEM) -> UserInfo:
        access.manage_users(actor).require()
        with self.db.transaction() as conn:
            user_id = _user_id(conn, name, lock=True)
            if not active:
                keep_an_admin(conn, user_id, name, "deactivate")
            conn.execute(update(users).where(users.c.id == user_id).values(active=active))
        return self.get_user(name)

    def set_preferences(
        self,
        name: str,
        *,
        locale: str | Literal[_Unchanged.UNCHANGED] | None = UNCHANGED,
        time_zone: str | Literal[_Unchanged.UNCHANGED] | None = UNCHANGED,
        actor: Actor = SYSTEM,
    ) -> UserInfo:
        """Set a user's language and/or time zone (None clears one; one left out stays as it is).

        A user changes their own, an admin anyone's. Both are checked before anything is written.
        """
        access.change_preferences(actor, name).require()
        values: dict[str, str | None] = {}
        if locale is not UNCHANGED:
            values["locale"] = check_locale(locale)
        if time_zone is not UNCHANGED:
            values["time_zone"] = check_time_zone(time_zone)
        with self.db.transaction() as conn:
            user_id = _user_id(conn, name)
            if values:
                conn.execute(update(users).where(users.c.id == user_id).values(**values))
        return self.get_user(name)

    def get_user(self, name: str) -> UserInfo:
        with self.db.read() as conn:
            row = conn.execute(select(users).where(users.c.name == name)).first()
            if row is None:
                raise NotFound(f"no user named {name!r}")
            return _user_info(conn, row)

    def list_users(self, actor: Actor = SYSTEM) -> list[UserInfo]:
        access.list_users(actor).require()
        with self.db.read() as conn:
            rows = conn.execute(select(users).order_by(users.c.name)).all()
            return [_user_info(conn, row) for row in rows]

    # --- groups ---------------------------------------------------------------------------

    def add_groups(
        self, names: Iterable[str], descriptions: dict[str, str] | None = None, actor: Actor = SYSTEM
    ) -> list[str]:
        access.manage_users(actor).require()
        checked = check_group_names(names)
        with self.db.transaction() as conn:
            return ensure_groups(conn, checked, self.clock.now(), descriptions)

    def list_groups(self) -> list[GroupInfo]:
        with self.db.read() as conn:
            counts = dict(
                conn.execute(
                    select(user_groups.c.group_name, func.count()).group_by(user_groups.c.group_name)
                ).all()
            )
            return [
                GroupInfo(r.name, r.description, counts.get(r.name, 0))
                for r in conn.execute(select(groups).order_by(groups.c.name))
            ]

    # --- authentication -------------------------------------------------------------------

    def actor(self, name: str) -> Actor:
        """The actor for a user name (the CLI's ``--user``); unknown or inactive users are refused."""
        with self.db.read() as conn:
            row = conn.execute(select(users.c.id, users.c.active).where(users.c.name == name)).first()
            if row is None:
                raise NotFound(
                    f"no user named {name!r} (add one with: approvals users add {name} --groups …)"
                )
            if not row.active:
                raise PermissionDenied(f"user {name!r} is deactivated")
            return Actor(name, frozenset(_groups_of(conn, row.id)))

    def authenticate(self, token: str) -> Actor:
        if not token:
            raise AuthenticationFailed("an API token is required")
        digest = token_hash(token)
        with self.db.read() as conn:
            # One row per group (one with group NULL for a user in none): a single round trip on
            # every API request.
            rows = conn.execute(_TOKEN_HOLDER, {"digest": digest}).all()
        row = rows[0] if rows else None
        if row is None or row.revoked_at is not None or not row.active:
            raise AuthenticationFailed("the API token is unknown, revoked, or its user is deactivated")
        actor = Actor(row.name, frozenset(r.group_name for r in rows if r.group_name is not None))
        now = self.clock.now()
        if row.last_used_at is None or now - row.last_used_at >= TOKEN_USE_RESOLUTION:
            self._stamp_use(row.token_id, now)
        return actor

    def _stamp_use(self, token_id: int, now: datetime) -> None:
        # Conditional, so that of several requests racing with one token (or several servers) only
        # the first writes; the others match no row.
        stale = api_tokens.c.last_used_at.is_(None) | (
            api_tokens.c.last_used_at <= now - TOKEN_USE_RESOLUTION
        )
        try:
            with self.db.transaction() as conn:
                conn.execute(
                    update(api_tokens).where((api_tokens.c.id == token_id) & stale).values(last_used_at=now)
                )
        except OperationalError as exc:
            # A usage stamp must not cost the caller their request (SQLite busy past its timeout,
            # a lost connection): the token's next request stamps it instead.
            log.warning("could not record the use of API token %s: %s", token_id, exc)

    def login(self, name: str, password: str, address: str = "local", label: str = "login") -> str:
        """Exchange a user name and password for a new API token.

        ``address`` is where the attempt comes from (the client's IP address), for throttling:
        ``TooManyAttempts`` while the address or the user name is backed off (engine/identity/
        throttle.py). An unknown, deactivated or password-less user costs one password hash like a
        wrong password does, and gets the same answer.
        """
        with self.db.read() as conn:
            self.throttle.check(conn, name, address)
        with self.db.transaction() as conn:
            attempt = self.throttle.reserve(conn, name, address)
            row = conn.execute(
                select(users.c.id, users.c.active, users.c.password_hash).where(users.c.name == name)
            ).first()
        stored = row.password_hash if row is not None and row.active else None
        verdict = self.passwords.verify(password, stored)
        if not verdict.ok:
            self.throttle.failed(attempt)
            raise AuthenticationFailed("unknown user name or wrong password")
        new_hash = self.passwords.hash(password) if verdict.needs_rehash else None
        token = new_token()
        with self.db.transaction() as conn:
            if not conn.scalar(select(users.c.active).where(users.c.id == row.id)):
                raise AuthenticationFailed("unknown user name or wrong password")  # deactivated meanwhile
            self.throttle.succeeded(conn, attempt)
            if new_hash is not None:
                # Only over the hash just verified: a password changed meanwhile stays changed.
                conn.execute(
                    update(users)
                    .where((users.c.id == row.id) & (users.c.password_hash == stored))
                    .values(password_hash=new_hash)
                )
            conn.execute(
                insert(api_tokens).values(
                    user_id=row.id, token_hash=token_hash(token), label=label, created_at=self.clock.now()
                )
            )
        return token

    def unblock_login(
        self, name: str | None = None, address: str | None = None, actor: Actor = SYSTEM
    ) -> int:
        """Lift the login back-off of a user name and/or a client address; how many were lifted."""
        access.manage_users(actor).require()
        if name is None and address is None:
            raise InvalidInput("name a user, an address, or both")
        with self.db.transaction() as conn:
            return self.throttle.clear(conn, name, address)

    def issue_token(self, name: str, label: str | None = None, actor: Actor = SYSTEM) -> str:
        access.manage_credentials(actor, name).require()
        token = new_token()
        with self.db.transaction() as conn:
            conn.execute(
                insert(api_tokens).values(
                    user_id=_user_id(conn, name),
                    token_hash=token_hash(token),
                    label=label,
                    created_at=self.clock.now(),
                )
            )
        return token

    def revoke_token(self, token: str) -> None:
        with self.db.transaction() as conn:
            conn.execute(
                update(api_tokens)
                .where(api_tokens.c.token_hash == token_hash(token))
                .values(revoked_at=self.clock.now())
            )


def _user_id(conn: Connection, name: str, lock: bool = False) -> int:
    """The user's id; ``lock``: and their row locked, so that changes to one user run one after the
    other (a change replaces their group rows whole: interleaved, two would collide)."""
    query = select(users.c.id).where(users.c.name == name)
    user_id = conn.scalar(query.with_for_update() if lock else query)
    if user_id is None:
        raise NotFound(f"no user named {name!r}")
    return user_id


def _groups_of(conn: Connection, user_id: int) -> list[str]:
    return sorted(conn.scalars(select(user_groups.c.group_name).where(user_groups.c.user_id == user_id)))


def _user_info(conn: Connection, row: object) -> UserInfo:
    return UserInfo(
        row.name,
        row.display_name,
        _groups_of(conn, row.id),
        row.active,
        row.created_at,
        locale=row.locale,
        time_zone=row.time_zone,
    )
