"""engine/access.py on its own: the branches the access matrix (tests/api/test_access_matrix.py)
does not reach, because its four people each hold one group."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from engine import access
from engine.actor import Actor


def person(name: str, *groups: str) -> Actor:
    return Actor(name, frozenset(groups))


@dataclass(frozen=True)
class Task:
    """What access reads of an inbox task (engine.tasks.views.TaskInfo has the same fields)."""

    candidate_groups: list[str] = field(default_factory=lambda: ["finance"])
    candidate_users: list[str] = field(default_factory=list)
    assignee: str | None = None
    completed_by: str | None = None
    is_approval: bool = True
    id: int = 7
    instance_id: int = 3
    name: str | None = "Finance review"
    element_id: str = "finance_review"


SAM = "sam"  # the requester of instance 3
FAY = person("fay", "finance")
AUDITING_FINANCE = person("ann", "auditor", "finance")
ADMIN = person("root", "admin")
AUDITING_ADMIN = person("aud", "admin", "auditor")
AUDITING_OWNER = person("olga", "process_owner", "auditor")


def never_asked() -> bool:
    raise AssertionError("the model's assignee is only asked about when it could change the answer")


def test_a_verdict_cannot_be_read_as_a_bool() -> None:
    with pytest.raises(TypeError):
        bool(access.claim_task(FAY, Task(), SAM))
    assert access.claim_task(FAY, Task(), SAM).allowed


def test_an_auditor_in_a_candidate_group_still_cannot_claim_or_complete() -> None:
    assert access.is_candidate(AUDITING_FINANCE, ["finance"], [])
    assert access.claim_task(AUDITING_FINANCE, Task(), SAM).refusal == (
        "auditors have read-only access: they change nothing"
    )
    mine = Task(assignee="ann")
    assert not access.complete_task(AUDITING_FINANCE, mine, SAM, never_asked).allowed


def test_auditors_change_nothing_even_as_admins() -> None:
    for verdict in (
        access.deploy_models(AUDITING_ADMIN),
        access.manage_users(AUDITING_ADMIN),
        access.retry_incidents(AUDITING_ADMIN),
        access.suspend_instance(AUDITING_ADMIN),
        access.cancel_instance(AUDITING_ADMIN, SAM),
        access.start_instance(AUDITING_ADMIN, "countersign", []),
        access.send_event(AUDITING_ADMIN, [], "product_recall"),
        access.work_external_tasks(AUDITING_ADMIN),
        access.set_external_task_retries(AUDITING_ADMIN),
        access.unclaim_task(AUDITING_ADMIN, Task(assignee="fay")),
        access.assign_task(AUDITING_ADMIN, Task(), FAY, SAM),
        access.manage_credentials(AUDITING_ADMIN, "fay"),
    ):
        assert verdict.refusal == "auditors have read-only access: they change nothing"
    # Reading is theirs: the admin's reads stay.
    assert access.list_users(AUDITING_ADMIN).allowed
    assert access.list_timers(AUDITING_ADMIN).allowed


def test_a_dry_run_changes_nothing_so_an_auditing_process_owner_may_validate() -> None:
    assert access.validate_models(AUDITING_OWNER).allowed
    assert not access.deploy_models(AUDITING_OWNER).allowed
    assert access.validate_models(FAY).refusal == "only process owners and admins validate models"


def test_an_admin_who_is_not_a_candidate_cannot_claim_or_complete() -> None:
    refusal = access.complete_task(ADMIN, Task(), SAM, never_asked).refusal
    assert refusal == "you are not a candidate for task 7 (Finance review); candidates: group finance"
    assert not access.claim_task(ADMIN, Task(), SAM).allowed
    # but an admin may hand the task to a candidate, or take it back from its holder
    assert access.assign_task(ADMIN, Task(), FAY, SAM).allowed
    assert access.unclaim_task(ADMIN, Task(assignee="fay")).allowed


def test_a_requester_who_is_a_candidate_cannot_approve_their_own_request() -> None:
    requester = person(SAM, "finance")
    refusal = access.claim_task(requester, Task(), SAM).refusal
    assert refusal is not None and refusal.startswith("segregation of duties: sam requested instance 3")
    assert access.claim_task(requester, Task(is_approval=False), SAM).allowed  # not an approval
    assert not access.assign_task(FAY, Task(), requester, SAM).allowed
    held = Task(assignee=SAM)  # given to him before; completing is checked again
    assert not access.complete_task(requester, held, SAM, never_asked).allowed


def test_completion_checks_authority_again() -> None:
    held = Task(assignee="fay")
    moved = person("fay", "legal")  # an admin changed her groups since she claimed
    assert access.complete_task(FAY, held, SAM, never_asked).allowed
    assert not access.complete_task(moved, held, SAM, lambda: False).allowed
    # The model itself names her (camunda:assignee): the model's word stands...
    assert access.complete_task(moved, held, SAM, lambda: True).allowed
    # ...but never makes the requester an approver.
    named_requester = person(SAM)
    assert not access.complete_task(named_requester, Task(assignee=SAM), SAM, lambda: True).allowed
    assert access.complete_task(FAY, Task(assignee="fred"), SAM, never_asked).refusal == (
        "task 7 is assigned to fred; only they may complete it"
    )


def test_assigning_refuses_a_target_who_may_not_hold_it() -> None:
    lee = person("lee", "legal")
    assert access.assign_task(FAY, Task(), lee, SAM).refusal == (
        "lee is not a candidate for task 7 (Finance review); candidates: group finance"
    )
    assert not access.assign_task(lee, Task(), FAY, SAM).allowed  # not a candidate, not admin
    assert not access.assign_task(FAY, Task(assignee="fred"), FAY, SAM).allowed  # fred holds it
    assert access.assign_task(FAY, Task(assignee="fay"), person("fred", "finance"), SAM).allowed


def test_a_task_naming_nobody_is_open_to_anyone_but_its_requester_approving() -> None:
    open_task = Task(candidate_groups=[])
    assert access.claim_task(person("ed", "marketing"), open_task, SAM).allowed
    assert not access.claim_task(person(SAM), open_task, SAM).allowed


def test_only_the_holder_or_an_admin_releases_a_task() -> None:
    assert access.unclaim_task(FAY, Task(assignee="fay")).allowed
    assert access.unclaim_task(FAY, Task(assignee="fred")).refusal == (
        "task 7 is claimed by fred; only they or an admin may release it"
    )


def test_who_sees_a_task() -> None:
    ed = person("ed", "marketing")
    assert not access.see_task(ed, Task(), SAM).allowed
    assert access.see_task(person(SAM), Task(), SAM).allowed  # the requester follows their request
    assert access.see_task(ed, Task(completed_by="ed"), SAM).allowed
    assert access.see_task(person("olga", "process_owner"), Task(), SAM).allowed


def test_starter_and_sender_groups_admit_their_members_and_admins() -> None:
    assert access.start_instance(FAY, "contract", []).allowed  # names no starters: anyone
    assert access.start_instance(FAY, "contract", ["sales_rep"]).refusal == (
        "only members of sales_rep may start contract"
    )
    assert access.start_instance(ADMIN, "contract", ["sales_rep"]).allowed
    assert access.send_event(FAY, ["finance"], "paid").allowed
    assert access.send_event(person("ed", "marketing"), ["finance"], "paid").refusal == (
        "only members of finance may send 'paid'"
    )
    assert access.send_event(ADMIN, ["finance"], "paid").allowed


def test_credentials_are_ones_own_or_an_admins_business() -> None:
    assert access.manage_credentials(FAY, "fay").allowed
    assert access.manage_credentials(FAY, "fred").refusal == (
        "only members of the admin group manage users and groups"
    )
    assert access.manage_credentials(ADMIN, "fay").allowed
    assert access.manage_credentials(person("ann", "auditor"), "ann").allowed  # renewing one's own


def test_preferences_are_ones_own_or_an_admins_business() -> None:
    assert access.change_preferences(FAY, "fay").allowed
    assert access.change_preferences(FAY, "fred").refusal == (
        "only members of the admin group manage users and groups"
    )
    assert access.change_preferences(ADMIN, "fay").allowed
    assert access.change_preferences(person("ann", "auditor"), "ann").allowed  # how their pages read
    assert not access.change_preferences(AUDITING_ADMIN, "fay").allowed


def test_the_initiator_may_cancel_their_own_instance() -> None:
    assert access.cancel_instance(person(SAM, "sales"), SAM).allowed
    assert not access.cancel_instance(FAY, SAM).allowed


def test_external_tasks_workers_act_auditors_read() -> None:
    worker = person("w", "external_worker")
    auditor = person("ann", "auditor")
    assert access.work_external_tasks(worker).allowed and access.read_external_tasks(worker).allowed
    assert access.read_external_tasks(auditor).allowed and not access.work_external_tasks(auditor).allowed
    assert not access.set_external_task_retries(worker).allowed
