"""Errors raised while reading or running FEEL text.

They are internal: the table compiler turns them into ``Problem`` entries (load time) or
``DecisionError`` (run time) that name the decision, rule and column.
"""

from __future__ import annotations


class FeelSyntaxError(Exception):
    """The text is not in the FEEL subset we support; ``offset`` is the 0-based character offset."""

    def __init__(self, message: str, offset: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset

    def __str__(self) -> str:
        if self.offset is None:
            return self.message
        return f"{self.message} (at character {self.offset + 1})"


class FeelTooComplex(FeelSyntaxError):
    """FEEL text past a bound on work (nesting, digits, a constant too large to compute): it is
    FEEL, just too much of it, so it is reported as such, never re-read as another language."""


class FeelTypeError(Exception):
    """Operands whose types FEEL cannot combine, e.g. ``"abc" < 5``.

    The standard answers ``null`` for these; an approval engine must not let a bad input
    quietly fall through to a default rule, so we stop with an error instead.
    """


class FeelLimitError(FeelTypeError):
    """An operation would go past a size limit (digits of a number, length of a string).

    A FeelTypeError so that every place that reports those reports this too, with the decision,
    rule and column it happened in (or, for a constant, refuses the model when it is deployed).
    """
