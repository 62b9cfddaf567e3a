"""Who is calling: the API authenticates; what they may do, the engine decides (engine/access.py)."""

from __future__ import annotations

from flask import Request

from engine import Engine
from engine.actor import Actor
from engine.errors import AuthenticationFailed

SCHEME = "bearer"


def bearer_token(request: Request) -> str:
    header = request.headers.get("Authorization", "")
    if not header:
        raise AuthenticationFailed("send an API token: Authorization: Bearer <token>")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != SCHEME or not token.strip():
        raise AuthenticationFailed("the Authorization header must be: Bearer <token>")
    return token.strip()


def authenticate(engine: Engine, request: Request) -> Actor:
    return engine.identity.authenticate(bearer_token(request))
