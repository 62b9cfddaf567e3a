"""Timers: persisted rows, fired exactly once by any number of pollers."""

from engine.timers.poller import TimerPoller
from engine.timers.service import TimerInfo

__all__ = ["TimerInfo", "TimerPoller"]
