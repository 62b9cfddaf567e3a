"""The employee's side of the web UI in Chromium, as issue 12 asks it to be checked: a sales rep
starts a contract review and finds it under My requests; the sales manager, on a 390-px phone, finds
it in the inbox, submits the form once with an error (shown at its field) and then approves; the
language switch changes the labels; a user without rights gets no button and a 403 on the URL."""

from __future__ import annotations

import re

import pytest

from engine.tasks import TaskQuery
from tests.web.browser.conftest import Page
from tests.web.conftest import Ui

pytestmark = pytest.mark.slow

CONTRACT = {
    "customer": "ACME Trading",
    "customer_type": "existing",
    "amount": "120000",
    "lines.0.product": "P-100",
    "lines.0.quantity": "10",
    "lines.0.unit_price": "12000",
    "lines.0.base_price": "12000",
    "payment_term_days": "30",
    "delivery_date": "2026-12-20",
    "standard_template": "true",
    "available_credit": "5000000",
}


def start_contract(page: Page) -> str:
    page.open("/ui/start")
    page.find('a[href="/ui/start/contract_review"]').click()
    for name, value in CONTRACT.items():
        page.fill(name, value)
    page.submit()
    number = page.find("h1.request-number").text
    assert re.fullmatch(r"HT-\d{4}-\d{6}", number), number
    return number


def test_a_contract_review_from_request_to_approval(page: Page, ui: Ui) -> None:
    page.sign_in("sam")
    number = start_contract(page)
    assert "has been submitted" in page.text() and "Sales manager review" in page.text()
    page.open("/ui/requests")
    row = page.find(".request")
    assert number in row.text and "Sales manager review" in row.text and "In progress" in row.text

    page.sign_in("mona")
    page.as_phone()
    assert page.driver.execute_script("return window.innerWidth") == 390
    page.open("/ui/inbox")
    row = page.find(".task")
    assert number in row.text and "Sales manager review" in row.text
    # Nothing on the page is wider than the phone: no sideways scrolling.
    assert page.driver.execute_script("return document.documentElement.scrollWidth") <= 390
    # Claim from the list: htmx swaps the row in place, the page does not reload.
    page.driver.execute_script("window.notReloaded = true")
    row.find_element("css selector", "form[action$='/claim'] button").click()
    page.wait.until(lambda d: "Claimed by you" in page.find(".task").text)
    assert page.driver.execute_script("return window.notReloaded === true")
    page.find(".task a.task-name").click()
    assert "ACME Trading" in page.text() and "120,000" in page.text()
    page.fill("decision", "reject")
    page.submit()
    error = page.find('[id^="comment"][id$="error"], #comment-error, .field-error')
    assert error.is_displayed() and error.text
    # What was typed is kept: the decision is still "reject".
    assert page.find('[name="decision"][value="reject"]').is_selected()
    page.shot("task-error-phone-en")
    page.fill("decision", "approve")
    page.submit()
    page.wait.until(lambda d: "/ui/inbox" in d.current_url)
    assert "Done" in page.text()

    task = ui.engine.tasks.list(ui.engine.identity.actor("sam"), TaskQuery(status="completed"))
    assert [t.element_id for t in task] == ["manager_review"] and task[0].completed_by == "mona"


def test_the_language_switch_changes_labels_and_is_remembered(page: Page, ui: Ui) -> None:
    page.sign_in("sam")
    page.open("/ui/inbox")
    assert page.find("nav a[href='/ui/inbox']").text == "Inbox"
    from selenium.webdriver.support.ui import Select

    Select(page.find("#language-choice")).select_by_value("zh")
    page.wait.until(lambda d: page.find("nav a[href='/ui/inbox']").text != "Inbox")
    assert page.find("nav a[href='/ui/inbox']").text == "待办"
    page.open("/ui/start/contract_review")
    assert "客户" in page.text() and "合同金额" in page.text()
    # Remembered for the user, not the browser: a fresh browser signing in gets Chinese.
    page.sign_in("sam")
    assert page.find("nav a[href='/ui/inbox']").text == "待办"


def test_no_button_without_the_right_and_403_on_the_url(page: Page, ui: Ui) -> None:
    page.sign_in("sam")
    start_contract(page)
    task = ui.engine.tasks.list(
        ui.engine.identity.actor("mona"), TaskQuery(mine=ui.engine.identity.actor("mona"))
    )[0]
    # The requester sees the task of his own request, without a claim button or a form.
    page.open(f"/ui/tasks/{task.id}")
    assert page.find("h1").text == "Sales manager review"
    assert not page.all("form[action$='/claim']") and not page.all("[name='decision']")
    # Finance is no candidate of the manager's review: the URL answers 403.
    page.sign_in("fay")
    page.open(f"/ui/tasks/{task.id}")
    assert page.find("h1").text == "Not allowed"
    page.shot("forbidden-en")
