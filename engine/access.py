"""Who may do what: every permission of the product, decided here and only here.

Each permission is a function named after what the actor wants to do (``claim_task``,
``deploy_models``) returning a ``Verdict``. The services call ``.require()`` at the start of
each public method, so the API, the CLI and any other face get the same answer; a UI asks
``.allowed`` to hide a button without catching anything. Functions take plain values (group
lists, a user name, a task's facts), never objects of the packages that call them: this module
sits below them all (engine.errors, engine.identity, engine.store and SQLAlchemy only).

Rules every permission shares:
- members of ``auditor`` read everything and change nothing: every write permission refuses
  them first, even when another group would allow it (an admin who is also an auditor);
- admins and process owners read every instance; everyone else reads the instances they
  started, took part in, or may work on now.

The SQL conditions at the end say the same about rows: whose tasks are whose, which instances
an actor may read.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import Connection, exists, or_, select

from engine.actor import ADMIN, AUDITOR, EXTERNAL_WORKER, PROCESS_OWNER, Actor
from engine.errors import NotFound, PermissionDenied
from engine.statuses import OPEN
from engine.store.schema import (
    history_events,
    model_versions,
    process_instances,
    user_task_candidates,
    user_tasks,
)


@dataclass(frozen=True)
class Verdict:
    """Allowed, or refused with a message for a person."""

    refusal: str | None = None

    @property
    def allowed(self) -> bool:
        return self.refusal is None

    def require(self) -> None:
        if self.refusal is not None:
            raise PermissionDenied(self.refusal)

    def __bool__(self) -> bool:
        # A refusal is a non-empty message: `if claim_task(...)` would read backwards.
        raise TypeError("ask verdict.allowed, or call verdict.require()")


ALLOWED = Verdict()


def _first(*verdicts: Verdict) -> Verdict:
    """The first refusal, in the order given (the order decides which message a person reads)."""
    return next((v for v in verdicts if not v.allowed), ALLOWED)


def _unless(allowed: bool, refusal: str) -> Verdict:
    return ALLOWED if allowed else Verdict(refusal)


class TaskFacts(Protocol):
    """What the task rules read of an inbox task (engine.tasks.views.TaskInfo has it all)."""

    id: int
    instance_id: int
    name: str | None
    element_id: str
    assignee: str | None
    completed_by: str | None
    candidate_groups: list[str]
    candidate_users: list[str]
    is_approval: bool


# --- reading everything ---------------------------------------------------------------------


def reads_everything(actor: Actor) -> bool:
    """Admins, auditors and process owners see every instance, task and timer."""
    return actor.in_any(ADMIN, AUDITOR, PROCESS_OWNER)


def change_anything(actor: Actor) -> Verdict:
    """The auditor rule: part of every write permission below. Services ask it first in a write
    method whose full permission needs state they have not loaded yet, so that an auditor is
    refused before anything is looked up (as before the engine decided)."""
    return _unless(not actor.in_any(AUDITOR), "auditors have read-only access: they change nothing")


# --- models ----------------------------------------------------------------------------------

DEPLOYERS = (ADMIN, PROCESS_OWNER)


def deploy_models(actor: Actor) -> Verdict:
    return _first(
        _unless(actor.in_any(*DEPLOYERS), "only process owners and admins deploy models"),
        change_anything(actor),
    )


def validate_models(actor: Actor) -> Verdict:
    """A dry run changes nothing: auditors who are also process owners may validate."""
    return _unless(actor.in_any(*DEPLOYERS), "only process owners and admins validate models")


# --- users, groups, credentials --------------------------------------------------------------


def list_users(actor: Actor) -> Verdict:
    return _unless(actor.is_admin, "only members of the admin group list users")


def manage_users(actor: Actor) -> Verdict:
    """Add users and groups, change their groups, (de)activate them, lift a login back-off."""
    return _first(
        _unless(actor.is_admin, "only members of the admin group manage users and groups"),
        change_anything(actor),
    )


def manage_credentials(actor: Actor, user_name: str) -> Verdict:
    """Issue an API token or set a password: anyone for themself (auditors too: renewing one's own
    access changes nothing they audit), an admin for anyone."""
    return ALLOWED if actor.name == user_name else manage_users(actor)


def change_preferences(actor: Actor, user_name: str) -> Verdict:
    """Language and time zone: anyone their own (auditors too: how a page reads is not what they
    audit), an admin anyone's."""
    return ALLOWED if actor.name == user_name else manage_users(actor)


# --- instances -------------------------------------------------------------------------------


def start_instance(actor: Actor, model_key: str, starter_groups: Collection[str]) -> Verdict:
    """candidateStarterGroups: when a model names them, only their members (and admins) start it."""
    return _first(
        change_anything(actor),
        _unless(
            not starter_groups or actor.is_admin or actor.in_any(*starter_groups),
            f"only members of {', '.join(starter_groups)} may start {model_key}",
        ),
    )


def cancel_instance(actor: Actor, initiator: str) -> Verdict:
    return _first(
        change_anything(actor),
        _unless(
            actor.in_any(ADMIN, PROCESS_OWNER) or initiator == actor.name,
            "only the initiator, a process owner or an admin cancels an instance",
        ),
    )


def suspend_instance(actor: Actor) -> Verdict:
    """Suspend or resume."""
    return _first(
        change_anything(actor),
        _unless(
            actor.in_any(ADMIN, PROCESS_OWNER), "only process owners and admins suspend or resume instances"
        ),
    )


def retry_incidents(actor: Actor) -> Verdict:
    """Start a failed call activity or timer again, give an external task retries."""
    return _first(change_anything(actor), _unless(actor.is_admin, "only admins retry incidents"))


def see_incidents(actor: Actor) -> Verdict:
    """The operators' list of incidents: the installation's machinery (errors, expressions), not
    anyone's work; the people who read every instance read it."""
    return _unless(
        reads_everything(actor), f"only members of {ADMIN}, {AUDITOR} or {PROCESS_OWNER} see incidents"
    )


def send_event(actor: Actor, sender_groups: Collection[str], name: str) -> Verdict:
    """A message or signal; senderGroups on its catching or starting event limit who sends it."""
    return _first(
        change_anything(actor),
        _unless(
            not sender_groups or actor.is_admin or actor.in_any(*sender_groups),
            f"only members of {', '.join(sender_groups)} may send {name!r}",
        ),
    )


def list_timers(actor: Actor) -> Verdict:
    return _unless(
        reads_everything(actor), f"only members of {ADMIN}, {AUDITOR} or {PROCESS_OWNER} list timers"
    )


def read_overview(actor: Actor) -> Verdict:
    """The process overview: counts and waiting times across every instance of every model."""
    return _unless(
        reads_everything(actor),
        f"only members of {ADMIN}, {AUDITOR} or {PROCESS_OWNER} read the process overview",
    )


# --- external tasks (Camunda's worker API) ---------------------------------------------------


def read_external_tasks(actor: Actor) -> Verdict:
    return _unless(
        actor.in_any(EXTERNAL_WORKER, ADMIN, AUDITOR),
        f"only members of {EXTERNAL_WORKER}, auditor or admin read external tasks",
    )


def work_external_tasks(actor: Actor) -> Verdict:
    """Fetch and lock, complete, fail, throw a BPMN error, extend or release a lock."""
    return _first(
        _unless(
            actor.in_any(EXTERNAL_WORKER, ADMIN),
            f"only members of {EXTERNAL_WORKER} or admin work external tasks",
        ),
        change_anything(actor),
    )


def set_external_task_retries(actor: Actor) -> Verdict:
    return _first(
        _unless(actor.is_admin, "only admins set the retries of an external task"),
        change_anything(actor),
    )


# --- user tasks ------------------------------------------------------------------------------
# Only a candidate holds a task (one naming no candidates is open to anyone); there is no admin
# override: the authority limits of the processes live in the candidate groups. The requester
# never holds an approval task of their own request (segregation of duties).


def is_candidate(actor: Actor, candidate_groups: Collection[str], candidate_users: Collection[str]) -> bool:
    if not candidate_groups and not candidate_users:
        return True
    return actor.name in candidate_users or actor.in_any(*candidate_groups)


def see_task(actor: Actor, task: TaskFacts, initiator: str) -> Verdict:
    return _unless(
        reads_everything(actor)
        or actor.name in (task.assignee, task.completed_by, initiator)
        or is_candidate(actor, task.candidate_groups, task.candidate_users),
        f"task {task.id} is not for {actor.name}",
    )


def _candidate(holder: Actor, task: TaskFacts, by_self: bool) -> Verdict:
    if is_candidate(holder, task.candidate_groups, task.candidate_users):
        return ALLOWED
    who = "you are" if by_self else f"{holder.name} is"
    candidates = [f"group {g}" for g in task.candidate_groups] + [f"user {u}" for u in task.candidate_users]
    return Verdict(
        f"{who} not a candidate for task {task.id} ({task.name or task.element_id}); "
        f"candidates: {', '.join(candidates)}"
    )


def _segregation(holder: Actor, task: TaskFacts, initiator: str) -> Verdict:
    return _unless(
        not (task.is_approval and initiator == holder.name),
        f"segregation of duties: {holder.name} requested instance {task.instance_id} and may not approve it "
        f"(task {task.id}, {task.name or task.element_id})",
    )


def hold_task(holder: Actor, task: TaskFacts, initiator: str, by_self: bool = True) -> Verdict:
    """May ``holder`` be given the task (claim it, be assigned it, complete it unclaimed)?
    ``by_self``: the holder asks (the refusal says "you")."""
    return _first(
        _candidate(holder, task, by_self),
        _segregation(holder, task, initiator),
    )


def claim_task(actor: Actor, task: TaskFacts, initiator: str) -> Verdict:
    return _first(change_anything(actor), hold_task(actor, task, initiator))


def unclaim_task(actor: Actor, task: TaskFacts) -> Verdict:
    return _first(
        change_anything(actor),
        _unless(
            task.assignee == actor.name or actor.is_admin,
            f"task {task.id} is claimed by {task.assignee}; only they or an admin may release it",
        ),
    )


def assign_task(actor: Actor, task: TaskFacts, target: Actor, initiator: str) -> Verdict:
    return _first(
        change_anything(actor),
        _unless(
            actor.is_admin
            or task.assignee == actor.name
            or (task.assignee is None and is_candidate(actor, task.candidate_groups, task.candidate_users)),
            f"{actor.name} may not assign task {task.id}: only an admin, its assignee, "
            "or (while unclaimed) one of its candidates may",
        ),
        hold_task(target, task, initiator, by_self=False),
    )


def complete_task(
    actor: Actor, task: TaskFacts, initiator: str, named_by_model: Callable[[], bool]
) -> Verdict:
    """Only the assignee completes (an unclaimed task is claimed by its completer, if they may hold
    it). Authority is checked again: the assignee got the task as a candidate or because the model
    names them (``named_by_model``, asked only when needed); an admin may have changed their groups
    since. Segregation of duties holds for both: a model naming the requester on an approval task
    does not make them an approver."""
    if task.assignee is not None and task.assignee != actor.name:
        return _first(
            change_anything(actor),
            Verdict(f"task {task.id} is assigned to {task.assignee}; only they may complete it"),
        )
    if (
        task.assignee is None
        or is_candidate(actor, task.candidate_groups, task.candidate_users)
        or not named_by_model()
    ):
        return claim_task(actor, task, initiator)
    return _first(change_anything(actor), _segregation(actor, task, initiator))


# --- the same, as SQL conditions on rows ------------------------------------------------------

ANYONE = "anyone"  # the candidate row kind of a task that names no candidates (name "*")


def candidate_rows(groups: list[str], users: list[str]) -> list[tuple[str, str]]:
    """(kind, name) candidate rows of a task: its groups and users, or the one 'anyone' row."""
    rows = [("group", g) for g in groups] + [("user", u) for u in users]
    return rows or [(ANYONE, "*")]


def candidate_of(actor: Actor) -> Any:
    """``is_candidate`` on a ``user_tasks`` row: it names the actor, one of their groups, or nobody."""
    return exists().where(
        (user_task_candidates.c.task_id == user_tasks.c.id)
        & or_(
            (user_task_candidates.c.kind == "group") & user_task_candidates.c.name.in_(sorted(actor.groups)),
            (user_task_candidates.c.kind == "user") & (user_task_candidates.c.name == actor.name),
            user_task_candidates.c.kind == ANYONE,
        )
    )


def candidate_task_ids(actor: Actor) -> Any:
    """``candidate_of`` as a set of task ids (read once off the candidates index, not probed per
    task): what a query that must look at every task an actor may hold starts from."""
    return select(user_task_candidates.c.task_id).where(
        or_(
            (user_task_candidates.c.kind == "group") & user_task_candidates.c.name.in_(sorted(actor.groups)),
            (user_task_candidates.c.kind == "user") & (user_task_candidates.c.name == actor.name),
            user_task_candidates.c.kind == ANYONE,
        )
    )


def claimable_by(actor: Actor) -> Any:
    """Unassigned, and the actor is a candidate (or the task names no candidates at all)."""
    return user_tasks.c.assignee.is_(None) & candidate_of(actor)


def workable_by(actor: Actor) -> Any:
    """Assigned to the actor, or claimable by them: the actor's inbox."""
    return or_(user_tasks.c.assignee == actor.name, claimable_by(actor))


def tasks_visible_to(actor: Actor) -> Any:
    """SQL condition: the inbox tasks ``actor`` may list (None: all of them). Employees see the
    tasks they hold, could claim, or completed themselves, and those of their own requests (as
    ``see_task`` lets them open each: where a request stands is its requester's business)."""
    if reads_everything(actor):
        return None
    own_request = exists().where(
        (process_instances.c.id == user_tasks.c.instance_id) & (process_instances.c.initiator == actor.name)
    )
    return or_(workable_by(actor), user_tasks.c.completed_by == actor.name, own_request)


def visible_to(actor: Actor) -> Any:
    """SQL condition: the instances ``actor`` may read (None: all of them)."""
    if reads_everything(actor):
        return None
    # A candidate of an open task reads its instance even once a colleague has claimed it, as
    # ``see_task`` lets them open the task: the page of a task one may see must not refuse its request.
    works_on = exists().where(
        (user_tasks.c.instance_id == process_instances.c.id)
        & (user_tasks.c.status == OPEN)
        & or_(user_tasks.c.assignee == actor.name, candidate_of(actor))
    )
    participant = exists().where(
        (history_events.c.instance_id == process_instances.c.id) & (history_events.c.actor == actor.name)
    )
    return or_(process_instances.c.initiator == actor.name, participant, works_on)


INSTANCE_COLUMNS = (*process_instances.c, model_versions.c.version.label("model_version"))


def require_visible(conn: Connection, instance_id: int, actor: Actor) -> Any:
    """The instance row (with its model version number), if ``actor`` may read it."""
    query = (
        select(*INSTANCE_COLUMNS)
        .join(model_versions, model_versions.c.id == process_instances.c.version_id)
        .where(process_instances.c.id == instance_id)
    )
    row = conn.execute(query).first()
    if row is None:
        raise NotFound(f"no process instance {instance_id}")
    condition = visible_to(actor)
    if (
        condition is not None
        and conn.scalar(
            select(process_instances.c.id).where((process_instances.c.id == instance_id) & condition)
        )
        is None
    ):
        raise PermissionDenied(f"{actor.name} takes no part in instance {instance_id}")
    return row
