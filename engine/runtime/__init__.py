"""Running process instances: start, advance, complete, cancel, suspend, resume; search them."""

from engine.runtime.export import COLUMNS as EXPORT_COLUMNS
from engine.runtime.export import MAX_ROWS as EXPORT_MAX_ROWS
from engine.runtime.export import csv_lines
from engine.runtime.search import COUNT_CAP, SORTS, InstancePage, InstanceSearch
from engine.runtime.service import (
    BUSINESS_KEY,
    MAX_REASON,
    InstanceFilter,
    InstanceInfo,
    InstanceRights,
    ModelPage,
)

__all__ = [
    "BUSINESS_KEY",
    "COUNT_CAP",
    "EXPORT_COLUMNS",
    "EXPORT_MAX_ROWS",
    "MAX_REASON",
    "SORTS",
    "InstanceFilter",
    "InstanceInfo",
    "InstancePage",
    "InstanceRights",
    "InstanceSearch",
    "ModelPage",
    "csv_lines",
]
