"""BPMN and Camunda constructs this engine does not run, and literal values that cannot work,
refused at deploy with the reason.

Each would otherwise deploy and then be ignored (a Java listener, an input/output mapping, a
JavaScript script read as Python), fail deep in SpiffWorkflow with a message naming no cause, or
fail only when an instance reaches it (`camunda:dueDate="tomorrow"`). What is refused here is
listed, with the alternative, in docs/process-owners.md ("What runs").
"""

from __future__ import annotations

import re
from datetime import datetime

from lxml import etree

from engine.errors import Problem
from engine.repository.bpmn_document import BPMN_NS, CAMUNDA_NS
from engine.scripting.expressions import is_expression
from engine.spiff.camunda_loops import collection_variable
from engine.timeexpr import parse_duration

PYTHON_SCRIPT_FORMATS = {"", "python", "py", "python3", "text/x-python", "text/python"}

# (namespace, local name) of an element -> why it cannot run, and what to draw instead.
_REFUSED: dict[tuple[str, str], str] = {
    (BPMN_NS, "complexGateway"): (
        "complex gateways are not supported: use an inclusive gateway (conditions on its outgoing "
        "flows) or an exclusive one"
    ),
    (BPMN_NS, "adHocSubProcess"): (
        "ad-hoc subprocesses are not supported: draw the optional steps after an inclusive gateway"
    ),
    (BPMN_NS, "linkEventDefinition"): "link events are not supported: draw the sequence flow itself",
    (BPMN_NS, "compensateEventDefinition"): (
        "compensation is not supported: draw the undo steps as a path of their own (an error "
        "boundary event leading to them, say)"
    ),
    (BPMN_NS, "cancelEventDefinition"): (
        "cancel events (transaction cancellation) are not supported, since compensation is not: "
        "end the transaction with an error end event and catch it on its boundary"
    ),
    # SpiffWorkflow evaluates the condition on the token's own copy of the data, once: a change made
    # in a parallel branch would never wake it (Camunda re-evaluates on every variable change).
    (BPMN_NS, "conditionalEventDefinition"): (
        "conditional events are not supported: the condition would be checked once, on the data as "
        "the path reached it; wait for a message or signal, or put a gateway after the step that "
        "changes the data"
    ),
    (CAMUNDA_NS, "executionListener"): (
        "execution listeners are not run here: a class, expression or script hooked to an element's "
        "start or end would be silently skipped; draw it as a script task or an external task"
    ),
    (CAMUNDA_NS, "taskListener"): (
        "task listeners are not run here: assignment and notification come from the task's "
        "candidate groups, due date and escalation properties; draw other work as its own step"
    ),
    (CAMUNDA_NS, "inputOutput"): (
        "camunda:inputOutput mappings are not supported: set the values in a script task before the "
        "step (or, for a call activity, use camunda:in and camunda:out)"
    ),
}


def _owner_id(node: etree._Element) -> str | None:
    """The id of the element a person would click: an event definition's event, an extension's task."""
    while node is not None:
        qname = etree.QName(node)
        if node.get("id") and qname.namespace == BPMN_NS and not qname.localname.endswith("EventDefinition"):
            return node.get("id")
        node = node.getparent()
    return None


def _literal_problem(node: etree._Element) -> str | None:
    """Why a user task's literal due date or priority cannot work (expressions are checked elsewhere)."""
    due = (node.get(f"{{{CAMUNDA_NS}}}dueDate") or "").strip()
    if due and not is_expression(due):
        try:
            parse_duration(due) if due.upper().startswith("P") else datetime.fromisoformat(due)
        except ValueError:
            return (
                f"camunda:dueDate {due!r} is neither an ISO 8601 duration (P2D) nor a date-time, nor ${{…}}"
            )
    priority = (node.get(f"{{{CAMUNDA_NS}}}priority") or "").strip()
    if priority and not is_expression(priority) and not re.fullmatch(r"[+-]?\d{1,9}", priority):
        return f"camunda:priority {priority!r} is not a whole number (nor ${{…}})"
    return None


def _intermediate_cycle(node: etree._Element) -> bool:
    return (
        node.getparent() is not None and etree.QName(node.getparent()).localname == "intermediateCatchEvent"
    )


def unsupported_problems(process: etree._Element, file_name: str) -> list[Problem]:
    """One problem per construct of ``process`` that would not run as drawn."""
    problems = []
    ids = {node.get("id") for node in process.iter(etree.Element) if node.get("id")}
    for node in process.iter(etree.Element):
        qname = etree.QName(node)
        reason = _REFUSED.get((qname.namespace or "", qname.localname))
        if reason is None and qname.namespace == BPMN_NS:
            if node.get("isForCompensation", "false").lower() == "true":
                reason = _REFUSED[(BPMN_NS, "compensateEventDefinition")]
            elif qname.localname == "multiInstanceLoopCharacteristics":
                collection = node.get(f"{{{CAMUNDA_NS}}}collection")
                if collection is not None and collection_variable(collection) is None:
                    reason = (
                        f"camunda:collection {collection!r} must name a variable (${{approvers}}): "
                        "compute the list into a variable in a script task before the step"
                    )
            elif qname.localname == "userTask":
                reason = _literal_problem(node)
            elif qname.localname == "boundaryEvent" and node.get("attachedToRef") not in ids:
                reason = f"attachedToRef {node.get('attachedToRef')!r} names no activity of this process"
            elif qname.localname == "timeCycle" and _intermediate_cycle(node.getparent()):
                reason = (
                    "an intermediate timer waits once: a timeCycle would fire once and then wait for "
                    "ever; use timeDuration or timeDate, or put the cycle on a boundary event"
                )
            elif qname.localname == "scriptTask":
                script_format = (node.get("scriptFormat") or "").strip().lower()
                if script_format not in PYTHON_SCRIPT_FORMATS:
                    reason = (
                        f"scriptFormat '{node.get('scriptFormat')}' is not supported: scripts here are "
                        'Python in a sandbox (scriptFormat="python"; docs/process-owners.md, "Scripts")'
                    )
        if reason is not None:
            problems.append(Problem(reason, file=file_name, line=node.sourceline, element_id=_owner_id(node)))
    return problems
