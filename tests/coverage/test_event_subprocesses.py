"""Event subprocesses: armed with their scope, interrupting or not, at process level and inside an
embedded subprocess; the inbox, timers and subscriptions follow, and the history says what happened."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine.errors import ModelValidationError
from tests.coverage.helpers import Driver, bpmn, flow, script, user_task

COLD = pytest.mark.parametrize("cold", [False, True], ids=["warm", "cold"])

MESSAGES = (
    '<bpmn:message id="m_cancel" name="cancel_request" />'
    '<bpmn:message id="m_ping" name="ping" />'
    '<bpmn:signal id="s_audit" name="audit" />'
)


def event_subprocess(sub_id: str, start: str, body: str, interrupting: bool = True) -> str:
    """An event subprocess whose start event carries ``start`` (an event definition) and runs ``body``
    (elements chained by the caller's flows, from ``{sub_id}_start``)."""
    flag = "" if interrupting else ' isInterrupting="false"'
    return (
        f'<bpmn:subProcess id="{sub_id}" triggeredByEvent="true">'
        f'<bpmn:startEvent id="{sub_id}_start"{flag}>{start}</bpmn:startEvent>{body}</bpmn:subProcess>'
    )


PROCESS_LEVEL = bpmn(
    "watched_review",
    '<bpmn:startEvent id="start" />'
    + user_task("review")
    + '<bpmn:endEvent id="end" />'
    + flow("f1", "start", "review")
    + flow("f2", "review", "end")
    # Interrupting: a cancellation request stops the review.
    + event_subprocess(
        "on_cancel",
        '<bpmn:messageEventDefinition messageRef="m_cancel" />',
        script("mark_cancelled", "cancelled = True")
        + '<bpmn:endEvent id="cancel_end" />'
        + flow("c1", "on_cancel_start", "mark_cancelled")
        + flow("c2", "mark_cancelled", "cancel_end"),
    )
    # Non-interrupting: every ping asks someone to answer it, while the review goes on.
    + event_subprocess(
        "on_ping",
        '<bpmn:messageEventDefinition messageRef="m_ping" />',
        user_task("answer_ping") + flow("p1", "on_ping_start", "answer_ping"),
        interrupting=False,
    )
    # Non-interrupting timer: after an hour the review is marked late, once.
    + event_subprocess(
        "on_late",
        "<bpmn:timerEventDefinition><bpmn:timeDuration>PT1H</bpmn:timeDuration></bpmn:timerEventDefinition>",
        script("mark_late", "late = True") + flow("l1", "on_late_start", "mark_late"),
        interrupting=False,
    )
    # Non-interrupting signal.
    + event_subprocess(
        "on_audit",
        '<bpmn:signalEventDefinition signalRef="s_audit" />',
        script("mark_audited", "audited = True") + flow("a1", "on_audit_start", "mark_audited"),
        interrupting=False,
    ),
    MESSAGES,
)


def _open(run: Driver) -> list[str]:
    return sorted(element for element, status in run.rows()["user_tasks"] if status == "open")


@COLD
def test_event_subprocess_starts_are_awaited_from_the_start_of_their_scope(make_engine, clock, cold):
    run = Driver(make_engine, clock, cold)
    run.deploy({"watched_review.bpmn": PROCESS_LEVEL})
    run.start("watched_review", business_key="R-1")
    rows = run.rows()
    assert ("on_late_start", "pending") in rows["timers"]
    assert sorted(rows["event_subscriptions"]) == [
        ("on_audit_start", "waiting"),
        ("on_cancel_start", "waiting"),
        ("on_ping_start", "waiting"),
    ]
    assert _open(run) == ["review"]


@COLD
def test_a_non_interrupting_message_starts_a_run_each_time_and_the_scope_waits_for_them(
    make_engine, clock, cold
):
    run = Driver(make_engine, clock, cold)
    run.deploy({"watched_review.bpmn": PROCESS_LEVEL})
    run.start("watched_review", business_key="R-1")
    run.message("ping", "R-1")
    run.message("ping", "R-1")
    assert _open(run) == ["answer_ping", "answer_ping", "review"]
    # Still subscribed for the next ping: one delivered subscription per ping, one waiting.
    pings = [s for e, s in run.rows()["event_subscriptions"] if e == "on_ping_start"]
    assert sorted(pings) == ["delivered", "delivered", "waiting"]
    run.complete("review")
    assert run.status() == "running"  # two runs of the event subprocess are still open
    for task_id in [t for e, t in _open_ids(run) if e == "answer_ping"]:
        run.engine.tasks.complete(task_id, run.people["stu"], {})
    assert run.status() == "completed"
    # The scope ended: what its event subprocesses still waited for is closed as cancelled.
    rows = run.rows()
    assert ("on_late_start", "cancelled") in rows["timers"]
    assert ("on_cancel_start", "cancelled") in rows["event_subscriptions"]
    assert ("on_ping_start", "cancelled") in rows["event_subscriptions"]
    assert not [r for r in rows["event_subscriptions"] if r[1] == "waiting"]
    caught = [e for e in run.history() if e.type == "event_caught" and e.element_id == "on_ping_start"]
    assert len(caught) == 2 and caught[0].data["interrupting"] is False
    assert "message_wait_cancelled" in run.history_types("on_cancel_start")
    run.verify()


def _open_ids(run: Driver) -> list[tuple[str, int]]:
    from engine.tasks.service import TaskQuery

    found = run.engine.tasks.list(run.people["stu"], TaskQuery(instance_id=run.instance_id))
    return [(t.element_id, t.id) for t in found]


@COLD
def test_an_interrupting_message_cancels_the_scope_and_its_inbox_tasks(make_engine, clock, cold):
    run = Driver(make_engine, clock, cold)
    run.deploy({"watched_review.bpmn": PROCESS_LEVEL})
    run.start("watched_review", business_key="R-2")
    run.message("ping", "R-2")
    assert _open(run) == ["answer_ping", "review"]
    run.message("cancel_request", "R-2")
    assert run.status() == "completed"
    assert run.data()["cancelled"] is True
    rows = run.rows()
    assert sorted(rows["user_tasks"]) == [("answer_ping", "cancelled"), ("review", "cancelled")]
    assert rows["timers"] == [("on_late_start", "cancelled")]
    assert not [r for r in rows["event_subscriptions"] if r[1] == "waiting"]
    types = run.history_types()
    assert types.count("task_cancelled") == 2
    assert "timer_cancelled" in types
    caught = [e for e in run.history() if e.type == "event_caught" and e.element_id == "on_cancel_start"]
    assert caught[0].data == {"event_subprocess": "on_cancel", "interrupting": True}
    # A second cancellation finds nobody waiting.
    with pytest.raises(Exception, match="no process waits"):
        run.message("cancel_request", "R-2")
    run.verify()


@COLD
def test_a_non_interrupting_timer_and_a_signal_run_beside_the_main_flow(make_engine, clock, cold):
    run = Driver(make_engine, clock, cold)
    run.deploy({"watched_review.bpmn": PROCESS_LEVEL})
    run.start("watched_review", business_key="R-3")
    assert run.advance(timedelta(minutes=59)) == 0
    assert run.advance(timedelta(minutes=1)) == 1
    assert _open(run) == ["review"]
    run.signal("audit")
    assert "timer_fired" in run.history_types("on_late_start")
    # A duration fires once: nothing is armed again.
    assert [s for e, s in run.rows()["timers"] if e == "on_late_start"] == ["fired"]
    run.complete("review")
    assert run.status() == "completed"
    assert run.data()["late"] is True and run.data()["audited"] is True
    run.verify()


def nested_model() -> str:
    return bpmn(
        "nested_deadline",
        '<bpmn:startEvent id="start" />'
        '<bpmn:subProcess id="drafting">'
        '<bpmn:startEvent id="drafting_start" />'
        + user_task("draft", fields=("verdict",))
        + '<bpmn:exclusiveGateway id="ok" default="fine" />'
        '<bpmn:endEvent id="drafting_end" />'
        '<bpmn:endEvent id="broken"><bpmn:errorEventDefinition errorRef="e_bad" /></bpmn:endEvent>'
        + flow("d1", "drafting_start", "draft")
        + flow("d2", "draft", "ok")
        + flow("fine", "ok", "drafting_end")
        + flow("bad", "ok", "broken", "verdict == 'bad'")
        + event_subprocess(
            "too_slow",
            "<bpmn:timerEventDefinition><bpmn:timeDuration>PT2H</bpmn:timeDuration></bpmn:timerEventDefinition>",
            script("mark_slow", "slow = True") + flow("t1", "too_slow_start", "mark_slow"),
        )
        + event_subprocess(
            "on_bad",
            '<bpmn:errorEventDefinition errorRef="e_bad" />',
            script("mark_bad", "repaired = True") + flow("b1", "on_bad_start", "mark_bad"),
        )
        + "</bpmn:subProcess>"
        + user_task("after")
        + '<bpmn:endEvent id="end" />'
        + flow("f1", "start", "drafting")
        + flow("f2", "drafting", "after")
        + flow("f3", "after", "end"),
        '<bpmn:error id="e_bad" name="Bad" errorCode="BAD" />',
    )


@COLD
def test_a_timer_event_subprocess_interrupts_only_its_embedded_subprocess(make_engine, clock, cold):
    run = Driver(make_engine, clock, cold)
    run.deploy({"nested_deadline.bpmn": nested_model()})
    run.start("nested_deadline")
    assert _open(run) == ["draft"]
    assert run.rows()["timers"] == [("too_slow_start", "pending")]
    assert run.advance(timedelta(hours=2)) == 1
    rows = run.rows()
    assert sorted(rows["user_tasks"]) == [("after", "open"), ("draft", "cancelled")]
    assert rows["timers"] == [("too_slow_start", "fired")]
    assert run.data()["slow"] is True
    run.complete("after")
    assert run.status() == "completed"
    run.verify()


@COLD
def test_an_error_thrown_in_a_subprocess_starts_its_error_event_subprocess(make_engine, clock, cold):
    run = Driver(make_engine, clock, cold)
    run.deploy({"nested_deadline.bpmn": nested_model()})
    run.start("nested_deadline")
    run.complete("draft", {"verdict": "bad"})
    # The error end event ended the subprocess's path; its error event subprocess ran and, being
    # interrupting, cancelled the deadline; the process went on after the subprocess.
    assert _open(run) == ["after"]
    assert run.rows()["timers"] == [("too_slow_start", "cancelled")]
    assert run.data()["repaired"] is True
    assert run.history_types("broken") == ["end_event"]
    assert "event_caught" in run.history_types("on_bad_start")
    run.complete("after")
    assert run.status() == "completed"
    run.verify()


@COLD
def test_a_subprocess_without_errors_cancels_its_armed_event_subprocesses(make_engine, clock, cold):
    run = Driver(make_engine, clock, cold)
    run.deploy({"nested_deadline.bpmn": nested_model()})
    run.start("nested_deadline")
    run.complete("draft", {"verdict": "good"})
    assert _open(run) == ["after"]
    assert run.rows()["timers"] == [("too_slow_start", "cancelled")]
    assert "repaired" not in run.data() and "slow" not in run.data()
    # Later, nothing of the subprocess fires.
    assert run.advance(timedelta(hours=3)) == 0
    run.complete("after")
    assert run.status() == "completed"


def test_an_event_subprocess_is_checked_at_deploy(make_engine, clock):
    run = Driver(make_engine, clock, False)
    model = bpmn(
        "bad_subprocesses",
        '<bpmn:startEvent id="start" />'
        + user_task("work")
        + flow("f1", "start", "work")
        + event_subprocess("plain", "", script("p", "x = 1") + flow("p1", "plain_start", "p"))
        + event_subprocess(
            "flowing",
            '<bpmn:messageEventDefinition messageRef="m_ping" />',
            script("q", "x = 2") + flow("q1", "flowing_start", "q"),
        )
        + flow("f2", "work", "flowing")
        + event_subprocess(
            "soft_error",
            "<bpmn:errorEventDefinition />",
            script("r", "x = 3") + flow("r1", "soft_error_start", "r"),
            interrupting=False,
        )
        + event_subprocess(
            "cycling",
            "<bpmn:timerEventDefinition><bpmn:timeCycle>R3/PT1H</bpmn:timeCycle></bpmn:timerEventDefinition>",
            script("s", "x = 4") + flow("s1", "cycling_start", "s"),
        ),
        MESSAGES,
    )
    with pytest.raises(ModelValidationError) as caught:
        run.deploy({"bad_subprocesses.bpmn": model})
    problems = {p.element_id: p for p in caught.value.problems}
    assert "needs an event definition" in problems["plain_start"].message
    assert problems["plain_start"].line is not None
    assert "no incoming or outgoing sequence flow" in problems["flowing"].message
    assert "always interrupts" in problems["soft_error_start"].message
    assert "runs once" in problems["cycling_start"].message


CYCLE = bpmn(
    "hourly_check",
    '<bpmn:startEvent id="start" />'
    + user_task("review")
    + flow("f1", "start", "review")
    + event_subprocess(
        "every_hour",
        "<bpmn:timerEventDefinition><bpmn:timeCycle>R2/PT1H</bpmn:timeCycle></bpmn:timerEventDefinition>",
        user_task("check") + flow("h1", "every_hour_start", "check"),
        interrupting=False,
    ),
)


@COLD
def test_a_non_interrupting_timer_cycle_starts_a_run_at_each_occurrence(make_engine, clock, cold):
    run = Driver(make_engine, clock, cold)
    run.deploy({"hourly_check.bpmn": CYCLE})
    run.start("hourly_check")
    assert run.advance(timedelta(hours=1)) == 1
    assert _open(run) == ["check", "review"]
    assert run.advance(timedelta(hours=1)) == 1
    assert _open(run) == ["check", "check", "review"]
    # R2: two occurrences, then nothing more.
    assert run.advance(timedelta(hours=5)) == 0
    assert _open(run) == ["check", "check", "review"]
    for _element, task_id in _open_ids(run):
        run.engine.tasks.complete(task_id, run.people["stu"], {})
    assert run.status() == "completed"
    assert not [t for t in run.rows()["timers"] if t[1] == "pending"]
    run.verify()


ESCALATING = bpmn(
    "escalating",
    '<bpmn:startEvent id="start" />'
    '<bpmn:subProcess id="work"><bpmn:startEvent id="work_start" />'
    + user_task("prepare")
    + '<bpmn:intermediateThrowEvent id="raise"><bpmn:escalationEventDefinition escalationRef="esc" />'
    "</bpmn:intermediateThrowEvent>"
    + user_task("finish")
    + flow("w1", "work_start", "prepare")
    + flow("w2", "prepare", "raise")
    + flow("w3", "raise", "finish")
    + event_subprocess(
        "on_escalation",
        '<bpmn:escalationEventDefinition escalationRef="esc" />',
        user_task("inform_manager") + flow("e1", "on_escalation_start", "inform_manager"),
        interrupting=False,
    )
    + event_subprocess(
        "on_question",
        '<bpmn:messageEventDefinition messageRef="m_ping" />',
        script("note_question", "asked = True") + flow("q1", "on_question_start", "note_question"),
        interrupting=False,
    )
    + "</bpmn:subProcess>"
    + '<bpmn:endEvent id="end" />'
    + flow("f1", "start", "work")
    + flow("f2", "work", "end"),
    MESSAGES + '<bpmn:escalation id="esc" name="Escalate" escalationCode="LATE" />',
)


@COLD
def test_escalation_and_messages_reach_event_subprocesses_inside_an_embedded_subprocess(
    make_engine, clock, cold
):
    run = Driver(make_engine, clock, cold)
    run.deploy({"escalating.bpmn": ESCALATING})
    run.start("escalating", business_key="E-1")
    assert ("on_question_start", "waiting") in run.rows()["event_subscriptions"]
    run.message("ping", "E-1")
    assert run.data()["asked"] is True
    run.complete("prepare")
    # Non-interrupting: the subprocess goes on to finish while the manager is informed.
    assert _open(run) == ["finish", "inform_manager"]
    run.complete("finish")
    assert run.status() == "running"
    run.complete("inform_manager")
    assert run.status() == "completed"
    # The subprocess ended: its message event subprocess no longer listens.
    assert not [s for s in run.rows()["event_subscriptions"] if s[1] == "waiting"]
    with pytest.raises(Exception, match="no process waits"):
        run.message("ping", "E-1")
    run.verify()


PROCESS_ERROR = bpmn(
    "process_error",
    '<bpmn:startEvent id="start" /><bpmn:parallelGateway id="fork" />'
    + user_task("decide", fields=("outcome",))
    + user_task("side")
    + '<bpmn:exclusiveGateway id="which" default="fine" />'
    '<bpmn:endEvent id="fail"><bpmn:errorEventDefinition errorRef="e_any" /></bpmn:endEvent>'
    '<bpmn:endEvent id="end" />'
    + flow("f1", "start", "fork")
    + flow("f2", "fork", "decide")
    + flow("f3", "fork", "side")
    + flow("f4", "decide", "which")
    + flow("fine", "which", "end")
    + flow("bad", "which", "fail", "outcome == 'bad'")
    # A catch-all error start (no errorRef) at process level.
    + event_subprocess(
        "on_error",
        "<bpmn:errorEventDefinition />",
        script("handle", "handled = True") + flow("h1", "on_error_start", "handle"),
    ),
    '<bpmn:error id="e_any" name="Any" errorCode="ANY" />',
)


@COLD
def test_an_error_at_process_level_starts_a_catch_all_error_event_subprocess(make_engine, clock, cold):
    run = Driver(make_engine, clock, cold)
    run.deploy({"process_error.bpmn": PROCESS_ERROR})
    run.start("process_error")
    assert _open(run) == ["decide", "side"]
    run.complete("decide", {"outcome": "bad"})
    assert run.status() == "completed"
    assert run.data()["handled"] is True
    assert ("side", "cancelled") in run.rows()["user_tasks"]
    assert run.history_types("fail") == ["end_event"]
    run.verify()


@COLD
def test_cancelling_the_instance_closes_what_its_event_subprocesses_wait_for(make_engine, clock, cold):
    run = Driver(make_engine, clock, cold)
    run.deploy({"watched_review.bpmn": PROCESS_LEVEL})
    run.start("watched_review", business_key="R-4")
    run.message("ping", "R-4")
    run.engine.runtime.cancel(run.instance_id, run.people["sam"], "withdrawn")
    assert run.status() == "cancelled"
    rows = run.rows()
    assert all(status == "cancelled" for _, status in rows["user_tasks"])
    assert rows["timers"] == [("on_late_start", "cancelled")]
    assert sorted(s for _, s in rows["event_subscriptions"]) == [
        "cancelled",
        "cancelled",
        "cancelled",
        "delivered",
    ]
    assert run.advance(timedelta(hours=2)) == 0
    run.verify()
