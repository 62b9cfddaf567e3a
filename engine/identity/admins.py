"""The installation always keeps an active admin: the last one cannot lose the group or be deactivated.

Every change that may take an admin away first locks the user's row, then the ``admin`` group's
row, inside the transaction that makes the change. Two such changes therefore run one after the other even on
PostgreSQL (where each would otherwise count the admins before the other's commit, and two admins
removing each other at the same moment would leave none); on SQLite the transaction's write lock
already does this.
"""

from __future__ import annotations

from sqlalchemy import Connection, func, select

from engine.actor import ADMIN
from engine.errors import Conflict
from engine.store.schema import groups, user_groups, users


def keep_an_admin(conn: Connection, user_id: int, name: str, what: str) -> None:
    """Refuse (``Conflict``) if ``user_id`` is an active admin and no other active admin exists.

    Call before removing the user's admin group or deactivating them; ``what`` says which, for the
    message.
    """
    # No admin group, no admin to protect (a fresh installation run from the command line).
    # FOR NO KEY UPDATE: serialises the removers, yet does not hold up a foreign-key check of someone
    # joining the group (that would deadlock with a remover waiting for that user's rows).
    admin_group = select(groups.c.name).where(groups.c.name == ADMIN).with_for_update(key_share=True)
    if conn.scalar(admin_group) is None:
        return
    if not _is_active_admin(conn, user_id):
        return
    others = conn.scalar(
        select(func.count())
        .select_from(users.join(user_groups, user_groups.c.user_id == users.c.id))
        .where(user_groups.c.group_name == ADMIN, users.c.active.is_(True), users.c.id != user_id)
    )
    if not others:
        raise Conflict(
            f"cannot {what} {name!r}: they are the last active admin, and without one nobody can "
            "manage users. Make another user an admin first "
            "(PUT /users/NAME/groups or: approvals users set-groups NAME --groups admin)"
        )


def _is_active_admin(conn: Connection, user_id: int) -> bool:
    row = conn.execute(
        select(users.c.active, user_groups.c.group_name)
        .select_from(
            users.outerjoin(
                user_groups, (user_groups.c.user_id == users.c.id) & (user_groups.c.group_name == ADMIN)
            )
        )
        .where(users.c.id == user_id)
    ).first()
    return row is not None and bool(row.active) and row.group_name == ADMIN
