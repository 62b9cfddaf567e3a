"""The web UI on a real HTTP server around a real engine, with the bundled processes deployed and a
few people who sign in with passwords; tests talk to it with httpx (tests/web/test_*) or Chromium
(tests/web/browser)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
import pytest

from engine import Engine
from server.app import create_app
from server.settings import ServerSettings
from tests.api.conftest import (
    api,  # noqa: F401 (a live HTTP server from server.app.create_app)
    serve,
)
from tests.process_models.conftest import deploy_model

PASSWORD = "correct horse battery"
PEOPLE = {
    "sam": ["sales_rep"],
    "sue": ["sales_rep"],
    "mona": ["sales_manager"],
    "milo": ["sales_manager"],
    "fay": ["finance"],
    "ann": ["auditor"],
}
MODELS = ("contract_review", "price_float")
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class Ui:
    url: str
    engine: Engine
    browsers: list[httpx.Client] = field(default_factory=list)

    def visitor(self) -> httpx.Client:
        """A browser-like client: keeps cookies, does not follow redirects (tests look at them)."""
        client = httpx.Client(base_url=self.url, timeout=30)
        self.browsers.append(client)
        return client

    def signed_in(self, name: str) -> httpx.Client:
        client = self.visitor()
        page = client.get("/ui/sign-in")
        answer = client.post(
            "/ui/sign-in",
            data={"name": name, "password": PASSWORD, "csrf_token": csrf_of(page), "next": "/ui/inbox"},
        )
        assert answer.status_code == 302, answer.text
        return client


def csrf_of(page: httpx.Response) -> str:
    found = CSRF.search(page.text)
    assert found, "the page has no CSRF token"
    return found.group(1)


@pytest.fixture
def ui(engine: Engine) -> Iterator[Ui]:
    for key in MODELS:
        deploy_model(engine, key)
    for name, groups in PEOPLE.items():
        engine.identity.add_user(name, groups, password=PASSWORD)
    url, stop = serve(create_app(engine, ServerSettings()))
    running = Ui(url, engine)
    yield running
    for client in running.browsers:
        client.close()
    stop()
