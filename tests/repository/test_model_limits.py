"""What one upload may ask of validate and deploy is bounded: a BPMN file with more XML elements
(APPROVALS_MAX_MODEL_ELEMENTS) or deeper nesting (APPROVALS_MAX_MODEL_DEPTH) than allowed is
refused first, with one problem naming the file, the line where the limit was crossed, the nearest
element and the variable; nothing is stored."""

from __future__ import annotations

import pytest

from engine.actor import SYSTEM
from engine.config import Settings
from engine.errors import ConfigurationError, ModelValidationError
from engine.repository.compiler import check_size
from engine.xmlsafe import parse_untrusted_xml
from tests.factories import deploy_files
from tests.repository.big_models import Flow


def nested(depth: int, pid: str = "nested") -> str:
    """A process whose task sits in ``depth`` embedded subprocesses, one in another."""
    opening, closing = [], []
    for level in range(depth):
        opening.append(f'<bpmn:subProcess id="sub{level}"><bpmn:startEvent id="s{level}"/>')
        closing.insert(
            0,
            f'<bpmn:endEvent id="e{level}"/>'
            f'<bpmn:sequenceFlow id="in{level}" sourceRef="s{level}" targetRef="{f"sub{level + 1}" if level + 1 < depth else "work"}"/>'
            f'<bpmn:sequenceFlow id="out{level}" sourceRef="{f"sub{level + 1}" if level + 1 < depth else "work"}" targetRef="e{level}"/>'
            "</bpmn:subProcess>",
        )
    body = "\n".join(opening) + '\n<bpmn:userTask id="work"/>\n' + "\n".join(closing)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="t">\n'
        f'<bpmn:process id="{pid}" isExecutable="true">\n'
        '<bpmn:startEvent id="start"/><bpmn:endEvent id="end"/>\n'
        '<bpmn:sequenceFlow id="go" sourceRef="start" targetRef="sub0"/>\n'
        '<bpmn:sequenceFlow id="done" sourceRef="sub0" targetRef="end"/>\n'
        f"{body}\n</bpmn:process>\n</bpmn:definitions>\n"
    )


def refused(engine, files: dict[str, str]) -> list:
    """Validate and deploy both refuse ``files``; returns deploy's problems."""
    bundle = engine.repository.bundle_from_files({k: v.encode() for k, v in files.items()})
    with pytest.raises(ModelValidationError) as by_validate:
        engine.repository.validate(bundle)
    with pytest.raises(ModelValidationError) as by_deploy:
        engine.repository.deploy([bundle], SYSTEM)
    assert by_validate.value.problems == by_deploy.value.problems
    assert engine.repository.list_models() == []
    return by_deploy.value.problems


def test_a_model_within_the_element_limit_deploys(make_engine):
    engine = make_engine(max_model_elements=1000)
    files = Flow("within").chain(300).files()  # 300 tasks, 301 flows, start, end, 3 wrappers: 906
    assert deploy_files(engine, files).created


def test_a_model_over_the_element_limit_is_refused_naming_where(make_engine):
    engine = make_engine(max_model_elements=1000)
    xml = Flow("over").chain(400).xml()
    [problem] = refused(engine, {"over.bpmn": xml})
    assert problem.file == "over.bpmn"
    assert "1,000" in problem.message and "APPROVALS_MAX_MODEL_ELEMENTS" in problem.message
    # The 1,001st element: the line it is on, and the element (or its nearest ancestor) with an id.
    assert problem.line == xml[: xml.index(f'id="{problem.element_id}"')].count("\n") + 1


def test_the_size_check_comes_before_any_other_work(make_engine):
    # An oversized file that is also invalid BPMN: only the size is reported, so nothing that grows
    # with the upload (schema validation, parsing into specs) ran on it.
    engine = make_engine(max_model_elements=500)
    xml = Flow("junk").chain(400).xml().replace("bpmn:scriptTask", "bpmn:notAnElement")
    [problem] = refused(engine, {"junk.bpmn": xml})
    assert "APPROVALS_MAX_MODEL_ELEMENTS" in problem.message


def test_nesting_within_the_limit_deploys_and_runs(make_engine):
    engine = make_engine(max_model_depth=12)
    deploy_files(engine, {"nested.bpmn": nested(8)})  # definitions, process, 8 subprocesses, task: 11
    info = engine.runtime.start("nested", SYSTEM, {})
    assert info.status == "running"


def test_nesting_over_the_limit_is_refused_naming_the_subprocess(make_engine):
    engine = make_engine(max_model_depth=12)
    xml = nested(11)
    [problem] = refused(engine, {"nested.bpmn": xml})
    assert "12 levels" in problem.message and "APPROVALS_MAX_MODEL_DEPTH" in problem.message
    # Level 13 (definitions, process, sub0 … sub9, then its content) is first reached by the start
    # event inside sub9.
    assert problem.element_id == "s9"
    assert problem.line == xml[: xml.index('id="s9"')].count("\n") + 1


def test_the_default_limits_let_a_5000_task_chain_through():
    settings = Settings.from_env(database_url="sqlite://")
    assert (settings.max_model_elements, settings.max_model_depth) == (50_000, 40)
    # 5,000 script tasks (each with its script and flow) are ~15,000 elements; drawn in a modeler
    # (shapes, bounds, edges, waypoints, incoming/outgoing references) ~45,000.
    xml = Flow("x").chain(5000).xml()
    assert 15_000 < xml.count("<bpmn:") < settings.max_model_elements
    check_size(parse_untrusted_xml(xml.encode(), "x.bpmn"), "x.bpmn", settings.max_model_elements, 40)


@pytest.mark.parametrize(
    "name, value, message",
    [
        ("APPROVALS_MAX_MODEL_ELEMENTS", "many", "must be an integer"),
        ("APPROVALS_MAX_MODEL_ELEMENTS", "10", "at least 100"),
        ("APPROVALS_MAX_MODEL_DEPTH", "4", "at least 8"),
        ("APPROVALS_MAX_MODEL_DEPTH", "1000", "at most 250"),
    ],
)
def test_limits_out_of_range_stop_with_the_variable_named(monkeypatch, name, value, message):
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigurationError, match=message) as err:
        Settings.from_env(database_url="sqlite://")
    assert name in str(err.value)


def test_limits_are_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("APPROVALS_MAX_MODEL_ELEMENTS", "1234")
    monkeypatch.setenv("APPROVALS_MAX_MODEL_DEPTH", "16")
    settings = Settings.from_env(database_url="sqlite://")
    assert (settings.max_model_elements, settings.max_model_depth) == (1234, 16)


def test_stored_versions_still_run_after_a_limit_is_lowered(make_engine):
    deploy_files(make_engine(), Flow("grown").chain(300).files())
    later = make_engine(max_model_elements=200)  # another process, the limit lowered since
    assert later.runtime.start("grown", SYSTEM, {}).status == "completed"
