"""The operator's cockpit over real HTTP: every kind of incident with its cause, Retry for an admin
only, the suspended requests with their forms, the reason every instance command needs, and what the
engine answers to an auditor, an employee and a second admin who was a moment too late."""

from __future__ import annotations

import re

import pytest

from engine.actor import SYSTEM
from engine.clock import ManualClock
from tests.incidents.scenario import Made, make_incidents
from tests.runtime.test_concurrency import race
from tests.web.conftest import PASSWORD, Ui, csrf_of

RETRY = re.compile(r'action="(/ui/incidents/[a-z_]+/[^/"]+/retry)"')


@pytest.fixture
def made(ui: Ui, clock: ManualClock) -> Made:
    for name, groups in (("root", ["admin"]), ("ada", ["admin"]), ("olga", ["process_owner"])):
        ui.engine.identity.add_user(name, groups, password=PASSWORD)
    return make_incidents(ui.engine, clock)


def test_an_admin_sees_each_incident_with_its_cause_and_retries_it(ui: Ui, made: Made) -> None:
    root = ui.signed_in("root")
    page = root.get("/ui/operations")
    assert page.status_code == 200
    for instance_id, key in ((made.timer, "TIMER-1"), (made.external, "EXT-1"), (made.call, "CALL-1")):
        assert f'href="/ui/instances/{instance_id}">{key}</a>' in page.text
    assert "ZeroDivisionError" in page.text and "the ledger is down" in page.text
    assert "cannot start &#39;child&#39;" in page.text and "waits for nothing" in page.text
    assert page.text.index("TIMER-1") < page.text.index("EXT-1") < page.text.index("STALL-1")  # newest first
    assert len(RETRY.findall(page.text)) == 3  # a stall is cancelled, not retried
    assert "Cannot be retried: cancel the request" in page.text
    only_timers = root.get("/ui/operations?kind=timer").text
    assert "TIMER-1" in only_timers and "EXT-1" not in only_timers
    assert "EXT-1" in root.get("/ui/operations?model=plain").text
    assert root.get("/ui/operations?kind=volcano").status_code == 400

    token = csrf_of(page)
    retried = root.post(
        f"/ui/incidents/external_task/{made.external_task_id}/retry",
        data={"csrf_token": token, "next": "/ui/operations?kind=external_task", "ref": "EXT-1"},
    )
    assert retried.status_code == 302
    assert retried.headers["location"] == "/ui/operations?kind=external_task&notice=retried&ref=EXT-1"
    after = root.get(retried.headers["location"]).text
    assert "The incident of EXT-1 was retried." in after and "the ledger is down" not in after
    assert [e.type for e in ui.engine.history.events(made.external, SYSTEM)][
        -1
    ] == "external_task_retries_set"
    again = root.post(
        f"/ui/incidents/external_task/{made.external_task_id}/retry", data={"csrf_token": token}
    )
    assert again.status_code == 409 and "text/html" in again.headers["content-type"]
    # A notice is only what the pages send: another text or a request number of another shape is not shown.
    assert "<script>" not in root.get("/ui/operations?notice=retried&ref=<script>").text
    zh = root.get("/ui/operations?notice=retried&ref=EXT-1", cookies={"approvals_lang": "zh"}).text
    assert "事故" in zh or "重试" in zh


def test_two_admins_retrying_at_once_one_retries_and_the_other_gets_a_conflict(ui: Ui, made: Made) -> None:
    clients = [ui.signed_in("root"), ui.signed_in("ada")]
    tokens = [csrf_of(c.get("/ui/operations")) for c in clients]
    for path in (
        f"/ui/incidents/timer/{made.timer_id}/retry",
        f"/ui/incidents/call_activity/{made.call_id}/retry",
    ):
        answers = race(
            *(
                lambda c=c, t=t, p=path: c.post(p, data={"csrf_token": t})
                for c, t in zip(clients, tokens, strict=True)
            )
        )
        assert sorted(a.status_code for a in answers) == [302, 409], [a.text[:300] for a in answers]


def test_an_auditor_is_offered_nothing_and_every_write_answers_403(ui: Ui, made: Made) -> None:
    ui.engine.runtime.suspend(made.external, SYSTEM, "waiting for the ledger")
    ann = ui.signed_in("ann")
    page = ann.get("/ui/operations")
    assert (
        page.status_code == 200 and "TIMER-1" in page.text and f'id="suspended-{made.external}"' in page.text
    )
    assert "/retry" not in page.text and 'name="reason"' not in page.text
    for word in ("/cancel", "/suspend", "/resume"):
        assert f'{word}"' not in page.text
    token = csrf_of(page)  # a valid token: the refusal is the engine's, not the CSRF check's
    writes = [
        f"/ui/incidents/timer/{made.timer_id}/retry",
        f"/ui/incidents/external_task/{made.external_task_id}/retry",
        f"/ui/incidents/call_activity/{made.call_id}/retry",
        f"/ui/incidents/stalled/{made.stalled}/retry",
        f"/ui/instances/{made.external}/resume",
        f"/ui/instances/{made.timer}/suspend",
        f"/ui/instances/{made.timer}/cancel",
    ]
    for path in writes:
        refused = ann.post(path, data={"csrf_token": token, "reason": "audit"})
        assert refused.status_code == 403 and "Not allowed" in refused.text, path
    assert sum(ui.engine.incidents.counts(SYSTEM).values()) == 4
    assert ui.engine.runtime.get(made.external, SYSTEM).status == "suspended"
    # An employee does not read the cockpit at all, nor retry through its URL.
    sam = ui.signed_in("sam")
    assert sam.get("/ui/operations").status_code == 403
    sam_token = csrf_of(sam.get("/ui/inbox"))
    assert sam.post(writes[0], data={"csrf_token": sam_token}).status_code == 403


def test_suspend_resume_and_cancel_need_a_reason_which_the_trail_keeps(ui: Ui, made: Made) -> None:
    olga = ui.signed_in("olga")
    page = olga.get("/ui/operations")
    assert "/retry" not in page.text  # a process owner reads incidents; admins retry them
    token = csrf_of(page)
    suspend = f"/ui/instances/{made.external}/suspend"
    for reason in (None, "", "   "):
        data = {"csrf_token": token, "next": "/ui/operations"}
        if reason is not None:
            data["reason"] = reason
        refused = olga.post(suspend, data=data)
        assert refused.status_code == 422
        assert 'aria-invalid="true"' in refused.text and "is required" in refused.text
        assert f'id="reason-suspend-{made.external}"' in refused.text
    assert ui.engine.runtime.get(made.external, SYSTEM).status == "running"  # nothing changed
    zh = olga.post(suspend, data={"csrf_token": token}, cookies={"approvals_lang": "zh"})
    assert zh.status_code == 422 and "is required" not in zh.text

    done = olga.post(suspend, data={"csrf_token": token, "next": "/ui/operations", "reason": "ledger down"})
    assert done.status_code == 302 and done.headers["location"] == "/ui/operations?notice=suspended&ref=EXT-1"
    listed = olga.get(done.headers["location"]).text
    assert "Request EXT-1 was suspended." in listed and f'id="suspended-{made.external}"' in listed
    assert f'action="/ui/instances/{made.external}/resume"' in listed
    assert f'action="/ui/instances/{made.external}/cancel"' in listed
    assert f'action="/ui/instances/{made.external}/suspend"' not in listed

    resume = f"/ui/instances/{made.external}/resume"
    assert olga.post(resume, data={"csrf_token": token, "reason": "x" * 2001}).status_code == 422
    back = olga.post(resume, data={"csrf_token": token, "reason": "ledger back", "next": "//evil.example/"})
    assert back.status_code == 302 and back.headers["location"].startswith(f"/ui/instances/{made.external}?")
    cancel = f"/ui/instances/{made.stalled}/cancel"
    assert olga.post(cancel, data={"csrf_token": token}).status_code == 422
    assert olga.post(cancel, data={"csrf_token": token, "reason": "model fixed in v2"}).status_code == 302
    reasons = [
        e.data.get("reason")
        for i in (made.external, made.stalled)
        for e in ui.engine.history.events(i, SYSTEM)
        if e.type in ("instance_suspended", "instance_resumed", "instance_cancelled")
    ]
    assert reasons == ["ledger down", "ledger back", "model fixed in v2"]
    # Sam neither started these requests nor runs processes: 403 from the engine.
    sam = ui.signed_in("sam")
    refused = sam.post(
        cancel.replace(str(made.stalled), str(made.timer)),
        data={"csrf_token": csrf_of(sam.get("/ui/inbox")), "reason": "x"},
    )
    assert refused.status_code == 403
