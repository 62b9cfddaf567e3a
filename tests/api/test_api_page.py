"""The interactive API page (Swagger UI) in a real browser: Debian's Chromium, driven by Selenium.

It must render every operation from files this server serves itself (no CDN: users' machines may
have no internet), and a person must be able to authorize with a token and call an operation.

The browser: tests/browser.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from tests.api.conftest import Api
from tests.browser import WAIT, chromium


@pytest.fixture
def browser() -> Iterator[object]:
    yield from chromium()


def test_the_api_page_works_offline_and_calls_the_api(api: Api, browser) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ready
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(browser, WAIT)
    browser.get(api.url + "/api/v1/docs")  # redirects to the page
    wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, ".opblock")) >= 25)
    assert browser.current_url == api.url + "/api/v1/docs/"
    assert "marketing-approvals API" in browser.find_element(By.CSS_SELECTOR, ".info .title").text

    loaded = browser.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
    assert any(url.endswith("swagger-ui-bundle.js") for url in loaded)
    assert any(url.endswith("/api/v1/openapi.json") for url in loaded)
    origin = urlsplit(api.url).netloc
    assert {urlsplit(url).netloc for url in loaded if not url.startswith("data:")} == {origin}

    browser.find_element(By.CSS_SELECTOR, ".btn.authorize").click()
    token_input = wait.until(ready.visibility_of_element_located((By.CSS_SELECTOR, ".modal-ux input")))
    token_input.send_keys(api.tokens["fay"])
    browser.find_element(By.CSS_SELECTOR, ".modal-ux .auth-btn-wrapper .authorize").click()
    browser.find_element(By.CSS_SELECTOR, ".modal-ux .btn-done").click()

    operation = browser.find_element(By.ID, "operations-users-users_me")
    operation.find_element(By.CSS_SELECTOR, ".opblock-summary-control").click()
    wait.until(lambda d: operation.find_elements(By.CSS_SELECTOR, ".try-out__btn"))[0].click()
    wait.until(lambda d: operation.find_elements(By.CSS_SELECTOR, ".execute"))[0].click()
    status = wait.until(
        lambda d: operation.find_elements(
            By.CSS_SELECTOR, ".live-responses-table .response .response-col_status"
        )
    )[0]
    assert status.text.strip() == "200"
    body = operation.find_element(By.CSS_SELECTOR, ".live-responses-table .response-col_description pre").text
    assert '"name": "fay"' in body and '"finance"' in body
