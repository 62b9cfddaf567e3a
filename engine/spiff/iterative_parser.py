"""SpiffWorkflow's process parsing without recursion, so a model's length is not bounded by the stack.

SpiffWorkflow parses a process by following sequence flows: parsing an element parses each of its
targets first (a nested call) and then connects to them, so a chain of n elements nests 2n Python
frames and a chain of ~490 tasks hits the recursion limit. Here the same work runs as a stack of
generators, one per element being parsed: where SpiffWorkflow would call itself for a target (or a
boundary event), the generator yields the target's XML node and is resumed with its spec. Every
step happens in the same order as SpiffWorkflow's own recursion, so the specs it builds are the same
(tests/spiff/test_iterative_parser.py compares them on every test model).
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.parser.ProcessParser import AdHocParser, ProcessParser
from SpiffWorkflow.bpmn.parser.TaskParser import TaskParser
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.control import BoundaryEventJoin, BoundaryEventSplit
from SpiffWorkflow.bpmn.specs.event_definitions.simple import CancelEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.exclusive_gateway import ExclusiveGateway
from SpiffWorkflow.bpmn.specs.mixins.inclusive_gateway import InclusiveGateway
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import TransactionSubprocess

# Yields the XML nodes whose specs it needs, receives each spec, returns the element's entry spec.
ElementSteps = Generator[etree._Element, Any, Any]


def _element_steps(parser: TaskParser) -> ElementSteps:
    """TaskParser.parse_node, with each nested parse of another element turned into a ``yield``."""
    try:
        parser.task = parser.create_task()
        parser.task.extensions = parser.parse_extensions()
        if parser.xpath("./bpmn:ioSpecification"):
            parser.task.io_specification = parser.parse_io_spec()
        loop = parser.xpath("./bpmn:standardLoopCharacteristics")
        if loop:
            parser._add_loop_task(loop[0])
        multi = parser.xpath("./bpmn:multiInstanceLoopCharacteristics")
        if multi:
            parser._add_multiinstance_task(multi[0])

        entry = parser.task
        boundary_events = parser.process_parser.get_boundary_events(parser.bpmn_id)
        if boundary_events:
            entry = yield from _boundary_steps(parser, boundary_events)

        outgoing = parser.process_parser.get_outgoing_sequence_flows(parser.bpmn_id)
        if len(outgoing) > 1 and not parser.handles_multiple_outgoing():
            parser.raise_validation_exception("Multiple outgoing flows are not supported for tasks of type")
        children = []
        for flow in outgoing:
            target_ref = flow.get("targetRef")
            target = parser.process_parser.get_node_by_id(target_ref)
            if target is None:
                parser.raise_validation_exception(f"the sequence flow's target '{target_ref}' is no element")
            # An element with boundary events is entered through its split, once that exists.
            split = parser.spec.task_specs.get(f"{target_ref}.BoundaryEventSplit")
            child = split if split is not None else (yield target)
            children.append((parser.get_position(target), child, flow))
        if children:
            # SpiffWorkflow orders the outputs by the diagram's y coordinate.
            children.sort(key=lambda item: float(item[0]["y"]))
            default = parser.node.get("default")
            if len(children) == 1 and isinstance(parser.task, ExclusiveGateway | InclusiveGateway):
                only_flow = children[0][2]
                if parser.parse_condition(only_flow) is None:
                    default = only_flow.get("id")
            for _, child, flow in children:
                parser.connect_outgoing(child, flow, flow.get("id") == default)
        return entry
    except ValidationException:
        raise
    except Exception as exc:
        raise ValidationException(repr(exc), node=parser.node, file_name=parser.filename) from exc


def _boundary_steps(parser: TaskParser, events: list[etree._Element]) -> ElementSteps:
    """TaskParser._add_boundary_event: the split/join around the activity and its boundary events."""
    task = parser.task
    split = BoundaryEventSplit(parser.spec, f"{parser.bpmn_id}.BoundaryEventSplit", lane=task.lane)
    join = BoundaryEventJoin(
        parser.spec, f"{parser.bpmn_id}.BoundaryEventJoin", lane=task.lane, split_task=split.name, cancel=True
    )
    split.connect(task)
    task.connect(join)
    for event in events:
        child = yield event
        if isinstance(child.event_definition, CancelEventDefinition) and not isinstance(
            task, TransactionSubprocess
        ):
            parser.raise_validation_exception("Cancel Events may only be used with transactions")
        split.connect(child)
        child.connect(join)
    return split


class _IterativeParsing:
    """Replaces ProcessParser.parse_node by a loop over a stack of element generators."""

    spec: Any
    parser: Any
    lane: Any
    nsmap: Any
    filename: str | None

    def parse_node(self, node: etree._Element) -> Any:
        known = self.spec.task_specs.get(node.get("id"))
        if known is not None:
            return known
        stack = [self._steps_of(node)]
        value: Any = None
        while True:
            try:
                wanted = stack[-1].send(value)
            except StopIteration as done:
                stack.pop()
                if not stack:
                    return done.value
                value = done.value
                continue
            value = self.spec.task_specs.get(wanted.get("id"))
            if value is None:
                stack.append(self._steps_of(wanted))

    def _steps_of(self, node: etree._Element) -> ElementSteps:
        node_parser, spec_class = self.parser._get_parser_class(node.tag)
        if not node_parser or not spec_class:
            raise ValidationException(
                "There is no support implemented for this task type.", node=node, file_name=self.filename
            )
        return _element_steps(node_parser(self, spec_class, node, self.nsmap, lane=self.lane))


class IterativeProcessParser(_IterativeParsing, ProcessParser):
    pass


class IterativeAdHocParser(_IterativeParsing, AdHocParser):
    pass
