"""Every main page in both languages, for docs/ui.md: each is also checked to be in the language asked
(its navigation and headings), so a screenshot of an untranslated page fails rather than ships."""

from __future__ import annotations

import pytest
from selenium.webdriver.support.ui import Select

from tests.web.browser.conftest import Page
from tests.web.conftest import Ui
from tests.web.test_employee_pages import start_contract

pytestmark = pytest.mark.slow

INBOX = {"en": "Inbox", "zh": "待办"}


def switch(page: Page, locale: str) -> None:
    Select(page.find("#language-choice")).select_by_value(locale)
    page.wait.until(lambda d: page.find("nav a[href='/ui/inbox']").text == INBOX[locale])


def test_screenshots_of_every_main_page_in_both_languages(page: Page, ui: Ui) -> None:
    instance_id, task_id = start_contract(ui)
    start_contract(ui, customer="Globex", amount=2_400_000, standard_template=False)
    for locale in ("en", "zh"):
        page.driver.delete_all_cookies()
        page.as_phone()
        page.open("/ui/sign-in")
        Select(page.find("#language-choice")).select_by_value(locale)
        page.wait.until(
            lambda d, locale=locale: (
                d.find_element("css selector", "html").get_attribute("lang")[:2] == locale
            )
        )
        page.shot(f"sign-in-phone-{locale}")
        page.sign_in("mona")
        switch(page, locale)
        page.open("/ui/inbox")
        page.find(".task")
        page.shot(f"inbox-phone-{locale}")
        page.open(f"/ui/tasks/{task_id}")
        page.wait.until(lambda d: d.find_element("id", "diagram").get_attribute("data-ready") == "true")
        page.shot(f"task-phone-{locale}")
        page.as_laptop()
        page.sign_in("sam")
        switch(page, locale)
        page.open("/ui/start/contract_review")
        page.find("#f-customer")
        page.shot(f"start-{locale}")
        page.open("/ui/requests")
        page.find(".request")
        page.shot(f"my-requests-{locale}")
        page.open(f"/ui/requests/{instance_id}")
        page.wait.until(lambda d: d.find_element("id", "diagram").get_attribute("data-ready") == "true")
        page.shot(f"request-{locale}")
