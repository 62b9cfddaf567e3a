"""The budget every sandboxed run spends: time, steps, integer size, value size, items built.

One ``Budget`` per run of a script or expression. The code the sandbox compiles calls ``tick``
on every loop step, function call and ``except`` block, and the guards charge what they are about
to build, so no run gets past a limit by more than one bounded operation. A failure is sticky:
once a limit is passed every later tick raises again, so a script's ``except`` cannot swallow it.
"""

from __future__ import annotations

import threading
from time import monotonic

from engine.config import ScriptLimits
from engine.errors import ScriptError, ScriptLimitExceeded

_configured: ScriptLimits | None = None
_local = threading.local()


def limits() -> ScriptLimits:
    """The limits in force: set by ``configure``, else read once from the environment."""
    global _configured
    if _configured is None:
        _configured = ScriptLimits.from_env()
    return _configured


def configure(new: ScriptLimits | None) -> ScriptLimits | None:
    """Replace the limits (None: read the environment again); returns the previous ones."""
    global _configured
    previous = _configured
    _configured = new
    return previous


class Budget:
    __slots__ = ("built", "deadline", "failure", "limits", "max_steps", "steps")

    def __init__(self, limits: ScriptLimits) -> None:
        self.limits = limits
        self.max_steps = limits.max_steps
        self.deadline = monotonic() + limits.timeout_ms / 1000
        self.steps = 0
        self.built = 0
        self.failure: str | None = None

    def tick(self) -> None:
        # The hot path of every loop step: one counter, one clock read (~40 ns through the vDSO).
        self.steps += 1
        if self.steps > self.max_steps or monotonic() > self.deadline or self.failure is not None:
            self._over()

    def _over(self) -> None:
        if self.failure is None:
            if self.steps > self.limits.max_steps:
                steps = f"{self.limits.max_steps:,}"
                self.failure = f"it ran more than {steps} loop steps and calls (APPROVALS_SCRIPT_MAX_STEPS)"
            else:
                self.failure = (
                    f"it ran longer than {self.limits.timeout_ms:,} ms (APPROVALS_SCRIPT_TIMEOUT_MS)"
                )
        self.fail(self.failure)

    def fail(self, reason: str) -> None:
        if self.failure is None:
            self.failure = reason
        raise ScriptLimitExceeded(f"script limit exceeded: {self.failure}")

    def charge(self, items: int) -> None:
        """Account for a value of ``items`` characters or elements about to be built."""
        if items > self.limits.max_items:
            self.fail(
                f"a value would hold {items:,} characters or items, more than "
                f"{self.limits.max_items:,} (APPROVALS_SCRIPT_MAX_ITEMS)"
            )
        self.built += items
        if self.built > self.limits.max_total_items:
            self.fail(
                f"it built more than {self.limits.max_total_items:,} characters and items in all "
                "(APPROVALS_SCRIPT_MAX_TOTAL_ITEMS)"
            )
        self.tick()

    def int_bits(self, bits: int) -> None:
        """Refuse an integer of ``bits`` bits before it is computed."""
        if bits > self.limits.max_int_bits:
            self.fail(
                f"an integer would have about {bits:,} bits, more than {self.limits.max_int_bits:,} "
                "(APPROVALS_SCRIPT_MAX_INT_BITS)"
            )


def current() -> Budget:
    """The budget of the run on this thread."""
    budget = getattr(_local, "budget", None)
    if budget is None:
        # Only sandboxed code calls the guards, and only while its run is active.
        raise ScriptError("sandboxed code ran outside its script")
    return budget


def enter(budget: Budget | None) -> Budget | None:
    """Make ``budget`` the one this thread's guards charge; returns the one to restore after."""
    previous = getattr(_local, "budget", None)
    _local.budget = budget
    return previous
