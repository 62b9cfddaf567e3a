"""Run a corpus of BPMN/DMN files the way a new user would try them, and classify what happens.

    python bench/corpus.py DIR_OR_FILE... [--json OUT] [--steps N] [--warm] [--quiet]

Each BPMN file is deployed on a throwaway SQLite database (``approvals deploy FILE``: the file and
what it references beside it), then every model the deploy created is driven towards its end by a
generic player: start it (empty data, or values derived from its start form), then, one command at
a time, complete open user tasks as a user who may (users and groups are made up as needed), deliver
the messages and signals instances wait for, move the clock to the next timer and fire it, and
complete external tasks when the engine offers them. Every step runs on a new Engine with
``cold_commands`` on, so what is measured is what a restart between any two steps does.

DMN files are loaded and each decision evaluated with empty inputs, then with inputs derived from
its input columns.

Outcomes (the table's first column):

    completed   deployed, and every instance reached its end
    waiting     deployed, still running, waiting for something the player cannot give (the reason)
    stalled     deployed, running, and nothing to wait for: the bug class a restart must not show
    failed      deployed, but a command failed with an engine error (the message)
    refused     not deployed (or a DMN not loaded): the reason, and whether it names file/line/element
    crashed     an exception that is not an engine error: the worst
    evaluated   a DMN file whose decisions all evaluated (``partly``: some did, or it holds none)

Nothing here is tied to a particular corpus: give it files or directories.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine import Engine
from engine.actor import SYSTEM, Actor
from engine.clock import ManualClock
from engine.config import Settings
from engine.dmn import load_decision_model
from engine.errors import ApprovalsError, Conflict, DataValidationError, PermissionDenied, Problem
from engine.history.keys import new_key_line
from engine.store.schema import event_subscriptions, instance_task_states, process_instances
from engine.tasks.service import TaskQuery
from engine.xmlsafe import parse_untrusted_xml

_STALL_INCIDENT = "incident: the process waits for nothing"
OUTCOMES = ("completed", "waiting", "stalled", "failed", "refused", "crashed", "evaluated", "partly")
STARTER = "corpus_starter"
# SpiffWorkflow's task states (SpiffWorkflow.util.task.TaskState), read from the stored task rows so
# that the bench, like the API, does not import SpiffWorkflow.
_STATE_NAMES = {1: "MAYBE", 2: "LIKELY", 4: "FUTURE", 8: "WAITING", 16: "READY", 32: "STARTED"}
_LIVE = {"WAITING", "READY", "STARTED"}
_USER_NAME = re.compile(r"[^a-z0-9_.-]+")


@dataclass
class Result:
    file: str
    kind: str  # bpmn | dmn
    outcome: str = "crashed"
    detail: str = ""
    models: list[str] = field(default_factory=list)
    steps: int = 0
    seconds: float = 0.0
    names_file: bool | None = None  # for refusals: does a problem name the file, a line, an element?
    names_line: bool | None = None
    names_element: bool | None = None
    problems: list[str] = field(default_factory=list)
    warnings: int = 0
    trace: str = ""  # for crashes: where the exception escaped from


class Crash(Exception):
    """An exception that is not an engine error, with the step that raised it."""

    def __init__(self, what: str, exc: BaseException) -> None:
        super().__init__(f"{what}: {type(exc).__name__}: {exc}")
        self.what = what
        self.exc = exc


# --- deriving data ---------------------------------------------------------------------------------


def sample(schema: Any, depth: int = 0) -> Any:
    """A value a JSON Schema accepts, for the usual simple schemas (the first enum value, a minimum...)."""
    if not isinstance(schema, dict) or depth > 8:
        return "x"
    for key in ("const", "default"):
        if key in schema:
            return schema[key]
    if schema.get("enum"):
        return schema["enum"][0]
    for key in ("oneOf", "anyOf", "allOf"):
        if isinstance(schema.get(key), list) and schema[key]:
            return sample(schema[key][0], depth + 1)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "string")
    if kind == "boolean":
        return True
    if kind in ("integer", "number"):
        low = schema.get(
            "minimum", schema.get("exclusiveMinimum", 0) + (1 if "exclusiveMinimum" in schema else 0)
        )
        return max(1, low) if "maximum" not in schema or schema["maximum"] >= 1 else low
    if kind == "array":
        return [sample(schema.get("items", {}), depth + 1) for _ in range(schema.get("minItems", 0))]
    if kind == "object" or "properties" in schema:
        props = schema.get("properties", {})
        return {name: sample(props.get(name, {}), depth + 1) for name in schema.get("required", [])}
    fmt = schema.get("format")
    if fmt == "date":
        return "2026-01-05"
    if fmt == "date-time":
        return "2026-01-05T09:00:00Z"
    if fmt == "email":
        return "someone@example.com"
    return "x" * max(1, int(schema.get("minLength", 1)))


def form_candidates(
    schema: dict[str, Any] | None, held: dict[str, Any], overwritable: set[str]
) -> list[dict]:
    """Data to try for a JSON Schema form: every field not yet held, then only the required ones."""
    if not schema:
        return [{}]
    props = schema.get("properties", {}) or {}
    free = [n for n in props if held.get(n) is None or n in overwritable]
    full = {n: sample(props[n]) for n in free}
    required = {n: sample(props.get(n, {})) for n in schema.get("required", []) if n in free}
    return [full, required] if full != required else [full]


def form_field_data(fields: Iterable[Any], held: dict[str, Any]) -> dict[str, Any]:
    """Values for camunda:formField declarations, by type (booleans true: the happy path)."""
    data: dict[str, Any] = {}
    for f in fields:
        if not f.id or (held.get(f.id) is not None and not f.overwrite):
            continue
        if f.type == "boolean":
            data[f.id] = True
        elif f.type == "long":
            data[f.id] = 1
        elif f.type == "enum" and f.values:
            data[f.id] = f.values[0]
        elif f.type == "date":
            data[f.id] = "05/01/2026"
        else:
            data[f.id] = "x"
    return data


# --- the engine, cold ------------------------------------------------------------------------------


class Player:
    """Drives the models of one throwaway database; each step on a new Engine (a restart)."""

    def __init__(self, database_url: str, cold: bool) -> None:
        # A throwaway history key, unless one is configured: no key file is left beside the database.
        keys = {} if Settings.from_env().chain_key_file else {"chain_keys": new_key_line(1).strip()}
        self.settings = Settings.from_env(
            database_url=database_url, cold_commands=cold, verify_state=True, timer_max_attempts=1, **keys
        )
        self.clock = ManualClock(datetime(2026, 1, 5, 9, 0, tzinfo=UTC))
        self.cold = cold
        self._engine: Engine | None = None
        self.steps = 0

    def engine(self) -> Engine:
        """A new Engine per step when cold (a new process would hold one); one throughout when warm."""
        if self._engine is not None and self.cold:
            self._engine.close()
            self._engine = None
        if self._engine is None:
            self._engine = Engine(self.settings, clock=self.clock)
        return self._engine

    def close(self) -> None:
        if self._engine is not None:
            self._engine.close()

    def step(self, what: str, action: Callable[[Engine], Any], command: bool = True) -> Any:
        """One command (or read) on a fresh engine; engine errors pass through, anything else is a
        Crash. Only commands count towards the step cap."""
        self.steps += command
        engine = self.engine()
        try:
            return action(engine)
        except ApprovalsError:
            raise
        except Exception as exc:  # the point: anything else is a finding
            raise Crash(what, exc) from exc

    def ensure_user(self, name: str, groups: Iterable[str] = ()) -> Actor:
        def act(engine: Engine) -> Actor:
            try:
                info = engine.identity.get_user(name)
                wanted = sorted(set(info.groups) | set(groups))
                if wanted != sorted(info.groups):
                    engine.identity.set_groups(name, wanted)
            except ApprovalsError:
                engine.identity.add_user(name, list(groups))
            return engine.identity.actor(name)

        return self.step(f"user {name}", act)


def _where_crashed(exc: BaseException) -> str:
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [f for f in frames if "/engine/" in f.filename or "/bench/" in f.filename]
    last = frames[-1] if frames else None
    parts = []
    if ours:
        parts.append(f"{Path(ours[-1].filename).name}:{ours[-1].lineno} {ours[-1].name}")
    if last is not None and (not ours or last is not ours[-1]):
        parts.append(f"{'/'.join(Path(last.filename).parts[-2:])}:{last.lineno} {last.name}")
    return " <- ".join(reversed(parts))


def _describe_refusal(result: Result, exc: ApprovalsError) -> None:
    result.outcome = "refused"
    result.detail = exc.message
    problems: list[Problem] = exc.problems
    result.problems = [str(p) for p in problems]
    result.names_file = any(p.file for p in problems)
    result.names_line = any(p.line for p in problems)
    result.names_element = any(p.element_id or p.decision_id for p in problems)


# --- BPMN ------------------------------------------------------------------------------------------


def _user_for(task: Any) -> tuple[str, list[str]]:
    """A user who may hold ``task``: its assignee, a candidate user, or a member of a candidate group."""
    if task.assignee:
        return task.assignee, []
    if task.candidate_users:
        return task.candidate_users[0], []
    if task.candidate_groups:
        group = task.candidate_groups[0]
        return "u_" + _USER_NAME.sub("_", group.lower())[:60], [group]
    return "corpus_worker", []


def _waits(engine: Engine, model_keys: list[str]) -> dict[str, Any]:
    """What the instances of these models wait for, straight from the engine's tables."""
    with engine.db.read() as conn:
        instances = conn.execute(
            select(process_instances.c.id, process_instances.c.status, process_instances.c.error).where(
                process_instances.c.model_key.in_(model_keys)
            )
        ).all()
        running = [i.id for i in instances if i.status == "running"]
        subscriptions = conn.execute(
            select(event_subscriptions).where(
                event_subscriptions.c.model_key.in_(model_keys) & (event_subscriptions.c.status == "waiting")
            )
        ).all()
        live: dict[int, list[str]] = {}
        if running:
            for row in conn.execute(
                select(instance_task_states.c.instance_id, instance_task_states.c.payload).where(
                    instance_task_states.c.instance_id.in_(running)
                )
            ):
                task = json.loads(row.payload)
                state = _STATE_NAMES.get(task.get("state"), "")
                if state in _LIVE:
                    live.setdefault(row.instance_id, []).append(f"{task.get('task_spec')}:{state}")
    tasks = [
        t
        for key in model_keys
        for t in engine.tasks.list(SYSTEM, TaskQuery(model_key=key, limit=500, include_suspended=True))
    ]
    timers = [t for t in engine.timers.list(SYSTEM, status=None, limit=1000) if t.model_key in model_keys]
    external = getattr(engine, "external", None)
    if external is not None:
        from engine.external.service import ExternalTaskQuery

        externals = [
            t for t in external.list(SYSTEM, ExternalTaskQuery(limit=1000)) if t.model_key in model_keys
        ]
    else:
        externals = []
    # The engine's own account (runtime/stalls.py): child instances, call incidents and the like.
    waiting_for = {i: engine.runtime.get(i, SYSTEM).waiting_for or [] for i in running}
    return {
        "instances": instances,
        "running": running,
        "waiting_for": waiting_for,
        "tasks": tasks,
        "timers": [t for t in timers if t.status == "pending"],
        "incidents": [t for t in timers if t.status == "incident"],
        "subscriptions": subscriptions,
        "live": live,
        "external": externals,
    }


def _start(player: Player, model_key: str, version_id: int) -> str:
    """Start an instance as a new user would: by its start event (message, signal, timer) or plainly."""
    model = player.step("compile", lambda e: e.repository.compiled(version_id))
    doc = model.document
    starters = list(doc.starter_groups)
    actor = player.ensure_user(STARTER, starters)
    triggers = doc.start_triggers
    plain = [s for s in doc.process_starts if s not in {t.element_id for t in triggers}]
    if triggers and not plain:
        trigger = triggers[0]
        if trigger.kind == "message" and trigger.name:
            player.step("message start", lambda e: e.events.correlate_message(trigger.name, None, {}, actor))
            return f"by message {trigger.name!r}"
        if trigger.kind == "signal" and trigger.name:
            player.step("signal start", lambda e: e.events.broadcast_signal(trigger.name, {}, actor))
            return f"by signal {trigger.name!r}"
        if trigger.kind == "timer":
            return "by its start timer"  # the loop moves the clock and fires it
    data: dict[str, Any] = {}
    if model.start_form is not None:
        data = form_candidates(model.start_form.schema, {}, set())[0]
    fields = getattr(doc, "start_form_fields", ())  # camunda:formData on the start event, where read
    data.update(form_field_data(fields, data))
    try:
        player.step("start", lambda e: e.runtime.start(model_key, actor, data))
    except DataValidationError:
        if not data:
            raise
        player.step("start", lambda e: e.runtime.start(model_key, actor, {}))
    return "plainly"


def _complete_task(player: Player, task: Any, blocked: set[str], notes: list[str]) -> bool:
    name, groups = _user_for(task)
    try:
        actor = player.ensure_user(name, groups)
    except ApprovalsError as exc:
        blocked.add(f"task:{task.id}")
        notes.append(f"task {task.element_id}: no user can hold it ({exc})")
        return False

    def read(engine: Engine) -> tuple[Any, Any]:
        detail = engine.tasks.get(task.id, SYSTEM)
        return detail, engine.repository.compiled(engine.runtime.get(task.instance_id, SYSTEM).version_id)

    detail, model = player.step(f"read task {task.element_id}", read, command=False)
    held = detail.data
    definition = model.document.user_tasks.get(task.element_id)
    form = model.forms.get(task.form_key) if task.form_key else None
    if form is not None:
        attempts = form_candidates(form.schema, held, set(form.overwritable))
    elif definition is not None and definition.form_fields:
        attempts = [form_field_data(definition.form_fields, held), {}]
    else:
        attempts = [{}]
    last: ApprovalsError | None = None
    for data in attempts:
        try:
            player.step(f"complete {task.element_id}", lambda e, d=data: e.tasks.complete(task.id, actor, d))
            return True
        except DataValidationError as exc:
            last = exc
        except (Conflict, PermissionDenied) as exc:
            last = exc
            break
    blocked.add(f"task:{task.id}")
    notes.append(f"task {task.element_id} (as {name}): {last}")
    return False


def drive(player: Player, model_keys: list[str], max_steps: int) -> tuple[str, str]:
    """Play every instance of ``model_keys`` to its end, or until nothing more can be done."""
    blocked: set[str] = set()
    notes: list[str] = []
    delivered: dict[int, int] = {}
    while player.steps < max_steps:
        w = player.step("read waits", lambda e: _waits(e, model_keys), command=False)
        open_tasks = [t for t in w["tasks"] if t.status == "open" and f"task:{t.id}" not in blocked]
        if open_tasks:
            task = open_tasks[0]
            try:
                _complete_task(player, task, blocked, notes)
            except ApprovalsError as exc:
                return "failed", f"completing {task.element_id}: {exc}"
            continue
        messages = [
            s for s in w["subscriptions"] if s.instance_id is not None and f"sub:{s.id}" not in blocked
        ]
        if messages:
            sub = messages[0]
            delivered[sub.id] = delivered.get(sub.id, 0) + 1
            if delivered[sub.id] > 1:
                # The engine took it, yet the instance still waits for it: it would take it for ever.
                blocked.add(f"sub:{sub.id}")
                notes.append(
                    f"{sub.kind} {sub.event_name!r} was delivered to {sub.element_id} and is still awaited"
                )
                continue
            try:
                if sub.kind == "message":
                    player.step(
                        f"message {sub.event_name}",
                        lambda e, s=sub: e.events.correlate_message(
                            s.event_name, s.correlation_key, {}, SYSTEM
                        ),
                    )
                else:
                    player.step(
                        f"signal {sub.event_name}",
                        lambda e, s=sub: e.events.broadcast_signal(s.event_name, {}, SYSTEM),
                    )
            except ApprovalsError as exc:
                blocked.add(f"sub:{sub.id}")
                notes.append(f"{sub.kind} {sub.event_name!r} for {sub.element_id}: {exc}")
            continue
        if _work_external(player, model_keys, notes, blocked):
            continue
        pending = w["timers"]
        # Start timers keep coming (cycles): fire them only until an instance exists.
        pending = [t for t in pending if t.instance_id is not None or not w["instances"]]
        if pending:
            due = min(t.next_attempt_at or t.due_at for t in pending)
            if due > player.clock.now():
                player.clock.set(due)
            report = player.step("fire timers", lambda e: e.timers.fire_due(limit=1))
            if not report.fired and not report.failed:
                return "stalled", f"timer due at {due.isoformat()} did not fire"
            continue
        break
    else:
        w = player.step("read waits", lambda e: _waits(e, model_keys), command=False)
        return "waiting", f"step cap ({max_steps}) reached; " + _summary(w)

    w = player.step("read waits", lambda e: _waits(e, model_keys), command=False)
    statuses = Counter(i.status for i in w["instances"])
    if not w["instances"]:
        why = [*notes, *(f"{t.element_id}: {t.last_error}" for t in w["incidents"])]
        return "waiting", "no instance was started" + (f" ({'; '.join(why)})" if why else "")
    if not w["running"]:
        if statuses.get("completed"):
            return "completed", _counts(statuses)
        return "failed", _counts(statuses)
    waiting_for = _summary(w) + (f" | {'; '.join(notes)}" if notes else "")
    open_tasks = [t for t in w["tasks"] if t.status == "open"]
    if open_tasks or w["subscriptions"] or w["incidents"] or w["external"] or w["timers"]:
        return "waiting", waiting_for
    reasons = [r for found in w["waiting_for"].values() for r in found if not r.startswith(_STALL_INCIDENT)]
    if reasons:  # e.g. an incident on a call activity whose model is not deployed
        return "waiting", "; ".join(reasons)
    return "stalled", waiting_for


def _work_external(player: Player, model_keys: list[str], notes: list[str], blocked: set[str]) -> bool:
    """Fetch, lock and complete one open external task of these models, as a worker would (Camunda's
    fetchAndLock by topic, then complete with no variables). False when there is none, or the engine
    has no external tasks."""
    try:
        from engine.external.service import ExternalTaskQuery, TopicRequest
    except ImportError:
        return False

    def open_tasks(engine: Engine) -> list[Any]:
        listed = engine.external.list(SYSTEM, ExternalTaskQuery(limit=1000))
        return [t for t in listed if t.model_key in model_keys and f"ext:{t.id}" not in blocked]

    candidates = player.step("read external tasks", open_tasks, command=False)
    if not candidates:
        return False
    task = candidates[0]
    if task.status != "open" or task.worker_id:
        blocked.add(f"ext:{task.id}")
        notes.append(
            f"external task {task.element_id} ({task.topic}): {task.status}, {task.error_message or ''}"
        )
        return True
    topic = TopicRequest(task.topic, 60_000, process_definition_key=task.model_key)
    try:
        locked = player.step(
            f"fetch {task.topic}", lambda e: e.external.fetch_and_lock(SYSTEM, "corpus", 1, [topic])
        )
        if not locked:
            raise Conflict(
                f"fetchAndLock on topic {task.topic!r} locked nothing although task {task.id} is open"
            )
        player.step(
            f"complete external {task.element_id}",
            lambda e: e.external.complete(locked[0].id, SYSTEM, "corpus", {}),
        )
    except ApprovalsError as exc:
        blocked.add(f"ext:{task.id}")
        notes.append(f"external task {task.element_id} ({task.topic}): {exc}")
    return True


def _counts(statuses: Counter) -> str:
    return ", ".join(f"{n} {s}" for s, n in sorted(statuses.items()))


def _summary(w: dict[str, Any]) -> str:
    parts = [_counts(Counter(i.status for i in w["instances"]))]
    open_tasks = [t for t in w["tasks"] if t.status == "open"]
    if open_tasks:
        parts.append("tasks " + ", ".join(sorted({t.element_id for t in open_tasks})))
    if w["subscriptions"]:
        parts.append(
            "events " + ", ".join(sorted({f"{s.kind} {s.event_name!r}" for s in w["subscriptions"]}))
        )
    if w["timers"]:
        parts.append("timers " + ", ".join(sorted({t.element_id for t in w["timers"]})))
    if w["incidents"]:
        parts.append(
            "incidents " + "; ".join(f"{t.element_id}: {(t.last_error or '')[:200]}" for t in w["incidents"])
        )
    if w["external"]:
        parts.append(
            "external tasks "
            + ", ".join(sorted({f"{t.element_id} ({t.topic}, {t.status})" for t in w["external"]}))
        )
    live = sorted({spec for specs in w["live"].values() for spec in specs})
    if live:
        parts.append("workflow at " + ", ".join(live[:12]))
    return "; ".join(parts)


def run_bpmn(path: Path, max_steps: int, cold: bool) -> Result:
    result = Result(str(path), "bpmn")
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="corpus-") as scratch:
        database = Path(scratch) / "corpus.db"
        player = Player(f"sqlite:///{database}", cold)
        try:
            player.step("migrate", lambda e: e.upgrade_schema())
            try:
                deployed = player.step(
                    "deploy",
                    lambda e: e.repository.deploy(e.repository.bundles_from_paths([path]), SYSTEM),
                )
            except ApprovalsError as exc:
                _describe_refusal(result, exc)
                return result
            result.models = [d.version.model_key for d in deployed]
            result.warnings = sum(len(d.warnings) for d in deployed)
            outcomes = []
            for d in deployed:
                key = d.version.model_key
                try:
                    how = _start(player, key, d.version.id)
                    outcome, detail = drive(player, [key], max_steps * len(deployed))
                    if how != "plainly":
                        detail = f"started {how}; {detail}"
                except ApprovalsError as exc:
                    outcome, detail = "failed", f"{type(exc).__name__}: {exc}"
                outcomes.append((key, outcome, detail))
            order = {o: i for i, o in enumerate(("crashed", "stalled", "failed", "waiting", "completed"))}
            result.outcome = min((o for _, o, _ in outcomes), key=order.__getitem__)
            result.detail = " || ".join(f"{k}: {d}" if len(outcomes) > 1 else d for k, _, d in outcomes)
        except Crash as crash:
            result.outcome = "crashed"
            result.detail = str(crash)
            result.trace = _where_crashed(crash.exc)
        except Exception as exc:  # outside a step: the bench's own fault, still reported
            result.outcome = "crashed"
            result.detail = f"in the bench: {type(exc).__name__}: {exc}"
            result.trace = _where_crashed(exc)
        finally:
            result.steps = player.steps
            player.close()
            result.seconds = round(time.perf_counter() - started, 2)
    return result


# --- DMN -------------------------------------------------------------------------------------------

_SIMPLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")
_TYPED = {
    "string": "x",
    "number": 1,
    "integer": 1,
    "long": 1,
    "double": 1.0,
    "boolean": True,
    "date": "2026-01-05",
}


def derived_inputs(content: bytes, name: str) -> dict[str, Any]:
    """Inputs for a DMN file: each input column whose expression is a plain name gets a value taken from
    the first rule that tests it with a literal, or else one of its type."""
    root = parse_untrusted_xml(content, name, len(content) + 1)
    values: dict[str, Any] = {}
    for table in root.iter():
        if not isinstance(table.tag, str) or not table.tag.endswith("}decisionTable"):
            continue
        columns = [c for c in table if isinstance(c.tag, str) and c.tag.endswith("}input")]
        rules = [r for r in table if isinstance(r.tag, str) and r.tag.endswith("}rule")]
        for index, column in enumerate(columns):
            expr = next(
                (e for e in column if isinstance(e.tag, str) and e.tag.endswith("}inputExpression")), None
            )
            if expr is None:
                continue
            text = "".join(
                t.text or "" for t in expr if isinstance(t.tag, str) and t.tag.endswith("}text")
            ).strip()
            text = text or (column.get("label") or "").strip()
            if not _SIMPLE_NAME.match(text):
                continue
            value: Any = _TYPED.get((expr.get("typeRef") or "string").lower(), "x")
            for rule in rules:
                entries = [e for e in rule if isinstance(e.tag, str) and e.tag.endswith("}inputEntry")]
                cell = "".join(entries[index].itertext()).strip() if index < len(entries) else ""
                literal = _literal(cell)
                if literal is not None:
                    value = literal
                    break
            _put(values, text, value)
    return values


def _literal(cell: str) -> Any:
    if re.fullmatch(r'"[^"]*"', cell) or re.fullmatch(r"'[^']*'", cell):
        return cell[1:-1]
    if re.fullmatch(r"-?\d+(\.\d+)?", cell):
        return float(cell) if "." in cell else int(cell)
    if cell in ("true", "false", "True", "False"):
        return cell.lower() == "true"
    match = re.fullmatch(r"(<=|>=|<|>)\s*(-?\d+(\.\d+)?)", cell)
    if match:
        number = float(match.group(2)) if match.group(3) else int(match.group(2))
        return number + {"<": -1, ">": 1}.get(match.group(1), 0)
    return None


def _put(values: dict[str, Any], dotted: str, value: Any) -> None:
    *path, last = dotted.split(".")
    target = values
    for part in path:
        target = target.setdefault(part, {}) if isinstance(target.get(part, {}), dict) else {}
    target.setdefault(last, value)


def run_dmn(path: Path) -> Result:
    result = Result(str(path), "dmn")
    started = time.perf_counter()
    try:
        content = path.read_bytes()
        try:
            model = load_decision_model({path.name: content})
        except ApprovalsError as exc:
            _describe_refusal(result, exc)
            return result
        result.models = list(model.decisions)
        evaluated, errors = [], []
        for decision_id in model.decisions:
            outcome_error = None
            for inputs in ({}, derived_inputs(content, path.name)):
                try:
                    model.evaluate(decision_id, inputs)
                    evaluated.append(decision_id)
                    outcome_error = None
                    break
                except ApprovalsError as exc:
                    outcome_error = f"{decision_id}: {exc}"
            if outcome_error:
                errors.append(outcome_error)
        result.outcome = "evaluated" if evaluated and not errors else ("partly" if evaluated else "failed")
        if not model.decisions:
            # Loaded without a word, yet nothing in it can run (a file of business knowledge models or
            # decision services, say): the user finds out only when a task names a decision.
            result.outcome = "partly"
        result.detail = f"{len(evaluated)}/{len(model.decisions)} decisions evaluated" + (
            " | " + "; ".join(errors) if errors else ""
        )
    except Exception as exc:  # anything not an engine error is the finding
        result.outcome = "crashed"
        result.detail = f"{type(exc).__name__}: {exc}"
        result.trace = _where_crashed(exc)
    finally:
        result.seconds = round(time.perf_counter() - started, 2)
    return result


# --- the command -----------------------------------------------------------------------------------


def corpus_files(arguments: Iterable[str]) -> list[Path]:
    files: list[Path] = []
    for argument in arguments:
        path = Path(argument)
        if path.is_dir():
            files += sorted(p for p in path.rglob("*") if p.is_file() and p.suffix in (".bpmn", ".dmn"))
        elif path.is_file():
            files.append(path)
        else:
            raise SystemExit(f"{path} does not exist")
    return files


def run(
    files: list[Path], max_steps: int = 100, cold: bool = True, echo: Callable[[str], None] | None = None
) -> list[Result]:
    results = []
    for path in files:
        result = run_dmn(path) if path.suffix == ".dmn" else run_bpmn(path, max_steps, cold)
        results.append(result)
        if echo is not None:
            echo(_row(result, None))
    return results


def _row(result: Result, root: Path | None) -> str:
    name = result.file
    if root is not None:
        try:
            name = str(Path(result.file).relative_to(root))
        except ValueError:
            pass
    named = ""
    if result.outcome == "refused":
        named = (
            " [names "
            + "".join(
                flag if on else "-"
                for flag, on in zip(
                    "fle", (result.names_file, result.names_line, result.names_element), strict=True
                )
            )
            + "]"
        )
    detail = result.detail.replace("\n", " ")
    if result.problems:
        shown = "; ".join(result.problems[:3]) + (
            f"; … {len(result.problems) - 3} more" if len(result.problems) > 3 else ""
        )
        detail += f" — {shown}"
    if root is not None:
        detail = detail.replace(str(root) + "/", "")
    if result.trace:
        detail += f" @ {result.trace}"
    return f"{result.outcome:<10} {name}{named}: {detail}"


def _common_root(files: list[Path]) -> Path | None:
    if not files:
        return None
    parents = [p.resolve().parent for p in files]
    root = parents[0]
    while any(root not in [p, *p.parents] for p in parents):
        root = root.parent
    return root


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="+", help="BPMN/DMN files, or directories searched for them")
    parser.add_argument("--json", metavar="OUT", help="also write every result as JSON to OUT ('-': stdout)")
    parser.add_argument("--steps", type=int, default=100, help="commands per model before giving up (100)")
    parser.add_argument("--warm", action="store_true", help="one Engine throughout instead of one per step")
    parser.add_argument("--quiet", action="store_true", help="no row per file while running")
    args = parser.parse_args(argv)
    files = corpus_files(args.paths)
    root = _common_root(files)
    # Progress goes to stderr; the table to stdout, unless the JSON goes there.
    progress = None if args.quiet else lambda line: print(line, file=sys.stderr, flush=True)
    results = run(files, args.steps, not args.warm, progress)
    out = sys.stderr if args.json == "-" else sys.stdout
    for result in sorted(results, key=lambda r: (OUTCOMES.index(r.outcome), r.file)):
        print(_row(result, root), file=out)
    totals = Counter(r.outcome for r in results)
    print(file=out)
    counts = ", ".join(f"{totals[o]} {o}" for o in OUTCOMES if totals[o])
    print(f"totals: {counts} ({len(results)} files)", file=out)
    if args.json:
        payload = json.dumps([asdict(r) for r in results], indent=2, ensure_ascii=False)
        if args.json == "-":
            print(payload)
        else:
            Path(args.json).write_text(payload + "\n", encoding="utf-8")
    return 1 if totals["crashed"] else 0


if __name__ == "__main__":
    sys.exit(main())
