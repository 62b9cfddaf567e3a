"""Signing in to the web UI: the session cookie, CSRF on every form, sign-out, and what a stolen or
forged request gets."""

from __future__ import annotations

import httpx

from tests.web.conftest import PASSWORD, Ui, csrf_of


def test_a_page_sends_a_stranger_to_sign_in_and_back(ui: Ui) -> None:
    visitor = ui.visitor()
    answer = visitor.get("/ui/requests?page=2")
    assert answer.status_code == 302
    assert answer.headers["location"] == "/ui/sign-in?next=%2Fui%2Frequests%3Fpage%3D2"
    page = visitor.get(answer.headers["location"])
    signed = visitor.post(
        "/ui/sign-in",
        data={
            "name": "sam",
            "password": PASSWORD,
            "csrf_token": csrf_of(page),
            "next": "/ui/requests?page=2",
        },
    )
    assert signed.status_code == 302 and signed.headers["location"] == "/ui/requests?page=2"
    assert visitor.get("/ui/requests").status_code == 200


def test_the_session_cookie_is_httponly_samesite_and_scoped_to_the_ui(ui: Ui) -> None:
    visitor = ui.visitor()
    page = visitor.get("/ui/sign-in")
    signed = visitor.post(
        "/ui/sign-in", data={"name": "sam", "password": PASSWORD, "csrf_token": csrf_of(page)}
    )
    cookie = next(
        v for k, v in signed.headers.multi_items() if k == "set-cookie" and "approvals_session=" in v
    )
    flags = {part.strip().split("=")[0].lower() for part in cookie.split(";")}
    assert {"httponly", "path", "max-age"} <= flags and "samesite=lax" in cookie.lower()
    assert "secure" not in flags  # plain HTTP here; behind TLS it is Secure (next test)
    # The cookie is an engine token: it does not open the API, which wants it as a bearer token.
    token = visitor.cookies["approvals_session"]
    assert httpx.get(ui.url + "/api/v1/me", cookies={"approvals_session": token}).status_code == 401


def test_the_cookie_is_secure_behind_tls(ui: Ui) -> None:
    from server.app import create_app
    from server.settings import ServerSettings

    app = create_app(ui.engine, ServerSettings(secure_cookies=True))
    client = app.test_client()
    page = client.get("/ui/sign-in")
    signed = client.post(
        "/ui/sign-in", data={"name": "sam", "password": PASSWORD, "csrf_token": csrf_of(page)}
    )
    cookie = next(
        v for k, v in signed.headers.items() if k.lower() == "set-cookie" and "approvals_session" in v
    )
    assert "Secure" in cookie
    over_tls = app.test_client().get("/ui/sign-in", base_url="https://approvals.example")
    assert over_tls.status_code == 200


def test_a_wrong_password_keeps_the_name_and_sets_no_session(ui: Ui) -> None:
    visitor = ui.visitor()
    page = visitor.get("/ui/sign-in")
    refused = visitor.post(
        "/ui/sign-in", data={"name": "sam", "password": "wrong password", "csrf_token": csrf_of(page)}
    )
    assert refused.status_code == 401
    assert "Unknown user name or wrong password" in refused.text and 'value="sam"' in refused.text
    assert "approvals_session" not in visitor.cookies
    assert "Traceback" not in refused.text


def test_every_form_needs_its_csrf_token(ui: Ui) -> None:
    sam = ui.signed_in("sam")
    # No token, another session's token, a token from before sign-in: all refused with 403.
    assert sam.post("/ui/sign-out").status_code == 403
    sue = ui.signed_in("sue")
    sues_token = csrf_of(sue.get("/ui/inbox"))
    refused = sam.post("/ui/sign-out", data={"csrf_token": sues_token})
    assert refused.status_code == 403 and "text/html" in refused.headers["content-type"]
    assert sam.get("/ui/inbox").status_code == 200  # still signed in
    # The right token from another site's page: refused by its Origin.
    token = csrf_of(sam.get("/ui/inbox"))
    foreign = sam.post("/ui/sign-out", data={"csrf_token": token}, headers={"Origin": "https://evil.example"})
    assert foreign.status_code == 403
    # htmx sends the token as a header.
    assert sam.post("/ui/sign-out", headers={"X-CSRF-Token": token}).status_code == 302


def test_the_sign_in_form_itself_needs_its_token(ui: Ui) -> None:
    visitor = ui.visitor()
    refused = visitor.post("/ui/sign-in", data={"name": "sam", "password": PASSWORD})
    assert refused.status_code == 403 and "approvals_session" not in visitor.cookies
    # A token that is not the one this browser's cookie holds (login CSRF): refused.
    other = ui.visitor()
    forged = other.post("/ui/sign-in", data={"name": "sam", "password": PASSWORD, "csrf_token": "0" * 64})
    assert forged.status_code == 403


def test_sign_out_revokes_the_session_on_the_server(ui: Ui) -> None:
    sam = ui.signed_in("sam")
    stolen = sam.cookies["approvals_session"]
    signed_out = sam.post("/ui/sign-out", data={"csrf_token": csrf_of(sam.get("/ui/inbox"))})
    assert signed_out.status_code == 302 and signed_out.headers["location"] == "/ui/sign-in"
    replay = httpx.get(ui.url + "/ui/inbox", cookies={"approvals_session": stolen})
    assert replay.status_code == 302 and replay.headers["location"].startswith("/ui/sign-in")


def test_deactivating_a_user_ends_their_sessions(ui: Ui) -> None:
    sam = ui.signed_in("sam")
    assert sam.get("/ui/inbox").status_code == 200
    ui.engine.identity.set_active("sam", False)
    assert sam.get("/ui/inbox").status_code == 302


def test_sign_in_never_redirects_off_the_ui(ui: Ui) -> None:
    for target in ("https://evil.example/", "//evil.example/ui/", "/api/v1/me", "/ui\\..\\x"):
        visitor = ui.visitor()
        page = visitor.get("/ui/sign-in")
        signed = visitor.post(
            "/ui/sign-in",
            data={"name": "sam", "password": PASSWORD, "csrf_token": csrf_of(page), "next": target},
        )
        assert signed.headers["location"] == "/ui/inbox", target


def test_repeated_wrong_passwords_are_throttled_with_a_page(ui: Ui) -> None:
    visitor = ui.visitor()
    token = csrf_of(visitor.get("/ui/sign-in"))
    statuses = [
        visitor.post(
            "/ui/sign-in", data={"name": "sue", "password": f"guess {i}", "csrf_token": token}
        ).status_code
        for i in range(12)
    ]
    assert statuses[0] == 401 and statuses[-1] == 429
    last = visitor.post("/ui/sign-in", data={"name": "sue", "password": PASSWORD, "csrf_token": token})
    assert last.status_code == 429 and "try again in" in last.text


def test_a_session_holds_on_another_server_process_and_sign_out_there_ends_it_here(ui: Ui) -> None:
    from engine import Engine
    from server.app import create_app
    from server.settings import ServerSettings
    from tests.api.conftest import serve

    other_engine = Engine(ui.engine.settings)  # a second server on the same database, its own caches
    other_url, stop = serve(create_app(other_engine, ServerSettings()))
    try:
        sam = ui.signed_in("sam")
        cookie = {"approvals_session": sam.cookies["approvals_session"]}
        with httpx.Client(base_url=other_url, cookies=cookie, timeout=30) as there:
            assert there.get("/ui/requests").status_code == 200
            token = csrf_of(there.get("/ui/requests"))
            assert there.post("/ui/sign-out", data={"csrf_token": token}).status_code == 302
        assert httpx.get(ui.url + "/ui/requests", cookies=cookie).status_code == 302  # ended here too
    finally:
        stop()
        other_engine.close()
