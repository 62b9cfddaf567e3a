"""Field types shared by the request and response schemas."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from marshmallow import ValidationError, fields, validate

from engine.errors import InvalidInput
from engine.identity import GROUP_NAME, LOCALES, USER_NAME, check_locale, check_time_zone, time_zones
from engine.runtime import BUSINESS_KEY

# Ids and version numbers are 32-bit integer columns in PostgreSQL (and SQLite's fit anyway).
MAX_ID = 2**31 - 1


NO_NUL = validate.Regexp(r"^[^\u0000]*$", error="must not contain NUL characters")


class Text(fields.String):
    """A string that can be stored and compared in any database: no NUL characters.

    The rule is a validator (not a check in code) so that the OpenAPI document states it too.
    """

    def __init__(self, *, length: tuple[int, int] | None = None, pattern: Any = None, **kwargs: Any) -> None:
        rules = [pattern or NO_NUL]
        if length is not None:
            rules.append(validate.Length(*length))
        super().__init__(validate=rules, **kwargs)


def UserName(**kwargs: Any) -> Text:
    return Text(
        pattern=validate.Regexp(USER_NAME, error="letters, digits and _ . @ - (at most 100)"), **kwargs
    )


def GroupName(**kwargs: Any) -> Text:
    return Text(
        pattern=validate.Regexp(GROUP_NAME, error="lower-case letters, digits and _ . - (at most 100)"),
        **kwargs,
    )


def BusinessKey(**kwargs: Any) -> Text:
    rule = validate.Regexp(
        BUSINESS_KEY, error="letters, digits and _ . : / - (at most 100), starting with a letter or digit"
    )
    return Text(pattern=rule, **kwargs)


class Moment(fields.AwareDateTime):
    """An ISO 8601 date-time; without an offset it is read as UTC."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="iso", default_timezone=UTC, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> datetime:
        moment = super()._deserialize(value, attr, data, **kwargs)
        try:
            return moment.astimezone(UTC)
        except OverflowError:
            raise ValidationError("is out of range")


def Id(*, strict: bool = True, **kwargs: Any) -> fields.Integer:
    """A database id or version number; ``strict=False`` for query strings, where all is text."""
    return fields.Integer(strict=strict, validate=validate.Range(1, MAX_ID), **kwargs)


def JsonObject(**kwargs: Any) -> fields.Dict:
    """A free-form JSON object (process data, form schemas, decision inputs)."""
    return fields.Dict(keys=fields.String(), **kwargs)


class _EngineChoice(validate.OneOf):
    """One of the engine's choices: listed in the OpenAPI document (an enum), checked by the engine's
    own rule so that a refusal reads the same from every face (with its "did you mean")."""

    def __init__(self, choices: list[str], check: Any) -> None:
        super().__init__(choices)
        self._check = check

    def __call__(self, value: Any) -> Any:
        try:
            self._check(value)
        except InvalidInput as exc:
            raise ValidationError(str(exc)) from exc
        return value


def Locale(**kwargs: Any) -> fields.String:
    return fields.String(validate=_EngineChoice(list(LOCALES), check_locale), **kwargs)


def TimeZone(**kwargs: Any) -> fields.String:
    return fields.String(validate=_EngineChoice(sorted(time_zones()), check_time_zone), **kwargs)
