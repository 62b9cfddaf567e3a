"""Users, tokens and logging in: /auth/login, /me, /users."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request, url_for

from api.operation import Reply, operation
from api.schemas.users import (
    GroupsBody,
    LoginBody,
    NewUserBody,
    NewUserSchema,
    PreferencesBody,
    TokenBody,
    TokenSchema,
    UserListSchema,
    UserSchema,
)
from engine import Engine
from engine.actor import Actor
from engine.identity import UNCHANGED, UserInfo

bp = Blueprint("users", __name__)


@bp.post("/auth/login")
@operation(
    "Exchange a user name and password for a new API token",
    description="Failed logins are throttled per user name and per client address: after a few "
    "failures each further one blocks for 1 s, 2 s, 4 s … (capped). A blocked login is answered 429 "
    "with a Retry-After header, whatever the password. A user logging in from an address they have "
    "logged in from before is not held by their user name's back-off, only by the address's own.",
    body=LoginBody,
    response=TokenSchema,
    public=True,
    errors=(401, 429),
)
def login(engine: Engine, actor: None, body: dict[str, Any]) -> dict[str, str]:
    # The TCP peer: behind a reverse proxy every login shares the proxy's address (see
    # docs/configuration.md, "Login throttling").
    address = request.remote_addr or "unknown"
    return {"token": engine.identity.login(body["username"], body["password"], address=address)}


@bp.get("/me")
@operation(
    "Who am I: my user name, display name, groups, language and time zone", response=UserSchema, errors=(404,)
)
def me(engine: Engine, actor: Actor) -> UserInfo:
    return engine.identity.get_user(actor.name)


@bp.patch("/me/preferences")
@operation(
    "Set my web UI language and/or time zone",
    description="Only the fields sent change; null clears one (the UI then follows the browser).",
    body=PreferencesBody,
    response=UserSchema,
    errors=(404,),
)
def set_my_preferences(engine: Engine, actor: Actor, body: dict[str, Any]) -> UserInfo:
    return _set_preferences(engine, actor, actor.name, body)


@bp.patch("/users/<name>/preferences")
@operation(
    "Set a user's web UI language and/or time zone (admins for anyone; every user for themself)",
    body=PreferencesBody,
    response=UserSchema,
    errors=(404,),
)
def set_preferences(engine: Engine, actor: Actor, name: str, body: dict[str, Any]) -> UserInfo:
    return _set_preferences(engine, actor, name, body)


def _set_preferences(engine: Engine, actor: Actor, name: str, body: dict[str, Any]) -> UserInfo:
    return engine.identity.set_preferences(
        name,
        locale=body.get("locale", UNCHANGED),
        time_zone=body.get("time_zone", UNCHANGED),
        actor=actor,
    )


@bp.get("/users")
@operation("List users and their groups (admins)", response=UserListSchema)
def list_users(engine: Engine, actor: Actor) -> dict[str, Any]:
    return {"items": engine.identity.list_users(actor)}


@bp.post("/users")
@operation(
    "Add a user (admins); the answer holds their first API token, shown once",
    description="Groups that do not exist yet are created. Without a password the user cannot log "
    "in, only use tokens.",
    body=NewUserBody,
    response=NewUserSchema,
    status=201,
    response_headers={"Location": {"schema": {"type": "string"}, "description": "the users list"}},
    errors=(409,),
)
def add_user(engine: Engine, actor: Actor, body: dict[str, Any]) -> Reply:
    user, token = engine.identity.add_user(
        body["name"],
        body["groups"],
        display_name=body.get("display_name"),
        password=body.get("password"),
        actor=actor,
    )
    return Reply({"user": user, "token": token}, headers={"Location": url_for("users.list_users")})


@bp.put("/users/<name>/groups")
@operation(
    "Replace a user's groups (admins)",
    body=GroupsBody,
    response=UserSchema,
    errors=(404, 409),
)
def set_groups(engine: Engine, actor: Actor, name: str, body: dict[str, Any]) -> UserInfo:
    return engine.identity.set_groups(name, body["groups"], actor=actor)


@bp.post("/users/<name>/tokens")
@operation(
    "Issue a new API token (admins for anyone; every user for themself)",
    body=TokenBody,
    response=TokenSchema,
    status=201,
    errors=(404,),
)
def issue_token(engine: Engine, actor: Actor, name: str, body: dict[str, Any]) -> dict[str, str]:
    return {"token": engine.identity.issue_token(name, body.get("label"), actor=actor)}
