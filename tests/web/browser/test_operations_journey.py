"""An admin in Chromium: the operations page shows an incident with its cause, Retry moves it on, and a
suspended request is resumed with a reason; labelled and readable, with screenshots in both languages
for docs/ui.md."""

from __future__ import annotations

import pytest
from selenium.webdriver.support.ui import Select

from engine.actor import SYSTEM
from engine.clock import ManualClock
from tests.incidents.scenario import make_incidents
from tests.web.browser.conftest import Page
from tests.web.browser.test_accessibility import audit
from tests.web.conftest import PASSWORD, Ui

pytestmark = pytest.mark.slow


def test_an_admin_retries_an_incident_and_resumes_a_request(page: Page, ui: Ui, clock: ManualClock) -> None:
    ui.engine.identity.add_user("root", ["admin"], password=PASSWORD)
    made = make_incidents(ui.engine, clock)
    ui.engine.runtime.suspend(made.call, SYSTEM, "waiting for the child model")
    page.as_laptop()
    page.sign_in("root")
    page.open("/ui/operations")
    row = page.find(f"#incident-external_task-{made.external_task_id}")
    assert "the ledger is down" in row.text and "EXT-1" in row.text
    page.shot("operations-en")
    audit(page)  # every field labelled, every text readable

    button = page.find(f"#incident-external_task-{made.external_task_id} button")
    page.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", button)
    button.click()
    page.wait.until(lambda d: "The incident of EXT-1 was retried." in page.text())
    assert not page.all(f"#incident-external_task-{made.external_task_id}")
    assert ui.engine.incidents.counts(SYSTEM)["external_task"] == 0

    page.find(f"#suspended-{made.call} .action-resume summary").click()
    page.submit(f"#suspended-{made.call} .action-resume button[type=submit]")  # no reason given
    page.wait.until(lambda d: "Please give a reason" in page.text())
    assert page.find(f"#reason-resume-{made.call}").get_attribute("aria-invalid") == "true"
    page.shot("instance-action-error-en")
    page.find(f"#reason-resume-{made.call}").send_keys("the child model is deployed")
    page.submit(".action-resume button[type=submit]")
    page.wait.until(lambda d: "Request CALL-1 was resumed." in page.text())
    assert "/ui/operations" in page.driver.current_url
    assert ui.engine.runtime.get(made.call, SYSTEM).status == "running"

    ui.engine.runtime.suspend(made.timer, SYSTEM, "night batch on hold")
    Select(page.find("#language-choice")).select_by_value("zh")
    page.wait.until(lambda d: page.find("h1").text == "运维")
    page.open("/ui/operations")
    page.find(f"#suspended-{made.timer} .action-resume summary").click()
    page.shot("operations-zh")
    audit(page)
