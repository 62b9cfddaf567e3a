"""Users, tokens and logging in: /auth/login, /me, /users."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, url_for

from api.operation import Reply, operation
from api.schemas.users import (
    GroupsBody,
    LoginBody,
    NewUserBody,
    NewUserSchema,
    TokenBody,
    TokenSchema,
    UserListSchema,
    UserSchema,
)
from engine import Engine
from engine.identity.actor import ADMIN, Actor
from engine.identity.service import UserInfo

bp = Blueprint("users", __name__)

ADMINS = (ADMIN,)


@bp.post("/auth/login")
@operation(
    "Exchange a user name and password for a new API token",
    body=LoginBody,
    response=TokenSchema,
    public=True,
    errors=(401,),
)
def login(engine: Engine, actor: None, body: dict[str, Any]) -> dict[str, str]:
    return {"token": engine.identity.login(body["username"], body["password"])}


@bp.get("/me")
@operation("Who am I: my user name, display name and groups", response=UserSchema, errors=(404,))
def me(engine: Engine, actor: Actor) -> UserInfo:
    return engine.identity.get_user(actor.name)


@bp.get("/users")
@operation("List users and their groups (admins)", response=UserListSchema, groups=ADMINS)
def list_users(engine: Engine, actor: Actor) -> dict[str, Any]:
    return {"items": engine.identity.list_users()}


@bp.post("/users")
@operation(
    "Add a user (admins); the answer holds their first API token, shown once",
    description="Groups that do not exist yet are created. Without a password the user cannot log "
    "in, only use tokens.",
    body=NewUserBody,
    response=NewUserSchema,
    status=201,
    response_headers={"Location": {"schema": {"type": "string"}, "description": "the users list"}},
    writes=True,
    groups=ADMINS,
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
    writes=True,
    groups=ADMINS,
    errors=(404,),
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
