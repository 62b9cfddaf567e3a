"""The process overview: per model and version, how many instances run, ended or wait, and where
they wait how long (median and p90 per element), computed from the tables the engine keeps."""

from engine.overview.period import DEFAULT_DAYS, MAX_DAYS, Period
from engine.overview.service import ElementWaits, OverviewService, VersionCounts, VersionWaits, WaitFigures

__all__ = [
    "DEFAULT_DAYS",
    "MAX_DAYS",
    "ElementWaits",
    "OverviewService",
    "Period",
    "VersionCounts",
    "VersionWaits",
    "WaitFigures",
]
