"""Parsing argument values the shell cannot type-check for us."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from engine.config import Settings
from engine.datalimits import check_depth
from engine.errors import InvalidInput


def json_object(raw: str | None, what: str, max_depth: int | None = None) -> dict[str, Any]:
    """``--data '{"a": 1}'`` or ``--data @file.json``; must be a JSON object."""
    if raw is None:
        return {}
    text = raw
    if raw.startswith("@"):
        try:
            text = Path(raw[1:]).read_text("utf-8")
        except OSError as exc:
            raise InvalidInput(f"{what}: cannot read {raw[1:]}: {exc.strerror}")
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"{what} is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}")
    except (ValueError, RecursionError) as exc:  # a number of 5,000 digits, a thousand nested lists
        raise InvalidInput(f"{what} is not acceptable JSON: {exc}")
    if not isinstance(value, dict):
        raise InvalidInput(f"{what} must be a JSON object, like '{{\"amount\": 1000}}'")
    # The engine refuses such data too, but only once the command has run; here the message names the option.
    check_depth(value, max_depth or Settings.from_env().max_data_depth, what)
    return value
