"""The processes' names in both languages (model.toml's ``name = { en = …, zh = … }``), once per request."""

from __future__ import annotations

from typing import Any

from flask import g

from web.blueprint import engine


def model_names() -> dict[str, Any]:
    """Model key -> its name as deployed in the latest version: a {language: name} table or a string."""
    if "model_names" not in g:
        names: dict[str, Any] = {}
        for summary in engine().repository.list_models():
            info = engine().repository.get_version(summary.model_key).info
            names[summary.model_key] = info.get("name") or summary.name or summary.model_key
        g.model_names = names
    return g.model_names
