"""Incidents: what an operator must look at because the engine will not move on by itself (failed
timers, external tasks without retries, call activities that could not start, stalled instances)."""

from engine.incidents.service import Incident, IncidentQuery
from engine.incidents.sources import CALL_ACTIVITY, EXTERNAL_TASK, KINDS, STALLED, TIMER

__all__ = ["CALL_ACTIVITY", "EXTERNAL_TASK", "KINDS", "STALLED", "TIMER", "Incident", "IncidentQuery"]
