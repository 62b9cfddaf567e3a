"""What the engine needs to know about a BPMN file beyond what SpiffWorkflow executes.

SpiffWorkflow runs the process; this module reads, from the same XML, the facts the engine
itself acts on: who may work on each user task (lane, ``camunda:candidateGroups``,
``camunda:candidateUsers``, ``camunda:assignee``), form keys, due dates and priorities,
which sequence flow connects which elements (for the audit trail), and every element's
line (for error messages). Models drawn in Camunda Modeler or bpmn-js work unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lxml import etree

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
NSMAP = {"bpmn": BPMN_NS, "camunda": CAMUNDA_NS}

_FLOW_NODE_TAGS = {
    "startEvent",
    "endEvent",
    "intermediateCatchEvent",
    "intermediateThrowEvent",
    "boundaryEvent",
    "task",
    "userTask",
    "manualTask",
    "scriptTask",
    "serviceTask",
    "businessRuleTask",
    "sendTask",
    "receiveTask",
    "callActivity",
    "subProcess",
    "transaction",
    "adHocSubProcess",
    "exclusiveGateway",
    "parallelGateway",
    "inclusiveGateway",
    "eventBasedGateway",
    "complexGateway",
}


def _local(tag: object) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def _camunda(node: etree._Element, name: str) -> str | None:
    value = node.get(f"{{{CAMUNDA_NS}}}{name}")
    return value.strip() if value and value.strip() else None


def _candidates(value: str | None) -> list[str]:
    """A candidate list: names split at commas, or one expression whose commas are its own
    (``${level > 2 ? 'vp' : 'manager'}``, ``=["finance", "legal"]``); its value may be a list."""
    text = (value or "").strip()
    if (text[:2] in ("${", "#{") and text.endswith("}")) or text.startswith("="):
        return [text]
    return _split(value)


def _split(value: str | None) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()] if value else []


def extension_properties(node: etree._Element) -> dict[str, str]:
    props = {}
    for prop in node.xpath("./bpmn:extensionElements/camunda:properties/camunda:property", namespaces=NSMAP):
        if prop.get("name"):
            props[prop.get("name")] = prop.get("value", "")
    return props


@dataclass(frozen=True)
class Element:
    id: str
    kind: str  # the BPMN tag without namespace, e.g. "userTask"
    name: str | None
    line: int | None
    within: str | None = None  # the id of the embedded subprocess it sits in, if any


@dataclass(frozen=True)
class SequenceFlow:
    id: str
    source: str
    target: str
    condition: str | None
    line: int | None


@dataclass(frozen=True)
class UserTaskDefinition:
    id: str
    name: str | None
    lane: str | None
    candidate_groups: tuple[str, ...]
    candidate_users: tuple[str, ...]
    assignee: str | None  # literal user name or ${expression}
    form_key: str | None
    due: str | None  # ISO duration / date-time, or ${expression}
    priority: str | None
    approval: bool | None  # None: decided by the form (a "decision" field makes it an approval)
    properties: dict[str, str]
    line: int | None
    # camunda:formData declarations: what a task without a form key may write (engine/tasks/scope.py)
    form_fields: tuple[FormField, ...] = ()


@dataclass(frozen=True)
class FormField:
    """One ``camunda:formField``: a field a task declares it writes, and whether it may replace a value
    already in the process data (``<camunda:property id="overwrite" value="true"/>``)."""

    id: str
    type: str | None
    values: tuple[str, ...]  # the ids of an enum field's camunda:value entries
    overwrite: bool
    line: int | None
    # What engine/repository/form_data.py turns into a JSON Schema property.
    label: str | None = None
    default: str | None = None  # camunda:defaultValue, as written
    value_names: tuple[str, ...] = ()  # the names of the camunda:value entries, beside ``values``
    constraints: tuple[tuple[str, str | None], ...] = ()  # camunda:constraint (name, config)


@dataclass(frozen=True)
class EventTrigger:
    """What a catching event (or a process-level start event) waits for."""

    element_id: str
    kind: str  # "timer" | "message" | "signal"
    timer_type: str | None  # "timeDate" | "timeDuration" | "timeCycle"
    expression: str | None  # the timer's definition
    name: str | None  # message or signal name
    correlation: str | None  # expression over the process data giving a message's correlation key
    attached_to: str | None  # boundary events: the activity they sit on
    interrupting: bool
    properties: dict[str, str]
    line: int | None
    # The retrieval expressions of the message's BPMN correlation properties, in file order; empty
    # when the event has the ``correlationKey`` extension property (engine/events/correlation.py).
    correlation_properties: tuple[str, ...] = ()


@dataclass(frozen=True)
class EventSubprocessStart:
    """A start event of an event subprocess (``triggeredByEvent="true"``)."""

    id: str
    event_subprocess: str
    kind: str | None  # message, timer, signal, error, escalation, another definition, or None (plain)
    timer_type: str | None
    interrupting: bool  # isInterrupting
    line: int | None


@dataclass(frozen=True)
class RecordSpec:
    """An element that files a record when it completes (``record`` / ``recordFields`` properties)."""

    kind: str
    fields: tuple[str, ...]


@dataclass
class BpmnDocument:
    """The executable process of one BPMN file, as the engine sees it."""

    file_name: str
    process_id: str
    process_name: str | None
    process_line: int | None
    elements: dict[str, Element] = field(default_factory=dict)
    flows: dict[str, SequenceFlow] = field(default_factory=dict)
    user_tasks: dict[str, UserTaskDefinition] = field(default_factory=dict)
    lanes: dict[str, tuple[str, int | None]] = field(default_factory=dict)  # lane name -> (lane id, line)
    start_form_key: str | None = None
    start_form_fields: tuple[FormField, ...] = ()  # camunda:formData of a start event without formKey
    starter_groups: tuple[str, ...] = ()
    decision_refs: dict[str, str] = field(default_factory=dict)  # element id -> decision id
    triggers: dict[str, EventTrigger] = field(default_factory=dict)  # catching events inside the process
    start_triggers: list[EventTrigger] = field(default_factory=list)  # what starts new instances
    process_starts: list[str] = field(default_factory=list)  # ids of the start events of the process itself
    records: dict[str, RecordSpec] = field(default_factory=dict)  # element id -> what it files
    scripts: dict[str, str] = field(default_factory=dict)  # element id -> script text
    # start event id -> its event subprocess and definition (compiler._event_subprocess_problems)
    event_subprocess_starts: dict[str, EventSubprocessStart] = field(default_factory=dict)
    event_subprocesses: set[str] = field(default_factory=set)  # ids of subProcess triggeredByEvent="true"
    # element id -> ExternalTaskDefinition (engine/repository/service_tasks.py fills it at compile)
    external_tasks: dict[str, Any] = field(default_factory=dict)
    properties: dict[str, str] = field(default_factory=dict)
    # flows by source, built on first use (for as many flows as there were then)
    _outgoing_index: tuple[int, dict[str, list[SequenceFlow]]] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    def _outgoing(self) -> dict[str, list[SequenceFlow]]:
        # Asked once per gateway a command passes: an index, not a scan of every flow of the model.
        index = self._outgoing_index
        if index is None or index[0] != len(self.flows):
            by_source: dict[str, list[SequenceFlow]] = {}
            for flow in self.flows.values():
                by_source.setdefault(flow.source, []).append(flow)
            index = (len(self.flows), by_source)
            self._outgoing_index = index
        return index[1]

    def flow_between(self, source: str, target: str) -> SequenceFlow | None:
        for flow in self._outgoing().get(source, ()):
            if flow.target == target:
                return flow
        return None

    def outgoing_count(self, element_id: str) -> int:
        return len(self._outgoing().get(element_id, ()))

    def covered_by(self, activity_id: str) -> set[str]:
        """The activity and, for an embedded subprocess, every element nested in it (what a boundary
        event on it watches over)."""
        covered = {activity_id}
        for element in self.elements.values():
            container = element.within
            while container is not None and container not in covered:
                container = self.elements[container].within if container in self.elements else None
            if container is not None:
                covered.add(element.id)
        return covered

    def line_of(self, element_id: str) -> int | None:
        element = self.elements.get(element_id)
        return element.line if element else None


def _container(node: etree._Element, process: etree._Element) -> str | None:
    parent = node.getparent()
    while parent is not None and parent is not process:
        if _local(parent.tag) in ("subProcess", "transaction", "adHocSubProcess"):
            return parent.get("id")
        parent = parent.getparent()
    return None


def executable_processes(root: etree._Element) -> list[etree._Element]:
    processes = root.xpath("./bpmn:process", namespaces=NSMAP)
    executable = [p for p in processes if p.get("isExecutable", "true").lower() != "false"]
    return executable or processes


def read_document(root: etree._Element, file_name: str, process: etree._Element) -> BpmnDocument:
    doc = BpmnDocument(
        file_name=file_name,
        process_id=process.get("id", ""),
        process_name=process.get("name"),
        process_line=process.sourceline,
        starter_groups=tuple(_split(_camunda(process, "candidateStarterGroups"))),
        properties=extension_properties(process),
    )
    lane_of: dict[str, str] = {}
    for lane in process.xpath(".//bpmn:lane", namespaces=NSMAP):
        name = (lane.get("name") or "").strip()
        if name:
            doc.lanes[name] = (lane.get("id", ""), lane.sourceline)
        for ref in lane.xpath("./bpmn:flowNodeRef", namespaces=NSMAP):
            if ref.text and name:
                lane_of[ref.text.strip()] = name

    for node in process.iter():
        kind = _local(node.tag)
        node_id = node.get("id")
        if not node_id or etree.QName(node.tag).namespace != BPMN_NS:
            continue
        if kind == "subProcess" and _is_event_subprocess(node):
            doc.event_subprocesses.add(node_id)
        if kind in _FLOW_NODE_TAGS:
            doc.elements[node_id] = Element(
                node_id, kind, node.get("name"), node.sourceline, _container(node, process)
            )
            record = extension_properties(node).get("record", "").strip()
            if record:
                fields = extension_properties(node).get("recordFields", "")
                doc.records[node_id] = RecordSpec(
                    record, tuple(f.strip() for f in fields.split(",") if f.strip())
                )
        if kind == "sequenceFlow":
            condition = node.find(f"{{{BPMN_NS}}}conditionExpression")
            text = condition.text.strip() if condition is not None and condition.text else None
            doc.flows[node_id] = SequenceFlow(
                node_id, node.get("sourceRef", ""), node.get("targetRef", ""), text, node.sourceline
            )
        elif kind == "userTask":
            doc.user_tasks[node_id] = _user_task(node, lane_of.get(node_id))
        elif kind == "startEvent" and node.getparent() is process:
            doc.process_starts.append(node_id)
            doc.start_form_key = doc.start_form_key or _camunda(node, "formKey")
            doc.start_form_fields = doc.start_form_fields or _form_fields(node)
            trigger = _trigger(root, node)
            if trigger is not None:
                doc.start_triggers.append(trigger)
        elif kind == "startEvent" and _is_event_subprocess(node.getparent()):
            doc.event_subprocess_starts[node_id] = _event_subprocess_start(node)
        elif kind == "businessRuleTask":
            ref = _camunda(node, "decisionRef")
            if ref:
                doc.decision_refs[node_id] = ref
        elif kind == "scriptTask":
            script = node.find(f"{{{BPMN_NS}}}script")
            doc.scripts[node_id] = script.text if script is not None and script.text else ""
        if kind in ("intermediateCatchEvent", "boundaryEvent", "receiveTask") or (
            kind == "startEvent" and node.getparent() is not process
        ):
            trigger = _trigger(root, node)
            if trigger is not None:
                doc.triggers[node_id] = trigger
    return doc


def _trigger(root: etree._Element, node: etree._Element) -> EventTrigger | None:
    """The timer, message or signal a catching element waits for (None for other events)."""
    props = extension_properties(node)
    common = {
        "element_id": node.get("id", ""),
        "attached_to": node.get("attachedToRef"),
        # cancelActivity on a boundary event, isInterrupting on an event subprocess's start
        "interrupting": node.get("cancelActivity", node.get("isInterrupting", "true")).lower() != "false",
        "properties": props,
        "line": node.sourceline,
    }
    timer = node.find(f"{{{BPMN_NS}}}timerEventDefinition")
    if timer is not None:
        for timer_type in ("timeDate", "timeDuration", "timeCycle"):
            spec = timer.find(f"{{{BPMN_NS}}}{timer_type}")
            if spec is not None:
                return EventTrigger(
                    kind="timer",
                    timer_type=timer_type,
                    expression=(spec.text or "").strip(),
                    name=None,
                    correlation=None,
                    **common,
                )
        return EventTrigger(
            kind="timer", timer_type=None, expression=None, name=None, correlation=None, **common
        )
    message = node.find(f"{{{BPMN_NS}}}messageEventDefinition")
    message_ref = message.get("messageRef") if message is not None else node.get("messageRef")
    if message is not None or message_ref:
        name, correlation = _message(root, message_ref)
        return EventTrigger(
            kind="message",
            timer_type=None,
            expression=None,
            name=name or node.get("name"),
            correlation=props.get("correlationKey") or correlation,
            correlation_properties=(
                () if props.get("correlationKey") else _retrieval_expressions(root, message_ref)
            ),
            **common,
        )
    signal = node.find(f"{{{BPMN_NS}}}signalEventDefinition")
    if signal is not None:
        ref = signal.get("signalRef")
        found = root.xpath("./bpmn:signal[@id=$ref]", ref=ref, namespaces=NSMAP) if ref else []
        name = found[0].get("name") if found else node.get("name")
        return EventTrigger(
            kind="signal", timer_type=None, expression=None, name=name, correlation=None, **common
        )
    return None


def _is_event_subprocess(node: etree._Element | None) -> bool:
    return (
        node is not None
        and _local(node.tag) == "subProcess"
        and node.get("triggeredByEvent", "false").strip().lower() == "true"
    )


def _event_subprocess_start(node: etree._Element) -> EventSubprocessStart:
    definitions = [_local(child.tag) for child in node if _local(child.tag).endswith("EventDefinition")]
    kind = definitions[0][: -len("EventDefinition")] if definitions else None
    timer = node.find(f"{{{BPMN_NS}}}timerEventDefinition")
    timer_types = [] if timer is None else [_local(c.tag) for c in timer if _local(c.tag).startswith("time")]
    return EventSubprocessStart(
        id=node.get("id", ""),
        event_subprocess=node.getparent().get("id", ""),
        kind=kind if len(definitions) == 1 else ("multiple" if definitions else None),
        timer_type=timer_types[0] if timer_types else None,
        interrupting=node.get("isInterrupting", "true").strip().lower() != "false",
        line=node.sourceline,
    )


def _message(root: etree._Element, message_ref: str | None) -> tuple[str | None, str | None]:
    """A message's name, and the retrieval expression of a correlation property that uses it."""
    if not message_ref:
        return None, None
    found = root.xpath("./bpmn:message[@id=$ref]", ref=message_ref, namespaces=NSMAP)
    name = found[0].get("name") if found else None
    expressions = root.xpath(
        "./bpmn:correlationProperty/bpmn:correlationPropertyRetrievalExpression[@messageRef=$ref]/bpmn:formalExpression",
        ref=message_ref,
        namespaces=NSMAP,
    )
    correlation = expressions[0].text.strip() if expressions and expressions[0].text else None
    return name, correlation


def _retrieval_expressions(root: etree._Element, message_ref: str | None) -> tuple[str, ...]:
    """Every correlation property's retrieval expression for the message, in file order."""
    if not message_ref:
        return ()
    found = root.xpath(
        "./bpmn:correlationProperty/bpmn:correlationPropertyRetrievalExpression[@messageRef=$ref]/bpmn:formalExpression",
        ref=message_ref,
        namespaces=NSMAP,
    )
    return tuple(e.text.strip() for e in found if e.text and e.text.strip())


def _user_task(node: etree._Element, lane: str | None) -> UserTaskDefinition:
    props = extension_properties(node)
    approval = props.get("approval")
    groups = _candidates(_camunda(node, "candidateGroups")) or ([lane] if lane else [])
    return UserTaskDefinition(
        id=node.get("id", ""),
        name=node.get("name"),
        lane=lane,
        candidate_groups=tuple(groups),
        candidate_users=tuple(_candidates(_camunda(node, "candidateUsers"))),
        assignee=_camunda(node, "assignee"),
        form_key=_camunda(node, "formKey"),
        due=_camunda(node, "dueDate") or props.get("dueIn"),
        priority=_camunda(node, "priority"),
        approval=None if approval is None else approval.strip().lower() in ("true", "yes", "1"),
        properties=props,
        line=node.sourceline,
        form_fields=_form_fields(node),
    )


def _form_fields(node: etree._Element) -> tuple[FormField, ...]:
    fields = []
    for item in node.xpath("./bpmn:extensionElements/camunda:formData/camunda:formField", namespaces=NSMAP):
        props = {
            (p.get("id") or p.get("name") or ""): p.get("value", "")
            for p in item.xpath("./camunda:properties/camunda:property", namespaces=NSMAP)
        }
        fields.append(
            FormField(
                id=(item.get("id") or "").strip(),
                type=(item.get("type") or "").strip() or None,
                values=tuple(v.get("id", "") for v in item.xpath("./camunda:value", namespaces=NSMAP)),
                overwrite=props.get("overwrite", "").strip().lower() in ("true", "yes", "1"),
                line=item.sourceline,
                label=item.get("label"),
                default=item.get("defaultValue"),
                value_names=tuple(
                    v.get("name") or v.get("id", "") for v in item.xpath("./camunda:value", namespaces=NSMAP)
                ),
                constraints=tuple(
                    ((c.get("name") or "").strip(), c.get("config"))
                    for c in item.xpath("./camunda:validation/camunda:constraint", namespaces=NSMAP)
                ),
            )
        )
    return tuple(fields)
