"""Bounds on process data: how deeply it may nest, and how large it may be after a command.

Both are checked without recursion, so the check itself cannot fail on the input it guards
against. Nesting is bounded because every serializer on the way to the database (the JSON
encoder, SpiffWorkflow's converter, copies of task data) recurses once per level; size is bounded
because process data is stored several times per command (instance row, task rows, history).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine import jsonvalues
from engine.errors import DataTooLarge, InvalidInput, Problem

# How many of the largest fields an oversize error names.
NAMED_FIELDS = 3
_PATH_SHOWN = 6  # path segments shown at each end of a very deep path


def too_deep(value: Any, limit: int) -> list[str] | None:
    """The path to the first container nested more than ``limit`` levels deep, or None.

    The top-level object or list is level 1; each container inside another adds one.
    """
    if not _exceeds(value, limit):
        return None
    # Only now, on the way to an error, is the path worth keeping track of.
    stack: list[tuple[Any, int, list[str]]] = [(value, 1, [])]
    while stack:
        current, level, path = stack.pop()
        if level > limit:
            return path
        items = current.items() if isinstance(current, Mapping) else enumerate(current)
        stack.extend(
            (child, level + 1, [*path, str(key)])
            for key, child in items
            if isinstance(child, Mapping | list | tuple)
        )
    return None  # pragma: no cover - _exceeds found one


def _exceeds(value: Any, limit: int) -> bool:
    # Runs after every command: scalars, nearly all of the data, are skipped by their class alone.
    if not isinstance(value, Mapping | list | tuple):
        return False
    stack = [(value, 1)]
    while stack:
        current, level = stack.pop()
        if level > limit:
            return True
        for child in current.values() if isinstance(current, Mapping) else current:
            cls = child.__class__
            if cls is str or cls is int or cls is float or cls is bool or child is None:
                continue
            if isinstance(child, Mapping | list | tuple):
                stack.append((child, level + 1))
    return False


def could_be_too_deep(encoded: str, limit: int) -> bool:
    """False when JSON text cannot nest past ``limit``: it has no more brackets than that (brackets
    inside strings count too, so this only ever errs towards walking the data)."""
    return encoded.count("[") + encoded.count("{") > limit


def show_path(path: list[str]) -> str:
    if len(path) > 2 * _PATH_SHOWN:
        path = [*path[:_PATH_SHOWN], f"…({len(path) - 2 * _PATH_SHOWN} more)…", *path[-_PATH_SHOWN:]]
    return "/".join(path) or "(root)"


def check_depth(value: Any, limit: int, what: str, prefix: str = "") -> None:
    """InvalidInput (400) naming where ``value`` nests deeper than ``limit`` levels."""
    path = too_deep(value, limit)
    if path is not None:
        where = show_path([prefix, *path] if prefix else path)
        raise InvalidInput(
            f"{what} nests more than {limit} levels deep (at {where}); "
            f"the limit is APPROVALS_MAX_DATA_DEPTH={limit}",
            [Problem(f"nested more than {limit} levels deep", field=where)],
        )


def largest_fields(data: Mapping[str, Any], count: int = NAMED_FIELDS) -> list[tuple[str, int]]:
    """The ``count`` top-level fields whose JSON is largest, with their size in bytes."""
    sizes = [(str(key), len(jsonvalues.dumps(value).encode("utf-8"))) for key, value in data.items()]
    return sorted(sizes, key=lambda item: (-item[1], item[0]))[:count]


def data_too_large(size: int, limit: int, data: Mapping[str, Any], what: str) -> DataTooLarge:
    fields = largest_fields(data)
    named = ", ".join(f"{name} ({bytes_:,} bytes)" for name, bytes_ in fields)
    return DataTooLarge(
        f"{what} would be {size:,} bytes after this command; the limit is {limit:,} bytes "
        f"(APPROVALS_MAX_DATA_BYTES); nothing was saved" + (f". Largest fields: {named}" if named else ""),
        [Problem(f"{bytes_:,} bytes", field=name) for name, bytes_ in fields],
    )


def check_stored_depth(data: Mapping[str, Any], max_depth: int) -> None:
    """DataTooLarge (422) when the data a command is about to store nests past ``max_depth``."""
    path = too_deep(data, max_depth)
    if path is not None:
        where = show_path(path)
        raise DataTooLarge(
            f"process data would nest more than {max_depth} levels deep (at {where}) after this command; "
            f"the limit is APPROVALS_MAX_DATA_DEPTH={max_depth}; nothing was saved",
            [Problem(f"nested more than {max_depth} levels deep", field=where)],
        )


def check_stored_size(
    encoded: str, data: Mapping[str, Any], max_bytes: int, what: str = "process data"
) -> None:
    """DataTooLarge (422) when ``encoded`` (the JSON of ``data``) is over ``max_bytes``."""
    # UTF-8 takes at most 4 bytes a character: most data is measured without encoding it again.
    if len(encoded) * 4 > max_bytes:
        size = len(encoded.encode("utf-8"))
        if size > max_bytes:
            raise data_too_large(size, max_bytes, data, what)
