"""A search's result list as CSV lines, safe to open in a spreadsheet.

A cell that begins with ``=``, ``+``, ``-``, ``@`` (or a tab or carriage return, which some
spreadsheets skip before reading one of those) is a formula to Excel and LibreOffice: a business key
or process name someone typed as ``=HYPERLINK(…)`` would run on the auditor's machine. Such a cell is
written with a leading ``'``, which the spreadsheet shows as text and does not keep.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator
from typing import Any

MAX_ROWS = 100_000  # an export stops here and says so in its last line
COLUMNS = (
    "id",
    "business_key",
    "process",
    "model_key",
    "version",
    "status",
    "initiator",
    "started_at",
    "ended_at",
)
_FORMULA_START = frozenset("=+-@\t\r")
CHUNK = 500  # lines per piece of the stream


def cell(value: Any) -> str:
    """One cell's text; None is empty, a formula is defused."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    return "'" + text if text[:1] in _FORMULA_START else text


def _moment(value: Any) -> str:
    return "" if value is None else value.isoformat()


def csv_lines(
    instances: Iterable[Any],
    process_name: Callable[[str], str],
    max_rows: int = MAX_ROWS,
    header: Iterable[str] = COLUMNS,
    more_note: str = "",
) -> Iterator[str]:
    """The header, then one line per instance (an ``InstanceInfo`` or a row of ``export``), up to
    ``max_rows``, yielded a few hundred lines at a time; when more matched, a last line says the
    export stopped (``more_note``, in the reader's language)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([cell(c) for c in header])
    names: dict[str, str] = {}
    for sent, info in enumerate(instances):
        if sent == max_rows:
            writer.writerow(
                [cell(more_note or f"… more rows: an export stops at {max_rows:,}; narrow the search")]
            )
            break
        name = names.get(info.model_key)
        if name is None:
            name = names[info.model_key] = cell(process_name(info.model_key))
        writer.writerow(
            (
                info.id,
                cell(info.business_key),
                name,
                cell(info.model_key),
                info.model_version,
                cell(info.status),
                cell(info.initiator),
                _moment(info.started_at),
                _moment(info.ended_at),
            )
        )
        if sent % CHUNK == CHUNK - 1:
            yield out.getvalue()
            out.seek(0)
            out.truncate()
    yield out.getvalue()
