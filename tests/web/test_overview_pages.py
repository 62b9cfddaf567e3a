"""The overview over real HTTP: the pages and the API show the engine's figures, to those who read
everything; everyone else gets 403, and a bad period a 400 naming the parameter."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from engine.actor import SYSTEM
from engine.overview import Period
from tests.overview.test_overview import Scenario, run_scenario
from tests.web.conftest import Ui


@pytest.fixture
def scenario(ui: Ui, clock) -> Scenario:
    staff = {name: ui.engine.identity.actor(name) for name in ("sam", "sue", "mona", "ann")}
    return run_scenario(ui.engine, clock, staff)


def cells(html: str, row_marker: str) -> list[str]:
    row = re.search(rf"<tr {row_marker}>(.*?)</tr>", html, re.S)
    assert row, f"no row {row_marker}"
    return [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row.group(1), re.S)]


def test_the_processes_page_shows_the_engine_s_counts(ui: Ui, scenario: Scenario) -> None:
    page = ui.signed_in("ann").get("/ui/processes")
    assert page.status_code == 200, page.text
    for counts in ui.engine.overview.processes(SYSTEM, Period.last_days(scenario.clock.now())):
        shown = cells(page.text, f'data-version="{counts.model_key}/{counts.version}"')
        assert shown == [
            str(n)
            for n in (counts.running, counts.suspended, counts.completed, counts.cancelled, counts.open_tasks,
                      counts.overdue_tasks, counts.incidents)
        ]  # fmt: skip
    assert '<td class="num late">1</td>' in page.text  # the overdue price request, highlighted
    assert 'href="/ui/processes/price_float/1"' in page.text
    # Seven days, and a from/to pair of dates: the refused request ended before the 3rd (UTC).
    assert (
        cells(ui.signed_in("ann").get("/ui/processes?days=7").text, 'data-version="price_float/1"')[2] == "1"
    )
    later = ui.signed_in("ann").get("/ui/processes?from=2026-03-03&to=2026-03-09")
    assert cells(later.text, 'data-version="price_float/1"')[2] == "0"


def test_the_heat_map_page_has_the_figures_in_its_table_and_for_the_diagram(
    ui: Ui, scenario: Scenario
) -> None:
    page = ui.signed_in("ann").get("/ui/processes/price_float/1?days=30")
    assert page.status_code == 200, page.text
    # Waits of 10 h, 11.1 h, 18.2 h, 27.4 h, 46.5 h: median 18.2 h, p90 38.9 h, shown to two figures.
    assert cells(page.text, 'data-element="approve_manager"') == ["5", "18 h", "39 h", "1", "47 h", "47 h"]
    assert cells(page.text, 'data-element="revise"')[:1] == ["0"]
    assert "median 18 h · p90 39 h · n=5" in page.text  # the badge heatmap.js draws
    zh = ui.signed_in("ann")
    zh.cookies.set("approvals_lang", "zh")
    assert "18 小时" in zh.get("/ui/processes/price_float/1").text


def test_the_api_gives_the_same_figures(ui: Ui, scenario: Scenario) -> None:
    token = ui.engine.identity.issue_token("ann")
    api = ui.visitor()
    api.headers["Authorization"] = f"Bearer {token}"
    overview = api.get("/api/v1/overview", params={"days": 30}).json()
    price = next(i for i in overview["items"] if i["model_key"] == "price_float")
    assert (price["running"], price["completed"], price["cancelled"], price["overdue_tasks"]) == (6, 1, 1, 1)
    waits = api.get("/api/v1/models/price_float/versions/1/waits").json()
    manager = next(e for e in waits["elements"] if e["element_id"] == "approve_manager")
    assert manager["completed"]["count"] == 5
    assert manager["completed"]["median_seconds"] == pytest.approx(18 * 3600 + 14 * 60, abs=0.01)
    since = (scenario.start + timedelta(hours=15)).isoformat()
    later = api.get("/api/v1/models/price_float/versions/1/waits", params={"since": since}).json()
    assert (
        next(e for e in later["elements"] if e["element_id"] == "approve_manager")["completed"]["count"] == 3
    )


def test_an_employee_gets_403_and_a_bad_period_a_400_naming_it(ui: Ui, scenario: Scenario) -> None:
    sam = ui.signed_in("sam")
    assert sam.get("/ui/processes").status_code == 403
    assert sam.get("/ui/processes/price_float/1").status_code == 403
    assert "Processes" not in re.sub(r"<title>.*?</title>", "", sam.get("/ui/inbox").text)  # no link either
    api = ui.visitor()
    api.headers["Authorization"] = f"Bearer {ui.engine.identity.issue_token('sam')}"
    assert api.get("/api/v1/overview").status_code == 403
    assert api.get("/api/v1/models/price_float/versions/1/waits").status_code == 403
    ann = ui.signed_in("ann")
    for query, named in (("days=12", "days"), ("days=x", "days"), ("from=2026-13-01", "from"),
                         ("from=2026-03-05&to=2026-03-01", "to"), ("to=9999-12-31", "to"),
                         ("to=0001-01-01", "to")):  # fmt: skip
        page = ann.get(f"/ui/processes?{query}")
        assert page.status_code == 400 and named in page.text, (query, page.status_code)
    assert ann.get("/ui/processes/price_float/9").status_code == 404
    api.headers["Authorization"] = f"Bearer {ui.engine.identity.issue_token('ann')}"
    for query, named in (("days=0", "days"), ("since=yesterday", "since"),
                         ("since=2026-03-05T00:00:00Z&until=2026-03-01T00:00:00Z", "until"),
                         ("until=0001-01-02T00:00:00Z", "until"), ("since=0001-01-01T00:00:00Z", "since")):  # fmt: skip
        answer = api.get(f"/api/v1/overview?{query}")
        assert answer.status_code == 400 and named in answer.text, (query, answer.text)
