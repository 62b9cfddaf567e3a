"""Every place a model can hold Python, as a small model built around one expression or script.

``PLACES`` maps a place to a function building a bundle (file name -> text) whose process ``attack``
runs the given expression there; ``ELEMENT`` names the element (or decision) an error must name.
"""

from __future__ import annotations

from collections.abc import Callable
from xml.sax.saxutils import escape, quoteattr

from tests.decisions.dmn_factory import PYTHON_URI, document, table

_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
    'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="Defs_attack" '
    'targetNamespace="http://example.com/approvals">\n'
    '<bpmn:process id="attack" name="Attack" isExecutable="true">\n'
    '<bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>\n'
)
_TAIL = "</bpmn:process>\n</bpmn:definitions>\n"


def _flow(flow_id: str, source: str, target: str, condition: str | None = None) -> str:
    if condition is None:
        return f'<bpmn:sequenceFlow id="{flow_id}" sourceRef="{source}" targetRef="{target}" />\n'
    return (
        f'<bpmn:sequenceFlow id="{flow_id}" sourceRef="{source}" targetRef="{target}">'
        f'<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression" '
        f'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">{escape(condition)}</bpmn:conditionExpression>'
        "</bpmn:sequenceFlow>\n"
    )


def _between(element: str, element_id: str) -> str:
    """start -> element -> end."""
    return (
        _HEAD
        + element
        + '<bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>\n'
        + _flow("f1", "start", element_id)
        + _flow("f2", element_id, "end")
        + _TAIL
    )


def script_task(script: str) -> dict[str, str]:
    task = (
        '<bpmn:scriptTask id="attack_script" scriptFormat="python">'
        "<bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>"
        f"<bpmn:script>{escape(script)}</bpmn:script></bpmn:scriptTask>\n"
    )
    return {"attack.bpmn": _between(task, "attack_script")}


def gateway_condition(expression: str) -> dict[str, str]:
    bpmn = (
        _HEAD + '<bpmn:exclusiveGateway id="choose" default="plain"><bpmn:incoming>f1</bpmn:incoming>'
        "<bpmn:outgoing>risky</bpmn:outgoing><bpmn:outgoing>plain</bpmn:outgoing></bpmn:exclusiveGateway>\n"
        '<bpmn:endEvent id="end_a"><bpmn:incoming>risky</bpmn:incoming></bpmn:endEvent>\n'
        '<bpmn:endEvent id="end_b"><bpmn:incoming>plain</bpmn:incoming></bpmn:endEvent>\n'
        + _flow("f1", "start", "choose")
        + _flow("risky", "choose", "end_a", expression)
        + _flow("plain", "choose", "end_b")
        + _TAIL
    )
    return {"attack.bpmn": bpmn}


def _user_task(attribute: str, expression: str) -> dict[str, str]:
    task = (
        f'<bpmn:userTask id="review" name="Review" {attribute}={quoteattr("${" + expression + "}")}>'
        "<bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>\n"
    )
    return {"attack.bpmn": _between(task, "review")}


def candidate_groups(expression: str) -> dict[str, str]:
    return _user_task("camunda:candidateGroups", expression)


def candidate_users(expression: str) -> dict[str, str]:
    return _user_task("camunda:candidateUsers", expression)


def due_date(expression: str) -> dict[str, str]:
    return _user_task("camunda:dueDate", expression)


def _with_decision(decision: str) -> dict[str, str]:
    task = (
        '<bpmn:businessRuleTask id="decide" camunda:decisionRef="d" camunda:resultVariable="outcome">'
        "<bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:businessRuleTask>\n"
    )
    dmn = document(decision, language=PYTHON_URI).decode()
    return {"attack.bpmn": _between(task, "decide"), "attack.dmn": dmn}


def dmn_input_expression(expression: str) -> dict[str, str]:
    return _with_decision(table("d", [("X", expression, None)], [("out", None)], [(["-"], ["1"])]))


def dmn_input_entry(expression: str) -> dict[str, str]:
    # ``?`` makes it a condition on the input; the attack runs before the comparison.
    cell = f"? == ({expression})"
    return _with_decision(table("d", [("X", "amount", None)], [("out", None)], [([cell], ["1"])]))


def dmn_output_entry(expression: str) -> dict[str, str]:
    return _with_decision(table("d", [("X", "amount", None)], [("out", None)], [(["-"], [expression])]))


PLACES: dict[str, Callable[[str], dict[str, str]]] = {
    "script task": lambda expression: script_task(f"x = {expression}"),
    "gateway condition": gateway_condition,
    "candidateGroups": candidate_groups,
    "candidateUsers": candidate_users,
    "due date": due_date,
    "DMN input expression": dmn_input_expression,
    "DMN input entry": dmn_input_entry,
    "DMN output entry": dmn_output_entry,
}
ELEMENT = {
    "script task": "attack_script",
    "gateway condition": "risky",
    "candidateGroups": "review",
    "candidateUsers": "review",
    "due date": "review",
    "DMN input expression": "d",
    "DMN input entry": "d",
    "DMN output entry": "d",
}
DMN_PLACES = ("DMN input expression", "DMN input entry", "DMN output entry")
