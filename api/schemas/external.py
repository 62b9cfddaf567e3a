"""Camunda 7's external-task shapes (REST API reference, "External Task"), and typed variables.

Camunda sends and receives variables as ``{"name": {"value": …, "type": "String", "valueInfo": {}}}``.
Process data here is plain JSON, so the two are mapped both ways: bool → Boolean, whole numbers →
Integer (Long beyond 32 bits), other numbers → Double, text → String, null → Null, objects and
lists → Json (the value a JSON string). A value sent without a type is taken as the JSON it is (the
Python client sends ``{"value": …}`` alone). Bytes, File and Java objects have no place in JSON
process data: 400, naming the variable.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

from api.schemas.fields import Text
from engine.errors import InvalidInput, Problem

TYPES = ("String", "Integer", "Short", "Long", "Double", "Boolean", "Null", "Json", "Object", "Date")
_RANGES = {"Short": 2**15, "Integer": 2**31, "Long": 2**63}
CAMUNDA_TIME = "%Y-%m-%dT%H:%M:%S.%f"


def camunda_time(moment: datetime | None) -> str | None:
    """Camunda's date format: ``2026-03-02T01:01:00.000+0000``."""
    if moment is None:
        return None
    utc = moment.astimezone(UTC)
    return utc.strftime(CAMUNDA_TIME)[:-3] + "+0000"


class TypedValueSchema(Schema):
    value = fields.Raw(allow_none=True, metadata={"description": "the value; for Json a JSON text"})
    type = fields.String(allow_none=True, validate=validate.OneOf(TYPES))
    valueInfo = fields.Dict(keys=fields.String(), allow_none=True)  # Camunda's name


def Variables(**kwargs: Any) -> fields.Dict:  # a field factory, like the others
    return fields.Dict(keys=Text(length=(1, 200)), values=fields.Nested(TypedValueSchema), **kwargs)


def _bad(name: str, why: str) -> InvalidInput:
    return InvalidInput(f"variable {name!r}: {why}", [Problem(why, field=f"variables/{name}")])


def from_typed(variables: dict[str, dict[str, Any]] | None) -> dict[str, Any]:
    """Typed values as sent by a worker → plain JSON data; InvalidInput naming the variable."""
    data: dict[str, Any] = {}
    for name, typed in (variables or {}).items():
        value, kind = typed.get("value"), typed.get("type")
        if kind is None:
            data[name] = value
        elif kind == "Null" or value is None:
            data[name] = None
        elif kind == "String":
            if not isinstance(value, str):
                raise _bad(name, "a String needs a text value")
            data[name] = value
        elif kind in _RANGES:
            if isinstance(value, bool) or not isinstance(value, int):
                raise _bad(name, f"a {kind} needs a whole number")
            if not -_RANGES[kind] <= value < _RANGES[kind]:
                raise _bad(name, f"{value} is out of the range of a {kind}")
            data[name] = value
        elif kind == "Double":
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise _bad(name, "a Double needs a number")
            data[name] = float(value)
        elif kind == "Boolean":
            if not isinstance(value, bool):
                raise _bad(name, "a Boolean needs true or false")
            data[name] = value
        elif kind == "Date":
            data[name] = _date(name, value)
        else:  # Json, or an Object serialized as JSON
            info = typed.get("valueInfo") or {}
            if kind == "Object" and info.get("serializationDataFormat") != "application/json":
                raise _bad(name, "only Object values serialized as application/json can be read here")
            data[name] = _json(name, value)
    return data


def _date(name: str, value: Any) -> str:
    if not isinstance(value, str):
        raise _bad(name, "a Date needs a text value like 2026-03-02T01:00:00.000+0000")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        try:
            moment = datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%f%z")
        except ValueError:
            raise _bad(name, f"{value!r} is not a date like 2026-03-02T01:00:00.000+0000")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.isoformat()


def _json(name: str, value: Any) -> Any:
    if isinstance(value, dict | list):
        return value
    if not isinstance(value, str):
        raise _bad(name, "a Json value is a JSON text")
    try:
        return json.loads(value)
    except (ValueError, RecursionError):
        raise _bad(name, "the value is not valid JSON text")


def to_typed(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Plain JSON data → Camunda typed values."""
    typed = {}
    for name, value in data.items():
        if value is None:
            kind, shown = "Null", None
        elif isinstance(value, bool):
            kind, shown = "Boolean", value
        elif isinstance(value, int):
            if -(2**31) <= value < 2**31:
                kind, shown = "Integer", value
            elif -(2**63) <= value < 2**63:
                kind, shown = "Long", value
            else:  # wider than any Camunda number: its digits, as JSON
                kind, shown = "Json", json.dumps(value)
        elif isinstance(value, float):
            kind, shown = "Double", value
        elif isinstance(value, str):
            kind, shown = "String", value
        else:
            kind, shown = "Json", json.dumps(value, ensure_ascii=False)
        typed[name] = {"value": shown, "type": kind, "valueInfo": {}}
    return typed


# --- requests ---------------------------------------------------------------------------------


class JsonBool(fields.Boolean):
    """true or false in a JSON body, nothing else (marshmallow also takes 0, 1, "yes" …)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise ValidationError("must be true or false")
        return value


class JsonInt(fields.Integer):
    """A whole number in a JSON body: not a boolean, not a float."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(strict=True, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        if isinstance(value, bool):
            raise ValidationError("must be a whole number")
        return super()._deserialize(value, attr, data, **kwargs)


class FetchTopicSchema(Schema):
    topicName = Text(required=True, length=(1, 200))
    lockDuration = JsonInt(required=True, validate=validate.Range(1, 7 * 24 * 3600 * 1000))
    variables = fields.List(Text(length=(1, 200)), allow_none=True)
    localVariables = JsonBool()  # accepted; a task's variables are its branch's
    businessKey = Text(length=(1, 100), allow_none=True)
    processDefinitionKey = Text(length=(1, 200), allow_none=True)
    processVariables = fields.Dict(keys=Text(length=(1, 200)), allow_none=True)
    deserializeValues = JsonBool()  # Json values are always sent as JSON text
    includeExtensionProperties = JsonBool()  # there are none to include


class FetchAndLockBody(Schema):
    workerId = Text(required=True, length=(1, 200))
    maxTasks = JsonInt(load_default=10, validate=validate.Range(0, 1000))
    usePriority = JsonBool(load_default=False)
    asyncResponseTimeout = JsonInt(
        load_default=0,
        validate=validate.Range(0, 60_000),
        metadata={"description": "long polling: wait up to this many ms for a task (at most 60 s)"},
    )
    topics = fields.List(fields.Nested(FetchTopicSchema), required=True)
    sorting = fields.List(fields.Dict(), allow_none=True, metadata={"description": "accepted, not applied"})


class ExternalCompleteBody(Schema):
    workerId = Text(required=True, length=(1, 200))
    variables = Variables(allow_none=True)
    localVariables = Variables(allow_none=True)


class ExternalFailureBody(Schema):
    workerId = Text(required=True, length=(1, 200))
    errorMessage = fields.String(allow_none=True)
    errorDetails = fields.String(allow_none=True)
    retries = JsonInt(load_default=0, validate=validate.Range(0, 1_000_000))
    retryTimeout = JsonInt(load_default=0, validate=validate.Range(0, 30 * 24 * 3600 * 1000))


class BpmnErrorBody(Schema):
    workerId = Text(required=True, length=(1, 200))
    errorCode = Text(required=True, length=(1, 200))
    errorMessage = fields.String(allow_none=True)
    variables = Variables(allow_none=True)


class ExtendLockBody(Schema):
    workerId = Text(required=True, length=(1, 200))
    newDuration = JsonInt(required=True, validate=validate.Range(1, 7 * 24 * 3600 * 1000))


class ExternalRetriesBody(Schema):
    retries = JsonInt(required=True, validate=validate.Range(0, 1_000_000))


class ExternalTaskFilter(Schema):
    topicName = Text(length=(1, 200))
    workerId = Text(length=(1, 200))
    locked = fields.Boolean()
    notLocked = fields.Boolean()
    withRetriesLeft = fields.Boolean()
    noRetriesLeft = fields.Boolean()
    processInstanceId = Text(length=(1, 20))
    activityId = Text(length=(1, 200))
    externalTaskId = Text(length=(1, 32))


class ExternalTaskCountBody(ExternalTaskFilter):
    locked = JsonBool()
    notLocked = JsonBool()
    withRetriesLeft = JsonBool()
    noRetriesLeft = JsonBool()


class ExternalTaskListQuery(ExternalTaskFilter):
    firstResult = fields.Integer(load_default=0, validate=validate.Range(0, 10**9))
    maxResults = fields.Integer(load_default=100, validate=validate.Range(1, 1000))


# --- responses --------------------------------------------------------------------------------


class ExternalTaskSchema(Schema):
    id = fields.String(required=True)
    topicName = fields.String(required=True)
    workerId = fields.String(required=True, allow_none=True)
    lockExpirationTime = fields.String(required=True, allow_none=True)
    processInstanceId = fields.String(required=True)
    executionId = fields.String(required=True)
    activityId = fields.String(required=True)
    activityInstanceId = fields.String(required=True)
    processDefinitionId = fields.String(required=True)
    processDefinitionKey = fields.String(required=True)
    processDefinitionVersionTag = fields.String(required=True, allow_none=True)
    tenantId = fields.String(required=True, allow_none=True)
    retries = fields.Integer(required=True, allow_none=True)
    suspended = fields.Boolean(required=True)
    errorMessage = fields.String(required=True, allow_none=True)
    priority = fields.Integer(required=True)
    businessKey = fields.String(required=True, allow_none=True)
    createTime = fields.String(required=True)
    status = fields.String(required=True, metadata={"description": "open, completed, cancelled, incident"})


class LockedExternalTaskSchema(ExternalTaskSchema):
    variables = Variables(required=True)
    errorDetails = fields.String(required=True, allow_none=True)
    extensionProperties = fields.Dict(required=True)


class LockedExternalTaskList(LockedExternalTaskSchema):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(many=True, **kwargs)


class ExternalTaskList(ExternalTaskSchema):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(many=True, **kwargs)


class ExternalTaskCount(Schema):
    count = fields.Integer(required=True)
