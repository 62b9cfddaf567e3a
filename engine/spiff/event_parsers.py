"""Event parsers that build the engine's timer and message definitions (engine/spiff/events.py).

Start events directly in a process are plain start events to SpiffWorkflow: what triggers them —
a date, a cycle, a message, a signal — is the engine's business (engine/timers, engine/events),
which starts a new instance each time; inside an instance they must not wait.
"""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.bpmn.parser.event_parsers import (
    ERROR_EVENT_XPATH,
    ESCALATION_EVENT_XPATH,
    MESSAGE_EVENT_XPATH,
    SIGNAL_EVENT_XPATH,
    TIMER_EVENT_XPATH,
    BoundaryEventParser,
    EventDefinitionParser,
    IntermediateCatchEventParser,
    IntermediateThrowEventParser,
    ReceiveTaskParser,
    SendTaskParser,
    StartEventParser,
)
from SpiffWorkflow.bpmn.parser.util import first
from SpiffWorkflow.bpmn.specs.event_definitions.simple import NoneEventDefinition

from engine.spiff.events import CorrelatedMessage, CycleTimer, DateTimer, DurationTimer

_EVENT_SUBPROCESS_STARTS = [
    MESSAGE_EVENT_XPATH,
    SIGNAL_EVENT_XPATH,
    TIMER_EVENT_XPATH,
    ERROR_EVENT_XPATH,
    ESCALATION_EVENT_XPATH,
]


def _checking_ref(parse: Any, attribute: str, registry: str, kind: str) -> Any:
    def checked(self: Any, definition: Any) -> Any:
        ref = definition.get(attribute)
        if ref and ref not in getattr(self.process_parser.parser, registry):
            self.raise_validation_exception(f"{attribute} '{ref}' names no bpmn:{kind} of this file")
        return parse(self, definition)

    return checked


# SpiffWorkflow 3.2.0 reports an errorRef or escalationRef naming nothing with a call its own
# raise_validation_exception does not accept, so people read "TypeError(... 'node')". Patched on the
# base class: end events, which keep SpiffWorkflow's own parser, are covered too.
if not getattr(EventDefinitionParser, "_approvals_refs_checked", False):
    EventDefinitionParser.parse_error_event = _checking_ref(
        EventDefinitionParser.parse_error_event, "errorRef", "errors", "error"
    )
    EventDefinitionParser.parse_escalation_event = _checking_ref(
        EventDefinitionParser.parse_escalation_event, "escalationRef", "escalations", "escalation"
    )
    EventDefinitionParser._approvals_refs_checked = True


class _EngineEvents(EventDefinitionParser):
    def parse_timer_event(self, event: Any) -> Any:
        name = self.node.get("name", self.node.get("id"))
        for tag, cls in (("timeDate", DateTimer), ("timeDuration", DurationTimer), ("timeCycle", CycleTimer)):
            node = first(self.xpath(f".//bpmn:{tag}"))
            if node is not None:
                if not (node.text or "").strip():
                    self.raise_validation_exception(f"the timer's {tag} is empty")
                return cls(name, node.text.strip(), description=self.get_event_description(event))
        self.raise_validation_exception("a timer needs timeDate, timeDuration or timeCycle")

    def parse_message_event(self, message_event: Any) -> Any:
        definition = super().parse_message_event(message_event)
        return CorrelatedMessage(
            definition.name, definition.correlation_properties, description=definition.description
        )


class EngineStartEventParser(_EngineEvents, StartEventParser):
    def create_task(self) -> Any:
        if self.node.getparent().get("triggeredByEvent", "").lower() == "true":
            # An event subprocess's start also catches errors and escalations
            # (engine/spiff/event_subprocesses.py).
            task = self._create_task(self.get_event_definition(_EVENT_SUBPROCESS_STARTS))
            self.spec.start.connect(task)
            return task
        if self.node.getparent() is self.process_parser.node:
            task = self._create_task(NoneEventDefinition(description="Default"))
            self.spec.start.connect(task)
            return task
        return super().create_task()


class EngineIntermediateCatchEventParser(_EngineEvents, IntermediateCatchEventParser):
    pass


class EngineIntermediateThrowEventParser(_EngineEvents, IntermediateThrowEventParser):
    pass


class EngineBoundaryEventParser(_EngineEvents, BoundaryEventParser):
    pass


class EngineReceiveTaskParser(_EngineEvents, ReceiveTaskParser):
    pass


class EngineSendTaskParser(_EngineEvents, SendTaskParser):
    pass
