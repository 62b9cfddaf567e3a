"""Timers: persisted rows, fired exactly once by any number of pollers."""
