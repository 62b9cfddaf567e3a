"""Test-only hook: after every command, the workflow rebuilt from the database equals the live one.

``install`` wraps ``UnitOfWork.persist`` (the last step of every command, inside its
transaction; commands that load no workflow are skipped). Once the command has written its state, the hook rebuilds the
instance from the rows just written with a model compiled afresh from the version's stored files —
what a restarted server or another process would run — and compares it with the live workflow
(engine/spiff/equivalence.py), then asserts that a running instance still waits for something
(engine/runtime/stalls.py). A difference fails the command, so the test that drove it fails and
names the command. Kept out of the engine: it costs a restore per command.
"""

from __future__ import annotations

import copy
import dataclasses
import time
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import select

from engine.repository.compiler import CompiledModel
from engine.repository.service import CompiledModelCache
from engine.runtime.stalls import why_waiting
from engine.runtime.unit_of_work import LoadedInstance, UnitOfWork
from engine.spiff import state as spiff_state
from engine.spiff.equivalence import differences, next_step_differences, spec_differences
from engine.statuses import RUNNING
from engine.store.schema import instance_task_states, model_files, model_versions, process_instances


@dataclass
class ReloadCheck:
    """What the hook did during one test: for the figures and for tests of the hook itself."""

    commands: int = 0
    seconds: float = 0.0
    fresh_models: dict[tuple[int, int], CompiledModel] = field(default_factory=dict)


# Fresh compiles by version content, shared by all tests: a fresh model is only ever restored into,
# never run, so it stays as a new process would have it.
_FRESH: dict[Any, CompiledModel] = {}


def _fresh_model(check: ReloadCheck, commands: UnitOfWork, conn: Any, version_id: int) -> CompiledModel:
    key = (id(commands), version_id)
    if key not in check.fresh_models:
        model_key = conn.scalar(select(model_versions.c.model_key).where(model_versions.c.id == version_id))
        rows = conn.execute(
            select(model_files.c.name, model_files.c.content).where(model_files.c.version_id == version_id)
        ).all()
        content = (model_key, tuple(sorted((r.name, bytes(r.content)) for r in rows)))
        if content not in _FRESH:
            # The repository's own compile path, with nothing cached: what a new process does.
            repository = copy.copy(commands.repository)
            repository.cache = CompiledModelCache(0)
            _FRESH[content] = repository.compiled(version_id)
        check.fresh_models[key] = _FRESH[content]
    return check.fresh_models[key]


def verify_reload(check: ReloadCheck, commands: UnitOfWork, loaded: LoadedInstance) -> None:
    """Fail (AssertionError) if the stored instance, rebuilt cold, differs from ``loaded.workflow``."""
    conn, workflow = loaded.conn, loaded.workflow
    if workflow is None:
        return
    started = time.perf_counter()
    fresh = _fresh_model(check, commands, conn, loaded.row.version_id)
    envelope = conn.execute(
        select(process_instances.c.state).where(process_instances.c.id == loaded.id)
    ).scalar_one()
    rows = conn.execute(
        select(
            instance_task_states.c.task_id,
            instance_task_states.c.ord,
            instance_task_states.c.workflow_key,
            instance_task_states.c.payload,
        ).where(instance_task_states.c.instance_id == loaded.id)
    ).all()
    rebuilt, _ = spiff_state.restore(fresh.spec, fresh.subprocess_specs, envelope, [tuple(r) for r in rows])
    rebuilt.context = workflow.context
    found = differences(workflow, rebuilt) + spec_differences(
        (loaded.model.spec, loaded.model.subprocess_specs), (fresh.spec, fresh.subprocess_specs)
    )
    if not found:
        # Next behaviour: the stored state on the live spec and on the fresh one take the same next step.
        warm, _ = spiff_state.restore(
            loaded.model.spec, loaded.model.subprocess_specs, envelope, [tuple(r) for r in rows]
        )
        for copy_ in (warm, rebuilt):
            copy_.context = dataclasses.replace(workflow.context, notices=[])
        found = next_step_differences(warm, rebuilt)
    if found:
        raise AssertionError(
            f"instance {loaded.id}: rebuilt from the database it differs from the live workflow:\n  "
            + "\n  ".join(found[:10])
        )
    if loaded.status == RUNNING and not why_waiting(conn, loaded.id):
        raise AssertionError(f"instance {loaded.id} is running but waits for nothing")
    check.commands += 1
    check.seconds += time.perf_counter() - started


def install(monkeypatch: pytest.MonkeyPatch) -> ReloadCheck:
    """Check every command of this test (all engines); returns the running tally."""
    installed = getattr(UnitOfWork.persist, "reload_check", None)
    if installed is not None:  # already on for this test (APPROVALS_VERIFY_RELOAD and a conftest)
        return installed
    check = ReloadCheck()
    original = UnitOfWork.persist

    def persist_and_verify(self: UnitOfWork, loaded: LoadedInstance) -> None:
        original(self, loaded)
        verify_reload(check, self, loaded)

    persist_and_verify.reload_check = check  # type: ignore[attr-defined]
    monkeypatch.setattr(UnitOfWork, "persist", persist_and_verify)
    return check
