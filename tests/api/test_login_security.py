"""Logging in over HTTP under attack: throttling (429, Retry-After), equal answers, the last admin."""

from __future__ import annotations

import threading
from datetime import timedelta

import httpx
import pytest

from engine import Engine
from tests.api.conftest import PASSWORD, Api, assert_problem


def login(client: httpx.Client, name: str, password: str) -> httpx.Response:
    return client.post("/auth/login", json={"username": name, "password": password})


@pytest.fixture
def fay(api: Api) -> Api:
    api.engine.identity.set_password("fay", PASSWORD)
    return api


def test_wrong_passwords_then_429_with_retry_after_even_for_the_right_one(fay: Api, clock) -> None:
    anonymous = fay.client()
    free = fay.engine.settings.login_user_free_failures
    for _ in range(free + 1):
        assert_problem(login(anonymous, "fay", "wrong password"), 401, "authentication-required")
    response = login(anonymous, "fay", PASSWORD)
    body = assert_problem(response, 429, "too-many-login-attempts")
    assert response.headers["retry-after"] == "1"
    assert "try again in 1 s" in body["detail"] and body["title"] == "Too many login attempts"
    # Refused attempts do not count: knocking during the back-off does not make it longer.
    for _ in range(5):
        assert login(anonymous, "fay", PASSWORD).headers["retry-after"] == "1"
    clock.advance(timedelta(seconds=1))
    assert login(anonymous, "fay", PASSWORD).status_code == 200


def test_the_attack_from_the_issue_300_guesses_then_the_right_password(fay: Api, clock) -> None:
    """300 wrong passwords in a row used to be answered 401 each, and the right one then 200."""
    anonymous = fay.client()
    statuses = [login(anonymous, "fay", f"guess {n}").status_code for n in range(300)]
    tried = statuses.count(401)
    assert tried == fay.engine.settings.login_user_free_failures + 1
    assert statuses.count(429) == 300 - tried
    response = login(anonymous, "fay", PASSWORD)
    assert response.status_code == 429


def test_one_address_trying_many_user_names_is_throttled(fay: Api) -> None:
    anonymous = fay.client()
    free = fay.engine.settings.login_address_free_failures
    for n in range(free + 1):
        assert login(anonymous, f"user{n}", "guess").status_code == 401
    response = login(anonymous, "fay", PASSWORD)  # a name never tried, but the same address
    assert_problem(response, 429)
    assert "from this address" in response.json()["detail"] and int(response.headers["retry-after"]) >= 1


def test_unknown_deactivated_and_password_less_users_get_the_same_answer_as_a_wrong_password(
    fay: Api,
) -> None:
    fay.engine.identity.set_password("fred", PASSWORD)
    fay.engine.identity.set_active("fred", False)
    anonymous = fay.client()
    answers = []
    for name, password in (
        ("fay", "wrong password"),
        ("ghost", PASSWORD),
        ("fred", PASSWORD),
        ("sam", PASSWORD),
    ):
        response = login(anonymous, name, password)
        body = assert_problem(response, 401)
        answers.append((response.headers.get("www-authenticate"), body["detail"], body["title"]))
    assert len(set(answers)) == 1


def test_the_last_admin_cannot_remove_their_own_admin_group(api: Api) -> None:
    admin = api.client("root")
    response = admin.put("/users/root/groups", json={"groups": ["finance"]})
    body = assert_problem(response, 409, "conflict")
    assert "last active admin" in body["detail"] and "'root'" in body["detail"]
    assert admin.get("/me").json()["groups"] == ["admin"]
    # With a second admin, it is allowed.
    assert admin.put("/users/fred/groups", json={"groups": ["admin", "finance"]}).status_code == 200
    assert admin.put("/users/root/groups", json={"groups": ["finance"]}).json()["groups"] == ["finance"]
    fred = api.client("fred")
    assert_problem(fred.put("/users/fred/groups", json={"groups": []}), 409)
    assert fred.get("/users").status_code == 200


def test_two_admins_removing_each_other_over_http_leave_one(api: Api) -> None:
    api.client("root").put("/users/fred/groups", json={"groups": ["admin"]}).raise_for_status()
    start = threading.Barrier(2)
    statuses: dict[str, int] = {}

    def remove(actor: str, target: str) -> None:
        client = api.client(actor)
        start.wait()
        statuses[actor] = client.put(f"/users/{target}/groups", json={"groups": ["sales"]}).status_code

    threads = [threading.Thread(target=remove, args=pair) for pair in (("root", "fred"), ("fred", "root"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # The second is refused: as the last admin (409), or, if the first already took its group, as no
    # longer an admin (403). Either way one admin is left.
    assert sorted(statuses.values()) in ([200, 403], [200, 409])
    admins = [u for u in api.engine.identity.list_users() if "admin" in u.groups and u.active]
    assert len(admins) == 1


def test_a_login_succeeds_after_the_back_off_and_resets_it(fay: Api, clock) -> None:
    engine: Engine = fay.engine
    anonymous = fay.client()
    for _ in range(engine.settings.login_user_free_failures + 2):
        login(anonymous, "fay", "wrong password")
    retry = int(login(anonymous, "fay", PASSWORD).headers["retry-after"])
    clock.advance(timedelta(seconds=retry))
    token = login(anonymous, "fay", PASSWORD).json()["token"]
    assert anonymous.get("/me", headers={"Authorization": f"Bearer {token}"}).json()["name"] == "fay"
    # The address had failures too, but the user's counter starts again from nothing.
    assert login(anonymous, "fay", "wrong password").status_code == 401
