"""Printing results for people (aligned text) or programs (``--json``)."""

from __future__ import annotations

import dataclasses
import json
import sys
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from engine.jsonvalues import to_jsonable


def as_plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: as_plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, list | tuple):
        return [as_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: as_plain(v) for k, v in value.items()}
    return value


def emit_json(value: Any) -> None:
    json.dump(to_jsonable(as_plain(value)), sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


def when(moment: datetime | None) -> str:
    return moment.astimezone().strftime("%Y-%m-%d %H:%M") if moment else "-"


def one_line(text: str) -> str:
    """Bundled models name tasks in two languages on two lines ("Review\n审核"): a table cell or an
    error message keeps them on one."""
    return " / ".join(part.strip() for part in text.splitlines() if part.strip()) if "\n" in text else text


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    rows = [["-" if v is None or v == "" else one_line(str(v)) for v in row] for row in rows]
    if not rows:
        print("(none)")
        return
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    print("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip())
    for row in rows:
        print("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())


def data_text(data: Any) -> str:
    return json.dumps(to_jsonable(data), ensure_ascii=False, sort_keys=True)
