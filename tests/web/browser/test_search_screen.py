"""The instance search on a phone and a laptop, in both languages: each row a card on the phone, the
page no wider than the screen, every field labelled and readable (the accessibility audit)."""

from __future__ import annotations

import pytest
from selenium.webdriver.support.ui import Select

from tests.web.browser.conftest import Page
from tests.web.browser.test_accessibility import audit
from tests.web.conftest import Ui
from tests.web.test_employee_pages import start_contract

pytestmark = pytest.mark.slow


def test_the_search_page_reads_on_a_phone_and_a_laptop_in_both_languages(page: Page, ui: Ui) -> None:
    start_contract(ui)
    start_contract(ui, customer="Globex", amount=2_400_000, standard_template=False)
    page.sign_in("ann")
    for locale in ("en", "zh"):
        page.as_phone()
        page.open("/ui/instances?field=customer&value=Globex")
        Select(page.find("#language-choice")).select_by_value(locale)
        page.wait.until(
            lambda d, locale=locale: (
                d.find_element("css selector", "html").get_attribute("lang")[:2] == locale
            )
        )
        page.open("/ui/instances")
        rows = page.all("table.results tbody tr")
        assert len(rows) == 2
        # A card: the cells stack inside the row's box, and nothing runs off the screen.
        assert rows[0].value_of_css_property("display") == "flex"
        assert page.driver.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")
        audit(page)
        page.shot(f"instances-phone-{locale}")
        page.as_laptop()
        page.open("/ui/instances?sort=business_key&order=asc")
        assert page.find("table.results thead").is_displayed()
        audit(page)
        page.shot(f"instances-{locale}")
