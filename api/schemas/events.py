"""Messages and signals sent in from outside."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, pre_dump

from api.schemas.fields import BusinessKey, JsonObject, Text
from engine.events import SignalReport

# Event names and correlation keys are matched against 200-character columns: a longer one could
# never match anything.
EVENT_NAME_LENGTH = (1, 200)


class MessageBody(Schema):
    name = Text(required=True, length=EVENT_NAME_LENGTH, metadata={"example": "customer_confirmed"})
    correlation_key = Text(
        length=EVENT_NAME_LENGTH,
        allow_none=True,
        load_default=None,
        metadata={
            "description": "the key the waiting instance is known by: its business key, or the value of "
            "the catching event's correlation expression; null or left out matches only waits that "
            "have no key. A message start event makes it the new instance's business key.",
            "example": "TS-2026-000001",
        },
    )
    business_key = BusinessKey(
        allow_none=True,
        load_default=None,
        metadata={
            "description": "only the instance with this business key receives it (Camunda's "
            "messageName + businessKey); with `correlation_key` both must match. A message start "
            "event makes it the new instance's business key."
        },
    )
    data = JsonObject(
        load_default=dict,
        metadata={
            "description": "payload, merged into the process data. Without `correlation_key`, the "
            "values of the message's BPMN correlation properties are read from it (and not merged again)"
        },
    )


class DeliverySchema(Schema):
    instance_id = fields.Integer(required=True, metadata={"description": "the instance that received it"})
    element_id = fields.String(required=True, metadata={"description": "the catching or start event"})
    started = fields.Boolean(
        required=True, metadata={"description": "true: a message/signal start event started this instance"}
    )


class SignalBody(Schema):
    name = Text(required=True, length=EVENT_NAME_LENGTH, metadata={"example": "product_recall"})
    data = JsonObject(
        load_default=dict, metadata={"description": "payload, merged into each receiver's data"}
    )


class SignalFailureSchema(Schema):
    instance_id = fields.Integer(required=True)
    error = fields.String(required=True)


class SignalReportSchema(Schema):
    delivered = fields.List(fields.Nested(DeliverySchema), required=True)
    failed = fields.List(
        fields.Nested(SignalFailureSchema),
        required=True,
        metadata={"description": "waiting instances the signal could not be delivered to, and why"},
    )

    @pre_dump
    def _failures_as_list(self, report: Any, **kwargs: Any) -> Any:
        # The engine keys failures by instance id; JSON object keys would turn the ids into strings.
        if not isinstance(report, SignalReport):
            return report
        failed = [{"instance_id": i, "error": e} for i, e in sorted(report.failed.items())]
        return {"delivered": report.delivered, "failed": failed}
