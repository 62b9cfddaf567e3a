"""The auditor's instance page over real HTTP: the path, the decisions, the chain verified when the
page opens (and broken after a row is altered), the exports, and who may read any of it."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re

from sqlalchemy import update

from engine.store.schema import history_events
from tests.conftest import REPO
from tests.web.audited import reworked_contract, waiting_contract
from tests.web.conftest import Ui


def _path_of(page: str) -> dict:
    found = re.search(r'data-path="([^"]+)"', page)
    assert found, "the page has no diagram path"
    return json.loads(found.group(1).replace("&#34;", '"').replace("&quot;", '"'))


def test_an_auditor_reads_the_path_the_decisions_and_an_intact_trail(ui: Ui) -> None:
    iid = reworked_contract(ui.engine)
    page = ui.signed_in("ann").get(f"/ui/instances/{iid}")
    assert page.status_code == 200
    text = page.text
    assert "Trail intact" in text and "chain-broken" not in text
    path = _path_of(text)
    assert path["loops"]["manager_review"] == 2 and "vp_approval" not in path["done"]
    assert "Flow_all_agree_to_rejected" in path["flows"] and path["current"] == []
    assert re.search(r'data-select="manager_review"[^>]*>Sales manager review[^<]*×2', text)
    # the approval level's table, with the rule that routed it marked, and the inputs it saw
    decision = text[text.index('id="decisions-title"') :]
    matched = re.findall(r'<tr class="matched" data-rule="([^"]+)"', decision)
    assert "contract_approval_level_rule_1" in matched
    assert "<dt>Contract amount</dt><dd>300000</dd>" in decision
    # a rejection's comment is in the trail, with who made it
    assert "payment term too long" in text and ">fay<" in text


def test_an_altered_history_row_is_named_as_the_first_broken_event(ui: Ui) -> None:
    iid = reworked_contract(ui.engine)
    with ui.engine.db.transaction() as conn:
        conn.execute(
            update(history_events)
            .where((history_events.c.instance_id == iid) & (history_events.c.seq == 8))
            .values(data='{"data":{"decision":"reject"}}')
        )
    ann = ui.signed_in("ann")
    page = ann.get(f"/ui/instances/{iid}")
    assert "Trail broken at event 8" in page.text
    assert re.search(r'<li id="event-8" class="[^"]*broken', page.text)
    exported = ann.get(f"/ui/instances/{iid}/trail.json").json()
    assert exported["verification"]["ok"] is False and exported["verification"]["first_broken_seq"] == 8


def test_the_trail_exports_as_json_and_csv_event_for_event(ui: Ui) -> None:
    iid = reworked_contract(ui.engine)
    ann = ui.signed_in("ann")
    events = ui.engine.history.events(iid, ui.engine.identity.actor("ann"))
    document = ann.get(f"/ui/instances/{iid}/trail.json")
    assert document.status_code == 200 and "attachment" in document.headers["content-disposition"]
    exported = document.json()
    assert [e["hash"] for e in exported["events"]] == [e.hash for e in events]
    assert exported["version"]["files"][0]["sha256"] and exported["verification"]["ok"] is True
    sheet = ann.get(f"/ui/instances/{iid}/trail.csv")
    assert sheet.headers["content-type"].startswith("text/csv")
    assert sheet.content.startswith(b"\xef\xbb\xbf")  # Excel reads the Chinese names only with it
    rows = list(csv.DictReader(io.StringIO(sheet.content.decode("utf-8-sig"))))
    assert [int(r["seq"]) for r in rows] == [e.seq for e in events]
    completed = next(r for r in rows if r["type"] == "task_completed" and r["actor"] == "fay")
    assert json.loads(completed["data"])["data"]["comment"] == "payment term too long"
    assert "财务会审" in completed["element_name"]


def test_the_versions_files_download_byte_for_byte(ui: Ui) -> None:
    iid = reworked_contract(ui.engine)
    ann = ui.signed_in("ann")
    page = ann.get(f"/ui/instances/{iid}").text
    for name in ("contract_review.bpmn", "contract_rules.dmn"):
        got = ann.get(f"/ui/models/contract_review/1/files/{name}")
        assert got.status_code == 200 and "attachment" in got.headers["content-disposition"]
        assert got.content == (REPO / "process_models" / "contract_review" / name).read_bytes()
        assert hashlib.sha256(got.content).hexdigest() in page
    assert ann.get("/ui/models/contract_review/1/files/nothing.bpmn").status_code == 404


def test_the_printable_page_keeps_the_readers_language(ui: Ui) -> None:
    iid = reworked_contract(ui.engine)
    ann = ui.signed_in("ann")
    ann.cookies.set("approvals_lang", "zh")
    ui.engine.identity.set_preferences("ann", locale="zh")
    printed = ann.get(f"/ui/instances/{iid}/print")
    assert printed.status_code == 200 and 'lang="zh-CN"' in printed.text
    assert "<td>销售经理审核</td>" in printed.text and "<td>Sales manager review</td>" not in printed.text
    assert "<th>时间</th>" in printed.text
    assert "<script" not in printed.text


def test_only_those_who_may_read_the_instance_read_its_trail(ui: Ui) -> None:
    iid = waiting_contract(ui.engine)
    sue = ui.signed_in("sue")  # another sales rep: no part in it
    for suffix in ("", "/print", "/trail.json", "/trail.csv"):
        assert sue.get(f"/ui/instances/{iid}{suffix}").status_code == 403, suffix
    assert ui.signed_in("ann").get("/ui/instances/999999").status_code == 404
    assert ui.visitor().get(f"/ui/instances/{iid}").status_code == 302  # to the sign-in page
    # the requester reads his own
    assert ui.signed_in("sam").get(f"/ui/instances/{iid}").status_code == 200


def test_an_auditor_gets_no_button_that_changes_anything(ui: Ui) -> None:
    iid = waiting_contract(ui.engine)
    page = ui.signed_in("ann").get(f"/ui/instances/{iid}").text
    actions = re.findall(r'<form[^>]*method="post"[^>]*action="([^"]+)"', page)
    assert set(actions) <= {"/ui/language", "/ui/sign-out"}, actions
