"""Constructs that cannot run here are refused at deploy, naming the element, its line and the
reason — never deployed to be silently skipped (a Java listener, a mapping, a Groovy script read as
Python) or to fail inside SpiffWorkflow with a message that names no cause."""

from __future__ import annotations

import pytest

from engine.errors import ModelValidationError
from tests.coverage.helpers import bpmn, flow
from tests.factories import deploy_files

START = '<bpmn:startEvent id="start" />'
END = '<bpmn:endEvent id="end" />'


def through(element: str, element_id: str = "x") -> str:
    """start → ``element`` → end."""
    return START + element + END + flow("f1", "start", element_id) + flow("f2", element_id, "end")


def task(extension: str = "", attributes: str = "") -> str:
    return f'<bpmn:task id="x" {attributes}><bpmn:extensionElements>{extension}</bpmn:extensionElements></bpmn:task>'


CASES = {
    "complex gateway": (through('<bpmn:complexGateway id="x" />'), "x", "complex gateways are not supported"),
    "ad-hoc subprocess": (
        through('<bpmn:adHocSubProcess id="x"><bpmn:task id="inner" /></bpmn:adHocSubProcess>'),
        "x",
        "ad-hoc subprocesses are not supported",
    ),
    "groovy script": (
        through(
            '<bpmn:scriptTask id="x" scriptFormat="groovy"><bpmn:script>a = 1</bpmn:script></bpmn:scriptTask>'
        ),
        "x",
        "scriptFormat 'groovy' is not supported",
    ),
    "javascript script": (
        through(
            '<bpmn:scriptTask id="x" scriptFormat="JavaScript"><bpmn:script>a = 1</bpmn:script></bpmn:scriptTask>'
        ),
        "x",
        "scriptFormat 'JavaScript' is not supported",
    ),
    "execution listener": (
        through(task('<camunda:executionListener class="com.acme.Audit" event="start" />')),
        "x",
        "execution listeners are not run here",
    ),
    "task listener": (
        through(
            '<bpmn:userTask id="x" camunda:candidateGroups="staff"><bpmn:extensionElements>'
            '<camunda:taskListener expression="${mailer.send(task)}" event="create" />'
            "</bpmn:extensionElements></bpmn:userTask>"
        ),
        "x",
        "task listeners are not run here",
    ),
    "input/output mapping": (
        through(
            task(
                "<camunda:inputOutput>"
                '<camunda:inputParameter name="limit">1000</camunda:inputParameter>'
                "</camunda:inputOutput>"
            )
        ),
        "x",
        "camunda:inputOutput mappings are not supported",
    ),
    "link events": (
        START
        + '<bpmn:intermediateThrowEvent id="x"><bpmn:linkEventDefinition id="l1" name="L" /></bpmn:intermediateThrowEvent>'
        + '<bpmn:intermediateCatchEvent id="y"><bpmn:linkEventDefinition id="l2" name="L" /></bpmn:intermediateCatchEvent>'
        + END
        + flow("f1", "start", "x")
        + flow("f2", "y", "end"),
        "x",
        "link events are not supported",
    ),
    "compensation boundary": (
        through('<bpmn:task id="x" />')
        + '<bpmn:boundaryEvent id="undo" attachedToRef="x"><bpmn:compensateEventDefinition id="c" /></bpmn:boundaryEvent>',
        "undo",
        "compensation is not supported",
    ),
    "compensation throw": (
        through(
            '<bpmn:intermediateThrowEvent id="x"><bpmn:compensateEventDefinition id="c" /></bpmn:intermediateThrowEvent>'
        ),
        "x",
        "compensation is not supported",
    ),
    "conditional event": (
        through(
            '<bpmn:intermediateCatchEvent id="x"><bpmn:conditionalEventDefinition id="c">'
            '<bpmn:condition xsi:type="bpmn:tFormalExpression">${approved}</bpmn:condition>'
            "</bpmn:conditionalEventDefinition></bpmn:intermediateCatchEvent>"
        ),
        "x",
        "conditional events are not supported",
    ),
    "cancel end event": (
        through(
            '<bpmn:transaction id="x"><bpmn:startEvent id="ts" /><bpmn:endEvent id="te">'
            '<bpmn:cancelEventDefinition id="c" /></bpmn:endEvent>'
            '<bpmn:sequenceFlow id="t1" sourceRef="ts" targetRef="te" /></bpmn:transaction>'
        ),
        "te",
        "cancel events (transaction cancellation) are not supported",
    ),
}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_what_cannot_run_is_refused_naming_element_line_and_reason(engine, case):
    body, element_id, reason = CASES[case]
    with pytest.raises(ModelValidationError) as refused:
        deploy_files(engine, {"unsupported.bpmn": bpmn("unsupported", body)})
    first = refused.value.problems[0]  # the cause comes first, before any consequence of it
    assert first.element_id == element_id and reason in first.message, refused.value.problems
    assert first.file == "unsupported.bpmn" and first.line
    assert engine.repository.list_models() == []


@pytest.mark.parametrize("script_format", ["python", "Python", "", "text/x-python"])
def test_python_scripts_deploy_with_or_without_a_format(engine, script_format):
    attribute = f' scriptFormat="{script_format}"' if script_format else ""
    body = through(f'<bpmn:scriptTask id="x"{attribute}><bpmn:script>a = 1</bpmn:script></bpmn:scriptTask>')
    assert deploy_files(engine, {"ok.bpmn": bpmn("ok", body)}).version.version == 1


VALUES = {
    "due date in words": (
        '<bpmn:userTask id="x" camunda:dueDate="tomorrow" />',
        "camunda:dueDate 'tomorrow'",
    ),
    "priority in words": ('<bpmn:userTask id="x" camunda:priority="high" />', "camunda:priority 'high'"),
    "cycle on an intermediate timer": (
        '<bpmn:intermediateCatchEvent id="x"><bpmn:timerEventDefinition id="t">'
        "<bpmn:timeCycle>R5/PT1M</bpmn:timeCycle></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>",
        "an intermediate timer waits once",
    ),
}


@pytest.mark.parametrize("case", VALUES, ids=list(VALUES))
def test_values_that_could_only_fail_at_run_time_are_refused_at_deploy(engine, case):
    element, reason = VALUES[case]
    with pytest.raises(ModelValidationError) as refused:
        deploy_files(engine, {"values.bpmn": bpmn("values", through(element))})
    first = refused.value.problems[0]
    assert first.element_id == "x" and reason in first.message and first.line, refused.value.problems


def test_a_boundary_event_on_nothing_is_refused(engine):
    body = through('<bpmn:task id="x" />') + (
        '<bpmn:boundaryEvent id="late" attachedToRef="gone"><bpmn:timerEventDefinition id="t">'
        "<bpmn:timeDuration>PT1H</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:boundaryEvent>"
    )
    with pytest.raises(ModelValidationError) as refused:
        deploy_files(engine, {"values.bpmn": bpmn("values", body)})
    assert any(
        p.element_id == "late" and "'gone' names no activity" in p.message for p in refused.value.problems
    )


@pytest.mark.parametrize(
    "attributes",
    [
        'camunda:dueDate="P2D" camunda:priority="70"',
        'camunda:dueDate="2026-12-31T18:00:00+08:00"',
        'camunda:dueDate="${due}" camunda:priority="${p}"',
    ],
)
def test_good_values_and_expressions_deploy(engine, attributes):
    body = through(f'<bpmn:userTask id="x" camunda:candidateGroups="staff" {attributes} />')
    assert deploy_files(engine, {"values.bpmn": bpmn("values", body)}).version.version == 1
