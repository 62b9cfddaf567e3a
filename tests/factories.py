"""Building test data through the engine's own public API."""

from __future__ import annotations

from pathlib import Path

from engine import Engine
from engine.actor import SYSTEM, Actor
from engine.repository.service import DeployResult
from tests.conftest import FIXTURES

MODELS = FIXTURES / "models"


def deploy_path(engine: Engine, path: Path, note: str | None = None) -> DeployResult:
    return engine.repository.deploy(engine.repository.bundles_from_paths([path]), SYSTEM, note=note)[0]


def deploy_files(engine: Engine, files: dict[str, bytes | str], actor: Actor = SYSTEM) -> DeployResult:
    raw = {name: content.encode() if isinstance(content, str) else content for name, content in files.items()}
    return engine.repository.deploy([engine.repository.bundle_from_files(raw, "test bundle")], actor)[0]


def add_users(engine: Engine, **users: str) -> dict[str, Actor]:
    """add_users(engine, sam="sales", mia="manager,finance") -> {name: Actor}."""
    actors = {}
    for name, groups in users.items():
        engine.identity.add_user(name, [g for g in groups.split(",") if g])
        actors[name] = engine.identity.actor(name)
    return actors
