"""What a step may write into the process data, and the check every write goes through.

A completed task, a message or a signal writes only the fields its step declares: a task's form
(the top-level ``properties`` of its JSON Schema), or, for a task without a form key, its
``camunda:formData`` fields; a message or signal the ``payload`` extension property of the event
that catches it. A step that declares nothing writes nothing.

A declared field still may not replace a value the process data already holds — the request's
amount, an earlier approver's finding — unless the declaration says so for that field
(``"x-overwrite": true`` on the form property; ``overwrite`` on a formField; every field a message
declares, since a message exists to bring news). Submitting the value already held is not a
change and passes. Checked in the engine, so no schema looseness (a form without
``additionalProperties: false``) opens a way round it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from engine.errors import DataValidationError, Problem
from engine.forms import Form
from engine.repository.bpmn_document import FormField, UserTaskDefinition

PAYLOAD = "payload"  # extension property of a catching event: the fields its message/signal may write


@dataclass(frozen=True)
class WriteScope:
    declared_by: str  # for people: "form 'contract_approval'", "the 'payload' property of event …"
    fields: frozenset[str]
    overwritable: frozenset[str]
    readonly: frozenset[str] = frozenset()  # shown to the step but not written by it


def task_scope(form: Form | None, definition: UserTaskDefinition | None, form_key: str | None) -> WriteScope:
    """A task writes what its form declares; without a form key, what its camunda:formData declares."""
    if form_key:
        if form is None:  # a form key whose form is missing was refused at deploy; be safe anyway
            return WriteScope(f"form '{form_key}'", frozenset(), frozenset())
        return WriteScope(f"form '{form_key}'", form.fields, form.overwritable, form.readonly)
    fields = definition.form_fields if definition is not None else ()
    where = f"the camunda:formData of task '{definition.id}'" if definition is not None else "the task"
    declared = frozenset(f.id for f in fields if f.id)
    return WriteScope(where, declared, frozenset(f.id for f in fields if f.id and f.overwrite))


def payload_scope(properties: dict[str, str], element_id: str) -> WriteScope:
    """A message or signal writes the fields listed in the ``payload`` property of its catching event."""
    fields = frozenset(f.strip() for f in properties.get(PAYLOAD, "").split(",") if f.strip())
    return WriteScope(f"the '{PAYLOAD}' property of event '{element_id}'", fields, fields)


def check_writes(scope: WriteScope, data: dict[str, Any], current: dict[str, Any], what: str) -> None:
    """Refuse (DataValidationError, one Problem per field) any key of ``data`` outside the scope, or
    replacing a value ``current`` holds without the field being declared overwritable."""
    problems = []
    for name in sorted(data):
        if name in scope.readonly:
            problems.append(Problem(f"is read-only in this step ({scope.declared_by})", field=name))
        elif name not in scope.fields:
            declared = ", ".join(sorted(scope.fields)) or "nothing"
            problems.append(
                Problem(f"not a field of this step ({scope.declared_by} declares {declared})", field=name)
            )
        elif (
            name not in scope.overwritable
            and current.get(name) is not None
            and not _same(current[name], data[name])
        ):
            problems.append(
                Problem(
                    f"already holds a value set before this step; {scope.declared_by} does not declare "
                    "that this step may overwrite it",
                    field=name,
                )
            )
    if problems:
        raise DataValidationError(f"{what}: {len(problems)} field(s) this step may not write", problems)


def form_field_problems(fields: tuple[FormField, ...], data: dict[str, Any]) -> list[Problem]:
    """Type checks of camunda:formField values (long, boolean, string, date, enum)."""
    problems = []
    for f in fields:
        if f.id not in data or data[f.id] is None:
            continue
        value = data[f.id]
        if f.type == "long" and (isinstance(value, bool) or not isinstance(value, int)):
            problems.append(Problem("must be a whole number", field=f.id))
        elif f.type == "boolean" and not isinstance(value, bool):
            problems.append(Problem("must be true or false", field=f.id))
        elif f.type in ("string", "date") and not isinstance(value, str):
            problems.append(Problem("must be text", field=f.id))
        elif f.type == "enum" and f.values and value not in f.values:
            problems.append(Problem("must be one of " + ", ".join(f.values), field=f.id))
    return problems


def _same(a: Any, b: Any) -> bool:
    # 1 == 1.0 == True in Python; compare as the JSON the data is stored as.
    return json.dumps(a, sort_keys=True, default=str) == json.dumps(b, sort_keys=True, default=str)
