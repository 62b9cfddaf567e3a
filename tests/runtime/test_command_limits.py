"""One command does bounded automatic work. Each script has its own budget, but a loop of automatic
elements that never waits (script -> gateway -> script …) would otherwise run for ever while it holds
the instance and, on SQLite, the database's write lock."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from sqlalchemy import text

from engine import Engine
from engine.errors import CommandLimitExceeded
from tests.factories import add_users, deploy_files

LOOP = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="Defs_spin" targetNamespace="http://example.com/t">
<bpmn:process id="spin" isExecutable="true">
  <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
  <bpmn:scriptTask id="count"><bpmn:incoming>f1</bpmn:incoming><bpmn:incoming>again</bpmn:incoming>
    <bpmn:outgoing>f2</bpmn:outgoing><bpmn:script>n = n + 1</bpmn:script></bpmn:scriptTask>
  <bpmn:exclusiveGateway id="more" default="enough"><bpmn:incoming>f2</bpmn:incoming>
    <bpmn:outgoing>again</bpmn:outgoing><bpmn:outgoing>enough</bpmn:outgoing></bpmn:exclusiveGateway>
  <bpmn:endEvent id="done"><bpmn:incoming>enough</bpmn:incoming></bpmn:endEvent>
  <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="count" />
  <bpmn:sequenceFlow id="f2" sourceRef="count" targetRef="more" />
  <bpmn:sequenceFlow id="again" sourceRef="more" targetRef="count">
    <bpmn:conditionExpression>n &lt; rounds</bpmn:conditionExpression></bpmn:sequenceFlow>
  <bpmn:sequenceFlow id="enough" sourceRef="more" targetRef="done" />
</bpmn:process></bpmn:definitions>
"""
FOREVER = 10**9


def _instances(engine: Engine) -> int:
    with engine.db.read() as conn:
        return conn.execute(text("SELECT count(*) FROM process_instances")).scalar_one()


def _spin(engine: Engine, rounds: int) -> object:
    people = add_users(engine, sam="sales")
    deploy_files(engine, {"spin.bpmn": LOOP})
    return engine.runtime.start("spin", people["sam"], {"n": 0, "rounds": rounds})


def test_a_loop_that_ends_within_the_limit_runs(make_engine: Callable[..., Engine]) -> None:
    engine = make_engine(command_max_elements=1000)
    instance = _spin(engine, rounds=100)
    assert instance.status == "completed"
    assert instance.data["n"] == 100


def test_an_endless_loop_stops_at_the_element_limit_and_leaves_nothing(
    make_engine: Callable[..., Engine],
) -> None:
    engine = make_engine(command_max_elements=300)
    with pytest.raises(CommandLimitExceeded) as raised:
        _spin(engine, rounds=FOREVER)
    assert "more than 300 elements (APPROVALS_COMMAND_MAX_ELEMENTS)" in raised.value.message
    assert raised.value.problems[0].element_id in {"count", "more"}
    assert _instances(engine) == 0


def test_an_endless_loop_stops_at_the_time_limit(make_engine: Callable[..., Engine]) -> None:
    engine = make_engine(command_max_elements=10**8, command_timeout_ms=300)
    began = time.monotonic()
    with pytest.raises(CommandLimitExceeded) as raised:
        _spin(engine, rounds=FOREVER)
    assert "more than 300 ms (APPROVALS_COMMAND_TIMEOUT_MS)" in raised.value.message
    assert time.monotonic() - began < 5
    assert _instances(engine) == 0
