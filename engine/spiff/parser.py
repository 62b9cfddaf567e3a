"""Parsing BPMN into SpiffWorkflow specs, with the engine's own task specs plugged in."""

from __future__ import annotations

import copy
import threading
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.parser.BpmnParser import XSD_PATH, BpmnParser
from SpiffWorkflow.bpmn.parser.node_parser import DEFAULT_NSMAP
from SpiffWorkflow.bpmn.parser.task_parsers import GatewayParser
from SpiffWorkflow.bpmn.parser.TaskParser import TaskParser
from SpiffWorkflow.bpmn.parser.util import full_tag
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.defaults import (
    BoundaryEvent,
    IntermediateCatchEvent,
    IntermediateThrowEvent,
    ReceiveTask,
    SendTask,
    StartEvent,
    SubWorkflowTask,
)
from SpiffWorkflow.exceptions import SpiffWorkflowException

from engine.errors import ModelValidationError, Problem
from engine.spiff import event_subprocesses
from engine.spiff.business_rule import BusinessRuleTask, BusinessRuleTaskParser
from engine.spiff.call_activity import CallActivityParser, CalledProcess
from engine.spiff.camunda_loops import with_camunda_collections
from engine.spiff.event_parsers import (
    EngineBoundaryEventParser,
    EngineIntermediateCatchEventParser,
    EngineIntermediateThrowEventParser,
    EngineReceiveTaskParser,
    EngineStartEventParser,
)
from engine.spiff.external import (
    ExternalAwareSendTaskParser,
    ExternalServiceTask,
    ExternalServiceTaskParser,
)
from engine.spiff.flow_nodes import (
    EngineSubWorkflowParser,
    PassThroughManualTask,
    PassThroughTask,
    connect_implicit_ends,
    without_data_elements,
)
from engine.spiff.iterative_parser import IterativeAdHocParser, IterativeProcessParser
from engine.spiff.joins import ParallelGateway
from engine.spiff.loops import connect_loop_merges

CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
NSMAP = {**DEFAULT_NSMAP, "camunda": CAMUNDA_NS}


class ApprovalsBpmnParser(BpmnParser):
    PROCESS_PARSER_CLASS = IterativeProcessParser
    AD_HOC_PARSER_CLASS = IterativeAdHocParser
    OVERRIDE_PARSER_CLASSES = {
        full_tag("businessRuleTask"): (BusinessRuleTaskParser, BusinessRuleTask),
        full_tag("startEvent"): (EngineStartEventParser, StartEvent),
        full_tag("intermediateCatchEvent"): (EngineIntermediateCatchEventParser, IntermediateCatchEvent),
        full_tag("intermediateThrowEvent"): (EngineIntermediateThrowEventParser, IntermediateThrowEvent),
        full_tag("boundaryEvent"): (EngineBoundaryEventParser, BoundaryEvent),
        full_tag("receiveTask"): (EngineReceiveTaskParser, ReceiveTask),
        full_tag("sendTask"): (ExternalAwareSendTaskParser, SendTask),
        full_tag("serviceTask"): (ExternalServiceTaskParser, ExternalServiceTask),
        full_tag("parallelGateway"): (GatewayParser, ParallelGateway),
        # Camunda 7 passes through plain and manual tasks; subprocesses may end implicitly (flow_nodes.py).
        full_tag("task"): (TaskParser, PassThroughTask),
        full_tag("manualTask"): (TaskParser, PassThroughManualTask),
        full_tag("subProcess"): (EngineSubWorkflowParser, SubWorkflowTask),
        # A call activity starts a child instance of a deployed model (engine/runtime/calls.py).
        full_tag("callActivity"): (CallActivityParser, CalledProcess),
    }

    def __init__(self) -> None:
        super().__init__(namespaces=NSMAP, validator=None)


def compile_process(root: etree._Element, file_name: str, process_id: str) -> tuple[Any, dict[str, Any]]:
    """Return (process spec, subprocess specs) for ``process_id``; problems name element and line."""
    parser = ApprovalsBpmnParser()
    try:
        parser.add_bpmn_xml(with_camunda_collections(without_data_elements(root)), file_name)
        spec = parser.get_spec(process_id)
        subprocess_specs = parser.get_subprocess_specs(process_id)
        for compiled in (spec, *subprocess_specs.values()):
            connect_loop_merges(compiled)
            connect_implicit_ends(compiled)
        event_subprocesses.prepare(parser, spec, subprocess_specs)
    except ValidationException as exc:
        element_id = getattr(exc, "id", None) or None
        raise ModelValidationError(
            f"{file_name} cannot be executed",
            [
                Problem(
                    str(exc.args[0]) if exc.args else str(exc),
                    file=file_name,
                    line=int(exc.line_number)
                    if str(getattr(exc, "line_number", "")).isdigit()
                    else _line_of(root, element_id),
                    element_id=element_id,
                )
            ],
        )
    except SpiffWorkflowException as exc:
        raise ModelValidationError(f"{file_name} cannot be executed", [Problem(str(exc), file=file_name)])
    return spec, subprocess_specs


def _line_of(root: etree._Element, element_id: str | None) -> int | None:
    # SpiffWorkflow takes a line from a `line_number` attribute only its own XML parser sets; the
    # engine parses with lxml (xmlsafe), whose elements know their `sourceline`.
    if not element_id:
        return None
    found = root.xpath("//*[@id=$id]", id=element_id)
    return found[0].sourceline if found else None


_SCHEMA_LOCK = threading.Lock()
_SCHEMA: etree.XMLSchema | None = None


_OMG = "http://www.omg.org/spec/"


def bpmn_schema_problems(root: etree._Element, file_name: str) -> list[Problem]:
    """Every BPMN 2.0 XSD violation of the document, with its line."""
    global _SCHEMA
    # bpmn-js writes correlation retrieval expressions in a form the XSD rejects; check a copy
    # where they are renamed, as SpiffWorkflow's own validator does.
    checked = copy.deepcopy(root)
    for expr in checked.xpath(
        ".//bpmn:correlationPropertyRetrievalExpression/bpmn:formalExpression", namespaces=NSMAP
    ):
        expr.tag = "{" + NSMAP["bpmn"] + "}messagePath"
    # Camunda lets calledElement be an expression (${…}), which the XSD's QName type refuses.
    for node in checked.xpath(".//bpmn:callActivity[starts-with(@calledElement, '${')]", namespaces=NSMAP):
        node.set("calledElement", "expression")
    with _SCHEMA_LOCK:
        if _SCHEMA is None:
            _SCHEMA = etree.XMLSchema(etree.parse(XSD_PATH))
        if _SCHEMA.validate(checked):
            return []
        errors = [(error.message, error.line) for error in _SCHEMA.error_log]
    ids_by_line = {}
    first_line: dict[str, int] = {}
    duplicates = []
    for node in checked.iter():
        element_id = node.get("id") if isinstance(node.tag, str) else None
        if not element_id:
            continue
        ids_by_line.setdefault(node.sourceline, element_id)
        # Only BPMN's own elements (model and diagram) share one id space; an extension's `id`
        # (a camunda:formField's) is a name of its own kind and may repeat across tasks.
        if not (etree.QName(node).namespace or "").startswith(_OMG):
            continue
        if element_id in first_line:
            duplicates.append(
                Problem(
                    f"id '{element_id}' is used twice (first on line {first_line[element_id]}): "
                    "every element needs an id of its own",
                    file=file_name,
                    line=node.sourceline,
                    element_id=element_id,
                )
            )
        else:
            first_line[element_id] = node.sourceline
    duplicate_lines = {problem.line for problem in duplicates}
    # The XSD says a repeated id "is not a valid value of the atomic type 'xs:ID'": the message
    # above says it in words, so that line's XSD message is left out.
    return duplicates + [
        Problem(
            message.replace("{" + NSMAP["bpmn"] + "}", "bpmn:"),
            file=file_name,
            line=line,
            element_id=ids_by_line.get(line),
        )
        for message, line in errors
        if not (line in duplicate_lines and "xs:ID" in message)
    ]
