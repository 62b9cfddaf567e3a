"""Login throttling: back-off per user name and per client address, shared by every process."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from engine import Engine
from engine.actor import Actor
from engine.clock import ManualClock
from engine.errors import AuthenticationFailed, InvalidInput, PermissionDenied, TooManyAttempts
from engine.store.schema import login_throttle

PASSWORD = "correct horse battery"


@pytest.fixture
def make(make_engine: Callable[..., Engine]) -> Callable[..., Engine]:
    """An engine with fay (a password set) and a cheap password hash, throttled as told."""

    def build(**overrides: object) -> Engine:
        engine = make_engine(password_memory_kib=8192, password_time_cost=1, **overrides)
        if not any(u.name == "fay" for u in engine.identity.list_users()):
            engine.identity.add_user("fay", ["finance"], password=PASSWORD)
        return engine

    return build


def outcome(engine: Engine, name: str, password: str, address: str) -> str | int:
    """'ok', 'wrong', or the seconds a throttled attempt is told to wait."""
    try:
        engine.identity.login(name, password, address=address)
    except AuthenticationFailed:
        return "wrong"
    except TooManyAttempts as exc:
        return exc.retry_after
    return "ok"


def test_user_backoff_doubles_from_one_second_up_to_its_cap(make, clock: ManualClock) -> None:
    engine = make(login_user_free_failures=3, login_user_max_delay=20, login_address_free_failures=1000)
    # Every guess from a new address: only the user name's counter applies.
    for n in range(3):
        assert outcome(engine, "fay", "guess", f"10.0.0.{n}") == "wrong"
    waits = []
    for n in range(8):
        assert outcome(engine, "fay", "guess", f"10.0.1.{n}") == "wrong"
        wait = outcome(engine, "fay", "guess", f"10.0.2.{n}")
        assert isinstance(wait, int)
        waits.append(wait)
        clock.advance(timedelta(seconds=wait))
    assert waits == [1, 2, 4, 8, 16, 20, 20, 20]


def test_a_blocked_login_waits_even_with_the_right_password_then_succeeds_and_resets(
    make, clock: ManualClock
) -> None:
    engine = make(login_user_free_failures=2, login_user_max_delay=60)
    for _ in range(3):
        assert outcome(engine, "fay", "guess", "10.0.0.1") == "wrong"
    # A new address the user never logged in from: the user name's back-off holds it.
    assert outcome(engine, "fay", PASSWORD, "10.0.0.2") == 1
    clock.advance(timedelta(seconds=1))
    assert outcome(engine, "fay", PASSWORD, "10.0.0.2") == "ok"
    # The success cleared the user's counter: two free failures again, no waiting.
    assert outcome(engine, "fay", "guess", "10.0.0.3") == "wrong"
    assert outcome(engine, "fay", "guess", "10.0.0.3") == "wrong"
    assert outcome(engine, "fay", PASSWORD, "10.0.0.3") == "ok"


def test_attackers_elsewhere_cannot_keep_a_user_out_of_an_address_they_logged_in_from(
    make, clock: ManualClock
) -> None:
    engine = make(login_user_free_failures=2, login_user_max_delay=300)
    assert outcome(engine, "fay", PASSWORD, "192.168.1.7") == "ok"  # fay's desk
    # A botnet keeps fay's user name in back-off, one guess per window, each from a fresh address.
    for n in range(3):
        assert outcome(engine, "fay", "guess", f"203.0.113.{n}") == "wrong"
    for n in range(12):
        wait = outcome(engine, "fay", "guess", f"198.51.100.{n}")
        assert isinstance(wait, int)
        clock.advance(timedelta(seconds=wait))
        assert outcome(engine, "fay", "guess", f"203.0.114.{n}") == "wrong"
    assert outcome(engine, "fay", PASSWORD, "10.9.9.9") == 300  # a new place waits
    assert outcome(engine, "fay", PASSWORD, "192.168.1.7") == "ok"  # her desk does not


def test_a_known_address_does_not_escape_its_own_address_backoff(make) -> None:
    engine = make(login_user_free_failures=2, login_address_free_failures=3)
    assert outcome(engine, "fay", PASSWORD, "192.168.1.7") == "ok"
    for _ in range(4):
        assert outcome(engine, "fay", "guess", "192.168.1.7") == "wrong"
    assert outcome(engine, "fay", PASSWORD, "192.168.1.7") == 1


def test_one_address_trying_many_names_is_blocked(make, clock: ManualClock, caplog) -> None:
    engine = make(login_address_free_failures=4, login_address_max_delay=3600)
    for n in range(5):
        assert outcome(engine, f"user{n}", "guess", "203.0.113.9") == "wrong"
    assert "login back-off: address 203.0.113.9 blocked until" in caplog.text  # for the operator
    assert outcome(engine, "fay", PASSWORD, "203.0.113.9") == 1
    assert outcome(engine, "fay", PASSWORD, "10.0.0.1") == "ok"  # the user is not blocked elsewhere
    waits = []
    for n in range(14):
        clock.advance(timedelta(seconds=waits[-1] if waits else 1))
        assert outcome(engine, f"spray{n}", "guess", "203.0.113.9") == "wrong"
        wait = outcome(engine, "fay", PASSWORD, "203.0.113.9")
        assert isinstance(wait, int)
        waits.append(wait)
    assert waits[:4] == [2, 4, 8, 16] and waits[-1] == 3600


def test_unknown_user_names_are_throttled_exactly_like_real_ones(make, clock: ManualClock) -> None:
    engine = make(login_user_free_failures=2, login_address_free_failures=1000)

    def sequence(name: str) -> list[str | int]:
        seen = []
        for n in range(8):
            result = outcome(engine, name, "guess", f"10.1.{n}.1")
            seen.append(result)
            if isinstance(result, int):
                clock.advance(timedelta(seconds=result))
        return seen

    real, ghost = sequence("fay"), sequence("ghost")
    assert real == ghost == ["wrong", "wrong", "wrong", 1, "wrong", 2, "wrong", 4]


def test_logging_in_to_ones_own_account_between_guesses_forgives_nothing(make) -> None:
    engine = make(login_address_free_failures=4)
    engine.identity.add_user("mallory", ["sales"], password="mallorys password")
    for n in range(5):
        assert outcome(engine, f"victim{n}", "guess", "203.0.113.9") == "wrong"
        # Her own successful logins do not count, nor do they take back her failures.
        if n < 4:
            assert outcome(engine, "mallory", "mallorys password", "203.0.113.9") == "ok"
    assert outcome(engine, "mallory", "mallorys password", "203.0.113.9") == 1


def test_a_success_does_not_count_against_its_address(make) -> None:
    # An office behind one address: many people logging in never block it.
    engine = make(login_address_free_failures=2)
    for _ in range(20):
        assert outcome(engine, "fay", PASSWORD, "192.168.1.1") == "ok"
    assert outcome(engine, "ghost", "guess", "192.168.1.1") == "wrong"


def test_failures_are_forgotten_a_while_after_the_last_one(make, clock: ManualClock) -> None:
    engine = make(login_user_free_failures=2, login_forget_after=600, login_address_free_failures=1000)
    for n in range(3):
        assert outcome(engine, "fay", "guess", f"10.0.0.{n}") == "wrong"
    clock.advance(timedelta(seconds=599))
    assert outcome(engine, "fay", "guess", "10.0.1.1") == "wrong"  # 4th failure, still remembered
    assert outcome(engine, "fay", "guess", "10.0.1.2") == 2
    clock.advance(timedelta(seconds=602))  # the 2 s back-off ended 600 s ago
    for n in range(3):
        assert outcome(engine, "fay", "guess", f"10.0.2.{n}") == "wrong"


def test_the_counters_are_shared_by_every_server_process(make) -> None:
    first, second = make(login_user_free_failures=2), make(login_user_free_failures=2)
    assert outcome(first, "fay", "guess", "10.0.0.1") == "wrong"
    assert outcome(second, "fay", "guess", "10.0.0.2") == "wrong"
    assert outcome(first, "fay", "guess", "10.0.0.3") == "wrong"
    assert outcome(second, "fay", PASSWORD, "10.0.0.4") == 1


def test_concurrent_guesses_cannot_slip_through_before_the_first_failure_is_written(make) -> None:
    """Counted before the password is checked: of 12 simultaneous guesses, only the free ones and the
    one that starts the back-off get to try a password."""
    engine = make(login_user_free_failures=3, login_address_free_failures=1000)
    start = threading.Barrier(12)
    results: list[str | int] = []

    def guess(n: int) -> None:
        start.wait()
        results.append(outcome(engine, "fay", f"guess {n}", f"10.0.0.{n}"))

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results, key=str) == [1] * 8 + ["wrong"] * 4


def test_sprayed_user_names_do_not_pile_up(make, clock: ManualClock) -> None:
    engine = make(login_address_free_failures=1000, login_forget_after=600)
    for n in range(30):
        outcome(engine, f"spray{n}", "guess", f"10.0.{n}.1")

    def rows() -> int:
        with engine.db.read() as conn:
            return conn.scalar(select(func.count()).select_from(login_throttle))

    assert rows() == 60
    clock.advance(timedelta(seconds=601))
    outcome(engine, "fay", "guess", "10.9.9.9")
    assert rows() == 2  # only the attempt's own address and user name remain


def test_long_names_and_addresses_are_counted_without_breaking(make) -> None:
    engine = make(login_user_free_failures=1)
    name = "x" * 5000
    assert outcome(engine, name, "guess", "a" * 300) == "wrong"
    assert outcome(engine, name, "guess", "b" * 300) == "wrong"
    assert outcome(engine, name, "guess", "c" * 300) == 1


def test_an_admin_lifts_a_back_off(make) -> None:
    engine = make(login_user_free_failures=1, login_address_free_failures=1)
    for _ in range(3):
        outcome(engine, "fay", "guess", "10.0.0.1")
    assert outcome(engine, "fay", PASSWORD, "10.0.0.2") == 1  # the user name is blocked
    assert outcome(engine, "ghost", "guess", "10.0.0.1") == 1  # and the address
    with pytest.raises(PermissionDenied):
        engine.identity.unblock_login("fay", actor=Actor("fay", frozenset({"finance"})))
    with pytest.raises(InvalidInput):
        engine.identity.unblock_login()
    assert engine.identity.unblock_login("fay") == 1
    assert outcome(engine, "fay", PASSWORD, "10.0.0.2") == "ok"
    assert outcome(engine, "ghost", "guess", "10.0.0.1") == 1
    assert engine.identity.unblock_login(address="10.0.0.1") == 1
    assert outcome(engine, "ghost", "guess", "10.0.0.1") == "wrong"


def test_an_ipv6_client_is_counted_by_its_64_network(make) -> None:
    engine = make(login_address_free_failures=3, login_user_free_failures=1000)
    for n in range(4):
        assert outcome(engine, f"user{n}", "guess", f"2001:db8:0:1::{n + 1:x}") == "wrong"
    # Any other address of that /64 is the same client; the next /64 and IPv4 are others.
    assert outcome(engine, "fay", PASSWORD, "2001:db8:0:1:ffff:1:2:3") == 1
    assert outcome(engine, "fay", PASSWORD, "2001:db8:0:2::1") == "ok"
    for n in range(4):
        assert outcome(engine, f"user{n}", "guess", "::ffff:192.0.2.7") == "wrong"
    assert outcome(engine, "fay", PASSWORD, "192.0.2.7") == 1  # IPv4-mapped is the IPv4 address
    assert outcome(engine, "fay", PASSWORD, "not an address") == "ok"
    assert engine.identity.unblock_login(address="2001:db8:0:1::99") == 1
    assert outcome(engine, "fay", PASSWORD, "2001:db8:0:1::1") == "ok"


def test_a_refused_attempt_takes_no_write_lock(make) -> None:
    """A flood of blocked logins must not queue up behind (or hold up) other writers: it is refused
    from a read, while another transaction holds the write lock (SQLite) or the rows (PostgreSQL)."""
    engine = make(login_user_free_failures=0, login_address_free_failures=1000)
    assert outcome(engine, "fay", "guess", "10.0.0.1") == "wrong"  # fay's name is blocked for 1 s
    answers: list[str | int] = []
    with engine.db.transaction() as holder:
        holder.execute(select(login_throttle).with_for_update()).all()
        attempt = threading.Thread(
            target=lambda: answers.append(outcome(engine, "fay", PASSWORD, "10.0.0.2"))
        )
        attempt.start()
        attempt.join(timeout=5)
        answered_while_locked = not attempt.is_alive()
    attempt.join()
    assert answered_while_locked and answers == [1]
