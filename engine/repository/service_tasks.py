"""Deploy rules for service and send tasks: what runs here is an external task, done by a worker.

Camunda 7 runs a service task through Java (``camunda:class``, ``camunda:delegateExpression``,
``camunda:expression``), a connector, or an external worker (``camunda:type="external"`` with a
``camunda:topic``). Only the last can run here; the others are refused at deploy with a hint, never
left to stop an instance silently at run time. A service task naming no implementation is refused
too, as Camunda's own parser refuses it ("one of the attributes class, delegateExpression, type, or
expression is mandatory"): a process that reached it could only wait for nobody.

A send task may be external as well (Camunda allows it); one without any implementation keeps this
engine's meaning of a send task (it throws its message to the outbox). Message throw and end events
with ``camunda:type="external"`` are refused: their message goes to the outbox here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lxml import etree

from engine.errors import Problem
from engine.repository.bpmn_document import BPMN_NS, CAMUNDA_NS, NSMAP, BpmnDocument

MAX_TOPIC = 200
_EXPRESSION = re.compile(r"\$\{|#\{")
_PRIORITY = re.compile(r"^[+-]?\d{1,18}$")
_JAVA = ("class", "delegateExpression", "expression")
EXTERNAL_HINT = (
    'make it an external task: camunda:type="external" camunda:topic="…" and a worker '
    '(docs/process-owners.md, "External tasks")'
)
HINT = "a Java delegate cannot run here; " + EXTERNAL_HINT


@dataclass(frozen=True)
class ExternalTaskDefinition:
    id: str
    kind: str  # serviceTask | sendTask
    topic: str
    priority: int
    line: int | None


def _attr(node: etree._Element, name: str) -> str | None:
    value = node.get(f"{{{CAMUNDA_NS}}}{name}")
    return value.strip() if value is not None else None


def read_service_tasks(process: etree._Element, doc: BpmnDocument) -> list[Problem]:
    """Fill ``doc.external_tasks`` from the process; return the problems that prevent deployment."""
    problems: list[Problem] = []

    def problem(node: etree._Element, message: str) -> None:
        problems.append(Problem(message, file=doc.file_name, line=node.sourceline, element_id=node.get("id")))

    for node in process.iter(f"{{{BPMN_NS}}}serviceTask", f"{{{BPMN_NS}}}sendTask"):
        kind = etree.QName(node).localname
        java = [name for name in _JAVA if _attr(node, name)]
        connector = node.xpath("./bpmn:extensionElements/camunda:connector", namespaces=NSMAP)
        impl_type = _attr(node, "type")
        if java:
            problem(node, f"{kind} uses camunda:{java[0]}: {HINT}")
            continue
        if connector:
            problem(node, f"{kind} uses a camunda:connector: a connector cannot run here; {EXTERNAL_HINT}")
            continue
        if impl_type is None:
            if kind == "serviceTask":
                problem(node, f"serviceTask has no implementation: nothing could do it; {EXTERNAL_HINT}")
            continue
        if impl_type != "external":
            problem(node, f'camunda:type="{impl_type}" cannot run here: only "external" is supported')
            continue
        topic = _attr(node, "topic")
        if not topic:
            problem(node, f'an external {kind} needs camunda:topic="…": the topic its workers fetch')
            continue
        if _EXPRESSION.search(topic):
            problem(
                node,
                f"camunda:topic {topic!r} is an expression: write the topic as literal text "
                "(workers subscribe to fixed topic names)",
            )
            continue
        if len(topic) > MAX_TOPIC:
            problem(node, f"camunda:topic is longer than {MAX_TOPIC} characters")
            continue
        priority_text = _attr(node, "taskPriority")
        priority = 0
        if priority_text:
            if not _PRIORITY.match(priority_text):
                problem(
                    node,
                    f"camunda:taskPriority {priority_text!r} must be a whole number "
                    "(expressions are not supported here)",
                )
                continue
            priority = int(priority_text)
        doc.external_tasks[node.get("id", "")] = ExternalTaskDefinition(
            node.get("id", ""), kind, topic, priority, node.sourceline
        )

    for definition in process.iter(f"{{{BPMN_NS}}}messageEventDefinition"):
        if _attr(definition, "type") or any(_attr(definition, name) for name in _JAVA):
            event = definition.getparent()
            problem(
                event if event is not None else definition,
                "a message event with a camunda implementation cannot run here: its message goes to "
                'the outbox; for work done by a worker use a serviceTask with camunda:type="external"',
            )
    return problems
