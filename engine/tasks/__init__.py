"""The inbox: one row per task waiting for a person; claim, assign, complete."""

from engine.tasks.service import TaskQuery
from engine.tasks.views import CompletionResult, TaskDetail, TaskInfo, TaskRights

__all__ = ["CompletionResult", "TaskDetail", "TaskInfo", "TaskQuery", "TaskRights"]
