"""The OpenAPI links between operations: from an answer naming an instance, a task or a model
version to what a client can do next with it.

A client (or a stateful fuzzer) can walk them: start an instance → read it → list its tasks → claim
one → complete it → the next task. ``api.openapi`` checks that every link names an existing
operation and only parameters it takes. Each function takes the runtime expression that finds the
id in the answer (``$response.body#/id``, ``$response.body#/items/0/id``…).
"""

from __future__ import annotations

from api.operation import Link


def instance_links(instance_id: str) -> dict[str, Link]:
    return {
        "GetInstance": Link("instances.get_instance", {"instance_id": instance_id}),
        "ListItsTasks": Link("tasks.list_tasks", {"instance": instance_id}),
        "GetHistory": Link("instances.history", {"instance_id": instance_id}),
        "VerifyHistory": Link("instances.verify", {"instance_id": instance_id}),
        "CancelInstance": Link("instances.cancel", {"instance_id": instance_id}),
        "SuspendInstance": Link("instances.suspend", {"instance_id": instance_id}),
        "ResumeInstance": Link("instances.resume", {"instance_id": instance_id}),
        "ListItsTimers": Link("timers.list_timers", {"instance": instance_id}),
    }


def task_links(task_id: str, prefix: str = "") -> dict[str, Link]:
    """``prefix`` names whose task it is when an answer holds several (``Next``: a created one)."""
    return {
        f"Get{prefix}Task": Link("tasks.get_task", {"task_id": task_id}),
        f"Claim{prefix}Task": Link("tasks.claim", {"task_id": task_id}),
        f"Unclaim{prefix}Task": Link("tasks.unclaim", {"task_id": task_id}),
        f"Assign{prefix}Task": Link("tasks.assign", {"task_id": task_id}),
        f"Complete{prefix}Task": Link("tasks.complete", {"task_id": task_id}),
    }


def version_links(key: str, version: str, files: str) -> dict[str, Link]:
    """``files``: the expression of the version's file list."""
    return {
        "ListVersions": Link("models.list_versions", {"key": key}),
        "GetFirstFile": Link("models.get_file", {"key": key, "version": version, "name": f"{files}/0/name"}),
    }
