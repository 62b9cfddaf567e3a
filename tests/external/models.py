"""BPMN models for the external-task tests, built from small templates."""

from __future__ import annotations

HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:camunda="http://camunda.org/schema/1.0/bpmn"
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="Defs" targetNamespace="http://example.com/t">
"""

# Two topics and a gateway on a variable the first worker sets. The credit check may end in a BPMN
# error (CREDIT_BLOCKED, or anything: the catch-all); shipping has an interrupting one-hour timer.
SHIPPING = (
    HEAD
    + """  <bpmn:error id="err_blocked" name="Blocked" errorCode="CREDIT_BLOCKED" />
  <bpmn:process id="shipping" name="Shipping" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:serviceTask id="check_credit" name="Check credit" camunda:type="external" camunda:topic="credit-check" camunda:taskPriority="5">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:serviceTask>
    <bpmn:boundaryEvent id="blocked" attachedToRef="check_credit"><bpmn:outgoing>f_blocked</bpmn:outgoing>
      <bpmn:errorEventDefinition errorRef="err_blocked" /></bpmn:boundaryEvent>
    <bpmn:exclusiveGateway id="ok" default="f_no"><bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f_yes</bpmn:outgoing><bpmn:outgoing>f_no</bpmn:outgoing></bpmn:exclusiveGateway>
    <bpmn:sendTask id="ship" name="Ship" camunda:type="external" camunda:topic="ship">
      <bpmn:incoming>f_yes</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing></bpmn:sendTask>
    <bpmn:boundaryEvent id="late" attachedToRef="ship"><bpmn:outgoing>f_late</bpmn:outgoing>
      <bpmn:timerEventDefinition><bpmn:timeDuration>PT1H</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:boundaryEvent>
    <bpmn:endEvent id="shipped"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
    <bpmn:endEvent id="refused"><bpmn:incoming>f_no</bpmn:incoming></bpmn:endEvent>
    <bpmn:endEvent id="blocked_end"><bpmn:incoming>f_blocked</bpmn:incoming></bpmn:endEvent>
    <bpmn:endEvent id="late_end"><bpmn:incoming>f_late</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="check_credit" />
    <bpmn:sequenceFlow id="f2" sourceRef="check_credit" targetRef="ok" />
    <bpmn:sequenceFlow id="f_yes" sourceRef="ok" targetRef="ship"><bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">credit_ok == True</bpmn:conditionExpression></bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f_no" sourceRef="ok" targetRef="refused" />
    <bpmn:sequenceFlow id="f3" sourceRef="ship" targetRef="shipped" />
    <bpmn:sequenceFlow id="f_blocked" sourceRef="blocked" targetRef="blocked_end" />
    <bpmn:sequenceFlow id="f_late" sourceRef="late" targetRef="late_end" />
  </bpmn:process>
</bpmn:definitions>
"""
)

# One external task with no boundary event, then a script: an uncaught BPMN error ends the path.
PLAIN = (
    HEAD
    + """  <bpmn:process id="plain" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:serviceTask id="work" camunda:type="external" camunda:topic="work"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:serviceTask>
    <bpmn:scriptTask id="after"><bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing><bpmn:script>after = True</bpmn:script></bpmn:scriptTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="work" />
    <bpmn:sequenceFlow id="f2" sourceRef="work" targetRef="after" />
    <bpmn:sequenceFlow id="f3" sourceRef="after" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>
"""
)


def service_task(attributes: str, extension: str = "", tag: str = "serviceTask") -> str:
    """A one-task process whose task carries ``attributes`` (and extension elements)."""
    body = f"<bpmn:extensionElements>{extension}</bpmn:extensionElements>" if extension else ""
    return (
        HEAD
        + f"""  <bpmn:process id="svc" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:{tag} id="task" {attributes}>{body}<bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:{tag}>
    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="task" />
    <bpmn:sequenceFlow id="f2" sourceRef="task" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>
"""
    )
