"""A user's language and time zone: set in the engine and over HTTP, checked, kept, their own."""

from __future__ import annotations

import pytest

from engine import Engine
from engine.errors import InvalidInput, PermissionDenied
from tests.api.conftest import Api, assert_problem
from tests.factories import add_users


def test_preferences_are_kept_across_a_fresh_engine(make_engine) -> None:
    engine = make_engine()
    people = add_users(engine, fay="finance")
    assert (engine.identity.get_user("fay").locale, engine.identity.get_user("fay").time_zone) == (None, None)
    info = engine.identity.set_preferences("fay", locale="zh", time_zone="Asia/Shanghai", actor=people["fay"])
    assert (info.locale, info.time_zone) == ("zh", "Asia/Shanghai")

    fresh: Engine = make_engine()  # another process: nothing but the database is shared
    assert (fresh.identity.get_user("fay").locale, fresh.identity.get_user("fay").time_zone) == (
        "zh",
        "Asia/Shanghai",
    )
    # One left out stays; None clears only the one named.
    fresh.identity.set_preferences("fay", locale="en", actor=people["fay"])
    fresh.identity.set_preferences("fay", time_zone=None, actor=people["fay"])
    user = engine.identity.get_user("fay")
    assert (user.locale, user.time_zone) == ("en", None)
    assert [u.locale for u in engine.identity.list_users()] == ["en"]


def test_unknown_values_are_refused_naming_the_field_and_what_is_valid(engine: Engine) -> None:
    fay = add_users(engine, fay="finance")["fay"]
    with pytest.raises(InvalidInput, match=r"'locale'.*en, zh"):
        engine.identity.set_preferences("fay", locale="fr", actor=fay)
    with pytest.raises(InvalidInput, match=r"'time_zone'.*did you mean Asia/Shanghai"):
        engine.identity.set_preferences("fay", time_zone="Asia/Shanghia", actor=fay)
    with pytest.raises(InvalidInput, match=r"'time_zone'.*e\.g\. Asia/Shanghai"):
        engine.identity.set_preferences("fay", time_zone="../../etc/passwd", actor=fay)
    # A valid language next to a bad zone: nothing is written.
    with pytest.raises(InvalidInput):
        engine.identity.set_preferences("fay", locale="zh", time_zone="Mars/Olympus", actor=fay)
    assert engine.identity.get_user("fay").locale is None


def test_someone_elses_preferences_are_an_admins_business(engine: Engine) -> None:
    people = add_users(engine, fay="finance", fred="finance", root="admin")
    with pytest.raises(PermissionDenied, match="admin group"):
        engine.identity.set_preferences("fred", locale="zh", actor=people["fay"])
    assert engine.identity.get_user("fred").locale is None
    assert engine.identity.set_preferences("fred", locale="zh", actor=people["root"]).locale == "zh"


def test_over_http_me_shows_them_and_patch_sets_only_ones_own(api: Api) -> None:
    fay = api.client("fay")
    assert (fay.get("/me").json()["locale"], fay.get("/me").json()["time_zone"]) == (None, None)
    response = fay.patch("/me/preferences", json={"locale": "zh", "time_zone": "Asia/Shanghai"})
    assert response.status_code == 200, response.text
    assert (response.json()["locale"], response.json()["time_zone"]) == ("zh", "Asia/Shanghai")
    assert fay.get("/me").json()["time_zone"] == "Asia/Shanghai"
    # Only what is sent changes.
    assert fay.patch("/me/preferences", json={"time_zone": None}).json()["locale"] == "zh"

    # The engine's own message (the OpenAPI document lists both sets of values as enums).
    body = assert_problem(fay.patch("/me/preferences", json={"locale": "klingon"}), 400)
    assert body["problems"][0]["field"] == "locale" and "en, zh" in body["problems"][0]["message"]
    body = assert_problem(fay.patch("/me/preferences", json={"time_zone": "Europe/Berlinn"}), 400)
    assert "did you mean Europe/Berlin" in body["problems"][0]["message"]
    assert fay.get("/me").json()["locale"] == "zh"

    assert_problem(fay.patch("/users/sam/preferences", json={"locale": "en"}), 403)
    assert api.engine.identity.get_user("sam").locale is None
    assert api.client("root").patch("/users/sam/preferences", json={"locale": "en"}).json()["locale"] == "en"
