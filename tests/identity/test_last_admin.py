"""The last active admin cannot lose the admin group or be deactivated, not even by two admins at once."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from sqlalchemy import func, select

from engine import Engine
from engine.actor import ADMIN
from engine.errors import Conflict
from engine.store.schema import user_groups, users


def active_admins(engine: Engine) -> list[str]:
    with engine.db.read() as conn:
        return sorted(
            conn.scalars(
                select(users.c.name)
                .join(user_groups, user_groups.c.user_id == users.c.id)
                .where(user_groups.c.group_name == ADMIN, users.c.active.is_(True))
            )
        )


def test_the_last_admin_keeps_the_admin_group(engine: Engine) -> None:
    engine.identity.add_user("root", ["admin", "finance"])
    root = engine.identity.actor("root")
    with pytest.raises(
        Conflict, match=r"cannot remove the admin group from 'root': they are the last active admin"
    ):
        engine.identity.set_groups("root", ["finance"], actor=root)
    assert engine.identity.get_user("root").groups == ["admin", "finance"]
    # Other changes to their groups are fine.
    assert engine.identity.set_groups("root", ["admin"], actor=root).groups == ["admin"]


def test_the_last_admin_cannot_be_deactivated(engine: Engine) -> None:
    engine.identity.add_user("root", ["admin"])
    with pytest.raises(Conflict, match="cannot deactivate 'root'"):
        engine.identity.set_active("root", False)
    assert engine.identity.get_user("root").active


def test_with_a_second_admin_one_may_go_but_not_both(engine: Engine) -> None:
    engine.identity.add_user("root", ["admin"])
    engine.identity.add_user("ada", ["admin"])
    engine.identity.set_groups("root", ["sales"], actor=engine.identity.actor("root"))
    with pytest.raises(Conflict):
        engine.identity.set_active("ada", False)
    # Once root is an admin again, ada may leave the group.
    engine.identity.set_groups("root", ["admin"])
    engine.identity.set_active("ada", False)
    assert active_admins(engine) == ["root"]


def test_a_deactivated_admin_does_not_count(engine: Engine) -> None:
    engine.identity.add_user("root", ["admin"])
    engine.identity.add_user("ada", ["admin"])
    engine.identity.set_active("ada", False)
    with pytest.raises(Conflict):
        engine.identity.set_groups("root", [])
    # Reactivating ada brings a second admin back.
    engine.identity.set_active("ada", True)
    engine.identity.set_groups("root", [])
    assert active_admins(engine) == ["ada"]


def test_users_who_are_not_admins_change_freely_and_installations_without_admins_work(engine: Engine) -> None:
    engine.identity.add_user("fay", ["finance"])
    engine.identity.set_groups("fay", [])
    engine.identity.set_active("fay", False)
    engine.identity.add_user("root", ["admin"])
    engine.identity.add_user("sam", ["sales"])
    engine.identity.set_active("sam", False)
    engine.identity.set_active("fay", True)
    assert active_admins(engine) == ["root"]


def _race(engine: Engine, jobs: list[Callable[[], object]]) -> list[object]:
    start = threading.Barrier(len(jobs))
    results: list[object] = [None] * len(jobs)

    def run(i: int) -> None:
        start.wait()
        try:
            results[i] = jobs[i]()
        except Exception as exc:  # recorded, so that the test sees any error, expected or not
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(jobs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.mark.parametrize("change", ["groups", "deactivate"])
def test_two_admins_removing_each_other_at_once_leave_one(
    make_engine: Callable[..., Engine], change: str
) -> None:
    """Each on its own engine (as two server processes would be), in a loop to catch the interleaving."""
    first, second = make_engine(), make_engine()
    first.identity.add_user("root", ["admin"])
    first.identity.add_user("ada", ["admin"])
    root, ada = first.identity.actor("root"), second.identity.actor("ada")
    for _ in range(15):

        def remove(engine: Engine, name: str, actor: object) -> Callable[[], object]:
            if change == "groups":
                return lambda: engine.identity.set_groups(name, ["sales"], actor=actor)
            return lambda: engine.identity.set_active(name, False, actor=actor)

        results = _race(first, [remove(first, "ada", root), remove(second, "root", ada)])
        refused = [r for r in results if isinstance(r, Conflict)]
        assert len(refused) == 1, results
        assert len(active_admins(first)) == 1
        # Put both back for the next round.
        for name in ("root", "ada"):
            first.identity.set_active(name, True)
            first.identity.set_groups(name, ["admin"])


def test_the_admin_group_row_counts_nothing_by_itself(engine: Engine) -> None:
    engine.identity.add_groups(["admin"])
    engine.identity.add_user("fay", ["finance"])
    engine.identity.set_active("fay", False)  # an admin group with no members protects no one
    with engine.db.read() as conn:
        assert conn.scalar(select(func.count()).select_from(user_groups)) == 1


def test_two_admins_changing_one_users_groups_at_once_end_with_one_of_the_two(
    make_engine: Callable[..., Engine],
) -> None:
    """Each change replaces the user's groups whole: one wins, never an error or a mix of both."""
    first, second = make_engine(), make_engine()
    first.identity.add_user("root", ["admin"])
    first.identity.add_user("fay", ["finance", "admin"])
    choices = (["finance", "sales"], ["finance", "legal", "admin"])
    for _ in range(15):
        results = _race(
            first,
            [
                lambda: first.identity.set_groups("fay", choices[0]),
                lambda: second.identity.set_groups("fay", choices[1]),
            ],
        )
        assert all(not isinstance(r, Exception) for r in results), results
        assert first.identity.get_user("fay").groups in (sorted(choices[0]), sorted(choices[1]))
