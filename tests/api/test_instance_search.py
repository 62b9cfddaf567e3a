"""Instance search over HTTP: the new filters, orders and cursor, the CSV export (its formula guard
and its limit), bad input answered 400 naming the field, and an employee's view of both."""

from __future__ import annotations

import csv
import io

from tests.api.conftest import Api, Countersign, assert_problem, bundle_files
from tests.factories import MODELS, deploy_files


def start(api: Api, user: str, key: str | None, customer: str) -> int:
    body = {"model": "countersign", "data": {"customer": customer, "amount": 5000}}
    if key:
        body["business_key"] = key
    response = api.client(user).post("/instances", json=body)
    response.raise_for_status()
    return response.json()["id"]


def test_search_filters_orders_and_pages_by_cursor(api: Api, countersign: Countersign) -> None:
    globex = start(api, "sam", "MKT-2", "Globex")
    hostile = start(api, "sam", None, '=HYPERLINK("http://evil","x")')
    auditor = api.client("ann")

    def ids(**params: object) -> list[int]:
        response = auditor.get("/instances", params=params)
        assert response.status_code == 200, response.text
        return [i["id"] for i in response.json()["items"]]

    first = countersign.instance.id
    assert ids(data="customer:ACME") == [first]
    assert ids(data="customer:Globex") == [globex]
    assert ids(data="amount:5000.0") == [hostile, globex]
    assert ids(data="customer:acme") == []
    assert ids(business_key="MKT-*") == [globex]
    assert ids(participant="sam") == [hostile, globex, first]
    # Keys first (MKT-2 before the first instance's HT-…), the one without a key last.
    assert ids(model="countersign", version=1, sort="business_key", order="asc")[-1] == hostile
    assert ids(order="asc") == [first, globex, hostile]
    page = auditor.get("/instances", params={"limit": 2, "count": "true"}).json()
    assert [i["id"] for i in page["items"]] == [hostile, globex]
    assert (page["total"], page["total_capped"]) == (3, False)
    rest = auditor.get("/instances", params={"limit": 2, "after": page["next_cursor"]}).json()
    assert [i["id"] for i in rest["items"]] == [first] and rest["next_cursor"] is None
    assert rest["next_offset"] is None


def test_bad_search_input_is_a_400_naming_the_field(api: Api, countersign: Countersign) -> None:
    auditor = api.client("ann")
    for params, field in (
        ({"sort": "amount"}, "sort"),
        ({"order": "up"}, "order"),
        ({"status": "done"}, "status"),
        ({"started_from": "yesterday"}, "started_from"),
        ({"ended_to": "2026-13-01"}, "ended_to"),
        ({"data": "1st:x"}, "data"),
        ({"data": "customer"}, "data"),
        ({"version": 1}, "version"),
        ({"business_key": "*"}, "business_key"),
        ({"after": "bogus"}, "after"),
    ):
        for path in ("/instances", "/instances.csv"):
            if path.endswith(".csv") and field == "after":
                continue
            body = assert_problem(auditor.get(path, params=params), 400)
            assert field in {p.get("field") for p in body["problems"]}, (path, params, body)


def test_the_csv_export_is_spreadsheet_safe_and_states_its_limit(api: Api, countersign: Countersign) -> None:
    # A process owner names a process like a formula: it must reach the auditor's sheet as text.
    files = {
        name: content.replace(b'name="Countersign test"', b'name="=HYPERLINK(&quot;http://evil&quot;)"')
        for name, (_, content) in bundle_files(MODELS / "countersign").items()
    }
    deploy_files(api.engine, files)
    second = start(api, "sam", None, "x")
    response = api.client("ann").get("/instances.csv", params={"order": "asc"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["x-export-limit"] == "100000"
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0] == [
        "id", "business_key", "process", "model_key", "version", "status", "initiator", "started_at", "ended_at"
    ]  # fmt: skip
    assert [r[0] for r in rows[1:]] == [str(countersign.instance.id), str(second)]
    assert rows[2][2] == '\'=HYPERLINK("http://evil")'
    assert rows[2][4] == "2" and rows[2][5] == "running" and rows[2][6] == "sam"


def test_a_formula_in_a_cell_is_written_as_text() -> None:
    from engine.runtime import csv_lines

    class Row:
        id, model_version, status = 1, 1, "running"
        business_key, model_key, initiator = "=1+2", "@SUM(A1)", "+sam"
        started_at = ended_at = None

    text = "".join(csv_lines([Row()], lambda key: "-2+3"))
    row = list(csv.reader(io.StringIO(text)))[1]
    assert row[1:4] == ["'=1+2", "'-2+3", "'@SUM(A1)"] and row[6] == "'+sam"


def test_an_employee_searches_and_exports_only_what_he_may_read(api: Api, countersign: Countersign) -> None:
    start(api, "sam", "MKT-9", "Secret")
    # ed (marketing) started nothing and may work on nothing: he finds nothing, by search or export.
    assert api.client("ed").get("/instances", params={"data": "customer:Secret"}).json()["items"] == []
    assert api.client("ed").get("/instances").json()["items"] == []
    exported = api.client("ed").get("/instances.csv").text
    assert len(list(csv.reader(io.StringIO(exported)))) == 1  # the header only
    # sam finds his own.
    assert [
        i["business_key"]
        for i in api.client("sam").get("/instances", params={"data": "customer:Secret"}).json()["items"]
    ] == ["MKT-9"]
