"""Password hashing (Argon2id), the upgrade from scrypt, and answers that do not tell users apart."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select, update

from engine import Engine
from engine.errors import AuthenticationFailed
from engine.identity.credentials import legacy_scrypt_hash
from engine.store.schema import users

PASSWORD = "correct horse battery"


@pytest.fixture
def engine(make_engine: Callable[..., Engine]) -> Engine:
    # Plenty of failures allowed: these tests are about hashing, not throttling.
    return make_engine(login_user_free_failures=1000, login_address_free_failures=1000)


def stored_hash(engine: Engine, name: str) -> str | None:
    with engine.db.read() as conn:
        return conn.scalar(select(users.c.password_hash).where(users.c.name == name))


def store_hash(engine: Engine, name: str, value: str | None) -> None:
    with engine.db.transaction() as conn:
        conn.execute(update(users).where(users.c.name == name).values(password_hash=value))


@pytest.fixture
def verifications(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every Argon2 verification the process runs (a spy: the real one still runs)."""
    seen: list[str] = []
    real = PasswordHasher.verify

    def spy(self: PasswordHasher, hash: str, password: str) -> bool:
        seen.append(hash)
        return real(self, hash, password)

    monkeypatch.setattr(PasswordHasher, "verify", spy)
    return seen


def test_passwords_are_stored_as_argon2id_at_the_configured_cost(make_engine) -> None:
    engine = make_engine(password_memory_kib=9000, password_time_cost=3)
    engine.identity.add_user("fay", ["finance"], password=PASSWORD)
    stored = stored_hash(engine, "fay")
    assert stored.startswith("$argon2id$") and "m=9000,t=3,p=1" in stored
    assert PASSWORD not in stored
    engine.identity.set_password("fay", "another password")
    assert stored_hash(engine, "fay") != stored
    assert engine.identity.login("fay", "another password").startswith("apr_")


def test_a_legacy_scrypt_hash_still_logs_in_and_is_rehashed(engine: Engine) -> None:
    engine.identity.add_user("fay", ["finance"])
    legacy = legacy_scrypt_hash(PASSWORD)
    store_hash(engine, "fay", legacy)
    with pytest.raises(AuthenticationFailed):
        engine.identity.login("fay", "wrong password")
    assert stored_hash(engine, "fay") == legacy  # a failed login changes nothing
    engine.identity.login("fay", PASSWORD)
    upgraded = stored_hash(engine, "fay")
    assert upgraded.startswith("$argon2id$")
    engine.identity.login("fay", PASSWORD)
    assert stored_hash(engine, "fay") == upgraded  # rehashed once, not on every login


def test_a_hash_of_an_older_cost_is_rehashed_at_the_new_one(make_engine) -> None:
    old = make_engine(password_memory_kib=8192, password_time_cost=1)
    old.identity.add_user("fay", ["finance"], password=PASSWORD)
    assert "m=8192,t=1" in stored_hash(old, "fay")
    new = make_engine(password_memory_kib=9000, password_time_cost=2)
    new.identity.login("fay", PASSWORD)
    assert "m=9000,t=2" in stored_hash(new, "fay")


@pytest.mark.parametrize("broken", ["scrypt$not-hex$zz", "scrypt$", "$argon2id$garbage", "plain text", ""])
def test_a_broken_stored_hash_refuses_the_login_without_an_error(engine: Engine, broken: str) -> None:
    engine.identity.add_user("fay", ["finance"])
    store_hash(engine, "fay", broken)
    with pytest.raises(AuthenticationFailed, match="unknown user name or wrong password"):
        engine.identity.login("fay", PASSWORD)


def test_every_failed_login_costs_one_hash_whoever_it_names(engine: Engine, verifications) -> None:
    """Unknown, deactivated and password-less users are checked against a dummy hash, so that their
    answer takes as long as a real user's with a wrong password (and says the same)."""
    engine.identity.add_user("fay", ["finance"], password=PASSWORD)
    engine.identity.add_user("gone", ["finance"], password=PASSWORD)
    engine.identity.set_active("gone", False)
    engine.identity.add_user("tokens_only", ["finance"])
    engine.identity.login("fay", PASSWORD)  # makes the dummy hash: the first login pays for it once
    messages = {}
    for name in ("fay", "nobody", "gone", "tokens_only"):
        verifications.clear()
        with pytest.raises(AuthenticationFailed) as failure:
            engine.identity.login(name, "wrong password" if name == "fay" else PASSWORD)
        assert len(verifications) == 1, name
        messages[name] = failure.value.message
    assert len(set(messages.values())) == 1


def test_a_deactivated_user_with_the_right_password_is_refused(engine: Engine) -> None:
    engine.identity.add_user("fay", ["finance"], password=PASSWORD)
    engine.identity.add_user("root", ["admin"])
    engine.identity.set_active("fay", False)
    with pytest.raises(AuthenticationFailed):
        engine.identity.login("fay", PASSWORD)
