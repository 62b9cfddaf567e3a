"""Flow nodes SpiffWorkflow runs differently from Camunda 7, brought in line at compile time.

- **Implicit end.** In BPMN an activity or event without an outgoing sequence flow ends its path.
  SpiffWorkflow simply stops there: a subprocess never reaches its end (it waits for an end event
  that no path leads to) and a process completes without its data being handed over. Each such
  element is connected to its scope's end, as an end event is. SpiffWorkflow also refuses an
  embedded subprocess without an end event, which BPMN allows; its parser is replaced by one that
  does not ask for one.
- **Data objects and data stores are documentation**, as in Camunda 7 (``without_data_elements``).
- **Plain and manual tasks pass through.** SpiffWorkflow makes ``bpmn:task`` and ``bpmn:manualTask``
  wait for someone to complete them; Camunda 7 passes through both (a manual task is done outside
  any system). Here they run like a script task without a script.
"""

from __future__ import annotations

from copy import deepcopy
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.parser.task_parsers import SubWorkflowParser
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.control import BoundaryEventJoin
from SpiffWorkflow.bpmn.specs.defaults import EndEvent, ManualTask, NoneTask
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import LoopTask
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import EventSubprocess

# The history event type of a plain or manual task the process passed (commands._record_step).
PASSED = "task_passed"


class PassThroughTask(NoneTask):
    """``bpmn:task``: nothing to do, the process goes on."""

    def __init__(self, wf_spec: Any, bpmn_id: str, **kwargs: Any) -> None:
        super().__init__(wf_spec, bpmn_id, **kwargs)
        self.manual = False


class PassThroughManualTask(ManualTask):
    """``bpmn:manualTask``: work done outside the engine; the process does not wait for it."""

    def __init__(self, wf_spec: Any, bpmn_id: str, **kwargs: Any) -> None:
        super().__init__(wf_spec, bpmn_id, **kwargs)
        self.manual = False


PASS_THROUGH_KINDS = frozenset({PassThroughTask.__name__, PassThroughManualTask.__name__})


class EngineSubWorkflowParser(SubWorkflowParser):
    """An embedded (or event) subprocess: one start event, and end events only if its paths want them."""

    def create_task(self) -> Any:
        starts = self.xpath("./bpmn:startEvent")
        if len(starts) != 1:
            raise ValidationException(
                f"a subprocess needs exactly one start event; this one has {len(starts)}",
                node=self.node,
                file_name=self.filename,
            )
        self.process_parser.parser.create_parser(self.node, filename=self.filename, lane=self.lane)
        spec_id = self.node.get("id")
        self.process_parser.parser.process_parsers[spec_id].parent = self.process_parser
        # SpiffWorkflow looks for a namespaced triggeredByEvent, which modelers never write.
        triggered = self.node.get("triggeredByEvent", "false").strip().lower() == "true"
        spec_class = self.EVENT_SUBPROCESS_CLASS if triggered else self.spec_class
        return spec_class(self.spec, self.bpmn_id, subworkflow_spec=spec_id, **self.bpmn_attributes)


def connect_implicit_ends(spec: Any) -> None:
    """Connect every element of ``spec`` that has nowhere to go to the scope's end, as an end event is."""
    for task_spec in list(spec.task_specs.values()):
        if getattr(task_spec, "bpmn_id", None) is None or task_spec is spec.end:
            continue
        if isinstance(task_spec, EndEvent | EventSubprocess):
            continue  # an end event already is; an event subprocess is connected by its own rules
        if any(isinstance(source, LoopTask) for source in task_spec.inputs):
            continue  # the inner spec of a loop: its loop task carries the flows
        if all(isinstance(output, BoundaryEventJoin) for output in task_spec.outputs):
            task_spec.connect(spec.end)


_BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
# Documentation in Camunda 7: drawn, validated against the XSD, never executed.
_DATA_ELEMENTS = (
    "dataObject",
    "dataObjectReference",
    "dataStore",
    "dataStoreReference",
    "dataInputAssociation",
    "dataOutputAssociation",
)
_DATA_XPATH = " | ".join(f".//bpmn:{tag}" for tag in _DATA_ELEMENTS)


def without_data_elements(root: etree._Element) -> etree._Element:
    """``root``, or a copy of it without data objects, data stores and their associations.

    Camunda 7 does not execute them, so a model drawn with them runs unchanged. SpiffWorkflow would
    move a task's variable into a process-wide data object on an output association (taking it out
    of the process data), fail at run time when the data object is named otherwise than a variable,
    refuse a data store it has no class for, loop for ever on a reference to a data object two
    scopes up, and name an unresolved association by a Python repr."""
    found = root.xpath(_DATA_XPATH, namespaces={"bpmn": _BPMN})
    if not found:
        return root
    copy = deepcopy(root)
    for node in copy.xpath(_DATA_XPATH, namespaces={"bpmn": _BPMN}):
        parent = node.getparent()
        if parent is not None:
            parent.remove(node)
    return copy
