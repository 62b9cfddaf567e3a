"""A timer start event fires before any instance exists, so there is no process data its expression
could read: validate and deploy both refuse an expression there, naming file, line and element
(deploy used to answer 500 where validate said 200). ISO text keeps working."""

from __future__ import annotations

import pytest

from engine.actor import SYSTEM
from engine.errors import ModelValidationError
from tests.factories import deploy_files

TEMPLATE = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="t">
  <bpmn:process id="timed_start" isExecutable="true">
    <bpmn:startEvent id="kick_off">
      <bpmn:timerEventDefinition id="td"><bpmn:{kind}>{value}</bpmn:{kind}></bpmn:timerEventDefinition>
    </bpmn:startEvent>
    <bpmn:userTask id="review"/>
    <bpmn:endEvent id="end"/>
    <bpmn:sequenceFlow id="f1" sourceRef="kick_off" targetRef="review"/>
    <bpmn:sequenceFlow id="f2" sourceRef="review" targetRef="end"/>
  </bpmn:process>
</bpmn:definitions>
"""
START_LINE = 4

EXPRESSIONS = [
    ("timeDate", "${start_at}"),
    ("timeCycle", "${cycle}"),
    ("timeDuration", "${wait}"),
    ("timeDate", "start_at"),  # a bare Python expression, as SpiffWorkflow models write them
    ("timeCycle", "${'R/2026-01-31T18:00:00+08:00/P1M'}"),  # constant, but still an expression
]


def model(kind: str, value: str) -> dict[str, str]:
    return {"timed_start.bpmn": TEMPLATE.format(kind=kind, value=value)}


@pytest.mark.parametrize("kind, value", EXPRESSIONS)
def test_an_expression_on_a_timer_start_event_is_refused_by_validate_and_deploy(engine, kind, value):
    bundle = engine.repository.bundle_from_files({k: v.encode() for k, v in model(kind, value).items()})
    for attempt in (
        lambda: engine.repository.validate(bundle),
        lambda: engine.repository.deploy([bundle], SYSTEM),
    ):
        with pytest.raises(ModelValidationError) as err:
            attempt()
        [problem] = err.value.problems
        assert (problem.file, problem.line, problem.element_id) == (
            "timed_start.bpmn",
            START_LINE,
            "kick_off",
        )
        assert "timer start event" in problem.message and "expression" in problem.message
    assert engine.repository.list_models() == []


@pytest.mark.parametrize(
    "kind, value",
    [("timeDate", "2026-12-31T18:00:00+08:00"), ("timeCycle", "R/2026-01-31T18:00:00+08:00/P1M")],
)
def test_iso_text_on_a_timer_start_event_deploys_and_is_armed(engine, kind, value):
    assert deploy_files(engine, model(kind, value)).created
    [timer] = engine.timers.list(SYSTEM)
    assert (timer.element_id, timer.kind, timer.instance_id, timer.expression) == (
        "kick_off",
        "start",
        None,
        value,
    )


def test_an_invalid_iso_start_timer_is_refused_too(engine):
    with pytest.raises(ModelValidationError) as err:
        deploy_files(engine, model("timeDate", "2026-13-45T99:00:00"))
    assert err.value.problems[0].element_id == "kick_off"
