"""A posted form read back as JSON typed by its schema, and the engine's errors put back on fields.

What a person typed is kept as typed (``Submission.raw``, by HTML name), so a form that comes back
with errors shows it unchanged. A number is read leniently (full-width digits, thousands separators)
but never guessed: what does not parse is an error at its field.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from engine.errors import Problem
from web.forms.schema import MAX_ROWS, ordered, properties, row_schema, types_of, value_type

ADD_ROW = "_add_row"  # a submit button: its value is a table's name
REMOVE_ROW = "_remove_row"  # a submit button: its value is a row's name, e.g. lines.2
FORM_LEVEL = "_form"  # errors that belong to no field
ROWS = "#"  # raw["lines.#"]: how many rows the table shows


@dataclass
class Submission:
    data: dict[str, Any]
    raw: dict[str, str]
    errors: dict[str, list[str]] = field(default_factory=dict)
    row_action: str | None = None  # the table a row was added to or removed from


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, int | float | str):
        return str(value)
    return json.dumps(value, ensure_ascii=False)


def flatten(
    schema: dict[str, Any], data: Mapping[str, Any], names: Iterable[str] | None = None
) -> dict[str, str]:
    """JSON data as the strings a form shows, by HTML name (only the schema's fields, or ``names``)."""
    raw: dict[str, str] = {}
    specs = properties(schema)
    for name in names if names is not None else ordered(schema):
        if name not in data or name not in specs:
            continue
        rows = row_schema(specs[name])
        if rows is not None and isinstance(data[name], list):
            items = [r for r in data[name][:MAX_ROWS] if isinstance(r, dict)]
            raw[f"{name}.{ROWS}"] = str(len(items))
            for i, row in enumerate(items):
                raw.update({f"{name}.{i}.{k}": v for k, v in flatten(rows, row).items()})
        else:
            raw[name] = _text(data[name])
    return raw


def _number(text: str, integer: bool) -> int | float:
    cleaned = unicodedata.normalize("NFKC", text).replace(",", "").replace(" ", "").replace("_", "x")
    if integer:
        return int(cleaned)
    value = float(cleaned)
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError(text)
    return int(value) if re.fullmatch(r"[+-]?\d+", cleaned) else value


def _typed(spec: dict[str, Any], text: str, checkbox: bool) -> tuple[bool, Any, str | None]:
    """(present, value, error) for one posted string."""
    kind = value_type(spec)
    if kind == "boolean" and checkbox:
        return True, text == "true", None
    if text.strip() == "":
        return ("null" in types_of(spec), None, None)
    choices = spec.get("enum") if isinstance(spec.get("enum"), list) else None
    if choices is not None:
        for choice in choices:
            if _text(choice) == text or (isinstance(choice, bool) and str(choice).lower() == text):
                return True, choice, None
        return True, text, None  # the engine says it is not one of the choices
    if kind in ("integer", "number"):
        try:
            return True, _number(text, kind == "integer"), None
        except ValueError:
            return True, None, "must be a whole number" if kind == "integer" else "must be a number"
    return True, text, None


def _rows_posted(form: Mapping[str, Any], table: str) -> list[int]:
    pattern = re.compile(rf"{re.escape(table)}\.(\d{{1,4}})\.")
    indexes = {int(m.group(1)) for key in form if (m := pattern.match(key))}
    return sorted(indexes)[:MAX_ROWS]


def _read(
    schema: dict[str, Any],
    form: Mapping[str, Any],
    prefix: str,
    out_raw: dict[str, str],
    errors: dict[str, list[str]],
    remove: str | None,
    add: str | None,
) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for name, spec in properties(schema).items():
        html = prefix + name
        if spec.get("readOnly") is True:
            continue
        rows = row_schema(spec)
        if rows is not None:
            kept = [i for i in _rows_posted(form, html) if f"{html}.{i}" != remove]
            items = []
            for new_index, old in enumerate(kept):
                row_raw: dict[str, str] = {}
                shifted = {
                    k.replace(f"{html}.{old}.", f"{html}.{new_index}.", 1): v
                    for k, v in _items(form)
                    if k.startswith(f"{html}.{old}.")
                }
                item = _read(rows, shifted, f"{html}.{new_index}.", row_raw, errors, None, None)
                if any(v.strip() for v in row_raw.values()):
                    items.append(item)
                out_raw.update(row_raw)
            count = len(kept) + (1 if add == html else 0)
            out_raw[f"{html}.{ROWS}"] = str(count)
            if items or kept:
                data[name] = [i for i in items]
            continue
        checkbox = value_type(spec) == "boolean" and "enum" not in spec
        text = str(_first(form, html))
        out_raw[html] = text if not checkbox else ("true" if text == "true" else "")
        present, value, error = _typed(spec, text, checkbox)
        if error:
            errors.setdefault(html, []).append(error)
        elif present:
            data[name] = value
    return data


def _items(form: Mapping[str, Any]) -> Iterable[tuple[str, Any]]:
    for key in form:
        yield key, _first(form, key)


def _first(form: Mapping[str, Any], key: str) -> str:
    getter = getattr(form, "getlist", None)
    if getter is not None:
        values = getter(key)
        return values[0] if values else ""
    value = form.get(key, "")
    return value[0] if isinstance(value, list) and value else (value if isinstance(value, str) else "")


def parse_submission(schema: dict[str, Any], form: Mapping[str, Any]) -> Submission:
    """The post as JSON data, what was typed, the fields that did not parse, and any row action."""
    add = _first(form, ADD_ROW) or None
    remove = _first(form, REMOVE_ROW) or None
    raw: dict[str, str] = {}
    errors: dict[str, list[str]] = {}
    data = _read(schema, form, "", raw, errors, remove, add)
    action = add or (remove.rsplit(".", 1)[0] if remove else None)
    return Submission(data, raw, errors, action)


def errors_by_field(problems: Iterable[Problem]) -> dict[str, list[str]]:
    """The engine's problems (``lines/0/product``) by HTML name (``lines.0.product``)."""
    found: dict[str, list[str]] = {}
    for problem in problems:
        path = problem.field or ""
        name = FORM_LEVEL if path in ("", "(root)") else path.replace("/", ".")
        found.setdefault(name, []).append(problem.message)
    return found
