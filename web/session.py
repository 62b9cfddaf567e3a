"""Who is signed in to the web UI, and the CSRF check on every form.

A sign-in exchanges the user name and password for a token from the engine's identity service (the
same login, throttle and Argon2 hashes as the API's ``POST /login``), kept in an HttpOnly cookie.
The session therefore lives in the database, not in a signed cookie: sign-out revokes it on every
server at once, deactivating a user ends their sessions, and the server needs no secret of its own.

CSRF: every form carries a token that only a page of this site can know.
- Signed in: the token is an HMAC of the session token, so it needs no storage and a cross-site page,
  which cannot read the HttpOnly cookie, cannot compute it.
- The sign-in form (no session yet): a random cookie and the same value in the form (double submit).
- Every unsafe request must also come from this origin when the browser says where it comes from.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from urllib.parse import urlsplit

from flask import Response, abort, g, request

from engine import Engine
from engine.actor import Actor
from engine.errors import AuthenticationFailed

SESSION_COOKIE = "approvals_session"
FORM_COOKIE = "approvals_form"  # the sign-in form's double-submit value
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"  # htmx requests send the token here (base.html sets hx-headers)
SESSION_SECONDS = 12 * 3600  # the browser forgets the cookie after a working day
COOKIE_PATH = "/ui/"


def _secure(secure_cookies: bool | None) -> bool:
    # Unset: secure exactly when the request came over TLS (as the browser saw it).
    return request.is_secure if secure_cookies is None else secure_cookies


def _set(response: Response, name: str, value: str, max_age: int, secure_cookies: bool | None) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=COOKIE_PATH,
        httponly=True,
        samesite="Lax",  # a link from an e-mail or chat opens the task signed in; a cross-site POST does not
        secure=_secure(secure_cookies),
    )


def current_actor(engine: Engine) -> Actor | None:
    """The signed-in user of this request, or None; asked of the database once per request."""
    if "actor" not in g:
        token = request.cookies.get(SESSION_COOKIE, "")
        actor = None
        if token:
            try:
                actor = engine.identity.authenticate(token)
            except AuthenticationFailed:
                actor = None  # revoked, or its user deactivated: signed out
        g.actor = actor
    return g.actor


def sign_in(
    engine: Engine, response: Response, name: str, password: str, secure_cookies: bool | None
) -> None:
    token = engine.identity.login(name, password, request.remote_addr or "unknown", label="web session")
    _set(response, SESSION_COOKIE, token, SESSION_SECONDS, secure_cookies)
    response.delete_cookie(FORM_COOKIE, path=COOKIE_PATH)


def sign_out(engine: Engine, response: Response) -> None:
    token = request.cookies.get(SESSION_COOKIE, "")
    if token:
        engine.identity.revoke_token(token)
    response.delete_cookie(SESSION_COOKIE, path=COOKIE_PATH)


def csrf_token() -> str:
    """The token this request's forms carry (signed in: bound to the session; else the form cookie)."""
    session = request.cookies.get(SESSION_COOKIE, "")
    if session and g.get("actor") is not None:
        return hmac.new(session.encode(), b"csrf", hashlib.sha256).hexdigest()
    if "form_cookie" not in g:
        g.form_cookie = request.cookies.get(FORM_COOKIE) or secrets.token_hex(32)
    return g.form_cookie


def keep_form_cookie(response: Response, secure_cookies: bool | None) -> Response:
    """Send the sign-in form's double-submit cookie when this response created one."""
    value = g.get("form_cookie")
    if value and request.cookies.get(FORM_COOKIE) != value:
        _set(response, FORM_COOKIE, value, 3600, secure_cookies)
    return response


def check_csrf() -> None:
    """Refuse (403) an unsafe request that a page of this site did not send."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    origin = request.headers.get("Origin")
    if origin and origin != "null" and urlsplit(origin).netloc != request.host:
        abort(403, description="this form was sent from another site")
    sent = request.form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER) or ""
    if not sent or not hmac.compare_digest(sent, csrf_token()):
        abort(
            403,
            description="the form has expired or was not sent from this site: reload the page and try again",
        )
