"""A form's fields as a page renders them (``web/templates/web/_form.html``), in the reader's language."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from web.forms.posted import FORM_LEVEL, ROWS, flatten
from web.forms.schema import Condition, conditions, ordered, properties, row_schema, types_of, value_type


@dataclass
class Field:
    name: str  # the HTML name: the JSON path with dots
    id: str
    label: str
    kind: str  # text, textarea, number, date, checkbox, select, radio, table, readonly
    help: str = ""
    value: str = ""
    required: bool = False
    attrs: dict[str, str] = field(default_factory=dict)  # HTML constraints: min, max, step, pattern …
    options: list[tuple[str, str]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    required_when: str = ""  # JSON for forms.js: [{"field": …, "values": […]}]
    columns: list[Field] = field(default_factory=list)  # a table's headings (its row template)
    rows: list[Row] = field(default_factory=list)


@dataclass
class Row:
    index: int
    name: str  # lines.2
    fields: list[Field]
    errors: list[str] = field(default_factory=list)


@dataclass
class FormView:
    title: str
    fields: list[Field]
    errors: list[str]  # errors at no field

    @property
    def has_errors(self) -> bool:
        return bool(self.errors) or any(_has_errors(f) for f in self.fields)


def _has_errors(f: Field) -> bool:
    return bool(f.errors) or any(_has_errors(c) for row in f.rows for c in row.fields)


def field_label(spec: dict[str, Any], name: str, locale: str) -> str:
    if locale == "zh" and isinstance(spec.get("x-title-zh"), str):
        return spec["x-title-zh"]
    return str(spec.get("title") or name.replace("_", " ").capitalize())


def _scale(spec: dict[str, Any]) -> range | None:
    """A rating's choices: a whole number from ``minimum`` to ``maximum``, at most eleven of them."""
    low, high = spec.get("minimum"), spec.get("maximum")
    if (
        value_type(spec) == "integer"
        and isinstance(low, int)
        and isinstance(high, int)
        and 0 <= high - low <= 10
    ):
        return range(low, high + 1)
    return None


def option_titles(spec: dict[str, Any], locale: str) -> list[tuple[str, str]]:
    choices = (
        spec.get("enum") if isinstance(spec.get("enum"), list) else [spec["const"]] if "const" in spec else []
    )
    if not choices and spec.get("x-widget") == "rating":
        choices = list(_scale(spec) or [])
    titles = spec.get("x-enum-titles-zh") if locale == "zh" else spec.get("x-enum-titles")
    titles = titles if isinstance(titles, list) and len(titles) == len(choices) else None
    shown = []
    for i, choice in enumerate(choices):
        value = "true" if choice is True else "false" if choice is False else str(choice)
        readable = value.replace("_", " ").capitalize() if isinstance(choice, str) else value
        shown.append((value, str(titles[i]) if titles else readable))
    return shown


def _kind(spec: dict[str, Any]) -> str:
    widget = spec.get("x-widget")
    if spec.get("readOnly") is True:
        return "readonly"
    if row_schema(spec) is not None:
        return "table"
    if "enum" in spec or "const" in spec:
        return "radio" if widget == "radio" else "select"
    if widget == "rating" and _scale(spec):
        return "radio"
    kind = value_type(spec)
    if kind == "boolean":
        return "checkbox"
    if kind in ("integer", "number"):
        return "number"
    if spec.get("format") == "date" or widget == "date":
        return "date"
    return "textarea" if widget == "textarea" else "text"


def _attrs(spec: dict[str, Any], kind: str) -> dict[str, str]:
    attrs: dict[str, str] = {}
    if kind == "number":
        attrs["step"] = "1" if value_type(spec) == "integer" else "any"
        attrs["inputmode"] = "numeric" if value_type(spec) == "integer" else "decimal"
        for key, html in (
            ("minimum", "min"),
            ("exclusiveMinimum", "min"),
            ("maximum", "max"),
            ("exclusiveMaximum", "max"),
        ):
            if isinstance(spec.get(key), int | float) and not isinstance(spec.get(key), bool):
                attrs[html] = str(spec[key])
    if kind in ("text", "textarea"):
        if isinstance(spec.get("minLength"), int) and spec["minLength"] > 0:
            attrs["minlength"] = str(spec["minLength"])
        if isinstance(spec.get("maxLength"), int):
            attrs["maxlength"] = str(spec["maxLength"])
        if kind == "text" and isinstance(spec.get("pattern"), str):
            attrs["pattern"] = spec["pattern"]
    return attrs


def _required_when(name: str, conds: list[Condition]) -> str:
    shown = [{"field": c.field, "values": list(c.values)} for c in conds if name in c.requires and c.field]
    return json.dumps(shown, ensure_ascii=False) if shown else ""


def _fields(
    schema: dict[str, Any],
    raw: Mapping[str, str],
    errors: Mapping[str, list[str]],
    locale: str,
    prefix: str,
    data: dict[str, Any],
) -> list[Field]:
    specs = properties(schema)
    required = {n for n in schema.get("required") or [] if isinstance(n, str)}
    conds = conditions(schema)
    required |= {n for c in conds if c.holds(data) for n in c.requires}
    fields = []
    for name in ordered(schema):
        spec = specs[name]
        html = prefix + name
        kind = _kind(spec)
        f = Field(
            name=html,
            id="f-" + html.replace(".", "-"),
            label=field_label(spec, name, locale),
            kind=kind,
            help=str(spec.get("description") or "")
            if locale != "zh"
            else str(spec.get("x-description-zh") or ""),
            value=raw.get(html, ""),
            required=name in required
            and (kind == "table" or (kind != "checkbox" and "null" not in types_of(spec))),
            attrs=_attrs(spec, kind),
            options=option_titles(spec, locale),
            errors=list(errors.get(html, [])),
            required_when=_required_when(name, conds),
        )
        rows = row_schema(spec)
        if rows is not None:
            f.columns = _fields(rows, {}, {}, locale, html + ".#.", {})
            minimum = spec.get("minItems") if isinstance(spec.get("minItems"), int) else 1
            count = int(raw.get(f"{html}.{ROWS}", "0") or 0) if raw.get(f"{html}.{ROWS}", "").isdigit() else 0
            for i in range(max(count, minimum, 1)):
                row_name = f"{html}.{i}"
                row_data = {}
                f.rows.append(
                    Row(
                        i,
                        row_name,
                        _fields(rows, raw, errors, locale, row_name + ".", row_data),
                        list(errors.get(row_name, [])),
                    )
                )
        fields.append(f)
    return fields


def build_form(
    schema: dict[str, Any],
    values: Mapping[str, str] | None,
    errors: Mapping[str, list[str]] | None,
    locale: str,
) -> FormView:
    """The form's fields with ``values`` (by HTML name, as typed; None: the schema's defaults)."""
    if values is None:
        defaults = {n: s["default"] for n, s in properties(schema).items() if "default" in s}
        values = flatten(schema, defaults)
    errors = errors or {}
    data = _as_data(schema, values)
    title = field_label(schema, "", locale) if schema.get("title") or schema.get("x-title-zh") else ""
    return FormView(
        title, _fields(schema, values, errors, locale, "", data), list(errors.get(FORM_LEVEL, []))
    )


def _as_data(schema: dict[str, Any], raw: Mapping[str, str]) -> dict[str, Any]:
    """Top-level values, typed enough to evaluate ``if`` conditions (which test enums and consts)."""
    data: dict[str, Any] = {}
    for name, spec in properties(schema).items():
        if raw.get(name):
            for value, _ in option_titles(spec, "en"):
                if value == raw[name]:
                    choices = spec.get("enum") or [spec.get("const")]
                    data[name] = next(
                        (c for c in choices if str(c) == value or (c is True and value == "true")), value
                    )
                    break
            else:
                data[name] = raw[name]
    return data
