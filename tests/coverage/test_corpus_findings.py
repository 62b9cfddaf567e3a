"""What running public BPMN files (bench/corpus.py) turned up outside the other coverage work, each
on a small model of our own: the refusal names file, line and element in words a person can act
on, and a parallel activity asked for a billion instances fails its command instead of the process."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from engine import Engine
from engine.actor import SYSTEM
from engine.errors import CommandLimitExceeded, ModelValidationError, WorkflowError
from tests.coverage.helpers import bpmn, flow
from tests.factories import deploy_files


def _refusal(engine: Engine, xml: str) -> ModelValidationError:
    with pytest.raises(ModelValidationError) as caught:
        deploy_files(engine, {"finding.bpmn": xml})
    return caught.value


def _line_of(xml: str, marker: str) -> int:
    return next(n for n, line in enumerate(xml.splitlines(), 1) if marker in line)


@pytest.mark.parametrize(
    ("definition", "element", "wanted"),
    [
        (
            '<bpmn:errorEventDefinition errorRef="no_such_error" />',
            "endEvent",
            "errorRef 'no_such_error' names no bpmn:error of this file",
        ),
        (
            '<bpmn:escalationEventDefinition escalationRef="no_such_escalation" />',
            "intermediateThrowEvent",
            "escalationRef 'no_such_escalation' names no bpmn:escalation of this file",
        ),
    ],
)
def test_an_event_naming_an_error_or_escalation_the_file_lacks_is_refused_in_words(
    make_engine: Callable[..., Engine], definition: str, element: str, wanted: str
) -> None:
    # SpiffWorkflow 3.2.0 itself answered with "TypeError(... unexpected keyword argument 'node')".
    outgoing = "" if element == "endEvent" else "<bpmn:outgoing>f2</bpmn:outgoing>"
    body = (
        '<bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>\n'
        f'<bpmn:{element} id="raise_it"><bpmn:incoming>f1</bpmn:incoming>{outgoing}\n'
        f"{definition}</bpmn:{element}>\n"
        + (
            ""
            if element == "endEvent"
            else '<bpmn:endEvent id="done"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>'
        )
        + flow("f1", "start", "raise_it")
        + ("" if element == "endEvent" else flow("f2", "raise_it", "done"))
    )
    xml = bpmn("dangling_ref", body)
    refusal = _refusal(make_engine(), xml)
    [problem] = refusal.problems
    assert problem.message == wanted
    assert "TypeError" not in str(refusal)
    assert (problem.file, problem.element_id, problem.line) == (
        "finding.bpmn",
        "raise_it",
        _line_of(xml, 'id="raise_it"'),
    )


def test_a_refusal_worded_by_spiffworkflow_still_names_the_line(make_engine: Callable[..., Engine]) -> None:
    # A standard loop with neither maximum nor condition: SpiffWorkflow's words, which carried no line
    # because it reads the line from an attribute only its own XML parser sets.
    body = (
        '<bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>\n'
        '<bpmn:task id="again"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>\n'
        "<bpmn:standardLoopCharacteristics /></bpmn:task>\n"
        '<bpmn:endEvent id="done"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>\n'
        + flow("f1", "start", "again")
        + flow("f2", "again", "done")
    )
    xml = bpmn("loop_without_end", body)
    [problem] = _refusal(make_engine(), xml).problems
    assert "loopMaximum or loopCondition" in problem.message
    assert (problem.element_id, problem.line) == ("again", _line_of(xml, 'id="again"'))


def _fan_out(cardinality: str) -> str:
    return bpmn(
        "fan_out",
        '<bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>\n'
        '<bpmn:task id="each"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>\n'
        "<bpmn:multiInstanceLoopCharacteristics>"
        f"<bpmn:loopCardinality>{cardinality}</bpmn:loopCardinality>"
        "</bpmn:multiInstanceLoopCharacteristics></bpmn:task>\n"
        '<bpmn:endEvent id="done"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>\n'
        + flow("f1", "start", "each")
        + flow("f2", "each", "done"),
    )


@pytest.mark.parametrize("cold", [False, True], ids=["warm", "cold"])
def test_a_parallel_activity_asked_for_a_billion_instances_fails_its_command(
    make_engine: Callable[..., Engine], cold: bool
) -> None:
    # It used to create them all inside one element, before the per-command count saw any: the
    # process grew past 12 GB. Now the start fails, names the element, and nothing is stored.
    engine = make_engine(cold_commands=cold, command_max_elements=1000)
    deploy_files(engine, {"fan_out.bpmn": _fan_out("10**9")})
    with pytest.raises(CommandLimitExceeded) as caught:
        engine.runtime.start("fan_out", SYSTEM)
    assert "'each'" in str(caught.value) and "APPROVALS_COMMAND_MAX_ELEMENTS" in str(caught.value)
    assert engine.runtime.list(SYSTEM) == []


def test_a_parallel_activity_within_the_limit_runs_to_its_end(make_engine: Callable[..., Engine]) -> None:
    engine = make_engine(command_max_elements=1000)
    deploy_files(engine, {"fan_out.bpmn": _fan_out("300")})
    assert engine.runtime.start("fan_out", SYSTEM).status == "completed"


def test_a_parallel_activity_over_a_collection_nobody_set_names_the_element_and_the_collection(
    make_engine: Callable[..., Engine],
) -> None:
    # It failed as "the process failed: TypeError: 'NoneType' object is not iterable", naming nothing.
    xml = bpmn(
        "over_items",
        '<bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>\n'
        '<bpmn:task id="each"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>\n'
        "<bpmn:multiInstanceLoopCharacteristics>"
        "<bpmn:loopDataInputRef>items</bpmn:loopDataInputRef>"
        '<bpmn:inputDataItem id="item" name="item" />'
        "</bpmn:multiInstanceLoopCharacteristics></bpmn:task>\n"
        '<bpmn:endEvent id="done"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>\n'
        + flow("f1", "start", "each")
        + flow("f2", "each", "done"),
    )
    engine = make_engine()
    deploy_files(engine, {"over_items.bpmn": xml})
    with pytest.raises(WorkflowError) as caught:
        engine.runtime.start("over_items", SYSTEM)
    assert "input collection 'items' of multi-instance activity 'each'" in str(caught.value)
    assert [p.element_id for p in caught.value.problems] == ["each"]
    # Given the collection, the same model runs every round and ends.
    assert engine.runtime.start("over_items", SYSTEM, {"items": [1, 2, 3]}).status == "completed"
