"""Scenario tests of the bundled process models (process_models/), driven through the real engine."""

from __future__ import annotations

from typing import Any

import pytest

from engine import Engine
from engine.actor import SYSTEM, Actor
from engine.repository.service import DeployResult, read_organisation
from engine.tasks.service import TaskQuery
from engine.tasks.views import TaskInfo
from tests.conftest import REPO
from tests.factories import add_users
from tests.reload_check import ReloadCheck, install

MODELS_DIR = REPO / "process_models"
ORGANISATION = read_organisation(MODELS_DIR)

# One person per group, plus a second sales rep and manager; `boss` belongs to every approving group.
STAFF = {
    "sam": "sales_rep",
    "sue": "sales_rep",
    "mona": "sales_manager",
    "milo": "sales_manager",
    "vic": "sales_vp",
    "gary": "general_manager",
    "fay": "finance",
    "lee": "legal",
    "cara": "credit_dept",
    "asa": "sales_assistant",
    "pia": "planning_center",
    "mark": "marketing",
    "pres": "president_office",
    "cleo": "customer_service",
    "quinn": "qc",
    "wes": "warehouse",
    "ann": "auditor",
    "boss": "sales_rep,sales_manager,sales_vp,general_manager,finance,legal,credit_dept,planning_center,"
    "marketing,president_office,customer_service,qc,warehouse,sales_assistant",
}


def deploy_model(engine: Engine, key: str) -> DeployResult:
    """Deploy one bundled model the way `approvals deploy process_models/ --strict` does."""
    bundles = engine.repository.bundles_from_paths([MODELS_DIR / key])
    # The last result is the current version; earlier ones are a fresh repository's replayed history.
    return engine.repository.deploy(bundles, SYSTEM, strict=True, organisation=ORGANISATION)[-1]


@pytest.fixture(autouse=True)
def rebuilt_equals_live(monkeypatch: pytest.MonkeyPatch) -> ReloadCheck:
    """Every command of every scenario: the instance rebuilt from the database with a freshly compiled
    model equals the live workflow, and a running instance waits for something (tests/reload_check.py)."""
    return install(monkeypatch)


@pytest.fixture
def staff(engine: Engine) -> dict[str, Actor]:
    return add_users(engine, **STAFF)


class Process:
    """Drives the instances of one model: open tasks by element id, completing, reading the data."""

    def __init__(self, engine: Engine, key: str, staff: dict[str, Actor]) -> None:
        self.engine = engine
        self.key = key
        self.staff = staff

    def start(self, who: str, data: dict[str, Any]) -> int:
        return self.engine.runtime.start(self.key, self.staff[who], data).id

    def open(self, instance_id: int) -> dict[str, TaskInfo]:
        tasks = self.engine.tasks.list(SYSTEM, TaskQuery(instance_id=instance_id, limit=500))
        found: dict[str, TaskInfo] = {}
        for task in tasks:
            assert task.element_id not in found or task.element_id == "collection_measure", task
            found[task.element_id] = task
        return found

    def task(self, instance_id: int, element_id: str) -> TaskInfo:
        open_tasks = self.open(instance_id)
        assert element_id in open_tasks, f"{element_id} is not open; open: {sorted(open_tasks)}"
        return open_tasks[element_id]

    def complete(self, instance_id: int, element_id: str, who: str, **data: Any) -> None:
        task = self.task(instance_id, element_id)
        self.engine.tasks.complete(task.id, self.staff[who], data)

    def approve(self, instance_id: int, element_id: str, who: str, **data: Any) -> None:
        self.complete(instance_id, element_id, who, decision="approve", **data)

    def reject(self, instance_id: int, element_id: str, who: str, comment: str, **data: Any) -> None:
        self.complete(instance_id, element_id, who, decision="reject", comment=comment, **data)

    def info(self, instance_id: int) -> Any:
        return self.engine.runtime.get(instance_id, SYSTEM)

    def data(self, instance_id: int) -> dict[str, Any]:
        """The instance's data. While it runs inside an embedded subprocess the engine's instance data
        lags behind (it shows the data from before the subprocess), so the changes the history
        recorded — scripts, decisions, completed tasks, messages — are replayed over it."""
        info = self.info(instance_id)
        data = dict(info.data)
        if info.status != "running":
            return data
        for event in self.engine.history.events(instance_id, SYSTEM):
            if event.type == "data_set":
                data.update(event.data["changed"])
                for key in event.data["removed"]:
                    data.pop(key, None)
            elif event.type in ("task_completed", "message_received"):
                data.update(event.data["data"])
        return data

    def status(self, instance_id: int) -> str:
        return self.info(instance_id).status

    def history(self, instance_id: int, *types: str) -> list[Any]:
        return [e for e in self.engine.history.events(instance_id, SYSTEM) if not types or e.type in types]

    def completed_tasks(self, instance_id: int) -> list[str]:
        """Element ids of the completed user tasks, in the order they were completed."""
        return [e.element_id for e in self.history(instance_id, "task_completed")]

    def decisions(self, instance_id: int) -> list[dict[str, Any]]:
        """Every decision table evaluation of the instance, as the history holds it."""
        found = []
        for event in self.history(instance_id, "decision_evaluated"):
            found += event.data["evaluations"]
        return found
