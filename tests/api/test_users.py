"""Tokens, logging in, /me and user administration over HTTP."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from engine.identity.credentials import token_hash
from engine.store.schema import api_tokens
from tests.api.conftest import PASSWORD, Api, assert_problem


def test_a_token_is_needed_and_must_be_known(api: Api) -> None:
    anonymous = api.client()
    body = assert_problem(anonymous.get("/me"), 401, "authentication-required")
    assert "Bearer" in body["detail"]
    for header in ("Basic c2FtOnNhbQ==", "Bearer", "Bearer apr_not_a_real_token", "apr_no_scheme"):
        response = anonymous.get("/me", headers={"Authorization": header})
        assert_problem(response, 401)
        assert response.headers["www-authenticate"] == 'Bearer realm="approvals"'


def test_me_says_who_i_am(api: Api) -> None:
    me = api.client("fay").get("/me").json()
    assert (me["name"], me["groups"], me["active"]) == ("fay", ["finance"], True)
    # the scheme is case-insensitive
    response = api.client().get("/me", headers={"Authorization": "bearer " + api.tokens["ann"]})
    assert response.json()["groups"] == ["auditor"]


def test_login_gives_a_working_token(api: Api) -> None:
    api.engine.identity.set_password("fay", PASSWORD)
    anonymous = api.client()
    response = anonymous.post("/auth/login", json={"username": "fay", "password": PASSWORD})
    assert response.status_code == 200
    token = response.json()
    assert token["token_type"] == "Bearer" and token["token"].startswith("apr_")
    me = anonymous.get("/me", headers={"Authorization": "Bearer " + token["token"]})
    assert me.json()["name"] == "fay"
    assert_problem(anonymous.post("/auth/login", json={"username": "fay", "password": "wrong password"}), 401)
    assert_problem(anonymous.post("/auth/login", json={"username": "ghost", "password": PASSWORD}), 401)
    assert_problem(
        anonymous.post("/auth/login", json={"username": "sam", "password": PASSWORD}), 401
    )  # none set
    assert_problem(anonymous.post("/auth/login", json={"username": "fay"}), 400)


def test_a_deactivated_users_tokens_stop_working(api: Api) -> None:
    client = api.client("fay")
    assert client.get("/me").status_code == 200
    api.engine.identity.set_active("fay", False)
    assert_problem(client.get("/me"), 401)


def test_admins_add_users_who_can_then_work(api: Api) -> None:
    admin = api.client("root")
    response = admin.post(
        "/users",
        json={
            "name": "nina",
            "groups": ["finance", "new_team"],
            "display_name": "Nina",
            "password": "longenough",
        },
    )
    assert response.status_code == 201
    created = response.json()
    assert created["user"] == {
        **created["user"],
        "name": "nina",
        "display_name": "Nina",
        "groups": ["finance", "new_team"],
    }
    assert response.headers["location"].endswith("/api/v1/users")
    nina = api.client()
    assert nina.get("/me", headers={"Authorization": "Bearer " + created["token"]}).json()["name"] == "nina"
    assert nina.post("/auth/login", json={"username": "nina", "password": "longenough"}).status_code == 200
    names = [u["name"] for u in admin.get("/users").json()["items"]]
    assert "nina" in names and names == sorted(names)

    assert_problem(admin.post("/users", json={"name": "nina", "groups": []}), 409, "conflict")
    assert_problem(admin.post("/users", json={"name": "bad name!", "groups": []}), 400)
    assert_problem(admin.post("/users", json={"name": "x", "groups": ["Not A Group"]}), 400)
    assert_problem(admin.post("/users", json={"name": "x", "password": "short"}), 400)


def test_admins_replace_groups(api: Api) -> None:
    admin = api.client("root")
    user = admin.put("/users/fred/groups", json={"groups": ["legal", "finance"]}).json()
    assert user["groups"] == ["finance", "legal"]
    assert api.client("fred").get("/me").json()["groups"] == ["finance", "legal"]
    assert_problem(api.client("olga").put("/users/fred/groups", json={"groups": ["admin"]}), 403, "forbidden")
    # nobody makes themself an admin
    assert_problem(api.client("fay").put("/users/fay/groups", json={"groups": ["admin"]}), 403)
    assert api.client("fay").get("/me").json()["groups"] == ["finance"]


def test_tokens_for_oneself_or_by_an_admin(api: Api) -> None:
    own = api.client("fay").post("/users/fay/tokens", json={"label": "laptop"})
    assert own.status_code == 201
    assert (
        api.client().get("/me", headers={"Authorization": "Bearer " + own.json()["token"]}).json()["name"]
        == "fay"
    )
    assert api.client("ann").post("/users/ann/tokens").status_code == 201  # auditors may renew their own
    assert_problem(api.client("fay").post("/users/fred/tokens"), 403)
    assert_problem(api.client("ann").post("/users/fay/tokens"), 403)
    assert api.client("root").post("/users/fred/tokens").status_code == 201


def test_users_list_is_for_admins(api: Api) -> None:
    for user in ("fay", "olga", "ann"):
        assert_problem(api.client(user).get("/users"), 403)
    assert len(api.client("root").get("/users").json()["items"]) == 8


def test_a_tokens_last_use_is_recorded_at_most_once_a_minute(api: Api, clock) -> None:
    def last_used() -> object:
        with api.engine.db.read() as conn:
            return conn.scalar(
                select(api_tokens.c.last_used_at).where(
                    api_tokens.c.token_hash == token_hash(api.tokens["fay"])
                )
            )

    assert last_used() is None
    client = api.client("fay")
    client.get("/me").raise_for_status()
    first_use = clock.now()
    assert last_used() == first_use
    clock.advance(timedelta(seconds=59))
    client.get("/me").raise_for_status()
    assert last_used() == first_use  # within the minute: authenticating wrote nothing
    clock.advance(timedelta(seconds=1))
    client.get("/tasks").raise_for_status()
    assert last_used() == clock.now()
