"""The trail of what a command's automatic elements did: which way a gateway went, what a script
set, which event was thrown or caught, which element a token passed."""

from __future__ import annotations

from engine.runtime.unit_of_work import LoadedInstance, Projection
from engine.spiff.event_subprocesses import EventSubprocessStartEvent
from engine.spiff.flow_nodes import PASS_THROUGH_KINDS, PASSED
from engine.spiff.steps import Step

_DECIDING = ("ExclusiveGateway", "InclusiveGateway", "EventBasedGateway")


class StepHistory(Projection):
    def step(self, instance: LoadedInstance, step: Step) -> None:
        doc, actor, now, history = (
            instance.model.document,
            instance.actor.name,
            instance.now,
            instance.history,
        )
        if step.kind in _DECIDING:
            if doc.outgoing_count(step.element_id) < 2:
                return  # a merging gateway decides nothing
            taken = []
            for target in step.targets:
                flow = doc.flow_between(step.element_id, target)
                taken.append(
                    {
                        "flow": flow.id if flow else None,
                        "target": target,
                        "condition": flow.condition if flow else None,
                    }
                )
            history.add("gateway_decision", actor, now, element_id=step.element_id, taken=taken)
        elif step.changed or step.removed:
            history.add(
                "data_set",
                actor,
                now,
                element_id=step.element_id,
                kind=step.kind,
                changed=step.changed,
                removed=step.removed,
            )
        elif step.kind == "EndEvent":
            history.add("end_event", actor, now, element_id=step.element_id, **(step.thrown or {}))
        elif step.thrown is not None:
            history.add("event_thrown", actor, now, element_id=step.element_id, **step.thrown)
        elif step.kind in ("BoundaryEvent", "IntermediateCatchEvent"):
            history.add("event_caught", actor, now, element_id=step.element_id)
        elif step.kind == EventSubprocessStartEvent.__name__:
            start = doc.event_subprocess_starts.get(step.element_id)
            history.add(
                "event_caught",
                actor,
                now,
                element_id=step.element_id,
                event_subprocess=start.event_subprocess if start else None,
                interrupting=start.interrupting if start else None,
            )
        elif step.kind in PASS_THROUGH_KINDS:
            history.add(PASSED, actor, now, element_id=step.element_id)
