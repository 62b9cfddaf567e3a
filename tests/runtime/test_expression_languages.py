"""Models drawn in Camunda Modeler (JUEL ``${…}``) and for Camunda 8 (FEEL ``=…``) run end to end:
conditions, candidate groups, assignees, loop cardinalities and timers; bad expressions are refused
at deploy with the file, the element's line and id, and the column."""

from __future__ import annotations

from datetime import timedelta
from xml.sax.saxutils import escape, quoteattr

import pytest

from engine.actor import SYSTEM
from engine.errors import ApprovalsError, ModelValidationError
from engine.tasks.service import TaskQuery
from tests.factories import add_users, deploy_files

# As Camunda Modeler 5 writes it (diagram left out): a request is reviewed; the gateway sends big
# approved requests to a second approval whose group is chosen by an expression, rejected ones to
# their own end.
MODELER = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="Definitions_1"
    targetNamespace="http://bpmn.io/schema/bpmn" exporter="Camunda Modeler" exporterVersion="5.17.0">
  <bpmn:process id="{key}" name="Expense" isExecutable="true" camunda:historyTimeToLive="180">
    <bpmn:startEvent id="StartEvent_1"><bpmn:outgoing>Flow_1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="Review" name="Review" camunda:candidateGroups="manager">
      <bpmn:extensionElements><camunda:formData>
        <camunda:formField id="approved" type="boolean" />
        <camunda:formField id="comment" type="string" />
      </camunda:formData></bpmn:extensionElements>
      <bpmn:incoming>Flow_1</bpmn:incoming><bpmn:outgoing>Flow_2</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:exclusiveGateway id="Gateway_1" name="Approved?">
      <bpmn:incoming>Flow_2</bpmn:incoming>
      <bpmn:outgoing>Flow_big</bpmn:outgoing><bpmn:outgoing>Flow_small</bpmn:outgoing>
      <bpmn:outgoing>Flow_no</bpmn:outgoing>
    </bpmn:exclusiveGateway>
    <bpmn:userTask id="Second" name="Second approval" camunda:candidateGroups={second}>
      <bpmn:extensionElements><camunda:formData>
        <camunda:formField id="confirmed" type="boolean" />
      </camunda:formData></bpmn:extensionElements>
      <bpmn:incoming>Flow_big</bpmn:incoming><bpmn:outgoing>Flow_3</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:endEvent id="End_approved"><bpmn:incoming>Flow_small</bpmn:incoming>
      <bpmn:incoming>Flow_3</bpmn:incoming></bpmn:endEvent>
    <bpmn:endEvent id="End_rejected"><bpmn:incoming>Flow_no</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="Flow_1" sourceRef="StartEvent_1" targetRef="Review" />
    <bpmn:sequenceFlow id="Flow_2" sourceRef="Review" targetRef="Gateway_1" />
    <bpmn:sequenceFlow id="Flow_big" name="big" sourceRef="Gateway_1" targetRef="Second">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression"{language}>{big}</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="Flow_small" name="small" sourceRef="Gateway_1" targetRef="End_approved">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression"{language}>{small}</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="Flow_no" name="no" sourceRef="Gateway_1" targetRef="End_rejected">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression"{language}>{no}</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="Flow_3" sourceRef="Second" targetRef="End_approved" />
  </bpmn:process>
</bpmn:definitions>
"""

STYLES = {
    "juel": {
        "big": "${approved && amount > 1000}",
        "small": "${approved and amount <= 1000}",
        "no": "${!approved}",
        "second": "${amount > 5000 ? 'director' : 'finance'}",
        "language": "",
    },
    "juel_words": {
        "big": "#{approved eq true && not empty comment && amount gt 1000}",
        "small": "#{approved eq true && (empty comment || amount le 1000)}",
        "no": "#{approved ne true}",
        "second": "${request.big_group}",
        "language": "",
    },
    "feel": {
        "big": "=approved and amount > 1000",
        "small": "=approved and amount <= 1000",
        "no": "=not(approved)",
        "second": '=if amount > 5000 then "director" else "finance"',
        "language": "",
    },
    "feel_by_attribute": {
        "big": "approved and amount > 1000",
        "small": "approved and amount <= 1000",
        "no": "approved = false",
        "second": "director_or_finance",  # a literal group name
        "language": ' language="feel"',
    },
    "juel_by_attribute": {
        "big": "approved && amount > 1000",
        "small": "approved && amount <= 1000",
        "no": "!approved",
        "second": "${amount > 5000 ? 'director' : 'finance'}",
        "language": ' language="juel"',
    },
    "python": {
        "big": "approved and amount > 1000",
        "small": "approved and amount <= 1000",
        "no": "not approved",
        "second": "${amount > 5000 ? 'director' : 'finance'}",
        "language": ' language="python"',
    },
}


def modeler_bpmn(key: str, style: str) -> str:
    parts = STYLES[style]
    return MODELER.format(
        key=key,
        big=escape(parts["big"]),
        small=escape(parts["small"]),
        no=escape(parts["no"]),
        second=quoteattr(parts["second"]),
        language=parts["language"],
    )


@pytest.fixture
def people(engine):
    return add_users(
        engine, sam="sales", mia="manager", fay="finance", dan="director", dof="director_or_finance"
    )


def run(make_engine, people, key: str, amount: int, approved: bool, comment: str, cold: bool):
    engine = make_engine(cold_commands=cold)
    data = {"amount": amount, "request": {"big_group": "director" if amount > 5000 else "finance"}}
    instance = engine.runtime.start(key, people["sam"], data)
    review = engine.tasks.list(people["mia"], TaskQuery(instance_id=instance.id))
    assert [t.element_id for t in review] == ["Review"]
    engine = make_engine(cold_commands=cold)
    engine.tasks.claim(review[0].id, people["mia"])
    engine.tasks.complete(review[0].id, people["mia"], {"approved": approved, "comment": comment})
    return engine.runtime.get(instance.id, SYSTEM), engine


@pytest.mark.parametrize("cold", [False, True], ids=["warm", "cold"])
@pytest.mark.parametrize("style", sorted(STYLES))
def test_a_modeler_drawn_process_routes_by_its_expressions(make_engine, people, style, cold):
    key = f"expense_{style}"
    deploy_files(make_engine(), {f"{key}.bpmn": modeler_bpmn(key, style)})

    rejected, _ = run(make_engine, people, key, 800, False, "", cold)
    assert rejected.status == "completed"
    assert rejected.data["approved"] is False

    small, _ = run(make_engine, people, key, 800, True, "", cold)
    assert small.status == "completed"

    for amount, group, approver in ((3000, "finance", "fay"), (9000, "director", "dan")):
        if style == "feel_by_attribute":
            group, approver = "director_or_finance", "dof"
        big, engine = run(make_engine, people, key, amount, True, "fine", cold)
        assert big.status == "running"
        second = engine.tasks.list(SYSTEM, TaskQuery(instance_id=big.id))
        assert [(t.element_id, t.candidate_groups) for t in second] == [("Second", [group])]
        engine = make_engine(cold_commands=cold)
        engine.tasks.claim(second[0].id, people[approver])
        engine.tasks.complete(second[0].id, people[approver], {"confirmed": True})
        assert engine.runtime.get(big.id, SYSTEM).status == "completed"


def test_the_gateway_decision_in_the_history_shows_the_condition_as_written(make_engine, people):
    deploy_files(make_engine(), {"expense_h.bpmn": modeler_bpmn("expense_h", "juel")})
    instance, engine = run(make_engine, people, "expense_h", 800, False, "", False)
    decisions = [e for e in engine.history.events(instance.id, SYSTEM) if e.type == "gateway_decision"]
    assert decisions and decisions[-1].data["taken"][0]["condition"] == "${!approved}"


def test_an_unknown_variable_in_a_condition_fails_the_command_naming_it(make_engine, people):
    bpmn = modeler_bpmn("expense_typo", "juel").replace("${!approved}", "${!aproved}")
    engine = make_engine()
    deploy_files(engine, {"expense_typo.bpmn": bpmn})
    instance = engine.runtime.start("expense_typo", people["sam"], {"amount": 1})
    task = engine.tasks.list(people["mia"], TaskQuery(instance_id=instance.id))[0]
    engine.tasks.claim(task.id, people["mia"])
    with pytest.raises(ApprovalsError) as failed:
        engine.tasks.complete(task.id, people["mia"], {"approved": False})
    assert "unknown variable 'aproved'" in str(failed.value)
    assert "Traceback" not in str(failed.value)
    # Rolled back: the review is still open.
    assert [t.element_id for t in engine.tasks.list(people["mia"], TaskQuery(instance_id=instance.id))] == [
        "Review"
    ]


# --- refused at deploy ----------------------------------------------------------------------------


def _refusal(engine, bpmn: str) -> list:
    with pytest.raises(ModelValidationError) as refused:
        deploy_files(engine, {"bad.bpmn": bpmn})
    return refused.value.problems


def _line_of(bpmn: str, needle: str) -> int:
    return next(number for number, line in enumerate(bpmn.splitlines(), 1) if needle in line)


@pytest.mark.parametrize(
    "condition, message",
    [
        ("${approved &amp;&amp;}", "expected a value, found the end of the expression (column 14)"),
        ("${''.getClass()}", "method calls are not supported: '.getClass(…)' (column 6)"),
        ("${x.__class__}", "names starting with '_' are not allowed (column 5)"),
        ("${T(java.lang.Runtime)}", "function 'T' is not available"),
        ("=approved and", "FEEL expression '=approved and'"),
        ("approved &amp;&amp; amount", "Syntax error"),  # bare text is Python
    ],
)
def test_a_bad_condition_is_refused_at_deploy_with_line_element_and_column(engine, condition, message):
    bpmn = modeler_bpmn("bad", "juel").replace("${!approved}", "@@")
    bpmn = bpmn.replace("@@", condition)
    problems = _refusal(engine, bpmn)
    assert len(problems) == 1, problems
    problem = problems[0]
    assert (problem.file, problem.element_id) == ("bad.bpmn", "Flow_no")
    assert problem.line == _line_of(bpmn, 'id="Flow_no"')
    assert message in problem.message
    assert problem.message.startswith("condition: ")


@pytest.mark.parametrize("language", ["javascript", "groovy"])
def test_a_condition_in_another_language_is_refused_naming_it(engine, language):
    bpmn = modeler_bpmn("bad", "python").replace(' language="python"', f' language="{language}"')
    problems = _refusal(engine, bpmn)
    assert {p.element_id for p in problems} == {"Flow_big", "Flow_small", "Flow_no"}
    assert all(f"'{language}' is not supported" in p.message for p in problems)


TASK_ATTRIBUTES = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="http://example.com/t">
  <bpmn:process id="{key}" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="sign" name="Sign" {attributes}>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:multiInstanceLoopCharacteristics isSequential="true">
        <bpmn:loopCardinality>{cardinality}</bpmn:loopCardinality>
      </bpmn:multiInstanceLoopCharacteristics>
    </bpmn:userTask>
    <bpmn:intermediateCatchEvent id="pause"><bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>
      <bpmn:timerEventDefinition><bpmn:timeDuration>{wait}</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:endEvent id="end"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="sign" />
    <bpmn:sequenceFlow id="f2" sourceRef="sign" targetRef="pause" />
    <bpmn:sequenceFlow id="f3" sourceRef="pause" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>
"""

TASK_STYLES = {
    "juel": (
        "camunda:candidateGroups=\"${signers > 1 ? 'finance' : 'manager'}\" "
        'camunda:dueDate="${due}" camunda:priority="${urgent ? 90 : 10}"',
        "${signers}",
        "${wait}",
    ),
    "feel": (
        'camunda:candidateGroups="=if signers > 1 then &quot;finance&quot; else &quot;manager&quot;" '
        'camunda:dueDate="=due" camunda:priority="=if urgent then 90 else 10"',
        "=signers",
        "=wait",
    ),
}


@pytest.mark.parametrize("cold", [False, True], ids=["warm", "cold"])
@pytest.mark.parametrize("style", sorted(TASK_STYLES))
def test_task_attributes_cardinality_and_timer_in_either_language(make_engine, clock, style, cold):
    key = f"rounds_{style}"
    attributes, cardinality, wait = TASK_STYLES[style]
    engine = make_engine(cold_commands=cold)
    people = add_users(engine, sam="sales", fay="finance")
    deploy_files(
        engine,
        {
            f"{key}.bpmn": TASK_ATTRIBUTES.format(
                key=key, attributes=attributes, cardinality=cardinality, wait=wait
            )
        },
    )
    instance = engine.runtime.start(
        key, people["sam"], {"signers": 2, "due": "P2D", "urgent": True, "wait": "PT1H"}
    )
    for _ in range(2):
        engine = make_engine(cold_commands=cold)
        [task] = engine.tasks.list(people["fay"], TaskQuery(instance_id=instance.id))
        assert task.candidate_groups == ["finance"] and task.priority == 90 and task.due_at is not None
        engine.tasks.claim(task.id, people["fay"])
        engine.tasks.complete(task.id, people["fay"])
    engine = make_engine(cold_commands=cold)
    assert engine.runtime.get(instance.id, SYSTEM).status == "running"  # the timer waits an hour
    clock.advance(timedelta(hours=2))
    engine.timers.fire_due()
    assert make_engine().runtime.get(instance.id, SYSTEM).status == "completed"


@pytest.mark.parametrize(
    "attributes, cardinality, wait, element, message",
    [
        ('camunda:assignee="${a.b()}"', "1", "PT1H", "sign", "assignee: JUEL expression"),
        ('camunda:candidateGroups="${a &amp;&amp;}"', "1", "PT1H", "sign", "candidate groups"),
        ('camunda:dueDate="=due +"', "1", "PT1H", "sign", "due date: FEEL expression"),
        ('camunda:priority="${T(x)}"', "1", "PT1H", "sign", "priority"),
        ("", "${n &amp;&amp;}", "PT1H", "sign", "loop cardinality"),
        ("", "1", "${wait.getClass()}", "pause", "method calls are not supported"),
        ("", "1", "=wait +", "pause", "FEEL expression"),
    ],
)
def test_every_place_refuses_a_bad_expression_at_deploy(
    engine, attributes, cardinality, wait, element, message
):
    bpmn = TASK_ATTRIBUTES.format(key="bad", attributes=attributes, cardinality=cardinality, wait=wait)
    problems = _refusal(engine, bpmn)
    assert [p.element_id for p in problems] == [element], problems
    assert message in problems[0].message
    assert problems[0].file == "bad.bpmn" and problems[0].line == _line_of(bpmn, f'id="{element}"')


@pytest.mark.parametrize(
    "groups",
    [
        '=["finance", "legal"]',
        "${amount > 5 ? ['finance', 'legal'] : ['manager']}",
        "#{['finance', 'legal']}",
    ],
)
def test_a_candidate_expression_keeps_its_commas_and_may_give_a_list(engine, groups):
    bpmn = TASK_ATTRIBUTES.format(
        key="listed", attributes=f"camunda:candidateGroups={quoteattr(groups)}", cardinality="1", wait="PT1H"
    )
    deploy_files(engine, {"listed.bpmn": bpmn})
    people = add_users(engine, sam="sales")
    instance = engine.runtime.start("listed", people["sam"], {"amount": 10})
    [task] = engine.tasks.list(SYSTEM, TaskQuery(instance_id=instance.id))
    assert task.candidate_groups == ["finance", "legal"]


COMPLETION = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="http://example.com/t">
  <bpmn:process id="{key}" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="sign" name="Sign" camunda:candidateGroups="finance">
      <bpmn:extensionElements><camunda:formData>
        <camunda:formField id="enough" type="boolean"><camunda:properties>
          <camunda:property id="overwrite" value="true" /></camunda:properties></camunda:formField>
      </camunda:formData></bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:multiInstanceLoopCharacteristics isSequential="true">
        <bpmn:loopCardinality>{cardinality}</bpmn:loopCardinality>
        <bpmn:completionCondition>{completion}</bpmn:completionCondition>
      </bpmn:multiInstanceLoopCharacteristics>
    </bpmn:userTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="sign" />
    <bpmn:sequenceFlow id="f2" sourceRef="sign" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>
"""


@pytest.mark.parametrize("cold", [False, True], ids=["warm", "cold"])
@pytest.mark.parametrize(
    "cardinality, completion",
    [("${rounds}", "${enough}"), ("=rounds", "=enough"), ("rounds", "enough")],
    ids=["juel", "feel", "python"],
)
def test_a_completion_condition_ends_the_rounds_early(make_engine, cardinality, completion, cold):
    engine = make_engine(cold_commands=cold)
    people = add_users(engine, sam="sales", fay="finance")
    deploy_files(
        engine, {"early.bpmn": COMPLETION.format(key="early", cardinality=cardinality, completion=completion)}
    )
    instance = engine.runtime.start("early", people["sam"], {"rounds": 5})
    for enough in (False, True):
        engine = make_engine(cold_commands=cold)
        [task] = engine.tasks.list(people["fay"], TaskQuery(instance_id=instance.id))
        engine.tasks.claim(task.id, people["fay"])
        engine.tasks.complete(task.id, people["fay"], {"enough": enough})
    # Two of five rounds: the condition held after the second.
    assert make_engine().runtime.get(instance.id, SYSTEM).status == "completed"


def test_a_bad_completion_condition_is_refused_at_deploy(engine):
    bpmn = COMPLETION.format(key="early", cardinality="3", completion="${enough ||}")
    problems = _refusal(engine, bpmn)
    assert [(p.element_id, p.line) for p in problems] == [("sign", _line_of(bpmn, 'id="sign"'))]
    assert problems[0].message.startswith("completion condition: JUEL expression")
    assert "(column 12)" in problems[0].message


EVENTS = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="http://example.com/t">
  <bpmn:message id="m" name="credit_ok" />
  <bpmn:process id="events" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="review" name="Review" camunda:candidateGroups="manager">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:boundaryEvent id="late" attachedToRef="review" cancelActivity="false">
      <bpmn:extensionElements><camunda:properties>
        <camunda:property name="escalate" value={escalate} />
      </camunda:properties></bpmn:extensionElements>
      <bpmn:outgoing>f4</bpmn:outgoing>
      <bpmn:timerEventDefinition><bpmn:timeDuration>PT1H</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
    <bpmn:endEvent id="late_end"><bpmn:incoming>f4</bpmn:incoming></bpmn:endEvent>
    <bpmn:intermediateCatchEvent id="wait_credit">
      <bpmn:extensionElements><camunda:properties>
        <camunda:property name="correlationKey" value={correlation} />
      </camunda:properties></bpmn:extensionElements>
      <bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>
      <bpmn:messageEventDefinition messageRef="m" />
    </bpmn:intermediateCatchEvent>
    <bpmn:endEvent id="end"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="review" />
    <bpmn:sequenceFlow id="f2" sourceRef="review" targetRef="wait_credit" />
    <bpmn:sequenceFlow id="f3" sourceRef="wait_credit" targetRef="end" />
    <bpmn:sequenceFlow id="f4" sourceRef="late" targetRef="late_end" />
  </bpmn:process>
</bpmn:definitions>
"""


def test_escalation_groups_and_correlation_keys_in_juel_and_feel(make_engine, clock):
    engine = make_engine()
    people = add_users(engine, sam="sales", mia="manager", vic="sales_vp")
    bpmn = EVENTS.format(
        escalate=quoteattr("${amount > 1000 ? 'sales_vp' : 'manager'}"), correlation=quoteattr("=order.id")
    )
    deploy_files(engine, {"events.bpmn": bpmn})
    instance = engine.runtime.start("events", people["sam"], {"amount": 5000, "order": {"id": "A-1"}})
    clock.advance(timedelta(hours=2))
    engine.timers.fire_due()
    [task] = engine.tasks.list(SYSTEM, TaskQuery(instance_id=instance.id))
    assert task.candidate_groups == ["manager", "sales_vp"]
    engine.tasks.claim(task.id, people["vic"])
    engine.tasks.complete(task.id, people["vic"])
    engine.events.correlate_message("credit_ok", "A-1", {}, SYSTEM)
    assert make_engine().runtime.get(instance.id, SYSTEM).status == "completed"


@pytest.mark.parametrize(
    "escalate, correlation, element, message",
    [
        ("${a ? b}", "order_id", "late", "escalate: JUEL expression '${a ? b}': expected ':'"),
        ("sales_vp", "${order.getId()}", "wait_credit", "correlation key: JUEL expression"),
        ("sales_vp", "order[", "wait_credit", "correlation key: Syntax error"),
    ],
)
def test_bad_escalation_and_correlation_expressions_are_refused_at_deploy(
    engine, escalate, correlation, element, message
):
    bpmn = EVENTS.format(escalate=quoteattr(escalate), correlation=quoteattr(correlation))
    problems = _refusal(engine, bpmn)
    assert [p.element_id for p in problems] == [element]
    assert problems[0].message.startswith(message)
