"""The instance search page over real HTTP: filters in a bookmarkable URL, sortable columns, pages
forward and back by cursor, the CSV link with the same filters, bad input answered 400 naming the
field, Chinese, and an employee who finds only what he may read."""

from __future__ import annotations

import csv
import io
import re

import pytest

from tests.process_models.test_contract_review import contract
from tests.web.conftest import Ui
from web.pages import search_pages


@pytest.fixture
def contracts(ui: Ui) -> dict[str, int]:
    sam, sue = ui.engine.identity.actor("sam"), ui.engine.identity.actor("sue")
    started = {}
    for name, who, customer in (("a", sam, "ACME Trading"), ("b", sam, "Globex"), ("c", sue, "ACME Trading")):
        started[name] = ui.engine.runtime.start("contract_review", who, contract(customer=customer)).id
    return started


def row_ids(page: str) -> list[int]:
    return [int(i) for i in re.findall(r'href="/ui/instances/(\d+)"', page)]


def test_the_auditor_filters_sorts_and_downloads_the_same_list(ui: Ui, contracts: dict[str, int]) -> None:
    ann = ui.signed_in("ann")
    page = ann.get("/ui/instances")
    assert page.status_code == 200
    assert row_ids(page.text) == [contracts["c"], contracts["b"], contracts["a"]]
    assert "Instances found: 3" in page.text and 'aria-sort="descending"' in page.text
    found = ann.get("/ui/instances", params={"field": "customer", "value": "ACME Trading"})
    assert row_ids(found.text) == [contracts["c"], contracts["a"]]
    assert row_ids(ann.get("/ui/instances", params={"participant": "sue"}).text) == [contracts["c"]]
    assert row_ids(ann.get("/ui/instances", params={"status": "completed"}).text) == []
    assert "No instance matches." in ann.get("/ui/instances", params={"status": "completed"}).text
    # The started header sorts the other way; the CSV link carries the filters and the order.
    ascending = ann.get(
        "/ui/instances", params={"field": "customer", "value": "ACME Trading", "order": "asc"}
    )
    assert row_ids(ascending.text) == [contracts["a"], contracts["c"]]
    link = re.search(r'class="download" href="([^"]+)"', ascending.text).group(1).replace("&amp;", "&")
    assert link.startswith("/ui/instances.csv?") and "field=customer" in link and "order=asc" in link
    exported = ann.get(link)
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(exported.text)))
    assert rows[0][:3] == ["Id", "Request number", "Process"]
    assert [int(r[0]) for r in rows[1:]] == [contracts["a"], contracts["c"]]


def test_pages_go_forward_and_back_by_cursor(
    ui: Ui, contracts: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search_pages, "PAGE_SIZE", 2)
    ann = ui.signed_in("ann")
    first = ann.get("/ui/instances").text
    assert row_ids(first) == [contracts["c"], contracts["b"]] and 'rel="prev"' not in first
    next_link = re.search(r'href="([^"]+)" rel="next"', first).group(1).replace("&amp;", "&")
    second = ann.get("/ui/instances" + next_link).text
    assert row_ids(second) == [contracts["a"]] and 'rel="next"' not in second
    back = re.search(r'href="([^"]+)" rel="prev"', second).group(1).replace("&amp;", "&")
    assert row_ids(ann.get("/ui/instances" + back).text) == [contracts["c"], contracts["b"]]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"sort": "amount"}, "sort"),
        ({"order": "sideways"}, "order"),
        ({"status": "done"}, "status"),
        ({"started_from": "yesterday"}, "started_from"),
        ({"version": "two"}, "version"),
        ({"field": "1st", "value": "x"}, "data"),
        ({"value": "x"}, "field"),
        ({"after": "not-a-cursor"}, "after"),
    ],
)
def test_bad_search_input_is_a_400_page_naming_the_field(ui: Ui, params: dict, field: str) -> None:
    ann = ui.signed_in("ann")
    for path in ("/ui/instances", "/ui/instances.csv"):
        answer = ann.get(path, params=params)
        assert answer.status_code == 400, (path, params)
        assert field in answer.text and "Traceback" not in answer.text


def test_an_employee_finds_and_exports_only_what_he_may_read(ui: Ui, contracts: dict[str, int]) -> None:
    # fay (finance) started none of them and is no candidate of their first step.
    fay = ui.signed_in("fay")
    assert row_ids(fay.get("/ui/instances").text) == []
    assert len(list(csv.reader(io.StringIO(fay.get("/ui/instances.csv").text)))) == 1
    # sue sees her own request; sam's only as far as she may work on them (none of his here).
    sue = ui.signed_in("sue")
    assert contracts["c"] in row_ids(sue.get("/ui/instances").text)
    assert contracts["b"] not in row_ids(sue.get("/ui/instances", params={"participant": "sam"}).text)


def test_the_page_and_the_csv_speak_chinese(ui: Ui, contracts: dict[str, int]) -> None:
    ann = ui.signed_in("ann")
    ann.cookies.set("approvals_lang", "zh")
    page = ann.get("/ui/instances", headers={"Accept-Language": "zh-CN"}).text
    assert "共找到 3 个流程实例" in page and "下载 CSV" in page
    header = next(
        csv.reader(io.StringIO(ann.get("/ui/instances.csv", headers={"Accept-Language": "zh-CN"}).text))
    )
    assert header[:3] == ["编号", "单号", "流程"]
