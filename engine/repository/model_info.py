"""``model.toml``: the descriptive side of a model (names, owner, defaults) kept next to its BPMN."""

from __future__ import annotations

import re
import tomllib
from typing import Any

from engine.errors import ModelValidationError, Problem

_KNOWN_KEYS = {"key", "name", "owner_group", "description", "business_key_prefix", "sla", "properties"}
_PREFIX = re.compile(r"^[A-Z]{1,8}$")
_PROPERTY_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


def parse_model_info(content: bytes, file_name: str) -> tuple[dict[str, Any], list[Problem]]:
    """Return (info, warnings). Errors raise ModelValidationError naming the file and key."""
    try:
        info = tomllib.loads(content.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ModelValidationError(f"{file_name} is not valid TOML", [Problem(str(exc), file=file_name)])
    problems: list[Problem] = []
    warnings = [
        Problem(f"unknown key '{k}' is ignored", file=file_name, field=k)
        for k in info
        if k not in _KNOWN_KEYS
    ]

    name = info.get("name")
    if (
        name is not None
        and not isinstance(name, str)
        and not (isinstance(name, dict) and all(isinstance(v, str) for v in name.values()))
    ):
        problems.append(
            Problem("must be a string or a table of language = name", file=file_name, field="name")
        )
    for key in ("owner_group", "description", "key"):
        if key in info and not isinstance(info[key], str):
            problems.append(Problem("must be a string", file=file_name, field=key))
    prefix = info.get("business_key_prefix")
    if prefix is not None and (not isinstance(prefix, str) or not _PREFIX.match(prefix)):
        problems.append(
            Problem("must be 1-8 capital letters, e.g. HT", file=file_name, field="business_key_prefix")
        )
    for table in ("sla", "properties"):
        if table in info and not isinstance(info[table], dict):
            problems.append(Problem("must be a table", file=file_name, field=table))
    for prop in info.get("properties", {}) if isinstance(info.get("properties"), dict) else {}:
        if not _PROPERTY_NAME.match(prop):
            problems.append(
                Problem(
                    "property names must be identifiers (they become process variables)",
                    file=file_name,
                    field=f"properties.{prop}",
                )
            )
    if problems:
        raise ModelValidationError(f"{file_name} has {len(problems)} problem(s)", problems)
    return info, warnings


def display_name(info: dict[str, Any], fallback: str | None) -> str | None:
    name = info.get("name")
    if isinstance(name, dict):
        return name.get("en") or next(iter(name.values()), None) or fallback
    return name or fallback


def names_by_language(info: dict[str, Any]) -> dict[str, str]:
    """``name = { en = "…", zh = "…" }`` as a dict; empty when the name is one string (or absent)."""
    name = info.get("name")
    return {k: v for k, v in name.items() if isinstance(v, str) and v} if isinstance(name, dict) else {}
