"""Turning a bundle into something executable, checking everything a deploy must check.

The same function serves deployment (validate, then store) and loading a stored version
(rebuild the spec from its files), so what was validated is exactly what runs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from lxml import etree

from engine.cron import CronError, check_cron, looks_like_cron
from engine.errors import ModelValidationError, Problem, ScriptError
from engine.forms import Form, load_form
from engine.repository.bpmn_document import (
    NSMAP,
    BpmnDocument,
    EventTrigger,
    executable_processes,
    read_document,
)
from engine.repository.bundle import FORM_KEY, Bundle
from engine.repository.expression_checks import expression_problems
from engine.repository.form_data import attach_form_data_forms
from engine.repository.model_info import display_name, parse_model_info
from engine.repository.service_tasks import read_service_tasks
from engine.repository.unsupported import unsupported_problems
from engine.scripting.expressions import compile_expression, is_expression
from engine.scripting.sandbox import compile_sandboxed
from engine.spiff.call_activity import CallDefinition, call_definitions
from engine.spiff.parser import bpmn_schema_problems, compile_process
from engine.timeexpr import parse_cycle, parse_datetime, parse_duration
from engine.xmlsafe import parse_untrusted_xml

MODEL_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]{0,199}$")
_ISO_TEXT = re.compile(r"^(R\d*/|P|-?\d{4}-\d{2}-\d{2})", re.I)


@dataclass
class CompiledModel:
    model_key: str
    name: str | None
    document: BpmnDocument
    spec: Any
    subprocess_specs: dict[str, Any]
    decisions: Any  # engine.dmn.DecisionModel, or None without DMN files
    forms: dict[str, Form]
    info: dict[str, Any]
    warnings: list[Problem] = field(default_factory=list)
    calls: dict[str, CallDefinition] = field(default_factory=dict)  # call activities by element id
    # The executable processes of the BPMN file (each deployed as a model of its own), this one included.
    file_processes: tuple[str, ...] = ()

    @property
    def properties(self) -> dict[str, Any]:
        return dict(self.info.get("properties", {}))

    @property
    def start_form(self) -> Form | None:
        key = self.document.start_form_key
        return self.forms.get(key) if key else None

    def groups_used(self) -> dict[str, list[str]]:
        """Group name -> ids of the elements that name it (lanes and candidate groups)."""
        used: dict[str, list[str]] = {}
        for task in self.document.user_tasks.values():
            for group in task.candidate_groups:
                if not is_expression(group):
                    used.setdefault(group, []).append(task.id)
        for group in self.document.starter_groups:
            used.setdefault(group, []).append(self.document.process_id)
        return used


def compile_bundle(
    bundle: Bundle,
    max_file_bytes: int,
    max_elements: int | None = None,
    max_depth: int | None = None,
    process_id: str | None = None,
) -> CompiledModel:
    """Validate and compile ``bundle``; raise ModelValidationError listing every problem found.

    ``process_id`` picks one of several executable processes of the file (``compile_bundle_all``);
    without it the file must hold exactly one.

    ``max_elements`` and ``max_depth`` bound an upload's BPMN file before any work proportional to
    it (APPROVALS_MAX_MODEL_ELEMENTS, APPROVALS_MAX_MODEL_DEPTH). Stored versions are compiled
    without them: they passed at deploy, and lowering a limit later must not stop them running.
    """
    problems: list[Problem] = []
    warnings: list[Problem] = []

    bpmn_names = bundle.names("bpmn")
    if len(bpmn_names) != 1:
        raise ModelValidationError(
            f"{bundle.source}: a bundle holds exactly one BPMN file, this one has {len(bpmn_names)}",
            [Problem("expected one .bpmn file", file=n) for n in bpmn_names],
        )
    bpmn_name = bpmn_names[0]
    root = parse_untrusted_xml(bundle.files[bpmn_name], bpmn_name, max_file_bytes)
    if max_elements is not None or max_depth is not None:
        check_size(root, bpmn_name, max_elements or 0, max_depth or 0)
    if etree.QName(root).localname != "definitions":
        raise ModelValidationError(
            f"{bpmn_name} is not a BPMN document",
            [Problem("root element must be bpmn:definitions", file=bpmn_name, line=1)],
        )
    problems += bpmn_schema_problems(root, bpmn_name)

    processes = executable_processes(root)
    file_processes = tuple(p.get("id", "") for p in processes)
    if process_id is not None:
        processes = [p for p in processes if p.get("id") == process_id]
    if len(processes) != 1:
        raise ModelValidationError(
            f"{bpmn_name} must contain exactly one executable process, found {len(processes)}",
            problems
            + [
                Problem(
                    "one executable bpmn:process expected",
                    file=bpmn_name,
                    element_id=p.get("id"),
                    line=p.sourceline,
                )
                for p in processes
            ],
        )
    document = read_document(root, bpmn_name, processes[0])
    if not MODEL_KEY.match(document.process_id):
        problems.append(
            Problem(
                "the process id is the model key: use letters, digits, _ . -",
                file=bpmn_name,
                element_id=document.process_id,
                line=document.process_line,
            )
        )

    # First: what cannot run at all is the cause a person needs to read before any consequence of it.
    problems += unsupported_problems(processes[0], bpmn_name)
    problems += _structure_problems(document)
    problems += _script_problems(document)
    problems += _trigger_problems(document)
    problems += expression_problems(document, processes[0])
    problems += read_service_tasks(processes[0], document)
    warnings += _task_warnings(document)

    forms, form_problems = _load_forms(bundle, document, _other_form_keys(root, processes[0], file_processes))
    problems += form_problems
    generated, form_data_problems = attach_form_data_forms(document)
    forms.update(generated)
    problems += form_data_problems

    info: dict[str, Any] = {}
    if "model.toml" in bundle.files:
        try:
            info, info_warnings = parse_model_info(bundle.files["model.toml"], "model.toml")
            warnings += info_warnings
        except ModelValidationError as exc:
            problems += exc.problems
        if len(file_processes) > 1 and info.get("key") in file_processes:
            # Several processes: model.toml belongs to the one its key names, the others have none.
            if info["key"] != document.process_id:
                info = {}
        elif len(file_processes) > 1 and not info.get("key"):
            # ... or, without a key, to the file's first executable process.
            if document.process_id != file_processes[0]:
                info = {}
        elif info.get("key") and info["key"] != document.process_id:
            problems.append(
                Problem(
                    f"key '{info['key']}' differs from the process id '{document.process_id}'",
                    file="model.toml",
                    field="key",
                )
            )

    decisions, decision_problems = _load_decisions(bundle, document, max_file_bytes)
    problems += decision_problems

    spec = subprocess_specs = None
    if not problems:
        try:
            spec, subprocess_specs = compile_process(root, bpmn_name, document.process_id)
        except ModelValidationError as exc:
            problems += exc.problems
    if problems:
        raise ModelValidationError(
            f"{bundle.source}: {len(problems)} problem(s) prevent deployment", problems
        )

    calls = call_definitions(spec, *(subprocess_specs or {}).values())
    return CompiledModel(
        model_key=document.process_id,
        name=display_name(info, document.process_name),
        document=document,
        spec=spec,
        subprocess_specs=subprocess_specs or {},
        decisions=decisions,
        forms=forms,
        info=info,
        warnings=warnings + _call_warnings(document, calls, root, file_processes),
        calls=calls,
        file_processes=file_processes,
    )


def compile_bundle_all(
    bundle: Bundle,
    max_file_bytes: int,
    max_elements: int | None = None,
    max_depth: int | None = None,
) -> list[CompiledModel]:
    """Every executable process of the bundle's BPMN file, each compiled as a model of its own
    (sharing the bundle's forms and DMN files); problems of all of them are raised together."""
    first = compile_bundle_or_problems(bundle, max_file_bytes, max_elements, max_depth, None)
    if isinstance(first, CompiledModel) and len(first.file_processes) <= 1:
        return [first]
    if isinstance(first, CompiledModel):
        keys = first.file_processes
    else:
        # "exactly one executable process": compile each of them instead.
        bpmn_names = bundle.names("bpmn")
        if len(bpmn_names) != 1:
            raise first
        root = parse_untrusted_xml(bundle.files[bpmn_names[0]], bpmn_names[0], max_file_bytes)
        keys = tuple(p.get("id", "") for p in executable_processes(root))
        if len(keys) <= 1:
            raise first
    models: list[CompiledModel] = []
    problems: list[Problem] = []
    for key in keys:
        compiled = compile_bundle_or_problems(bundle, max_file_bytes, max_elements, max_depth, key)
        if isinstance(compiled, CompiledModel):
            models.append(compiled)
        else:
            problems += [p for p in compiled.problems if p not in problems]
    if problems:
        raise ModelValidationError(
            f"{bundle.source}: {len(problems)} problem(s) prevent deployment", problems
        )
    return models


def compile_bundle_or_problems(
    bundle: Bundle,
    max_file_bytes: int,
    max_elements: int | None,
    max_depth: int | None,
    process_id: str | None,
) -> CompiledModel | ModelValidationError:
    try:
        return compile_bundle(bundle, max_file_bytes, max_elements, max_depth, process_id)
    except ModelValidationError as exc:
        return exc


def _other_form_keys(
    root: etree._Element, process: etree._Element, file_processes: tuple[str, ...]
) -> set[str]:
    """Form keys the file's other executable processes use: a shared form is not unreferenced."""
    keys: set[str] = set()
    for other in executable_processes(root):
        if other is process or other.get("id") not in file_processes:
            continue
        document = read_document(root, "", other)
        keys.update(t.form_key for t in document.user_tasks.values() if t.form_key)
        if document.start_form_key:
            keys.add(document.start_form_key)
    return keys


def _call_warnings(
    doc: BpmnDocument, calls: dict[str, CallDefinition], root: etree._Element, file_processes: tuple[str, ...]
) -> list[Problem]:
    """Call activities whose called model cannot come from this file (the deploy checks the repository)."""
    not_executable = {
        p.get("id")
        for p in root.xpath("./bpmn:process", namespaces=NSMAP)
        if p.get("id") not in file_processes
    }
    return [
        Problem(
            f"calls '{call.called_element}', a process of this file that is not executable: it is not "
            "deployed, so the call fails at run time unless a model with that key is deployed",
            file=doc.file_name,
            line=call.line or doc.line_of(call.element_id),
            element_id=call.element_id,
        )
        for call in calls.values()
        if call.called_element in not_executable
    ] + [
        Problem(
            f"calledElementBinding=\"deployment\" calls '{call.called_element}', which is not a process "
            "of this file: it is never deployed together with this one, so every call is an incident",
            file=doc.file_name,
            line=call.line or doc.line_of(call.element_id),
            element_id=call.element_id,
        )
        for call in calls.values()
        if call.binding == "deployment"
        and call.called_expression is None
        and call.called_element not in file_processes
        and call.called_element not in not_executable
    ]


def check_size(root: etree._Element, file_name: str, max_elements: int, max_depth: int) -> None:
    """Refuse a document with more elements, or deeper nesting, than the limits allow (0: no limit).

    Runs first, in one pass that stops at the first excess, so what an upload can cost validate
    and deploy is bounded by the limits rather than by what the upload asks for.
    """
    count = depth = 0
    ids: list[str | None] = []  # the id of each open element, to name the nearest one
    for event, node in etree.iterwalk(root, events=("start", "end")):
        if event == "end":
            depth -= 1
            ids.pop()
            continue
        count += 1
        depth += 1
        ids.append(node.get("id") if isinstance(node.tag, str) else None)
        if max_elements and count > max_elements:
            problem = f"the file has more than {max_elements:,} XML elements (APPROVALS_MAX_MODEL_ELEMENTS)"
        elif max_depth and depth > max_depth:
            problem = (
                f"elements are nested more than {max_depth} levels deep here (APPROVALS_MAX_MODEL_DEPTH)"
            )
        else:
            continue
        raise ModelValidationError(
            f"{file_name} is too large to deploy: {problem}",
            [
                Problem(
                    problem,
                    file=file_name,
                    line=node.sourceline,
                    element_id=next((i for i in reversed(ids) if i), None),
                )
            ],
        )


def _structure_problems(doc: BpmnDocument) -> list[Problem]:
    problems = []
    f = doc.file_name
    for flow in doc.flows.values():
        for end, ref in (("sourceRef", flow.source), ("targetRef", flow.target)):
            if ref not in doc.elements:
                problems.append(
                    Problem(
                        f"sequence flow {end} '{ref}' names no element of the process",
                        file=f,
                        line=flow.line,
                        element_id=flow.id,
                    )
                )
    outgoing: dict[str, list[str]] = {}
    incoming: dict[str, list[str]] = {}
    for flow in doc.flows.values():
        outgoing.setdefault(flow.source, []).append(flow.id)
        incoming.setdefault(flow.target, []).append(flow.id)
    for element in doc.elements.values():
        if element.id in doc.event_subprocesses:
            if element.id in incoming or element.id in outgoing:
                problems.append(
                    Problem(
                        "an event subprocess has no incoming or outgoing sequence flow: "
                        "the event of its start event starts it",
                        file=f,
                        line=element.line,
                        element_id=element.id,
                    )
                )
            continue
        if element.kind not in ("startEvent", "boundaryEvent") and element.id not in incoming:
            problems.append(
                Problem(
                    f"{element.kind} has no incoming sequence flow: it can never run",
                    file=f,
                    line=element.line,
                    element_id=element.id,
                )
            )
        if element.id not in outgoing and _must_lead_somewhere(element.kind):
            problems.append(
                Problem(
                    f"{element.kind} has no outgoing sequence flow: "
                    + (
                        "a gateway must lead somewhere"
                        if element.kind.endswith("Gateway")
                        else "the path would end where it starts"
                    ),
                    file=f,
                    line=element.line,
                    element_id=element.id,
                )
            )
    return problems + _event_subprocess_problems(doc)


def _must_lead_somewhere(kind: str) -> bool:
    """Any other activity or event without an outgoing flow ends its path (an implicit end, as in
    BPMN and Camunda 7); a gateway or a start event with nowhere to go is a drawing mistake, and
    Camunda refuses a gateway without one too."""
    return kind == "startEvent" or kind.endswith("Gateway")


_EVENT_SUBPROCESS_KINDS = ("message", "timer", "signal", "error", "escalation")


def _event_subprocess_problems(doc: BpmnDocument) -> list[Problem]:
    problems = []
    starts: dict[str, int] = {}
    for start in doc.event_subprocess_starts.values():
        starts[start.event_subprocess] = starts.get(start.event_subprocess, 0) + 1
        if start.kind is None:
            message = (
                "the start event of an event subprocess needs an event definition "
                f"({', '.join(_EVENT_SUBPROCESS_KINDS)}): a plain start event would never be triggered"
            )
        elif start.kind not in _EVENT_SUBPROCESS_KINDS:
            message = (
                f"a {start.kind} start event in an event subprocess is not supported "
                f"(use {', '.join(_EVENT_SUBPROCESS_KINDS)})"
            )
        elif start.kind == "error" and not start.interrupting:
            message = 'an error start event always interrupts its scope (BPMN): remove isInterrupting="false"'
        elif start.kind == "timer" and start.timer_type == "timeCycle" and start.interrupting:
            message = (
                "an interrupting event subprocess runs once: use timeDate or timeDuration, "
                'or set isInterrupting="false" to run it at every occurrence of the cycle'
            )
        else:
            continue
        problems.append(Problem(message, file=doc.file_name, line=start.line, element_id=start.id))
    for element_id in sorted(doc.event_subprocesses):
        count = starts.get(element_id, 0)
        if count != 1:
            problems.append(
                Problem(
                    f"an event subprocess needs exactly one start event; this one has {count}",
                    file=doc.file_name,
                    line=doc.line_of(element_id),
                    element_id=element_id,
                )
            )
    return problems


def _script_problems(doc: BpmnDocument) -> list[Problem]:
    problems = []
    for element_id, script in doc.scripts.items():
        if not script.strip():
            problems.append(
                Problem(
                    "script task without a script",
                    file=doc.file_name,
                    line=doc.line_of(element_id),
                    element_id=element_id,
                )
            )
            continue
        try:
            compile_sandboxed(script, "exec")
        except ScriptError as exc:
            problems.append(
                Problem(exc.message, file=doc.file_name, line=doc.line_of(element_id), element_id=element_id)
            )
    return problems


def _trigger_problems(doc: BpmnDocument) -> list[Problem]:
    """Timer definitions that cannot work, caught at deploy time instead of when they come due."""
    problems = []
    for element_id in doc.process_starts[1:]:
        problems.append(
            Problem(
                "a process may have one start event (use a gateway after it to branch)",
                file=doc.file_name,
                line=doc.line_of(element_id),
                element_id=element_id,
            )
        )
    checked = [(t, True) for t in doc.start_triggers] + [(t, False) for t in doc.triggers.values()]
    for trigger, starts_process in checked:
        if trigger.kind == "timer":
            message = timer_problem(trigger, starts_process)
        elif not trigger.name:
            message = (
                f"the {trigger.kind} event names no {trigger.kind} (set its name or a {trigger.kind}Ref)"
            )
        else:
            message = None
        if message:
            problems.append(
                Problem(message, file=doc.file_name, line=trigger.line, element_id=trigger.element_id)
            )
    return problems


def timer_problem(trigger: EventTrigger, starts_process: bool = False) -> str | None:
    """Why the timer's definition cannot be used, or None.

    A timer start event is scheduled at deploy, before any instance exists: there is no process
    data an expression could read, so only literal text (ISO 8601, or a cron cycle) is accepted there.
    """
    text = trigger.expression or ""
    if trigger.timer_type is None or not text:
        return "the timer needs a timeDate, timeDuration or timeCycle with a value"
    expression = is_expression(text)
    if trigger.timer_type == "timeCycle" and not expression and looks_like_cron(text):
        # A Quartz cron cycle is literal text like ISO: start events may use it too.
        try:
            check_cron(text.strip(), UTC, datetime.now(UTC))
        except CronError as exc:
            return f"invalid timeCycle: {exc}"
        return None
    if starts_process and (expression or not _ISO_TEXT.match(text)):
        return (
            f"a timer start event cannot use an expression ({text!r}): it is scheduled at deploy, "
            f"before any process data exists; write its {trigger.timer_type} as ISO 8601 text "
            "(e.g. 2026-12-31T18:00:00+08:00, PT2H, R/2026-01-31T18:00:00+08:00/P1M)"
        )
    if expression or not _ISO_TEXT.match(text):
        try:
            compile_expression(text)  # ${…} JUEL, =… FEEL, else Python (engine/scripting/expressions.py)
        except ScriptError as exc:
            return exc.message
        return None
    try:
        if trigger.timer_type == "timeDuration":
            parse_duration(text)
        elif trigger.timer_type == "timeDate":
            parse_datetime(text)
        else:
            parse_cycle(text, datetime.now(UTC))
    except ValueError as exc:
        return f"invalid {trigger.timer_type}: {exc}"
    return None


def _task_warnings(doc: BpmnDocument) -> list[Problem]:
    return [
        Problem(
            "user task has no lane, candidate group, candidate user or assignee: any user may claim it",
            file=doc.file_name,
            line=task.line,
            element_id=task.id,
        )
        for task in doc.user_tasks.values()
        if not (task.candidate_groups or task.candidate_users or task.assignee)
    ]


def _load_forms(
    bundle: Bundle, doc: BpmnDocument, used_elsewhere: set[str] | None = None
) -> tuple[dict[str, Form], list[Problem]]:
    forms: dict[str, Form] = {}
    problems: list[Problem] = []
    referenced: dict[str, str] = {}  # form key -> element id
    if doc.start_form_key:
        referenced[doc.start_form_key] = doc.process_id
    for task in doc.user_tasks.values():
        if task.form_key:
            referenced.setdefault(task.form_key, task.id)
    for key, element_id in referenced.items():
        line = doc.line_of(element_id)
        if not FORM_KEY.match(key):
            problems.append(
                Problem(
                    f"form key '{key}' must be a plain name (letters, digits, _ . -)",
                    file=doc.file_name,
                    line=line,
                    element_id=element_id,
                )
            )
            continue
        name = f"forms/{key}.json"
        if name not in bundle.files:
            problems.append(
                Problem(
                    f"form '{key}' is referenced but the bundle has no {name}",
                    file=doc.file_name,
                    line=line,
                    element_id=element_id,
                )
            )
            continue
        try:
            forms[key] = load_form(key, bundle.files[name], name)
        except ModelValidationError as exc:
            problems += exc.problems
    for name in bundle.names("form"):
        key = name[len("forms/") : -len(".json")]
        if key not in referenced and key not in (used_elsewhere or ()):
            problems.append(Problem(f"form '{key}' is not referenced by any task or start event", file=name))
    return forms, problems


def _load_decisions(bundle: Bundle, doc: BpmnDocument, max_file_bytes: int) -> tuple[Any, list[Problem]]:
    dmn_names = bundle.names("dmn")
    problems: list[Problem] = []
    if not dmn_names:
        for element_id, ref in doc.decision_refs.items():
            problems.append(
                Problem(
                    f"decision '{ref}' is referenced but the bundle has no DMN file",
                    file=doc.file_name,
                    line=doc.line_of(element_id),
                    element_id=element_id,
                )
            )
        return None, problems
    from engine.dmn import load_decision_model

    for name in dmn_names:
        if len(bundle.files[name]) > max_file_bytes:
            problems.append(Problem("file too large", file=name))
    if problems:
        return None, problems
    try:
        model = load_decision_model({name: bundle.files[name] for name in dmn_names})
    except ModelValidationError as exc:
        return None, exc.problems
    known = {d.id for d in model.decisions.values()} | {d.name for d in model.decisions.values()}
    for element_id, ref in doc.decision_refs.items():
        if ref not in known:
            problems.append(
                Problem(
                    f"decision '{ref}' is not defined in {', '.join(dmn_names)}",
                    file=doc.file_name,
                    line=doc.line_of(element_id),
                    element_id=element_id,
                )
            )
    return model, problems


def check_groups(model: CompiledModel, known: set[str]) -> list[Problem]:
    """Unknown group names, one problem per element naming one (deploy warns, or refuses when strict)."""
    problems = []
    for group, element_ids in sorted(model.groups_used().items()):
        if group in known:
            continue
        for element_id in element_ids:
            problems.append(
                Problem(
                    f"group '{group}' is unknown (known: {', '.join(sorted(known)) or 'none yet'}); "
                    f"create it with `approvals groups add {group}` or fix the name",
                    file=model.document.file_name,
                    line=model.document.line_of(element_id) or model.document.process_line,
                    element_id=element_id,
                )
            )
    return problems
