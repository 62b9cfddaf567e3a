"""Readable and operable without a mouse: every field labelled, text contrast of WCAG AA (4.5:1, 3:1
for large text), and the keyboard reaches every control in order — on each employee page, in both
languages, on a phone."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.keys import Keys

from tests.web.browser.conftest import Page
from tests.web.conftest import Ui
from tests.web.test_employee_pages import start_contract

pytestmark = pytest.mark.slow

# Every visible control without a label; every visible text below its contrast threshold.
AUDIT = """
const visible = (e) => { const r = e.getBoundingClientRect(); const s = getComputedStyle(e);
  return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && s.display !== 'none'; };
const unlabelled = [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
  .filter(visible)
  .filter((e) => !(e.labels && e.labels.length) && !e.getAttribute('aria-label') && !e.getAttribute('aria-labelledby'))
  .map((e) => e.outerHTML.slice(0, 120));
const rgb = (c) => (c.match(/[\\d.]+/g) || []).map(Number);
const lum = ([r, g, b]) => { const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
  return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b); };
const background = (e) => { for (; e; e = e.parentElement) { const c = rgb(getComputedStyle(e).backgroundColor);
  if (c.length === 3 || (c.length === 4 && c[3] > 0.9)) return c.slice(0, 3); } return [255, 255, 255]; };
const low = [];
for (const e of document.querySelectorAll('body *')) {
  if (!visible(e) || ![...e.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim())) continue;
  const s = getComputedStyle(e); const size = parseFloat(s.fontSize); const bold = Number(s.fontWeight) >= 700;
  const a = lum(rgb(s.color)), b = lum(background(e)); const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
  const needed = size >= 24 || (bold && size >= 18.66) ? 3 : 4.5;
  if (ratio < needed) low.push(`${e.tagName}.${e.className} "${e.textContent.trim().slice(0, 30)}" ${ratio.toFixed(2)}`);
}
return {unlabelled, low};
"""


def audit(page: Page) -> None:
    found = page.driver.execute_script(AUDIT)
    assert found["unlabelled"] == [], found["unlabelled"]
    assert found["low"] == [], found["low"]


def test_every_employee_page_is_labelled_and_readable(page: Page, ui: Ui) -> None:
    _, task_id = start_contract(ui)
    page.sign_in("mona")
    page.as_phone()
    for locale in ("en", "zh"):
        page.open("/ui/inbox")
        from selenium.webdriver.support.ui import Select

        Select(page.find("#language-choice")).select_by_value(locale)
        page.wait.until(
            lambda d, locale=locale: (
                d.find_element("css selector", "html").get_attribute("lang").startswith(locale)
            )
        )
        for path in ("/ui/inbox", f"/ui/tasks/{task_id}", "/ui/requests"):
            page.open(path)
            page.find("main")
            audit(page)
    page.sign_in("sam")
    for path in ("/ui/start", "/ui/start/contract_review", "/ui/requests"):
        page.open(path)
        page.find("main")
        audit(page)
    page.driver.delete_all_cookies()
    page.open("/ui/sign-in")
    audit(page)


def test_the_keyboard_reaches_the_form_and_submits_it(page: Page, ui: Ui) -> None:
    _, task_id = start_contract(ui)
    page.sign_in("mona")
    page.open(f"/ui/tasks/{task_id}")
    body = page.find("body")
    reached = []
    for _ in range(40):
        body = page.driver.switch_to.active_element
        body.send_keys(Keys.TAB)
        active = page.driver.switch_to.active_element
        reached.append((active.tag_name, active.get_attribute("name") or active.text))
        if (
            active.tag_name == "button"
            and active.get_attribute("type") == "submit"
            and "primary" in (active.get_attribute("class") or "")
            and active.find_elements("xpath", "ancestor::section[contains(@class,'task-form')]")
        ):
            break
    else:
        pytest.fail(f"the task form's submit button was never reached by Tab: {reached}")
    assert ("input", "decision") in reached and ("textarea", "comment") in reached
    # The first Tab lands on the skip link, which leads straight to the content.
    assert reached[0][1] in ("Skip to content", "跳到正文")
