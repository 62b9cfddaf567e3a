"""The employee pages over real HTTP: what each person is shown and offered, and what a page answers
to someone without the right (the engine's refusal, as a page with the API's status code)."""

from __future__ import annotations

import re

from engine.actor import SYSTEM
from engine.tasks import TaskQuery
from tests.process_models.test_contract_review import contract
from tests.web.conftest import Ui, csrf_of


def start_contract(ui: Ui, **changes) -> tuple[int, int]:
    """A contract review started by sam; (instance id, the manager review's task id)."""
    sam = ui.engine.identity.actor("sam")
    instance = ui.engine.runtime.start("contract_review", sam, contract(**changes))
    [task] = ui.engine.tasks.list(SYSTEM, TaskQuery(instance_id=instance.id))
    return instance.id, task.id


def test_the_start_page_lists_only_what_the_user_may_start(ui: Ui) -> None:
    listed = ui.signed_in("sam").get("/ui/start").text
    assert "/ui/start/contract_review" in listed and "/ui/start/price_float" in listed
    fay = ui.signed_in("fay")
    assert "/ui/start/contract_review" not in fay.get("/ui/start").text
    refused = fay.get("/ui/start/contract_review")
    assert refused.status_code == 403 and "Not allowed" in refused.text
    assert fay.get("/ui/start/no_such_model").status_code == 404


def test_the_inbox_shows_a_candidate_the_task_and_claim_works_with_and_without_htmx(ui: Ui) -> None:
    _instance_id, task_id = start_contract(ui)
    mona = ui.signed_in("mona")
    inbox = mona.get("/ui/inbox")
    assert (
        inbox.status_code == 200
        and f'id="task-{task_id}"' in inbox.text
        and "Sales manager review" in inbox.text
    )
    token = csrf_of(inbox)
    # htmx: the row comes back, now claimed.
    row = mona.post(
        f"/ui/tasks/{task_id}/claim",
        data={"csrf_token": token, "next": "/ui/inbox"},
        headers={"HX-Request": "true"},
    )
    assert row.status_code == 200 and row.text.lstrip().startswith(f'<li class="task" id="task-{task_id}"')
    assert "Claimed by you" in row.text and "/unclaim" in row.text
    # No JavaScript: a redirect back to where the form was.
    back = mona.post(
        f"/ui/tasks/{task_id}/unclaim", data={"csrf_token": token, "next": "/ui/inbox?view=claimable"}
    )
    assert back.status_code == 302 and back.headers["location"] == "/ui/inbox?view=claimable"
    assert ui.engine.tasks.get(task_id, ui.engine.identity.actor("mona")).task.assignee is None
    # The requester's own inbox does not offer it; the claim URL refuses him like the API.
    sam = ui.signed_in("sam")
    assert f'id="task-{task_id}"' not in sam.get("/ui/inbox").text
    refused = sam.post(f"/ui/tasks/{task_id}/claim", data={"csrf_token": csrf_of(sam.get("/ui/inbox"))})
    assert refused.status_code == 403 and "text/html" in refused.headers["content-type"]


def test_a_task_page_shows_the_request_and_offers_only_the_allowed_actions(ui: Ui) -> None:
    _instance_id, task_id = start_contract(ui)
    mona = ui.signed_in("mona")
    page = mona.get(f"/ui/tasks/{task_id}").text
    assert "ACME Trading" in page and "P-100" in page and "100,000" in page  # the request, summarised
    assert f"/ui/tasks/{task_id}/claim" in page and 'name="csrf_token"' in page
    assert "/ui/diagrams/contract_review/1.bpmn" in page and 'data-highlight="manager_review"' in page
    # The auditor reads it, and is offered nothing.
    auditor = ui.signed_in("ann").get(f"/ui/tasks/{task_id}").text
    assert "ACME Trading" in auditor and "/claim" not in auditor and "task-form" not in auditor
    # Finance is no candidate: 403, as over the API.
    assert ui.signed_in("fay").get(f"/ui/tasks/{task_id}").status_code == 403
    assert mona.get("/ui/tasks/999999").status_code == 404


def test_the_diagram_is_the_instances_version_and_never_runs_as_a_page(ui: Ui) -> None:
    mona = ui.signed_in("mona")
    diagram = mona.get("/ui/diagrams/contract_review/1.bpmn")
    assert diagram.status_code == 200 and diagram.headers["content-type"].startswith("application/xml")
    assert b'id="manager_review"' in diagram.content
    assert "sandbox" in diagram.headers["content-security-policy"]
    assert mona.get("/ui/diagrams/contract_review/9.bpmn").status_code == 404


def test_my_requests_lists_mine_with_where_each_stands(ui: Ui) -> None:
    instance_id, _task_id = start_contract(ui)
    sam = ui.signed_in("sam")
    listed = sam.get("/ui/requests").text
    key = ui.engine.runtime.get(instance_id, ui.engine.identity.actor("sam")).business_key
    assert key in listed and "Sales manager review" in listed and "sales_manager" in listed
    assert key not in ui.signed_in("sue").get("/ui/requests").text  # another rep's list
    page = sam.get(f"/ui/requests/{instance_id}").text
    assert key in page and "ACME Trading" in page and "Submitted" in page
    assert ui.signed_in("sue").get(f"/ui/requests/{instance_id}").status_code == 403


def test_bad_query_input_is_a_clear_400_page(ui: Ui) -> None:
    mona = ui.signed_in("mona")
    for path, says in (
        ("/ui/inbox?priority=abc", "priority must be a whole number"),
        ("/ui/inbox?view=everything", "view must be one of"),
        ("/ui/inbox?due=someday", "due must be one of"),
        ("/ui/inbox?after=not-a-cursor", "cursor"),
        ("/ui/requests?page=abc", "page must be a whole number"),
    ):
        answer = mona.get(path)
        assert answer.status_code == 400 and says in answer.text and "Traceback" not in answer.text, path


def test_inbox_filters_counts_and_cursor_pages(ui: Ui) -> None:
    first = [start_contract(ui, customer=f"Customer {i}")[1] for i in range(3)]
    mona = ui.signed_in("mona")
    page = mona.get("/ui/inbox").text
    assert all(f'id="task-{t}"' in page for t in first)
    assert '<span class="count">3</span>' in page  # all three, none claimed yet
    sam = ui.engine.identity.actor("sam")
    keys = [ui.engine.runtime.list(sam)[i].business_key for i in range(3)]
    one = mona.get("/ui/inbox", params={"key": keys[0]}).text
    assert keys[0] in one and keys[1] not in one and keys[2] not in one
    assert "Sales manager review" in mona.get("/ui/inbox", params={"q": "manager REVIEW"}).text
    assert 'class="task' not in mona.get("/ui/inbox", params={"q": "100%_"}).text
    assert 'class="task' not in mona.get("/ui/inbox", params={"process": "price_float"}).text
    # Pages of one by cursor, as a person following "Next" would (the page size is patched down).
    from web.pages import inbox_pages

    inbox_pages.PAGE_SIZE, size = 1, inbox_pages.PAGE_SIZE
    try:
        seen, path = [], "/ui/inbox"
        while path:
            html = mona.get(path).text
            seen += [t for t in first if f'id="task-{t}"' in html]
            found = re.search(r'href="(\?[^"]*after=[^"]+)" rel="next"', html)
            path = "/ui/inbox" + found.group(1).replace("&amp;", "&") if found else ""
        assert sorted(seen) == sorted(first)
    finally:
        inbox_pages.PAGE_SIZE = size


def test_a_person_sets_a_time_zone_and_the_pages_show_dates_in_it(ui: Ui) -> None:
    _, task_id = start_contract(ui)
    mona = ui.signed_in("mona")
    due = ui.engine.tasks.get(task_id, ui.engine.identity.actor("mona")).task.due_at
    from zoneinfo import ZoneInfo

    def shown(zone: str) -> str:
        return due.astimezone(ZoneInfo(zone)).strftime("%-H:%M")

    assert shown("Asia/Shanghai") in mona.get(f"/ui/tasks/{task_id}").text  # the server's zone
    token = csrf_of(mona.get("/ui/settings"))
    saved = mona.post(
        "/ui/settings", data={"csrf_token": token, "locale": "en", "time_zone": "America/New_York"}
    )
    assert saved.status_code == 302
    assert shown("America/New_York") in mona.get(f"/ui/tasks/{task_id}").text
    # A zone that does not exist: said at the field, nothing saved.
    refused = mona.post(
        "/ui/settings", data={"csrf_token": token, "locale": "en", "time_zone": "Mars/Olympus"}
    )
    assert refused.status_code == 422 and "Mars/Olympus" in refused.text and "Traceback" not in refused.text
    assert ui.engine.identity.get_user("mona").time_zone == "America/New_York"
    # Nobody changes another person's settings through the page: it only ever names the signed-in user.
    assert ui.engine.identity.get_user("sam").time_zone is None


def test_a_revision_form_starts_from_the_request_and_an_approval_starts_blank(ui: Ui) -> None:
    _, task_id = start_contract(ui)
    mona = ui.signed_in("mona")
    form = mona.get(f"/ui/tasks/{task_id}").text
    assert 'name="decision" value="reject"' in form and "checked" not in form.split('name="decision"')[1][:60]
    token = csrf_of(mona.get(f"/ui/tasks/{task_id}"))
    done = mona.post(
        f"/ui/tasks/{task_id}", data={"csrf_token": token, "decision": "reject", "comment": "Price too low"}
    )
    assert done.status_code == 302 and done.headers["location"].startswith("/ui/inbox?notice=completed")
    sam = ui.engine.identity.actor("sam")
    [revision] = [
        t for t in ui.engine.tasks.list(sam, TaskQuery(limit=50)) if t.element_id != "manager_review"
    ]
    page = ui.signed_in("sam").get(f"/ui/tasks/{revision.id}").text
    assert 'value="ACME Trading"' in page and 'value="100000"' in page and 'value="P-100"' in page


def test_two_managers_claiming_at_once_one_wins_the_other_is_told(ui: Ui) -> None:
    from concurrent.futures import ThreadPoolExecutor

    _, task_id = start_contract(ui)
    clients = [ui.signed_in(name) for name in ("mona", "milo")]
    tokens = [csrf_of(c.get("/ui/inbox")) for c in clients]

    def claim(i: int) -> int:
        return clients[i].post(f"/ui/tasks/{task_id}/claim", data={"csrf_token": tokens[i]}).status_code

    with ThreadPoolExecutor(2) as pool:
        statuses = sorted(pool.map(claim, range(2)))
    assert statuses == [302, 409]  # one claimed it; the other gets the conflict as a page
    holder = ui.engine.tasks.get(task_id, ui.engine.identity.actor("mona")).task.assignee
    assert holder in ("mona", "milo")
    loser = clients[1] if holder == "mona" else clients[0]
    page = loser.get(f"/ui/tasks/{task_id}").text
    assert "/claim" not in page and f"{holder} holds this task" in page
