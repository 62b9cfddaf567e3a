"""A request's data for a person: the start form's fields, labelled in the page's language.

Only what the start form declares is shown (in its order): the other process variables are the
model's own bookkeeping. Tables (contract lines) stay tables.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from web import i18n
from web.forms.view import field_label, option_titles


@dataclass(frozen=True)
class SummaryItem:
    label: str
    value: str = ""
    columns: list[str] = field(default_factory=list)  # a table's headings
    rows: list[list[str]] = field(default_factory=list)


def _shown(value: Any, spec: dict[str, Any], locale: str) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return i18n.gettext(locale, "Yes") if value else i18n.gettext(locale, "No")
    titles = dict(option_titles(spec, locale))
    if isinstance(value, str | int | float) and str(value) in titles:
        return titles[str(value)]
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int | float):
        return f"{value:,}"
    if isinstance(value, list | dict):
        return i18n.gettext(locale, "%(n)s entries", n=len(value))
    return str(value)


def _order(schema: dict[str, Any]) -> list[str]:
    properties = schema.get("properties") or {}
    ordered = [n for n in schema.get("x-order") or [] if n in properties]
    return ordered + [n for n in properties if n not in ordered]


def summarise(schema: dict[str, Any] | None, data: dict[str, Any], locale: str) -> list[SummaryItem]:
    if not schema:
        return []
    items = []
    properties = schema.get("properties") or {}
    for name in _order(schema):
        if name not in data:
            continue
        spec = properties[name] if isinstance(properties[name], dict) else {}
        value = data[name]
        row_spec = spec.get("items") if isinstance(spec.get("items"), dict) else None
        if isinstance(value, list) and row_spec and row_spec.get("properties"):
            names = _order(row_spec)
            specs = row_spec["properties"]
            items.append(
                SummaryItem(
                    field_label(spec, name, locale),
                    columns=[field_label(specs[n], n, locale) for n in names],
                    rows=[
                        [_shown(row.get(n), specs[n], locale) if isinstance(row, dict) else "" for n in names]
                        for row in value
                    ],
                )
            )
        else:
            items.append(SummaryItem(field_label(spec, name, locale), _shown(value, spec, locale)))
    return items
