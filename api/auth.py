"""Who is calling, and the route-level checks the API adds on top of the engine's own.

The engine decides most of what a user may do (candidates, segregation of duties, visibility);
these checks only refuse earlier and more plainly, never allow more:
- a route may be limited to some groups (deploying: process owners and admins);
- members of ``auditor`` read everything but change nothing: every write route refuses them.
"""

from __future__ import annotations

from collections.abc import Collection

from flask import Request

from engine import Engine
from engine.errors import AuthenticationFailed, PermissionDenied
from engine.identity.actor import AUDITOR, Actor

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


def check_route_access(actor: Actor, groups: Collection[str] | None, writes: bool) -> None:
    if groups is not None and not actor.in_any(*groups):
        raise PermissionDenied(f"only members of {', '.join(sorted(groups))} may do this")
    if writes and actor.in_any(AUDITOR):
        raise PermissionDenied("auditors have read-only access: they change nothing")
