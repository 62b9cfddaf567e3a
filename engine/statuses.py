"""The status columns' values, defined once. Several tables share a word (a task, a timer and an
instance can each be ``cancelled``); each tuple or comment below lists what one table's column may hold
(the tuples are the ones the API validates filters against)."""

from __future__ import annotations

RUNNING = "running"
SUSPENDED = "suspended"
COMPLETED = "completed"
CANCELLED = "cancelled"
OPEN = "open"
PENDING = "pending"
FIRED = "fired"
INCIDENT = "incident"
WAITING = "waiting"
DELIVERED = "delivered"
RESOLVED = "resolved"

INSTANCE_STATUSES = (RUNNING, SUSPENDED, COMPLETED, CANCELLED)  # process_instances.status
TASK_STATUSES = (OPEN, COMPLETED, CANCELLED)  # user_tasks.status
TIMER_STATUSES = (PENDING, FIRED, CANCELLED, INCIDENT)  # timers.status
# event_subscriptions.status: WAITING, DELIVERED, CANCELLED
# external_tasks.status: OPEN, COMPLETED, CANCELLED, INCIDENT
# instance_calls.status: RUNNING, COMPLETED, CANCELLED, INCIDENT, RESOLVED
