"""The processes' names in both languages (model.toml's ``name = { en = …, zh = … }``), once per request."""

from __future__ import annotations

from typing import Any

from flask import g

from web.blueprint import engine


def model_names() -> dict[str, Any]:
    """Model key -> its name as deployed in the latest version: a {language: name} table or a string."""
    if "model_names" not in g:
        g.model_names = {
            s.model_key: s.names or s.name or s.model_key for s in engine().repository.list_models()
        }
    return g.model_names
