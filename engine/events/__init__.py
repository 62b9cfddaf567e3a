"""Messages and signals: correlation to waiting instances, and start events."""

from engine.events.service import SignalReport

__all__ = ["SignalReport"]
