"""An auditor in Chromium opens a completed contract review that went round the rework loop once:
the path on the diagram with its loop badges, the trail tied to the diagram both ways, the decision
with its matched rule, "trail intact" — and, after a history row is altered in the database, the
page names the broken event."""

from __future__ import annotations

from sqlalchemy import update

from engine.store.schema import history_events
from tests.web.audited import reworked_contract
from tests.web.browser.conftest import Page
from tests.web.conftest import Ui


def diagram_ready(page: Page) -> None:
    page.wait.until(lambda d: d.find_element("id", "diagram").get_attribute("data-ready") == "true")


def show_only(page: Page, group: str) -> None:
    for box in page.all("#kinds input[name=kind]"):
        if (box.get_attribute("value") == group) != box.is_selected():
            box.click()


def visible_events(page: Page) -> list[str]:
    return [li.get_attribute("data-element") for li in page.all("#timeline li.event") if li.is_displayed()]


def test_an_auditor_follows_the_path_the_trail_and_a_broken_chain(page: Page, ui: Ui) -> None:
    iid = reworked_contract(ui.engine)
    reworked_contract(ui.engine, customer="Globex")  # another, which the search must leave out
    key = ui.engine.runtime.get(iid, ui.engine.identity.actor("ann")).business_key
    page.sign_in("ann")
    page.find('nav a[href="/ui/instances"]').click()
    page.find(".filters-box summary").click()  # the filters fold away until a search is made
    page.fill("key", key)
    page.submit("form.filters button[type=submit]")
    links = page.wait.until(lambda d: page.all(f'td a[href="/ui/instances/{iid}"]'))
    assert len(page.all("table.results tbody tr")) == 1
    links[0].click()
    diagram_ready(page)
    assert "Trail intact" in page.find("#chain").text
    badges = {
        b.find_element("xpath", "../..").get_attribute("data-container-id"): b.text
        for b in page.all(".djs-overlay .loop-badge")
    }
    assert badges.get("manager_review") == "×2" and badges.get("finance_review") == "×2"
    assert page.all('.djs-element.done[data-element-id="record_signing"]')
    assert page.all('.djs-element.taken[data-element-id="Flow_all_agree_to_rejected"]')
    assert not page.all('.djs-element.done[data-element-id="vp_approval"]')

    # the trail's step selects the element on the diagram, and shows only that step's events
    page.find('#timeline button[data-select="finance_review"]').click()
    page.wait.until(lambda d: page.all('.djs-element.selected[data-element-id="finance_review"]'))
    assert set(visible_events(page)) == {"finance_review"}
    # a click on the diagram does the same the other way
    page.find("#clear-selection").click()
    page.find('button[data-zoom="fit"]').click()
    page.find('.djs-element[data-element-id="manager_review"] .djs-hit').click()
    page.wait.until(lambda d: set(visible_events(page)) == {"manager_review"})
    page.find("#clear-selection").click()

    # filtered by kind without a reload: only the decisions
    show_only(page, "decisions")
    assert visible_events(page) and all(
        li.get_attribute("data-group") == "decisions"
        for li in page.all("#timeline li.event")
        if li.is_displayed()
    )
    page.shot("instance-laptop-en")
    matched = page.all("table.dmn tr.matched")
    assert any(r.get_attribute("data-rule") == "contract_approval_level_rule_1" for r in matched)
    assert not page.all("main form[method=post]")  # an auditor changes nothing

    with ui.engine.db.transaction() as conn:
        conn.execute(
            update(history_events)
            .where((history_events.c.instance_id == iid) & (history_events.c.seq == 8))
            .values(actor="mallory")
        )
    page.open(f"/ui/instances/{iid}")
    diagram_ready(page)
    assert "Trail broken at event 8" in page.find("#chain").text
    page.find("#chain a").click()
    broken = page.find("#event-8")
    assert "broken" in broken.get_attribute("class") and broken.is_displayed()
    show_only(page, "tasks")
    page.shot("instance-broken-laptop-en")


def test_the_instance_page_in_chinese_on_a_phone(page: Page, ui: Ui) -> None:
    iid = reworked_contract(ui.engine)
    ui.engine.identity.set_preferences("ann", locale="zh")
    page.sign_in("ann")
    page.as_phone()
    page.open(f"/ui/instances/{iid}")
    diagram_ready(page)
    assert "审计记录完整" in page.find("#chain").text
    assert page.driver.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")
    show_only(page, "decisions")
    page.shot("instance-phone-zh")
