"""Task and start forms: JSON Schema documents (draft 2020-12) with UI hints as ``x-`` annotations.

A form file is a JSON Schema. UI hints live beside the keywords they describe and are
ignored by validation: ``x-order`` (field order), ``x-widget`` (e.g. "textarea"),
``x-title-zh`` (Chinese title next to the English ``title``). See docs/forms.md.

A form is also the declaration of what its step may write: the top-level ``properties`` and
nothing else (engine/tasks/scope.py). ``"x-overwrite": true`` on a property lets the step replace
a value the process data already holds (the request's, or an earlier step's); the engine enforces
both, whatever the rest of the schema allows.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

from engine.errors import DataValidationError, ModelValidationError, Problem

OVERWRITE = "x-overwrite"  # on a property: the step may replace a value already in the process data
READ_ONLY = "readOnly"  # JSON Schema's own annotation: the field is shown, the step does not write it

if TYPE_CHECKING:
    # Imported where a form is loaded: a command that loads no model (`approvals users add`, say) does
    # not pay for jsonschema's import, a tenth of an `approvals` process's start (docs/engineering.md).
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError


@dataclass(frozen=True)
class Form:
    key: str
    schema: dict[str, Any]
    validator: Draft202012Validator

    @cached_property
    def fields(self) -> frozenset[str]:
        """The fields the form lets its step write: its top-level ``properties`` but read-only ones."""
        return frozenset(self.schema.get("properties", {})) - self.readonly

    @cached_property
    def readonly(self) -> frozenset[str]:
        """Properties marked ``"readOnly": true``: shown to the step, never written by it."""
        return frozenset(
            name
            for name, spec in self.schema.get("properties", {}).items()
            if isinstance(spec, dict) and spec.get(READ_ONLY) is True
        )

    @cached_property
    def overwritable(self) -> frozenset[str]:
        """Declared fields whose property says ``"x-overwrite": true``."""
        return frozenset(
            name
            for name, spec in self.schema.get("properties", {}).items()
            if isinstance(spec, dict) and spec.get(OVERWRITE) is True
        )

    @property
    def is_approval(self) -> bool:
        """An approval form asks for a decision (approve / reject …), per the data contract."""
        return "decision" in self.schema.get("properties", {})

    def validate(self, data: Any, what: str) -> None:
        """Raise DataValidationError listing every invalid field path of ``data``."""
        problems = _problems(self.validator.iter_errors(data))
        if problems:
            raise DataValidationError(f"{what}: {len(problems)} invalid field(s)", problems)


def _problems(errors: Iterable[ValidationError]) -> list[Problem]:
    """One problem per invalid field; each missing required field is a field of its own."""
    problems: list[Problem] = []
    reported_missing: set[str] = set()
    for error in sorted(errors, key=lambda e: list(e.absolute_path)):
        at = [str(p) for p in error.absolute_path]
        missing = _missing(error)
        if not missing:
            problems.append(Problem(_message(error), field=_join(at)))
            continue
        # jsonschema raises one error per missing name, and each carries the whole `required` list
        # rather than its name; naming the fields from the list, once each, does not depend on that.
        for name in missing:
            path = _join([*at, name])
            if path not in reported_missing:
                reported_missing.add(path)
                problems.append(Problem("is required", field=path))
    return problems


def _missing(error: ValidationError) -> list[str]:
    if error.validator != "required" or not isinstance(error.instance, dict):
        return []
    return [str(name) for name in error.validator_value if name not in error.instance]


def _join(path: list[str]) -> str:
    return "/".join(path) or "(root)"


def _message(error: Any) -> str:
    if error.validator == "required":
        return "is required"
    if error.validator == "enum":
        return "must be one of " + ", ".join(json.dumps(v, ensure_ascii=False) for v in error.validator_value)
    return error.message


def load_form(key: str, content: bytes, file_name: str) -> Form:
    """Parse and check a form file; errors name the file (and JSON line where it is not JSON)."""
    try:
        schema = json.loads(content.decode("utf-8"))
    except UnicodeDecodeError:
        raise ModelValidationError(f"{file_name} is not UTF-8", [Problem("not UTF-8 text", file=file_name)])
    except json.JSONDecodeError as exc:
        raise ModelValidationError(
            f"{file_name} is not valid JSON", [Problem(exc.msg, file=file_name, line=exc.lineno)]
        )
    if not isinstance(schema, dict):
        raise ModelValidationError(
            f"{file_name} must hold a JSON object (a JSON Schema)",
            [Problem("not a JSON object", file=file_name)],
        )
    broken = _meta_schema_error(content)
    if broken is not None:
        message, where = broken
        raise ModelValidationError(
            f"{file_name} is not a valid JSON Schema", [Problem(message, file=file_name, field=where)]
        )
    properties = schema.get("properties", {})
    if not isinstance(properties, dict):
        properties = {}
    wrong = [
        name
        for name, spec in properties.items()
        if isinstance(spec, dict) and OVERWRITE in spec and not isinstance(spec[OVERWRITE], bool)
    ]
    if wrong:
        raise ModelValidationError(
            f"{file_name}: {OVERWRITE} must be true or false",
            [Problem(f"{OVERWRITE} must be true or false", file=file_name, field=name) for name in wrong],
        )
    from jsonschema import Draft202012Validator

    return Form(key, schema, Draft202012Validator(schema))


@functools.lru_cache(maxsize=256)
def _meta_schema_error(content: bytes) -> tuple[str, str] | None:
    """How a form file (known to hold a JSON object) breaks the JSON Schema meta-schema: the message
    and where, or None. Kept per content: checking costs ~7 ms a form, and the same forms are checked
    at every deploy and every time a version is compiled again (a cold command, a new process)."""
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import SchemaError

    try:
        Draft202012Validator.check_schema(json.loads(content.decode("utf-8")))
    except SchemaError as exc:
        return exc.message, "/".join(str(p) for p in exc.absolute_path) or "(root)"
    return None
