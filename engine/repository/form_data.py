"""``camunda:formData`` as a form of the engine's own kind (a JSON Schema, engine/forms.py).

A user task or start event without a ``camunda:formKey`` may declare its fields inline, as Camunda
7's "generated task forms" do. At deploy each such declaration becomes a JSON Schema, registered in
the model's forms under a key no form file can have (``formData:<element id>``: a colon is not
allowed in form keys), so the task's view shows it and completing the task is validated by it
exactly as for a form file.

Types: ``string``; ``long`` (an integer); ``boolean``; ``date`` — an ISO 8601 date, ``2026-03-31``
(Camunda's default ``dd/MM/yyyy`` is a UI display pattern; the API exchanges JSON, where the ISO
form is the unambiguous one); ``enum`` (the ``camunda:value`` ids, their names as titles). A field
without a type is untyped. Any other (custom) type is refused at deploy.

Constraints (``camunda:validation``): ``required``, ``minlength``, ``maxlength`` (text), ``min``,
``max`` (numbers), ``readonly`` (shown, not writable; never required of the submitter). Camunda's
custom validators (a class or expression) cannot run here and are refused at deploy, as is any
constraint name it does not know. ``label`` becomes the title, ``defaultValue`` a typed default,
checked against the field's own constraints at deploy.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from typing import Any

from engine.errors import ModelValidationError, Problem
from engine.forms import OVERWRITE, READ_ONLY, Form, load_form
from engine.repository.bpmn_document import BpmnDocument, FormField

ISO_DATE = r"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$"
_TYPES: dict[str, dict[str, Any]] = {
    "string": {"type": "string"},
    "long": {"type": "integer"},
    "boolean": {"type": "boolean"},
    "date": {"type": "string", "format": "date", "pattern": ISO_DATE},
    "enum": {"type": "string"},
}
_TEXT = ("string", "date", "enum", None)
_NUMBER = ("long", None)
_LENGTHS = {"minlength": "minLength", "maxlength": "maxLength"}
_BOUNDS = {"min": "minimum", "max": "maximum"}


def form_data_key(element_id: str) -> str:
    return f"formData:{element_id}"


def attach_form_data_forms(doc: BpmnDocument) -> tuple[dict[str, Form], list[Problem]]:
    """Forms for the formData of ``doc``'s user tasks and start event; the tasks (and the start form
    key) are pointed at them, so everything after deploy treats them as forms."""
    forms: dict[str, Form] = {}
    problems: list[Problem] = []
    for task in list(doc.user_tasks.values()):
        if task.form_key or not task.form_fields:
            continue
        form, found = form_from_fields(form_data_key(task.id), task.form_fields, doc.file_name, task.id)
        problems += found
        if form is not None:
            forms[form.key] = form
            doc.user_tasks[task.id] = replace(task, form_key=form.key)
    if not doc.start_form_key and doc.start_form_fields:
        element_id = doc.process_starts[0] if doc.process_starts else doc.process_id
        form, found = form_from_fields(
            form_data_key(element_id), doc.start_form_fields, doc.file_name, element_id
        )
        problems += found
        if form is not None:
            forms[form.key] = form
            doc.start_form_key = form.key
    return forms, problems


def form_from_fields(
    key: str, fields: tuple[FormField, ...], file_name: str, element_id: str
) -> tuple[Form | None, list[Problem]]:
    """The JSON Schema form of ``fields``, or None and the problems (each naming its field)."""
    problems: list[Problem] = []
    properties: dict[str, Any] = {}
    required: list[str] = []
    for f in fields:

        def problem(message: str, f: FormField = f) -> None:
            problems.append(
                Problem(message, file=file_name, line=f.line, element_id=element_id, field=f.id or None)
            )

        if not f.id:
            problem("a camunda:formField needs an id")
            continue
        if f.id in properties:
            problem(f"field '{f.id}' is declared twice")
            continue
        prop, is_required = _property(f, problem)
        if prop is not None:
            properties[f.id] = prop
            if is_required:
                required.append(f.id)
    if problems:
        return None, problems
    schema: dict[str, Any] = {
        "type": "object",
        "x-source": "camunda:formData",
        "properties": properties,
        "x-order": list(properties),
    }
    if required:
        schema["required"] = required
    try:
        return load_form(key, json.dumps(schema).encode(), file_name), []
    except ModelValidationError as exc:  # not expected: every keyword above is valid JSON Schema
        return None, [replace(p, element_id=element_id) for p in exc.problems]


def _property(f: FormField, problem: Any) -> tuple[dict[str, Any] | None, bool]:
    if f.type is not None and f.type not in _TYPES:
        problem(f"field '{f.id}': type '{f.type}' is not supported (string, long, boolean, date, enum)")
        return None, False
    prop: dict[str, Any] = dict(_TYPES.get(f.type or "", {}))
    if f.label:
        prop["title"] = f.label
    if f.type == "enum":
        if not f.values or not all(f.values):
            problem(f"field '{f.id}': an enum needs camunda:value entries, each with an id")
            return None, False
        prop["enum"] = list(f.values)
        prop["x-enum-titles"] = list(f.value_names)
    if f.overwrite:
        prop[OVERWRITE] = True
    ok, is_required = True, False
    for name, config in f.constraints:
        ok = _constraint(f, name.lower(), config, prop, problem) and ok
        is_required = is_required or name.lower() == "required"
    if not ok:
        return None, False
    if prop.get(READ_ONLY):
        is_required = False  # the submitter cannot write it, so cannot be asked for it
    if f.default is not None and f.default != "":
        default = _typed_default(f, problem)
        if default is _BAD:
            return None, False
        from jsonschema import Draft202012Validator  # where it is needed: see engine/forms.py

        errors = sorted(Draft202012Validator(prop).iter_errors(default), key=lambda e: e.message)
        if errors:
            problem(f"field '{f.id}': defaultValue {f.default!r} does not fit the field: {errors[0].message}")
            return None, False
        prop["default"] = default
    return prop, is_required


def _constraint(f: FormField, name: str, config: str | None, prop: dict[str, Any], problem: Any) -> bool:
    if name == "required":
        return True
    if name == "readonly":
        prop[READ_ONLY] = True
        return True
    if name in _LENGTHS or name in _BOUNDS:
        text_like = name in _LENGTHS
        if f.type not in (_TEXT if text_like else _NUMBER):
            kind = "text" if text_like else "number"
            problem(f"field '{f.id}': constraint '{name}' applies to {kind} fields, not to type '{f.type}'")
            return False
        value = (config or "").strip()
        if not re.fullmatch(r"-?\d{1,18}", value) or (text_like and int(value) < 0):
            problem(f"field '{f.id}': constraint '{name}' needs a whole number as its config, not {config!r}")
            return False
        prop[(_LENGTHS | _BOUNDS)[name]] = int(value)
        return True
    problem(
        f"field '{f.id}': constraint '{name}' is not supported "
        "(required, readonly, minlength, maxlength, min, max)"
    )
    return False


_BAD = object()


def _typed_default(f: FormField, problem: Any) -> Any:
    text = f.default or ""
    if f.type == "long":
        if not re.fullmatch(r"\s*-?\d{1,18}\s*", text):
            problem(f"field '{f.id}': defaultValue {text!r} is not a whole number")
            return _BAD
        return int(text)
    if f.type == "boolean":
        if text.strip().lower() not in ("true", "false"):
            problem(f"field '{f.id}': defaultValue {text!r} is not true or false")
            return _BAD
        return text.strip().lower() == "true"
    if f.type == "enum" and text not in f.values:
        problem(f"field '{f.id}': defaultValue {text!r} is not one of " + ", ".join(f.values))
        return _BAD
    return text
