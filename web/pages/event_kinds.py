"""The trail's event types as an auditor reads them, in both languages, and the groups the
instance page filters them by."""

from __future__ import annotations

from web.vocabulary import N_

# group -> its label; the order is the filter's
GROUPS = {
    "tasks": N_("Tasks"),
    "decisions": N_("Decisions"),
    "data": N_("Data"),
    "waits": N_("Timers and messages"),
    "problems": N_("Problems"),
    "instance": N_("Instance"),
}

# event type -> (its label, its group); a type not listed shows its own name in "instance"
KINDS = {
    "instance_started": (N_("Submitted"), "instance"),
    "instance_completed": (N_("Finished"), "instance"),
    "instance_cancelled": (N_("Cancelled"), "instance"),
    "instance_suspended": (N_("Suspended"), "instance"),
    "instance_resumed": (N_("Resumed"), "instance"),
    "started_by_call_activity": (N_("Started by a call activity"), "instance"),
    "call_activity_started": (N_("Child process started"), "instance"),
    "call_activity_completed": (N_("Child process finished"), "instance"),
    "call_activity_error": (N_("Child process failed"), "problems"),
    "task_created": (N_("Waiting for"), "tasks"),
    "task_claimed": (N_("Claimed"), "tasks"),
    "task_unclaimed": (N_("Released"), "tasks"),
    "task_assigned": (N_("Assigned"), "tasks"),
    "task_completed": (N_("Done"), "tasks"),
    "task_reminder": (N_("Reminder sent"), "tasks"),
    "task_escalated": (N_("Escalated"), "tasks"),
    "task_passed": (N_("Passed on"), "tasks"),
    "task_cancelled": (N_("Withdrawn"), "tasks"),
    "external_task_created": (N_("Sent to a worker"), "tasks"),
    "external_task_locked": (N_("Taken by a worker"), "tasks"),
    "external_task_completed": (N_("Done by a worker"), "tasks"),
    "external_task_unlocked": (N_("Released by a worker"), "tasks"),
    "external_task_lock_extended": (N_("Worker's lock extended"), "tasks"),
    "external_task_cancelled": (N_("Worker's task withdrawn"), "tasks"),
    "external_task_bpmn_error": (N_("Business error from a worker"), "tasks"),
    "external_task_failed": (N_("Worker failed"), "problems"),
    "external_task_retries_set": (N_("Retries set"), "problems"),
    "decision_evaluated": (N_("Decision evaluated"), "decisions"),
    "gateway_decision": (N_("Way chosen"), "decisions"),
    "data_set": (N_("Data set"), "data"),
    "record_filed": (N_("Record filed"), "data"),
    "timer_scheduled": (N_("Timer set"), "waits"),
    "timer_fired": (N_("Timer fired"), "waits"),
    "timer_cancelled": (N_("Timer cancelled"), "waits"),
    "timer_failed": (N_("Timer failed"), "problems"),
    "message_awaited": (N_("Waiting for a message"), "waits"),
    "signal_awaited": (N_("Waiting for a signal"), "waits"),
    "message_wait_cancelled": (N_("No longer waiting for a message"), "waits"),
    "signal_wait_cancelled": (N_("No longer waiting for a signal"), "waits"),
    "message_received": (N_("Message received"), "waits"),
    "signal_received": (N_("Signal received"), "waits"),
    "event_caught": (N_("Event caught"), "waits"),
    "event_thrown": (N_("Event thrown"), "waits"),
    "end_event": (N_("Path ended"), "instance"),
    "incident": (N_("Incident"), "problems"),
    "incident_retried": (N_("Incident retried"), "problems"),
    "error": (N_("Failed"), "problems"),
}


def kind_of(event_type: str) -> tuple[str, str]:
    return KINDS.get(event_type, (event_type, "instance"))
