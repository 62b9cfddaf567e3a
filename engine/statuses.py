"""The status columns' values, defined once. Several tables share a word (a task, a timer and an
instance can each be ``cancelled``); each tuple below lists what one table's column may hold."""

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
SUBSCRIPTION_STATUSES = (WAITING, DELIVERED, CANCELLED)  # event_subscriptions.status
EXTERNAL_TASK_STATUSES = (OPEN, COMPLETED, CANCELLED, INCIDENT)  # external_tasks.status
CALL_STATUSES = (RUNNING, COMPLETED, CANCELLED, INCIDENT, RESOLVED)  # instance_calls.status
