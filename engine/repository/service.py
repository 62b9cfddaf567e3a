"""Deploying bundles as immutable, numbered versions, and reading them back."""

from __future__ import annotations

import hashlib
import json
import threading
import tomllib
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, func, insert, select, text

from engine import access
from engine.actor import SYSTEM, Actor
from engine.clock import Clock
from engine.config import Settings
from engine.errors import InvalidInput, ModelValidationError, NotFound, Problem
from engine.identity.service import check_group_names, ensure_groups, known_groups
from engine.repository.bundle import Bundle, collect_bundles, file_kind
from engine.repository.compiler import CompiledModel, check_groups, compile_bundle, compile_bundle_all
from engine.repository.model_info import names_by_language
from engine.repository.start_triggers import register_start_triggers
from engine.store.database import Database
from engine.store.schema import model_files, model_versions

ORGANISATION_FILE = "groups.toml"


@dataclass(frozen=True)
class FileInfo:
    name: str
    kind: str
    size: int
    sha256: str


@dataclass(frozen=True)
class VersionInfo:
    id: int
    model_key: str
    version: int
    name: str | None
    content_hash: str
    deployed_by: str
    deployed_at: datetime
    note: str | None
    info: dict[str, Any]
    files: list[FileInfo] = field(default_factory=list)

    @property
    def names(self) -> dict[str, str]:
        """The model's name per language from model.toml (``{"en": …, "zh": …}``); empty when it
        names the model in one string, which then is ``name`` (often bilingual "English 中文")."""
        return names_by_language(self.info)


@dataclass(frozen=True)
class DeployResult:
    version: VersionInfo
    created: bool
    warnings: list[Problem]
    # Every model the request deployed, this one included: a BPMN file with several executable
    # processes deploys each as a model of its own. Filled by the API's deploy route.
    deployed: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class ModelSummary:
    model_key: str
    name: str | None
    latest_version: int
    versions: int
    deployed_at: datetime
    # Per language, as VersionInfo.names (of the latest version).
    names: dict[str, str] = field(default_factory=dict)


class CompiledModelCache:
    """Compiled versions by id. Versions never change, so entries never go stale; the size is bounded."""

    def __init__(self, size: int = 64) -> None:
        self._items: OrderedDict[int, CompiledModel] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def get(self, version_id: int) -> CompiledModel | None:
        with self._lock:
            model = self._items.get(version_id)
            if model is not None:
                self._items.move_to_end(version_id)
            return model

    def put(self, version_id: int, model: CompiledModel) -> None:
        with self._lock:
            self._items[version_id] = model
            self._items.move_to_end(version_id)
            while len(self._items) > self._size:
                self._items.popitem(last=False)


class RepositoryService:
    def __init__(self, db: Database, clock: Clock, settings: Settings) -> None:
        self.db = db
        self.clock = clock
        self.settings = settings
        self.cache = CompiledModelCache(0 if settings.cold_commands else 64)
        self._version_numbers: dict[int, int] = {}

    # --- deploying ------------------------------------------------------------------------

    def bundles_from_paths(self, paths: Iterable[Path]) -> list[Bundle]:
        return collect_bundles(list(paths), self.settings.max_file_bytes)

    def bundle_from_files(self, files: dict[str, bytes], source: str = "upload") -> Bundle:
        total = sum(len(c) for c in files.values())
        if total > self.settings.max_upload_bytes:
            raise InvalidInput(
                f"the bundle is {total:,} bytes; the limit is {self.settings.max_upload_bytes:,}"
            )
        return Bundle(dict(files), source)

    def validate(
        self,
        bundle: Bundle,
        strict: bool = False,
        organisation: dict[str, str] | None = None,
        *,
        actor: Actor = SYSTEM,
    ) -> CompiledModel:
        """Dry run: everything deploy checks, nothing stored. Warnings are on the result.

        ``organisation`` is what deploy would register first, so it counts as known here too.
        """
        return self.validate_all(bundle, strict, organisation, actor=actor)[0]

    def validate_all(
        self,
        bundle: Bundle,
        strict: bool = False,
        organisation: dict[str, str] | None = None,
        *,
        actor: Actor = SYSTEM,
    ) -> list[CompiledModel]:
        """``validate`` for every executable process of the bundle (each is a model of its own)."""
        access.validate_models(actor).require()
        with self.db.read() as conn:
            known = known_groups(conn) | set(check_group_names(organisation or {}))
            models = self._validated_all(bundle, known, strict)
            _add_call_warnings(conn, models, {m.model_key for m in models}, strict)
            return models

    def deploy(
        self,
        bundles: list[Bundle],
        actor: Actor,
        note: str | None = None,
        strict: bool = False,
        organisation: dict[str, str] | None = None,
    ) -> list[DeployResult]:
        """Validate every bundle, then store them in one transaction (all or none).

        A bundle identical to its model's latest version returns that version (``created`` False).
        ``organisation`` (group name -> description) is registered first, in the same transaction.
        """
        access.deploy_models(actor).require()
        if not bundles:
            raise InvalidInput("nothing to deploy")
        now = self.clock.now()
        created: list[tuple[int, CompiledModel]] = []
        results: list[DeployResult] = []
        with self.db.transaction() as conn:
            if organisation:
                ensure_groups(conn, check_group_names(organisation), now, organisation)
            known = known_groups(conn)
            compiled: list[list[tuple[Bundle, CompiledModel]]] = []  # per bundle: its history, then it
            problems: list[Problem] = []
            failures: list[str] = []
            for bundle in bundles:
                try:
                    # Several executable processes in one file: each is a model of its own.
                    for model in self._validated_all(bundle, known, strict):
                        # Earlier versions shipped with a model only fill an empty history: replayed into
                        # a repository that already has versions they would come after the newest.
                        replay = bundle.history if not _has_versions(conn, model.model_key) else ()
                        compiled.append(
                            [(old, self._validated(old, known, strict, model.model_key)) for old in replay]
                        )
                        for old, old_model in compiled[-1]:
                            if old_model.model_key != model.model_key:
                                raise InvalidInput(
                                    f"{old.source} defines process '{old_model.model_key}', not "
                                    f"'{model.model_key}': an earlier version must keep the process id"
                                )
                        compiled[-1].append((bundle, model))
                except ModelValidationError as exc:
                    failures.append(exc.message)
                    problems += [replace(p, file=p.file or bundle.source) for p in exc.problems]
            if failures:
                raise ModelValidationError("; ".join(failures) + " (nothing was deployed)", problems)
            keys = [versions[-1][1].model_key for versions in compiled]
            _add_call_warnings(conn, [versions[-1][1] for versions in compiled], set(keys), strict)
            if len(set(keys)) != len(keys):
                raise InvalidInput("two bundles define the same process id: " + ", ".join(sorted(keys)))
            for bundle, model in (pair for versions in compiled for pair in versions):
                version_id, was_created = self._store(conn, bundle, model, actor, note, now)
                if was_created:
                    created.append((version_id, model))
                    register_start_triggers(conn, version_id, model, now, ZoneInfo(self.settings.timezone))
                results.append(
                    DeployResult(self._version_info(conn, version_id), was_created, model.warnings)
                )
        for version_id, model in created:
            self.cache.put(version_id, model)
        return results

    def _limits(self) -> dict[str, int]:
        return {
            "max_file_bytes": self.settings.max_file_bytes,
            "max_elements": self.settings.max_model_elements,
            "max_depth": self.settings.max_model_depth,
        }

    def _validated_all(self, bundle: Bundle, known: set[str], strict: bool) -> list[CompiledModel]:
        return [
            self._checked(model, bundle, known, strict)
            for model in compile_bundle_all(bundle, **self._limits())
        ]

    def _validated(
        self, bundle: Bundle, known: set[str], strict: bool, process_id: str | None = None
    ) -> CompiledModel:
        return self._checked(
            compile_bundle(bundle, **self._limits(), process_id=process_id), bundle, known, strict
        )

    def _checked(self, model: CompiledModel, bundle: Bundle, known: set[str], strict: bool) -> CompiledModel:
        group_problems = check_groups(model, known)
        if strict and (group_problems or model.warnings):
            raise ModelValidationError(
                f"{bundle.source}: strict validation refuses warnings", group_problems + model.warnings
            )
        model.warnings = group_problems + model.warnings
        return model

    def _store(
        self,
        conn: Connection,
        bundle: Bundle,
        model: CompiledModel,
        actor: Actor,
        note: str | None,
        now: datetime,
    ) -> tuple[int, bool]:
        if not self.db.is_sqlite:
            # Serialises deployments of one model key; SQLite's write lock already does.
            conn.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": model.model_key})
        content_hash = bundle.content_hash()
        latest = conn.execute(
            select(model_versions.c.id, model_versions.c.version, model_versions.c.content_hash)
            .where(model_versions.c.model_key == model.model_key)
            .order_by(model_versions.c.version.desc())
            .limit(1)
        ).first()
        if latest is not None and latest.content_hash == content_hash:
            return latest.id, False
        info = dict(model.info)
        info["warnings"] = [p.as_dict() for p in model.warnings]
        version_id = conn.execute(
            insert(model_versions).values(
                model_key=model.model_key,
                version=(latest.version + 1) if latest else 1,
                name=model.name,
                content_hash=content_hash,
                deployed_by=actor.name,
                deployed_at=now,
                note=note,
                info=json.dumps(info, ensure_ascii=False, default=str),
            )
        ).inserted_primary_key[0]
        conn.execute(
            insert(model_files),
            [
                {
                    "version_id": version_id,
                    "name": name,
                    "kind": file_kind(name),
                    "content": content,
                    "sha256": hashlib.sha256(content).hexdigest(),
                }
                for name, content in sorted(bundle.files.items())
            ],
        )
        return version_id, True

    # --- reading --------------------------------------------------------------------------

    def list_models(self) -> list[ModelSummary]:
        with self.db.read() as conn:
            counts = (
                select(
                    model_versions.c.model_key,
                    func.max(model_versions.c.version).label("latest"),
                    func.count().label("n"),
                )
                .group_by(model_versions.c.model_key)
                .subquery()
            )
            rows = conn.execute(
                select(model_versions, counts.c.n)
                .join(
                    counts,
                    (counts.c.model_key == model_versions.c.model_key)
                    & (counts.c.latest == model_versions.c.version),
                )
                .order_by(model_versions.c.model_key)
            ).all()
            return [
                ModelSummary(
                    r.model_key,
                    r.name,
                    r.version,
                    r.n,
                    r.deployed_at,
                    names=names_by_language(json.loads(r.info)),
                )
                for r in rows
            ]

    def versions(self, model_key: str) -> list[VersionInfo]:
        with self.db.read() as conn:
            ids = conn.scalars(
                select(model_versions.c.id)
                .where(model_versions.c.model_key == model_key)
                .order_by(model_versions.c.version)
            ).all()
            if not ids:
                raise NotFound(f"no model with key {model_key!r}")
            return [self._version_info(conn, i) for i in ids]

    def get_version(self, model_key: str, version: int | None = None) -> VersionInfo:
        with self.db.read() as conn:
            return self._version_info(conn, self.resolve_version_id(conn, model_key, version))

    def resolve_version_id(self, conn: Connection, model_key: str, version: int | None) -> int:
        query = select(model_versions.c.id).where(model_versions.c.model_key == model_key)
        if version is None:
            query = query.order_by(model_versions.c.version.desc()).limit(1)
        else:
            query = query.where(model_versions.c.version == version)
        version_id = conn.scalar(query)
        if version_id is None:
            if version is None:
                raise NotFound(f"no model with key {model_key!r} is deployed")
            raise NotFound(f"model {model_key!r} has no version {version}")
        return version_id

    def file(self, model_key: str, version: int, name: str) -> tuple[bytes, str]:
        with self.db.read() as conn:
            version_id = self.resolve_version_id(conn, model_key, version)
            row = conn.execute(
                select(model_files.c.content, model_files.c.kind).where(
                    (model_files.c.version_id == version_id) & (model_files.c.name == name)
                )
            ).first()
            if row is None:
                raise NotFound(f"version {version} of {model_key!r} has no file {name!r}")
            return bytes(row.content), row.kind

    def version_number(self, conn: Connection, version_id: int) -> int:
        """The number (1, 2, …) of a version id; immutable, so remembered."""
        number = self._version_numbers.get(version_id)
        if number is None:
            number = conn.scalar(select(model_versions.c.version).where(model_versions.c.id == version_id))
            if number is None:
                raise NotFound(f"no model version with id {version_id}")
            self._version_numbers[version_id] = number
        return number

    def compiled(self, version_id: int) -> CompiledModel:
        """The executable model of a stored version (compiled once per process, then cached)."""
        model = self.cache.get(version_id)
        if model is None:
            with self.db.read() as conn:
                model_key = conn.scalar(
                    select(model_versions.c.model_key).where(model_versions.c.id == version_id)
                )
                rows = conn.execute(
                    select(model_files.c.name, model_files.c.content).where(
                        model_files.c.version_id == version_id
                    )
                ).all()
            if not rows:
                raise NotFound(f"no model version with id {version_id}")
            model = compile_bundle(
                Bundle({r.name: bytes(r.content) for r in rows}, f"version {version_id}"),
                self.settings.max_file_bytes,
                # A file with several processes holds this version's model and others.
                process_id=model_key,
            )
            self.cache.put(version_id, model)
        return model

    def _version_info(self, conn: Connection, version_id: int) -> VersionInfo:
        row = conn.execute(select(model_versions).where(model_versions.c.id == version_id)).first()
        if row is None:
            raise NotFound(f"no model version with id {version_id}")
        files = [
            FileInfo(f.name, f.kind, f.size, f.sha256)
            for f in conn.execute(
                select(
                    model_files.c.name,
                    model_files.c.kind,
                    func.length(model_files.c.content).label("size"),
                    model_files.c.sha256,
                )
                .where(model_files.c.version_id == version_id)
                .order_by(model_files.c.name)
            )
        ]
        return VersionInfo(
            row.id,
            row.model_key,
            row.version,
            row.name,
            row.content_hash,
            row.deployed_by,
            row.deployed_at,
            row.note,
            json.loads(row.info),
            files,
        )


def _add_call_warnings(
    conn: Connection, models: list[CompiledModel], deploying: set[str], strict: bool
) -> None:
    """A call activity naming a model that is neither deployed nor deployed now: a warning (it may be
    deployed later; until then reaching it is an incident), or, with ``strict``, a refusal."""
    deployed = set(conn.scalars(select(model_versions.c.model_key).distinct()))
    problems = []
    for model in models:
        warned = {w.element_id for w in model.warnings}  # e.g. "calls a process that is not executable"
        found = [
            Problem(
                f"calls model '{call.called_element}', which is not deployed: deploy it before an "
                "instance reaches this call activity (until then that instance gets an incident)",
                file=model.document.file_name,
                line=call.line or model.document.line_of(call.element_id),
                element_id=call.element_id,
            )
            for call in model.calls.values()
            if call.called_expression is None
            and call.called_element not in deployed | deploying
            and call.element_id not in warned
        ]
        model.warnings = model.warnings + found
        problems += found
    if strict and problems:
        raise ModelValidationError("strict validation refuses warnings", problems)


def _has_versions(conn: Connection, model_key: str) -> bool:
    return (
        conn.scalar(select(model_versions.c.id).where(model_versions.c.model_key == model_key).limit(1))
        is not None
    )


def read_organisation(directory: Path) -> dict[str, str] | None:
    """``groups.toml`` of a models directory: ``[groups.<name>]`` tables with ``description``/``zh``."""
    path = directory / ORGANISATION_FILE
    if not path.is_file():
        return None
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ModelValidationError(f"{path} is not valid TOML", [Problem(str(exc), file=str(path))])
    groups = data.get("groups")
    if not isinstance(groups, dict):
        raise ModelValidationError(
            f"{path} needs [groups.<name>] tables", [Problem("missing [groups] table", file=str(path))]
        )
    result = {}
    for name, entry in groups.items():
        entry = entry if isinstance(entry, dict) else {}
        parts = [entry.get("zh"), entry.get("description")]
        result[name] = " — ".join(str(p) for p in parts if p) or name
    return result
