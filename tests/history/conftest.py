"""An engine whose history chain key is a file this test owns, and a finished instance on it."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.actor import SYSTEM
from engine.history.keys import create_key_file
from engine.tasks.service import TaskQuery
from tests.conftest import BENCH_MODELS
from tests.factories import add_users, deploy_path


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    path = tmp_path / "secrets" / "chain-keys"
    create_key_file(path, 0)
    return path


@pytest.fixture
def keyed(make_engine, key_file):
    return make_engine(chain_key_file=str(key_file))


def run_bench_approval(engine, steps: int = 3) -> int:
    """bench_approval started by sam, then ``steps`` of its three tasks completed."""
    deploy_path(engine, BENCH_MODELS / "bench_approval.bpmn")
    people = add_users(engine, sam="sales", mia="manager", fay="finance")
    instance = engine.runtime.start("bench_approval", people["sam"])
    for user in ("sam", "mia", "fay")[:steps]:
        complete_next(engine, instance.id, people[user])
    return instance.id


def complete_next(engine, instance_id: int, actor) -> None:
    task = engine.tasks.list(SYSTEM, TaskQuery(instance_id=instance_id))[0]
    engine.tasks.complete(task.id, actor, {})


@pytest.fixture
def signed(keyed) -> int:
    """A finished instance whose every event was signed under the test's key file."""
    return run_bench_approval(keyed)
