"""The inbox: one row per task waiting for a person; claim, assign, complete."""

from engine.tasks.query import DUE_WINDOWS, TaskQuery
from engine.tasks.service import InboxCounts, TaskPage
from engine.tasks.views import CompletionResult, TaskDetail, TaskInfo, TaskRights

__all__ = [
    "DUE_WINDOWS",
    "CompletionResult",
    "InboxCounts",
    "TaskDetail",
    "TaskInfo",
    "TaskPage",
    "TaskQuery",
    "TaskRights",
]
