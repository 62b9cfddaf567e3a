"""The heat map in Chromium: the overlays sit on the tasks that have figures, in both languages; the
screenshots are docs/ui.md's (build/screenshots/processes-*.png, heatmap-*.png)."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest

from tests.process_models.conftest import Process
from tests.process_models.test_contract_review import contract
from tests.web.browser.conftest import Page
from tests.web.browser.test_accessibility import audit
from tests.web.browser.test_screens import switch
from tests.web.conftest import PASSWORD, Ui

pytestmark = pytest.mark.slow


def a_month_of_contracts(ui: Ui, clock) -> None:
    """Twelve contracts started over three weeks, each step taken after a few hours to a few days;
    the later ones still wait at some step."""
    engine = ui.engine
    for name, groups in (("vic", ["sales_vp"]), ("gary", ["general_manager"]), ("lee", ["legal"]),
                         ("asa", ["sales_assistant"])):  # fmt: skip
        engine.identity.add_user(name, groups, password=PASSWORD)
    people = ("sam", "sue", "mona", "fay", "vic", "gary", "lee", "asa")
    p = Process(engine, "contract_review", {n: engine.identity.actor(n) for n in people})
    rnd = random.Random(13)
    start = clock.now()
    amounts = (120_000, 650_000, 1_200_000, 2_500_000)
    for i in range(12):
        clock.set(start + timedelta(days=i * 1.7))
        iid = p.start(rnd.choice(("sam", "sue")), contract(amounts[i % 4], standard_template=i % 3 != 0))
        steps = [("manager_review", "mona", 2), ("finance_review", "fay", 20), ("legal_review", "lee", 30),
                 ("vp_approval", "vic", 10), ("gm_approval", "gary", 40), ("record_signing", "asa", 5)]  # fmt: skip
        for element, who, typical_hours in steps[: 12 - i]:
            if element not in p.open(iid):
                continue
            clock.advance(timedelta(hours=typical_hours * rnd.uniform(0.3, 2.5)))
            if element == "finance_review":
                p.approve(iid, element, who, payment_terms_ok=True, margin_ok=True)
            elif element == "record_signing":
                p.complete(iid, element, who, signed_date="2026-03-20", sales_order_no=f"SO-{i}")
            else:
                p.approve(iid, element, who)
    clock.set(start + timedelta(days=21))


def test_the_heat_map_marks_every_task_with_figures_in_both_languages(page: Page, ui: Ui, clock) -> None:
    a_month_of_contracts(ui, clock)
    waits = ui.engine.overview.waits("contract_review", 1, ui.engine.identity.actor("ann"), _period(clock))
    expected = {e.element_id for e in waits.elements}
    assert {"manager_review", "finance_review", "vp_approval", "gm_approval"} <= expected
    page.sign_in("ann")
    for locale in ("en", "zh"):
        switch(page, locale)
        page.as_laptop()
        page.open("/ui/processes")
        page.find(".process-counts")
        audit(page)
        page.shot(f"processes-{locale}")
        page.open("/ui/processes/contract_review/1")
        page.wait.until(lambda d: d.find_element("id", "diagram").get_attribute("data-ready") == "true")
        badges = {b.get_attribute("data-element") for b in page.all(".heat-badge")}
        assert badges == expected
        coloured = page.all("#diagram .djs-element[class*='heat-']")
        assert len(coloured) == len(expected)
        audit(page)
        page.shot(f"heatmap-{locale}")
    page.as_phone()
    page.open("/ui/processes/contract_review/1")
    page.wait.until(lambda d: d.find_element("id", "diagram").get_attribute("data-ready") == "true")
    audit(page)
    # The wide table scrolls in its own box; the page itself never scrolls sideways.
    assert page.driver.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")
    page.shot("heatmap-phone-zh")


def _period(clock):
    from engine.overview import Period

    return Period.last_days(clock.now())
