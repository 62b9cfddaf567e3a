"""Call activities that start a child instance of a separately deployed model (Camunda 7 semantics).

SpiffWorkflow runs a call activity as a subworkflow inside the same instance. Here a call
activity is a task that, once reached, waits (state STARTED) until the engine — not the
workflow — has run a child process instance of the called model to its end: the child has its
own row, inbox and history chain (engine/runtime/calls.py). The engine then completes the
waiting task with the child's output mappings and advances the parent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.parser.TaskParser import TaskParser
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import ErrorEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.bpmn_spec_mixin import BpmnSpecMixin
from SpiffWorkflow.util.task import TaskState

from engine.spiff.errors import translate

CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
_NS = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL", "camunda": CAMUNDA_NS}
_EXPRESSION = re.compile(r"^[$#]\{(.+)\}$", re.S)
BINDINGS = ("latest", "version", "deployment")
# The one expression of Camunda's that names the parent's business key: passed on as it is.
PARENT_BUSINESS_KEY = "execution.processBusinessKey"


@dataclass(frozen=True)
class Mapping:
    """One ``camunda:in`` / ``camunda:out``: a variable (source or sourceExpression -> target), or all."""

    source: str | None
    source_expression: str | None  # the text inside ${…}
    target: str | None
    all: bool = False


@dataclass(frozen=True)
class CallDefinition:
    element_id: str
    called_element: str  # a model key, or ${…} evaluated on the task's data when reached
    binding: str  # latest | version | deployment
    version: str | None  # camunda:calledElementVersion (a number or ${…})
    inputs: tuple[Mapping, ...]
    outputs: tuple[Mapping, ...]
    business_key: str | None  # camunda:in businessKey="…": #{execution.processBusinessKey}, text or ${…}
    line: int | None

    @property
    def called_expression(self) -> str | None:
        match = _EXPRESSION.match(self.called_element)
        return match.group(1) if match else None


class CalledProcess(BpmnSpecMixin):
    """A call activity: waits, STARTED, while the engine runs the child instance."""

    def __init__(self, wf_spec: Any, bpmn_id: str, definition: CallDefinition, **kwargs: Any) -> None:
        super().__init__(wf_spec, bpmn_id, **kwargs)
        self.definition = definition

    def _run_hook(self, my_task: Any) -> None:
        return None  # STARTED: completed by the engine when the child instance ends


def _mappings(node: Any, tag: str, file_name: str | None) -> tuple[tuple[Mapping, ...], str | None]:
    mappings = []
    business_key = None
    for item in node.xpath(f"./bpmn:extensionElements/camunda:{tag}", namespaces=_NS):
        if tag == "in" and item.get("businessKey") is not None:
            business_key = item.get("businessKey").strip()
            continue
        if (item.get("variables") or "").strip() == "all":
            mappings.append(Mapping(None, None, None, all=True))
            continue
        source, expression, target = item.get("source"), item.get("sourceExpression"), item.get("target")
        match = _EXPRESSION.match((expression or "").strip())
        if expression is not None and not match:
            raise ValidationException(
                f"camunda:{tag} sourceExpression must be written ${{…}}, not {expression!r}",
                node=node,  # the problem names the call activity, its id and line
                file_name=file_name,
            )
        if not target or not (source or match):
            raise ValidationException(
                f'camunda:{tag} needs source="…" (or sourceExpression="${{…}}") and target="…", '
                'or variables="all"',
                node=node,  # the problem names the call activity, its id and line
                file_name=file_name,
            )
        mappings.append(Mapping(source, match.group(1) if match else None, target))
    return tuple(mappings), business_key


class CallActivityParser(TaskParser):
    """Reads calledElement, the binding and the camunda:in/out mappings into a CalledProcess."""

    def create_task(self) -> CalledProcess:
        node = self.node
        called = (node.get("calledElement") or "").strip()
        if not called:
            raise ValidationException(
                "a call activity needs calledElement (the key of the model it starts)",
                node=node,
                file_name=self.filename,
            )
        if node.get(f"{{{CAMUNDA_NS}}}caseRef"):
            raise ValidationException(
                "camunda:caseRef (CMMN) is not supported: call a BPMN model",
                node=node,
                file_name=self.filename,
            )
        binding = (node.get(f"{{{CAMUNDA_NS}}}calledElementBinding") or "latest").strip()
        if binding not in BINDINGS:
            raise ValidationException(
                f"camunda:calledElementBinding {binding!r} is not supported "
                "(use latest, version or deployment)",
                node=node,
                file_name=self.filename,
            )
        version = (node.get(f"{{{CAMUNDA_NS}}}calledElementVersion") or "").strip() or None
        if binding == "version" and (
            version is None or not ((version.isdigit() and int(version) > 0) or _EXPRESSION.match(version))
        ):
            raise ValidationException(
                'calledElementBinding="version" needs camunda:calledElementVersion: '
                "a version number (1, 2, …)",
                node=node,
                file_name=self.filename,
            )
        inputs, business_key = _mappings(node, "in", self.filename)
        outputs, _ = _mappings(node, "out", self.filename)
        definition = CallDefinition(
            self.bpmn_id, called, binding, version, inputs, outputs, business_key, node.sourceline
        )
        return self.spec_class(self.spec, self.bpmn_id, definition=definition, **self.bpmn_attributes)


def call_definitions(*specs: Any) -> dict[str, CallDefinition]:
    """Every call activity of the given process specs (and their embedded subprocesses), by element id."""
    found: dict[str, CallDefinition] = {}
    for spec in specs:
        for task_spec in spec.task_specs.values():
            if isinstance(task_spec, CalledProcess):
                found.setdefault(task_spec.definition.element_id, task_spec.definition)
    return found


@dataclass(frozen=True)
class PendingCall:
    """A call activity the workflow waits on."""

    spiff_task_id: str
    definition: CallDefinition
    data: dict[str, Any]


def waiting_calls(workflow: Any) -> list[PendingCall]:
    """The call activities now waiting for their child instance, in creation order."""
    found = []
    for wf in (workflow, *workflow.subprocesses.values()):
        for task in wf.tasks.values():
            if task.state == TaskState.STARTED and isinstance(task.task_spec, CalledProcess):
                found.append(PendingCall(str(task.id), task.task_spec.definition, task.data))
    return found


def call_is_waiting(workflow: Any, spiff_task_id: str) -> bool:
    task = workflow.find_task(UUID(spiff_task_id))
    return task is not None and task.state == TaskState.STARTED


def finish_call(workflow: Any, spiff_task_id: str, data: dict[str, Any]) -> Any:
    """Complete the waiting call activity with ``data`` (the output mappings) and return the task."""
    task = workflow.find_task(UUID(spiff_task_id))
    task.data.update(data)
    try:
        task.complete()
    except Exception as exc:
        raise translate(exc) from exc
    return task


def ended_with_error(workflow: Any) -> str | None:
    """The code of the BPMN error an error end event threw and nothing in the workflow caught, if any
    (read without consuming the workflow's uncaught events)."""
    for event in workflow.bpmn_events:
        if isinstance(event.event_definition, ErrorEventDefinition):
            definition = event.event_definition
            return definition.code or definition.name or ""
    return None


def throw_call_error(
    workflow: Any, spiff_task_id: str, code: str, data: dict[str, Any]
) -> tuple[str | None, Any]:
    """The child's BPMN error thrown at the waiting call activity: an error boundary event on it with
    that code (or a catch-all) catches it; uncaught, the call activity's path ends, as for an external
    task's BPMN error (engine/spiff/external.py). Returns (the catching event or None, steps run)."""
    from engine.spiff.external import throw_bpmn_error

    return throw_bpmn_error(workflow, spiff_task_id, code, None, data)
