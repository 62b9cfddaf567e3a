"""Nightly-sized stateful fuzz run of the HTTP API: schemathesis, every check, OpenAPI links.

    python bench/fuzz_api.py [--requests 20000] [--max-seconds 1800] [--seed 1] [--postgres [URL]]
                             [--workers 2] [--threads 4] [--instances 6] [--examples 50]
                             [--concurrency 2] [--keep] [--fail-on-checks]

What it does, all on 127.0.0.1 and all cleaned up afterwards:
  1. a scratch database: an SQLite file in a temporary directory, or (``--postgres``) a schema of
     its own, ``approvals_fuzz_<pid>``, in the database the URL names (default
     postgresql://postgres@127.0.0.1:5432/test); only that schema is dropped at the end;
  2. seeds it through the engine: the organisation's groups, the bundled process_models/ and the
     test models, users of every group, and instances of every bundled model walked a few steps
     with valid form data, so that the fuzzer's links (instance → its tasks → claim → complete → the
     next task) land on real instances and tasks at different stages;
  3. starts `approvals serve` (gunicorn, its access log on) on a free port;
  4. runs schemathesis's engine (examples, coverage, fuzzing and stateful phases, every check,
     positive and negative data) in passes, one per identity: a user in every business group who is
     also a process owner and an admin (it may do nearly everything), a plain sales rep, an auditor;
     each pass stops at its share of --requests or of --max-seconds. Two adjustments keep the
     walks meaningful (FormFiller): some valid stateful steps get data their form accepts, so that
     completions succeed and the process moves on; and the fuzzer never changes its own groups;
  5. prints the requests sent (by the fuzzer, and as the server's access log counted them, checks'
     own requests included), the responses by status class, every 5xx with its request and the
     server's traceback, and every check failure grouped by check and operation.

Exit status: 1 when any response was a 5xx (or the server died), 2 with --fail-on-checks when a
check failed, else 0. A finding becomes a reproducing test (tests/api/test_fuzz_findings.py) before
it is fixed. tests/api/test_contract.py runs a short stateful pass of this on PostgreSQL in CI.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine.repository.service import read_organisation  # noqa: E402 (after the path)

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"
PROCESS_MODELS = ROOT / "process_models"
TEST_MODELS = ROOT / "tests" / "fixtures" / "models"
BENCH_MODELS = ROOT / "bench" / "models"

# Who the fuzzer is, pass by pass, and the share of the request budget each pass gets.
# Everyone the organisation has (process_models/groups.toml) but those who only read or administer.
BUSINESS_GROUPS = tuple(
    group
    for group in read_organisation(PROCESS_MODELS) or {}
    if group not in ("auditor", "process_owner", "admin")
)
FUZZERS = {
    "fuzz_all": [*BUSINESS_GROUPS, "process_owner", "admin"],
    "fuzz_rep": ["sales_rep"],
    "fuzz_auditor": ["auditor"],
}
PASSES = (("fuzz_all", 0.7), ("fuzz_rep", 0.15), ("fuzz_auditor", 0.15))
# The seeded instances: started by `requester`, worked by `approver` (segregation of duties keeps
# a requester from approving their own request).
REQUESTER = ("seed_requester", ["sales_rep", "customer_service", "planning_center", "credit_dept"])
APPROVER = ("seed_approver", list(BUSINESS_GROUPS))
# Whose groups change when the fuzzer would change its own (see FormFiller.before_call).
VICTIM = "fuzz_victim"

# What the document cannot say, and so what a schema-valid request may still be refused for
# (tests/api/test_contract.py explains each): form and decision rules held by deployed models,
# open-ended multipart field names, and the choice among several top decisions.
EXPECTED_FOR_VALID_DATA = ["2xx", "401", "403", "404", "409", "422", "429"]
CHECK_CONFIG: dict[str, Any] = {
    "enabled": True,
    "positive_data_acceptance": {"expected-statuses": EXPECTED_FOR_VALID_DATA},
    # schemathesis's own list, and 414: a request line too long for gunicorn is refused too.
    "negative_data_rejection": {
        "expected-statuses": [
            "400",
            "401",
            "403",
            "404",
            "405",
            "406",
            "409",
            "414",
            "415",
            "422",
            "428",
            "429",
        ]
    },
}
OPERATION_CONFIG: list[dict[str, Any]] = [
    {
        "include-path-regex": "^/api/v1/models(/validate)?$",
        "include-method": "POST",
        "checks": {"positive_data_acceptance": {"enabled": False}},
    },
    {
        "include-path": "/api/v1/decisions/{key}/evaluate",
        "checks": {"positive_data_acceptance": {"expected-statuses": [*EXPECTED_FOR_VALID_DATA, "400"]}},
    },
    # Camunda's typed variables: a value may not fit its declared type ({"value": "x", "type":
    # "Integer"}), which OpenAPI 3.0 cannot state: 400 names the variable.
    {
        "include-path-regex": "^/engine-rest/external-task/\\{task_id\\}/(complete|bpmnError)$",
        "checks": {"positive_data_acceptance": {"expected-statuses": [*EXPECTED_FOR_VALID_DATA, "400"]}},
    },
    # The inbox list: `after` is a cursor only the server writes, `tz` an IANA zone name, and a
    # business key prefix needs a character before its `*`; no schema can list those, so 400 says which.
    {
        "include-path-regex": "^/api/v1/tasks(/counts)?$",
        "include-method": "GET",
        "checks": {"positive_data_acceptance": {"expected-statuses": [*EXPECTED_FOR_VALID_DATA, "400"]}},
    },
    # Long polling holds a fetch up to its asyncResponseTimeout (60 s) when no task is there, which
    # a fuzzer's request would mostly do; tests/external covers the operation instead.
    {"include-path": "/engine-rest/external-task/fetchAndLock", "enabled": False},
]


PHASES = ("examples", "coverage", "fuzzing", "stateful")


def query_is_sendable(query: dict[str, Any] | None) -> bool:
    """Only query strings that can be sent as generated.

    The HTTP client leaves out a parameter whose value is null or an empty list, so such a case is
    not the request it describes: an unknown parameter meant to be refused vanishes, and the API
    rightly accepts what is left (``?due=false`` reported as "schema-violating request accepted").
    """
    return query is None or all(value is not None and value != [] for value in query.values())


# --- the scratch database and the seed -------------------------------------------------------


def _pg_schema_url(url: str, schema: str) -> str:
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}options=-csearch_path%3D{schema}"


@contextmanager
def scratch_database(postgres: str | None, directory: Path) -> Iterator[str]:
    """A migrated, empty database of this run's own; removed afterwards (only what it created)."""
    from sqlalchemy import text

    from engine.store import migrate
    from engine.store.database import Database

    if postgres is None:
        url = f"sqlite:///{directory / 'approvals.db'}"
        db = Database(url)
        migrate.upgrade(db)
        db.dispose()
        yield url
        return
    schema = f"approvals_fuzz_{os.getpid()}"
    admin = Database(postgres)
    with admin.engine.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))  # fails rather than reuse someone's schema
    try:
        url = _pg_schema_url(postgres, schema)
        db = Database(url)
        migrate.upgrade(db)
        db.dispose()
        yield url
    finally:
        with admin.engine.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        admin.dispose()


def sample(schema: dict[str, Any], rng: random.Random, name: str = "") -> Any:
    """A value valid for the simple JSON Schemas the bundled forms use (enough to walk them)."""
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return rng.choice(schema["enum"])
    kind = schema.get("type", "object" if "properties" in schema else "string")
    if isinstance(kind, list):
        kind = next(k for k in kind if k != "null")
    if kind == "object":
        return {key: sample(sub, rng, key) for key, sub in schema.get("properties", {}).items()}
    if kind == "array":
        items = schema.get("items", {"type": "string"})
        return [sample(items, rng, name) for _ in range(max(1, schema.get("minItems", 1)))]
    if kind == "boolean":
        return rng.random() < 0.7
    if kind in ("number", "integer"):
        low = schema.get("minimum", schema.get("exclusiveMinimum", 0) + 1)
        high = schema.get("maximum", max(low, 1) * rng.choice((10, 1000, 100000)))
        value = rng.uniform(low, high)
        return int(value) if kind == "integer" else round(value, 2)
    if schema.get("format") == "date" or schema.get("pattern", "").startswith("^\\d{4}"):
        # Dates in field order, so that an end date follows its start date.
        offset = {"start": 10, "end": 50}.get(name.split("_")[0], 20)
        return (dt.date(2026, 12, 1) + dt.timedelta(days=offset)).isoformat()
    if "pattern" in schema:
        return schema.get("default", "CNY")
    return f"{name or 'text'} {rng.randint(1, 999)}"


def seed(engine: Any, instances: int, rng: random.Random) -> dict[str, Any]:
    """Models, users and instances, through ``engine``; returns the fuzzers' tokens and what was seeded."""
    from engine.actor import SYSTEM
    from engine.errors import ApprovalsError
    from engine.tasks.service import TaskQuery

    organisation = read_organisation(PROCESS_MODELS)
    bundled = engine.repository.bundles_from_paths([PROCESS_MODELS])
    engine.repository.deploy(bundled, SYSTEM, strict=True, organisation=organisation)
    models = sorted(p.name for p in PROCESS_MODELS.iterdir() if p.is_dir() and not p.name.startswith("_"))
    extra = 0
    for path in sorted([*TEST_MODELS.iterdir(), BENCH_MODELS]):
        try:
            engine.repository.deploy(engine.repository.bundles_from_paths([path]), SYSTEM)
            extra += 1
        except ApprovalsError:
            pass  # a test model made to be refused: the fuzzer may still send it
    tokens = {}
    for name, groups in FUZZERS.items():
        _, tokens[name] = engine.identity.add_user(name, groups)
    for name, groups in (REQUESTER, APPROVER, (VICTIM, ["sales_rep"])):
        engine.identity.add_user(name, groups)
    for group in BUSINESS_GROUPS:  # someone in every group, for assign and candidate lists
        engine.identity.add_user(f"{group.replace('_', '.')}.user", [group])
    requester, approver = engine.identity.actor(REQUESTER[0]), engine.identity.actor(APPROVER[0])
    started = steps = refused = 0
    for key in models:
        start_form = _start_form(key)
        for _ in range(instances):
            try:
                info = engine.runtime.start(key, requester, sample(start_form or {"type": "object"}, rng))
            except ApprovalsError:
                refused += 1
                continue
            started += 1
            for _ in range(rng.randint(0, 4)):  # leave instances at different stages
                open_tasks = engine.tasks.list(SYSTEM, TaskQuery(instance_id=info.id))
                if not open_tasks:
                    break
                task = rng.choice(open_tasks)
                form = engine.tasks.get(task.id, SYSTEM).form or {"type": "object"}
                for actor in (approver, requester):
                    try:
                        engine.tasks.complete(task.id, actor, sample(form, rng))
                        steps += 1
                        break
                    except ApprovalsError:
                        refused += 1
    return {
        "tokens": tokens,
        "models": len(models) + extra,
        "instances": started,
        "steps": steps,
        "refused": refused,
    }


def _start_form(key: str) -> dict[str, Any] | None:
    """The JSON Schema of a bundled model's start form, read from the bundle's files."""
    from lxml import etree

    for bpmn in (PROCESS_MODELS / key).glob("*.bpmn"):
        root = etree.parse(str(bpmn)).getroot()
        for start in root.iter("{http://www.omg.org/spec/BPMN/20100524/MODEL}startEvent"):
            form_key = start.get("{http://camunda.org/schema/1.0/bpmn}formKey")
            if form_key:
                path = ROOT / "forms" / key / f"{form_key}.json"
                if path.exists():
                    return json.loads(path.read_text())
    return None


# --- the server ------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    url: str
    process: subprocess.Popen
    access_log: Path
    error_log: Path


@contextmanager
def server(env: dict[str, str], directory: Path, workers: int, threads: int) -> Iterator[Server]:
    import httpx

    port = free_port()
    access_log, error_log = directory / "access.log", directory / "error.log"
    with access_log.open("wb") as out, error_log.open("wb") as err:
        process = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "approvals"),
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                str(workers),
                "--threads",
                str(threads),
            ],
            env={**env, "APPROVALS_ACCESS_LOG": "1"},
            stdout=out,
            stderr=err,
            start_new_session=True,
        )
    running = Server(f"http://127.0.0.1:{port}", process, access_log, error_log)
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise SystemExit(f"the server exited at start:\n{error_log.read_text()[-3000:]}")
            try:
                if httpx.get(running.url + "/api/v1/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("the server did not answer /health within 60 s")
            time.sleep(0.2)
        yield running
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


# --- the fuzzer ------------------------------------------------------------------------------


@dataclass
class Tally:
    """What the fuzzer saw: responses by status, the 5xx in full, check failures grouped."""

    sent: int = 0
    statuses: Counter = field(default_factory=Counter)
    by_operation: Counter = field(default_factory=Counter)
    by_phase: Counter = field(default_factory=Counter)
    outcomes: Counter = field(default_factory=Counter)  # (operation, status) -> responses
    server_errors: list[dict[str, Any]] = field(default_factory=list)
    # (check, title) -> {operation label -> count}, and one example each
    failures: dict[tuple[str, str], Counter] = field(default_factory=lambda: defaultdict(Counter))
    examples: dict[tuple[str, str], str] = field(default_factory=dict)
    engine_errors: list[str] = field(default_factory=list)
    form_reads: int = 0  # GET /tasks/{id} the form filler sent to read forms (not fuzz requests)
    lock: threading.Lock = field(default_factory=threading.Lock)  # schemathesis's workers are threads


def run_pass(
    base_url: str,
    token: str,
    requests: int,
    seconds: float,
    seed: int,
    tally: Tally,
    label: str,
    examples: int = 50,
    phases: tuple[str, ...] = PHASES,
    concurrency: int = 1,
    fill_forms: float = 0.6,
) -> None:
    """One schemathesis engine run as one identity, until ``requests`` are sent or time is up.

    ``phases``: which of schemathesis's phases run (all by default; a short run may keep only
    ``stateful``). ``concurrency``: requests in flight at once in the examples, coverage and fuzzing
    phases (schemathesis's workers; its stateful phase walks one scenario at a time).
    ``fill_forms``: the share of valid stateful steps whose data is made to fit the form (see
    ``FormFiller``)."""
    import schemathesis
    from schemathesis.config import SchemathesisConfig
    from schemathesis.engine import events, from_schema
    from schemathesis.hooks import GLOBAL_HOOK_DISPATCHER

    config = SchemathesisConfig.from_dict(
        {
            "base-url": base_url,
            "headers": {"Authorization": f"Bearer {token}"},
            "seed": seed,
            "max-time": max(1, int(seconds)),
            "continue-on-failure": True,
            "workers": concurrency,
            "checks": CHECK_CONFIG,
            "generation": {"mode": "all", "max-examples": examples, "no-shrink": True},
            "phases": {
                "examples": {"enabled": "examples" in phases},
                "coverage": {"enabled": "coverage" in phases},
                "fuzzing": {"enabled": "fuzzing" in phases},
                "stateful": {"enabled": "stateful" in phases, "max-steps": 12},
            },
            "operations": OPERATION_CONFIG,
        }
    )
    schema = schemathesis.openapi.from_url(base_url + "/api/v1/openapi.json", config=config)
    start = tally.sent
    stream = None

    @schema.hook
    def filter_query(ctx: Any, query: dict | None) -> bool:
        return query_is_sendable(query)

    @schema.hook
    def after_call(ctx: Any, case: Any, response: Any) -> None:
        with tally.lock:
            _count(case, response)

    def _count(case: Any, response: Any) -> None:
        tally.sent += 1
        tally.statuses[response.status_code] += 1
        tally.by_operation[case.operation.label] += 1
        tally.outcomes[(case.operation.label, response.status_code)] += 1
        tally.by_phase[case.meta.phase.name.value if case.meta is not None else "checks"] += 1
        if response.status_code >= 500:
            tally.server_errors.append(
                {
                    "pass": label,
                    "status": response.status_code,
                    "curl": case.as_curl_command(headers=dict(response.request.headers)),
                    "body": response.text[:2000],
                }
            )
        if stream is not None and tally.sent - start >= requests:
            stream.stop()

    filler = FormFiller(base_url, token, random.Random(seed), fill_forms)
    # One bound method object: schemathesis unregisters a hook by identity.
    before_call = filler.before_call
    GLOBAL_HOOK_DISPATCHER.register_hook_with_name(before_call, "before_call")
    try:
        stream = from_schema(schema).execute()
        for event in stream:
            if isinstance(event, events.NonFatalError | events.FatalError):
                tally.engine_errors.append(f"{label}: {getattr(event, 'label', '')} {event}"[:500])
            recorder = getattr(event, "recorder", None)
            if isinstance(event, events.ScenarioFinished | events.FuzzScenarioFinished) and recorder:
                _record_failures(recorder, tally)
    finally:
        GLOBAL_HOOK_DISPATCHER.unregister(before_call)
        filler.close()
        tally.form_reads += filler.reads


def _record_failures(recorder: Any, tally: Tally) -> None:
    """The check failures of one finished scenario (schemathesis reports each distinct one once)."""
    for case_id, checks in recorder.checks.items():
        node = recorder.cases.get(case_id)
        operation = node.value.operation.label if node is not None else "?"
        for check in checks:
            info = check.failure_info
            if info is None:
                continue
            key = (check.name, info.failure.title)
            tally.failures[key][operation] += 1
            tally.examples.setdefault(key, f"{info.code_sample}\n{info.failure.message[:800]}")


class FormFiller:
    """Makes some stateful steps carry data their form accepts, so that walks go deep; keeps the
    fuzzer from changing its own groups.

    Random data almost never satisfies a task's form (422), so without this a walk stops at the
    first task: no completion, no next task, no decision, no end of an instance. For a share of the
    valid (positive) steps, a task completion gets data sampled from the task's form (read with
    GET /tasks/{id}, as a client would) and a start gets a bundled model's start form data.
    Negative steps are left alone: they must stay the invalid requests they were made to be.
    """

    COMPLETE = "POST /api/v1/tasks/{task_id}/complete"
    SET_GROUPS = "PUT /api/v1/users/{name}/groups"
    START = "POST /api/v1/instances"

    def __init__(self, base_url: str, token: str, rng: random.Random, share: float) -> None:
        import httpx

        self.client = httpx.Client(
            base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=60, verify=False
        )
        self.rng = rng
        self.share = share
        self.reads = 0
        keys = sorted(p.name for p in PROCESS_MODELS.iterdir() if p.is_dir() and not p.name.startswith("_"))
        self.start_forms = {key: _start_form(key) or {"type": "object"} for key in keys}

    def before_call(self, context: Any, case: Any, kwargs: dict[str, Any]) -> None:
        from schemathesis.generation import GenerationMode

        if case.operation.label == self.SET_GROUPS and case.path_parameters.get("name") in FUZZERS:
            # Links inferred from GET /me lead here with the fuzzer's own name: it would strip its
            # own groups and spend the rest of the run on 403s. Someone else takes the change.
            case.path_parameters["name"] = VICTIM
        meta = case.meta
        if (
            meta is None
            or meta.phase.name.value != "stateful"
            or meta.generation.mode != GenerationMode.POSITIVE
        ):
            return
        if self.rng.random() >= self.share:
            return
        label = case.operation.label
        if label == self.COMPLETE:
            self.reads += 1
            answer = self.client.get(f"/api/v1/tasks/{case.path_parameters['task_id']}")
            if answer.status_code == 200 and answer.json().get("form"):
                case.body = {"data": sample(answer.json()["form"], self.rng)}
        elif label == self.START:
            chosen = case.body.get("model") if isinstance(case.body, dict) else None
            key = chosen if chosen in self.start_forms else self.rng.choice(sorted(self.start_forms))
            case.body = {"model": key, "data": sample(self.start_forms[key], self.rng)}

    def close(self) -> None:
        self.client.close()


# --- the report ------------------------------------------------------------------------------

ACCESS_LINE = re.compile(r'"(?P<method>[A-Z]+) (?P<path>\S+) HTTP/[\d.]+" (?P<status>\d{3}) ')
REFERENCE = re.compile(r"unexpected error (?P<ref>[0-9a-f]{12}) on ")


def server_statuses(access_log: Path) -> Counter:
    counts: Counter = Counter()
    for line in access_log.read_text(errors="replace").splitlines():
        match = ACCESS_LINE.search(line)
        if match:
            counts[int(match.group("status"))] += 1
    return counts


def tracebacks(error_log: Path) -> dict[str, str]:
    """Reference -> the traceback the server logged with it."""
    text = error_log.read_text(errors="replace")
    found = {}
    matches = list(REFERENCE.finditer(text))
    for i, match in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        found[match.group("ref")] = text[match.start() : end].strip()[-4000:]
    return found


def by_class(statuses: Counter) -> dict[str, int]:
    classes: Counter = Counter()
    for status, count in statuses.items():
        classes[f"{status // 100}xx"] += count
    return dict(sorted(classes.items()))


def report(tally: Tally, server_counts: Counter, logged: dict[str, str], elapsed: float) -> None:
    print(f"\nrequests sent by the fuzzer: {tally.sent:,} in {elapsed:.0f} s ({tally.sent / elapsed:.0f}/s)")
    print(
        f"requests the server answered (access log, checks' own requests included): "
        f"{sum(server_counts.values()):,}"
    )
    print(f"responses by class (fuzzer): {by_class(tally.statuses)}")
    print(f"responses by class (server): {by_class(server_counts)}")
    print(f"responses by status (server): {dict(sorted(server_counts.items()))}")
    print(f"requests by phase: {dict(tally.by_phase)}; form reads by the form filler: {tally.form_reads:,}")
    print("requests by operation:")
    for label, count in sorted(tally.by_operation.items()):
        print(f"  {count:7,}  {label}")
    print(
        f"\n5xx responses: {len(tally.server_errors)} seen by the fuzzer, "
        f"{sum(c for s, c in server_counts.items() if s >= 500)} in the access log"
    )
    for error in tally.server_errors:
        print(f"--- {error['status']} ({error['pass']})\n{error['curl']}\n{error['body']}")
        ref = re.search(r'"reference":\s*"([0-9a-f]{12})"', error["body"])
        if ref and ref.group(1) in logged:
            print(logged[ref.group(1)])
    print(
        f"\ncheck failures: {sum(sum(c.values()) for c in tally.failures.values())} "
        f"in {len(tally.failures)} groups"
    )
    for (check, title), operations in sorted(tally.failures.items()):
        print(f"--- {check}: {title} ({sum(operations.values())})")
        for label, count in operations.most_common():
            print(f"      {count:5}  {label}")
        print("    e.g. " + tally.examples[(check, title)].replace("\n", "\n    "))
    if tally.engine_errors:
        print(f"\nfuzzer errors (not the server's): {len(tally.engine_errors)}")
        for error in tally.engine_errors[:20]:
            print(f"  {error}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--requests", type=int, default=20_000, help="requests to send in all (default 20000)"
    )
    parser.add_argument("--max-seconds", type=float, default=1800, help="stop after this long (default 1800)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--postgres",
        nargs="?",
        const=DEFAULT_PG,
        default=None,
        metavar="URL",
        help=f"run on PostgreSQL, in a schema of its own in this database ({DEFAULT_PG})",
    )
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--instances", type=int, default=6, help="instances seeded per bundled model")
    parser.add_argument(
        "--examples",
        type=int,
        default=50,
        help="examples per operation and round (default 50): fewer alternate fuzzing and stateful sooner",
    )
    parser.add_argument(
        "--concurrency",
        type=int,
        default=2,
        help="requests in flight at once, except in stateful (default 2)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the server's logs (printed path)")
    parser.add_argument("--fail-on-checks", action="store_true", help="exit 2 when a check failed")
    args = parser.parse_args()

    from hypothesis.configuration import set_hypothesis_home_dir

    # Stopped from outside: unwind, so that the server is stopped and the scratch schema dropped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    directory = Path(tempfile.mkdtemp(prefix="approvals-fuzz-"))
    set_hypothesis_home_dir(directory / "hypothesis")
    from bench.throwaway_key import use_throwaway_chain_key

    # A throwaway chain key for the throwaway database, the same for the seeding engine and the server.
    os.environ.pop("APPROVALS_CHAIN_KEY_FILE", None)
    os.environ.pop("APPROVALS_CHAIN_KEYS", None)
    env = {k: v for k, v in os.environ.items() if not k.startswith("APPROVALS_")}
    env["APPROVALS_CHAIN_KEYS"] = use_throwaway_chain_key()
    rng = random.Random(args.seed)
    started = time.monotonic()
    with scratch_database(args.postgres, directory) as url:
        env["APPROVALS_DATABASE_URL"] = url
        os.environ["APPROVALS_DATABASE_URL"] = url
        from engine import Engine
        from engine.config import Settings

        seeding = Engine(Settings.from_env(database_url=url))
        try:
            seeded = seed(seeding, args.instances, rng)
        finally:
            seeding.close()
        kind = "PostgreSQL schema" if args.postgres else "SQLite"
        print(
            f"database: {kind}; seeded {seeded['models']} models, {seeded['instances']} instances "
            f"walked {seeded['steps']} steps ({time.monotonic() - started:.0f} s)",
            flush=True,
        )
        tally = Tally()
        with server(env, directory, args.workers, args.threads) as running:
            fuzz_started = time.monotonic()
            for index, (name, share) in enumerate(PASSES):
                print(f"pass {index + 1}/{len(PASSES)}: {name} ({FUZZERS[name]})", flush=True)
                run_pass(
                    running.url,
                    seeded["tokens"][name],
                    int(args.requests * share),
                    args.max_seconds * share,
                    args.seed + index,
                    tally,
                    name,
                    args.examples,
                    concurrency=args.concurrency,
                )
                print(
                    f"  {tally.sent:,} requests so far, {time.monotonic() - fuzz_started:.0f} s", flush=True
                )
                if running.process.poll() is not None:
                    break
            elapsed = time.monotonic() - fuzz_started
            died = running.process.poll() is not None
        report(tally, server_statuses(running.access_log), tracebacks(running.error_log), elapsed)
    if died:
        print("\nTHE SERVER DIED during the run")
    print(f"\nlogs: {directory}" if args.keep else "")
    server_count = sum(c for s, c in server_statuses(running.access_log).items() if s >= 500)
    if not args.keep:
        import shutil

        shutil.rmtree(directory, ignore_errors=True)
    if died or tally.server_errors or server_count:
        return 1
    if args.fail_on_checks and tally.failures:
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
