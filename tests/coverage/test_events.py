"""Error, escalation, terminate and signal events, inclusive gateways, send and receive tasks: each
driven to its end, warm and with every command in a new engine, and checked in the history."""

from __future__ import annotations

import pytest

from tests.coverage.helpers import Driver, bpmn, flow, script, user_task

COLD = pytest.mark.parametrize("cold", [False, True], ids=["warm", "cold"])

ERRORS = (
    '<bpmn:error id="e_budget" name="Over budget" errorCode="BUDGET" />'
    '<bpmn:error id="e_legal" name="Legal" errorCode="LEGAL" />'
)


def _open(run: Driver) -> list[str]:
    return sorted(element for element, status in run.rows()["user_tasks"] if status == "open")


def guarded_subprocess(key: str, boundaries: str) -> str:
    """An embedded subprocess that ends with an error end event of the code the user gives, or
    normally; a parallel inbox task inside it shows what the error cancels."""
    return bpmn(
        key,
        '<bpmn:startEvent id="start" />'
        '<bpmn:subProcess id="check"><bpmn:startEvent id="check_start" />'
        '<bpmn:parallelGateway id="both" />'
        + user_task("decide", fields=("outcome",))
        + user_task("side_work")
        + '<bpmn:exclusiveGateway id="which" default="ok" />'
        '<bpmn:endEvent id="check_end" />'
        '<bpmn:endEvent id="throw_budget"><bpmn:errorEventDefinition errorRef="e_budget" /></bpmn:endEvent>'
        '<bpmn:endEvent id="throw_legal"><bpmn:errorEventDefinition errorRef="e_legal" /></bpmn:endEvent>'
        + flow("c1", "check_start", "both")
        + flow("c2", "both", "decide")
        + flow("c3", "both", "side_work")
        + flow("c4", "decide", "which")
        + flow("ok", "which", "check_end")
        + flow("budget", "which", "throw_budget", "outcome == 'budget'")
        + flow("legal", "which", "throw_legal", "outcome == 'legal'")
        + "</bpmn:subProcess>"
        + boundaries
        + script("approved", "result = 'approved'")
        + '<bpmn:endEvent id="end" />'
        + flow("f1", "start", "check")
        + flow("f2", "check", "approved")
        + flow("f3", "approved", "end"),
        ERRORS,
    )


BY_CODE = guarded_subprocess(
    "errors_by_code",
    '<bpmn:boundaryEvent id="on_budget" attachedToRef="check">'
    '<bpmn:errorEventDefinition errorRef="e_budget" /></bpmn:boundaryEvent>'
    '<bpmn:boundaryEvent id="on_any" attachedToRef="check"><bpmn:errorEventDefinition /></bpmn:boundaryEvent>'
    + script("budget_path", "result = 'budget'")
    + script("any_path", "result = 'other error'")
    + flow("b1", "on_budget", "budget_path")
    + flow("b2", "on_any", "any_path"),
)


@COLD
@pytest.mark.parametrize(
    "outcome, result, caught_by",
    [("budget", "budget", "on_budget"), ("legal", "other error", "on_any"), ("fine", "approved", None)],
)
def test_an_error_end_event_is_caught_by_code_or_by_a_catch_all_boundary(
    make_engine, clock, cold, outcome, result, caught_by
):
    run = Driver(make_engine, clock, cold)
    run.deploy({"errors_by_code.bpmn": BY_CODE})
    run.start("errors_by_code")
    assert _open(run) == ["decide", "side_work"]
    run.complete("decide", {"outcome": outcome})
    if caught_by is None:
        assert _open(run) == ["side_work"]
        run.complete("side_work")
    assert run.status() == "completed"
    assert run.data()["result"] == result
    if caught_by is not None:
        # The error interrupted the subprocess: its other inbox task went, and the history says so.
        assert ("side_work", "cancelled") in run.rows()["user_tasks"]
        assert "task_cancelled" in run.history_types("side_work")
        assert run.history_types(caught_by) == ["event_caught"]
        other = {"on_budget", "on_any"} - {caught_by}
        assert all(run.history_types(o) == [] for o in other)
        (thrown,) = [e for e in run.history() if e.element_id in ("throw_budget", "throw_legal")]
        assert thrown.type == "end_event"
        assert thrown.data == {"throws": "error", "code": outcome.upper()}
    run.verify()


UNCAUGHT = bpmn(
    "uncaught_error",
    '<bpmn:startEvent id="start" />'
    '<bpmn:subProcess id="inner"><bpmn:startEvent id="inner_start" />'
    '<bpmn:endEvent id="fail"><bpmn:errorEventDefinition errorRef="e_legal" /></bpmn:endEvent>'
    + flow("i1", "inner_start", "fail")
    + "</bpmn:subProcess>"
    + user_task("after")
    + '<bpmn:endEvent id="end" />'
    + flow("f1", "start", "inner")
    + flow("f2", "inner", "after")
    + flow("f3", "after", "end"),
    ERRORS,
)


@COLD
def test_an_error_nobody_catches_ends_its_path_like_a_plain_end_event(make_engine, clock, cold):
    """As in Camunda 7 (an unhandled BPMN error ends the execution that threw it): the subprocess
    ends and the process goes on."""
    run = Driver(make_engine, clock, cold)
    run.deploy({"uncaught_error.bpmn": UNCAUGHT})
    run.start("uncaught_error")
    assert _open(run) == ["after"]
    assert run.history_types("fail") == ["end_event"]
    run.complete("after")
    assert run.status() == "completed"


ESCALATION = bpmn(
    "escalation_boundaries",
    '<bpmn:startEvent id="start" />'
    '<bpmn:parallelGateway id="fork" />'
    # A subprocess that escalates half-way and goes on (caught by a non-interrupting boundary) ...
    '<bpmn:subProcess id="soft"><bpmn:startEvent id="soft_start" />'
    '<bpmn:intermediateThrowEvent id="soft_raise"><bpmn:escalationEventDefinition escalationRef="late" />'
    "</bpmn:intermediateThrowEvent>"
    + user_task("soft_work")
    + flow("s1", "soft_start", "soft_raise")
    + flow("s2", "soft_raise", "soft_work")
    + "</bpmn:subProcess>"
    '<bpmn:boundaryEvent id="on_soft" attachedToRef="soft" cancelActivity="false">'
    '<bpmn:escalationEventDefinition escalationRef="late" /></bpmn:boundaryEvent>'
    + user_task("tell_manager")
    + flow("b1", "on_soft", "tell_manager")
    # ... and one that ends with an escalation end event, caught by an interrupting boundary.
    + '<bpmn:subProcess id="hard"><bpmn:startEvent id="hard_start" /><bpmn:parallelGateway id="hard_fork" />'
    + user_task("hard_work")
    + user_task("hard_decide")
    + '<bpmn:endEvent id="hard_raise"><bpmn:escalationEventDefinition escalationRef="stop" /></bpmn:endEvent>'
    + flow("h1", "hard_start", "hard_fork")
    + flow("h2", "hard_fork", "hard_work")
    + flow("h3", "hard_fork", "hard_decide")
    + flow("h4", "hard_decide", "hard_raise")
    + "</bpmn:subProcess>"
    '<bpmn:boundaryEvent id="on_hard" attachedToRef="hard">'
    '<bpmn:escalationEventDefinition escalationRef="stop" /></bpmn:boundaryEvent>'
    + script("hard_stopped", "stopped = True")
    + flow("b2", "on_hard", "hard_stopped")
    + flow("f1", "start", "fork")
    + flow("f2", "fork", "soft")
    + flow("f3", "fork", "hard"),
    '<bpmn:escalation id="late" name="Late" escalationCode="LATE" />'
    '<bpmn:escalation id="stop" name="Stop" escalationCode="STOP" />',
)


@COLD
def test_escalations_are_caught_by_interrupting_and_non_interrupting_boundary_events(
    make_engine, clock, cold
):
    run = Driver(make_engine, clock, cold)
    run.deploy({"escalation_boundaries.bpmn": ESCALATION})
    run.start("escalation_boundaries")
    # Non-interrupting: the manager is told and the subprocess's work goes on.
    assert _open(run) == ["hard_decide", "hard_work", "soft_work", "tell_manager"]
    assert "stopped" not in run.data()
    # Interrupting: the other subprocess's inbox task is cancelled.
    run.complete("hard_decide")
    assert _open(run) == ["soft_work", "tell_manager"]
    assert ("hard_work", "cancelled") in run.rows()["user_tasks"]
    assert run.history_types("on_soft") == ["event_caught"]
    (raised,) = [e for e in run.history() if e.element_id == "soft_raise"]
    assert (raised.type, raised.data) == ("event_thrown", {"throws": "escalation", "code": "LATE"})
    assert run.history_types("on_hard") == ["event_caught"]
    run.complete("tell_manager")
    run.complete("soft_work")
    assert run.status() == "completed"
    assert run.data()["stopped"] is True
    run.verify()


TERMINATE = bpmn(
    "terminating",
    '<bpmn:startEvent id="start" />'
    '<bpmn:parallelGateway id="fork" />'
    + user_task("long_work")
    + '<bpmn:subProcess id="inner"><bpmn:startEvent id="inner_start" /><bpmn:parallelGateway id="inner_fork" />'
    + user_task("inner_work")
    + user_task("inner_decide")
    + '<bpmn:endEvent id="inner_stop"><bpmn:terminateEventDefinition /></bpmn:endEvent>'
    + flow("i1", "inner_start", "inner_fork")
    + flow("i2", "inner_fork", "inner_work")
    + flow("i3", "inner_fork", "inner_decide")
    + flow("i4", "inner_decide", "inner_stop")
    + "</bpmn:subProcess>"
    + user_task("after_inner", fields=("stop",))
    + '<bpmn:exclusiveGateway id="go_on" default="carry_on" />'
    '<bpmn:endEvent id="stop_all"><bpmn:terminateEventDefinition /></bpmn:endEvent>'
    '<bpmn:endEvent id="end" />'
    + flow("f1", "start", "fork")
    + flow("f2", "fork", "long_work")
    + flow("f3", "fork", "inner")
    + flow("f4", "inner", "after_inner")
    + flow("f5", "after_inner", "go_on")
    + flow("carry_on", "go_on", "end")
    + flow("halt", "go_on", "stop_all", "stop == 'yes'"),
)


@COLD
def test_a_terminate_end_event_ends_its_subprocess_or_the_whole_instance(make_engine, clock, cold):
    run = Driver(make_engine, clock, cold)
    run.deploy({"terminating.bpmn": TERMINATE})
    run.start("terminating")
    assert _open(run) == ["inner_decide", "inner_work", "long_work"]
    # Inside the subprocess it ends only the subprocess: its inbox task goes, the process goes on.
    run.complete("inner_decide")
    assert _open(run) == ["after_inner", "long_work"]
    assert ("inner_work", "cancelled") in run.rows()["user_tasks"]
    assert run.history_types("inner_stop") == ["end_event"]
    # At process level it ends the instance, open work and all.
    run.complete("after_inner", {"stop": "yes"})
    assert run.status() == "completed"
    assert ("long_work", "cancelled") in run.rows()["user_tasks"]
    assert "task_cancelled" in run.history_types("long_work")
    assert run.history_types("stop_all") == ["end_event"]
    assert [e.data for e in run.history() if e.element_id == "stop_all"] == [{"throws": "terminate"}]
    run.verify()


INCLUSIVE = bpmn(
    "inclusive",
    '<bpmn:startEvent id="start" />'
    + user_task("choose", fields=("legal", "finance"))
    + '<bpmn:inclusiveGateway id="split" default="always" />'
    + user_task("legal_review")
    + user_task("finance_review")
    + script("base_review", "base = True")
    + '<bpmn:inclusiveGateway id="merge" />'
    + script("done", "finished = True")
    + '<bpmn:endEvent id="end" />'
    + flow("f1", "start", "choose")
    + flow("f2", "choose", "split")
    + flow("to_legal", "split", "legal_review", "legal == 'yes'")
    + flow("to_finance", "split", "finance_review", "finance == 'yes'")
    + flow("always", "split", "base_review")
    + flow("f3", "legal_review", "merge")
    + flow("f4", "finance_review", "merge")
    + flow("f5", "base_review", "merge")
    + flow("f6", "merge", "done")
    + flow("f7", "done", "end"),
)


@COLD
@pytest.mark.parametrize(
    "legal, finance, expected",
    [("yes", "yes", ["finance_review", "legal_review"]), ("yes", "no", ["legal_review"]), ("no", "no", [])],
)
def test_an_inclusive_gateway_takes_every_true_flow_and_its_merge_waits_for_them(
    make_engine, clock, cold, legal, finance, expected
):
    run = Driver(make_engine, clock, cold)
    run.deploy({"inclusive.bpmn": INCLUSIVE})
    run.start("inclusive")
    run.complete("choose", {"legal": legal, "finance": finance})
    assert _open(run) == expected
    for element in expected:
        assert run.status() == "running"
        run.complete(element)
    assert run.status() == "completed"
    assert run.data()["finished"] is True
    (decision,) = [e for e in run.history() if e.type == "gateway_decision" and e.element_id == "split"]
    # The default flow is taken only when no condition holds.
    taken = sorted(t["flow"] for t in decision.data["taken"])
    chosen = {"legal": legal, "finance": finance}
    assert taken == (sorted(f"to_{n}" for n, answer in chosen.items() if answer == "yes") or ["always"])
    assert ("base" in run.data()) == (taken == ["always"])
    run.verify()


SIGNALS = bpmn(
    "internal_signal",
    '<bpmn:startEvent id="start" />'
    '<bpmn:parallelGateway id="fork" />'
    '<bpmn:intermediateCatchEvent id="wait_go"><bpmn:signalEventDefinition signalRef="go" />'
    "</bpmn:intermediateCatchEvent>"
    + script("went", "went = True")
    + user_task("prepare")
    + '<bpmn:intermediateThrowEvent id="send_go"><bpmn:signalEventDefinition signalRef="go" />'
    "</bpmn:intermediateThrowEvent>"
    + '<bpmn:parallelGateway id="join" /><bpmn:endEvent id="end" />'
    + flow("f1", "start", "fork")
    + flow("f2", "fork", "wait_go")
    + flow("f3", "wait_go", "went")
    + flow("f4", "fork", "prepare")
    + flow("f5", "prepare", "send_go")
    + flow("f6", "went", "join")
    + flow("f7", "send_go", "join")
    + flow("f8", "join", "end"),
    '<bpmn:signal id="go" name="go" />',
)


@COLD
def test_a_signal_thrown_inside_the_instance_is_caught_inside_it(make_engine, clock, cold):
    run = Driver(make_engine, clock, cold)
    run.deploy({"internal_signal.bpmn": SIGNALS})
    run.start("internal_signal")
    assert ("wait_go", "waiting") in run.rows()["event_subscriptions"]
    run.complete("prepare")
    assert run.status() == "completed"
    assert run.data()["went"] is True
    assert run.rows()["event_subscriptions"] == [("wait_go", "delivered")]
    assert "event_caught" in run.history_types("wait_go")
    run.verify()


SEND_RECEIVE = bpmn(
    "send_receive",
    '<bpmn:startEvent id="start" />'
    '<bpmn:sendTask id="ask" messageRef="m_question" />'
    '<bpmn:receiveTask id="answer" messageRef="m_answer">'
    '<bpmn:extensionElements><camunda:properties><camunda:property name="payload" value="reply" />'
    "</camunda:properties></bpmn:extensionElements></bpmn:receiveTask>"
    + '<bpmn:endEvent id="end" />'
    + flow("f1", "start", "ask")
    + flow("f2", "ask", "answer")
    + flow("f3", "answer", "end"),
    '<bpmn:message id="m_question" name="question" /><bpmn:message id="m_answer" name="answer" />',
)


@COLD
def test_a_send_task_sends_and_a_receive_task_waits_for_its_message(make_engine, clock, cold):
    run = Driver(make_engine, clock, cold)
    run.deploy({"send_receive.bpmn": SEND_RECEIVE})
    run.start("send_receive", business_key="Q-1")
    assert "message_thrown" in run.history_types()
    assert run.rows()["event_subscriptions"] == [("answer", "waiting")]
    run.message("answer", "Q-1", {"reply": "42"})
    assert run.status() == "completed"
    assert run.data()["reply"] == "42"
    run.verify()


SIBLING = bpmn(
    "sibling_error",
    '<bpmn:startEvent id="start" /><bpmn:parallelGateway id="fork" />'
    '<bpmn:subProcess id="a_sub"><bpmn:startEvent id="a_start" />'
    + user_task("a_work")
    + flow("a1", "a_start", "a_work")
    + "</bpmn:subProcess>"
    '<bpmn:boundaryEvent id="on_a" attachedToRef="a_sub"><bpmn:errorEventDefinition /></bpmn:boundaryEvent>'
    + script("wrongly_caught", "wrong = True")
    + user_task("b_decide")
    + '<bpmn:endEvent id="b_fail"><bpmn:errorEventDefinition errorRef="e_legal" /></bpmn:endEvent>'
    + flow("f1", "start", "fork")
    + flow("f2", "fork", "a_sub")
    + flow("f3", "fork", "b_decide")
    + flow("f4", "b_decide", "b_fail")
    + flow("f5", "on_a", "wrongly_caught"),
    ERRORS,
)


@COLD
def test_an_error_is_not_caught_by_the_boundary_of_a_sibling_activity(make_engine, clock, cold):
    """SpiffWorkflow offers an error thrown at process level to every waiting error boundary event of
    the process; only the activity it came out of may catch it."""
    run = Driver(make_engine, clock, cold)
    run.deploy({"sibling_error.bpmn": SIBLING})
    run.start("sibling_error")
    run.complete("b_decide")
    assert _open(run) == ["a_work"]
    assert run.history_types("on_a") == []
    run.complete("a_work")
    assert run.status() == "completed"
    assert "wrong" not in run.data()
