"""The web UI in Debian's Chromium (tests/browser.py): helpers to sign in, fill forms, size the
window like a phone, and save screenshots to build/screenshots/ (docs/ui.md shows them)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser import WAIT, chromium
from tests.conftest import REPO
from tests.web.conftest import PASSWORD, Ui

SCREENSHOTS = REPO / "build" / "screenshots"
PHONE = {"width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": True}


@pytest.fixture
def browser() -> Iterator[object]:
    yield from chromium()


class Page:
    """One person's browser on the UI."""

    def __init__(self, driver: object, ui: Ui) -> None:
        from selenium.common.exceptions import StaleElementReferenceException
        from selenium.webdriver.support.ui import WebDriverWait

        self.driver = driver
        self.ui = ui
        # htmx replaces elements in place: one read between a swap's removal and insertion is retried.
        self.wait = WebDriverWait(driver, WAIT, ignored_exceptions=(StaleElementReferenceException,))

    def open(self, path: str) -> None:
        self.driver.get(self.ui.url + path)

    def find(self, css: str):
        from selenium.webdriver.common.by import By

        return self.wait.until(lambda d: d.find_element(By.CSS_SELECTOR, css))

    def all(self, css: str) -> list:
        from selenium.webdriver.common.by import By

        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def text(self) -> str:
        return self.find("main").text

    def sign_in(self, name: str) -> None:
        self.driver.delete_all_cookies()
        self.open("/ui/sign-in")
        self.find("#name").send_keys(name)
        self.find("#password").send_keys(PASSWORD)
        self.find(".sign-in button[type=submit]").click()
        self.wait.until(lambda d: "/ui/sign-in" not in d.current_url)

    def as_phone(self) -> None:
        self.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", PHONE)

    def as_laptop(self) -> None:
        self.driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})

    def fill(self, name: str, value: str) -> None:
        field = self.find(f'[name="{name}"]')
        tag, kind = field.tag_name, field.get_attribute("type")
        if tag == "select":
            from selenium.webdriver.support.ui import Select

            Select(field).select_by_value(value)
        elif kind in ("date", "number"):
            # Chromium's date widget types in the browser's locale; set the value as a script would.
            self.driver.execute_script("arguments[0].value = arguments[1]", field, value)
        elif kind == "checkbox":
            if field.is_selected() != (value == "true"):
                field.click()
        elif kind == "radio":
            self.find(f'[name="{name}"][value="{value}"]').click()
        else:
            field.clear()
            field.send_keys(value)

    def submit(self, css: str = "main form button.primary[type=submit]") -> None:
        button = self.find(css)
        self.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", button)
        button.click()

    def shot(self, name: str) -> Path:
        """Save the whole page (not just the window) as build/screenshots/<name>.png."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        metrics = self.driver.execute_cdp_cmd("Page.getLayoutMetrics", {})
        size = metrics["cssContentSize"]
        width = self.driver.execute_script("return window.innerWidth")
        mobile = width <= PHONE["width"]
        self.driver.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride",
            {
                **(PHONE if mobile else {"width": width, "deviceScaleFactor": 1, "mobile": False}),
                "height": min(int(size["height"]) + 1, 6000),
            },
        )
        self.driver.save_screenshot(str(path))
        if mobile:
            self.as_phone()
        else:
            self.as_laptop()
        return path


@pytest.fixture
def page(browser: object, ui: Ui) -> Page:
    return Page(browser, ui)
