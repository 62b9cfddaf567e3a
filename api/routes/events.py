"""Messages and signals from other systems: /messages, /signals."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, url_for

from api.operation import Reply, operation
from api.routes.links import instance_links
from api.schemas.events import DeliverySchema, MessageBody, SignalBody, SignalReportSchema
from engine import Engine
from engine.actor import Actor
from engine.events import SignalReport

bp = Blueprint("events", __name__)


@bp.post("/messages")
@operation(
    "Deliver a message to the one instance waiting for it, or start an instance on it",
    description="Correlated by `name` and `correlation_key` (or the correlation property values the "
    "payload carries), and by `business_key` when given. 200: delivered to a waiting instance; "
    "201: no instance waited but a model starts on this message, and a new instance was started "
    "(`Location` names it). Messages are not buffered: nobody waiting and nothing starting on it is "
    "404, so the sender knows at once it went nowhere. 409: several instances wait under this key, "
    "or the waiting instance is suspended. 403: the model's `senderGroups` do not include the sender.",
    body=MessageBody,
    response=DeliverySchema,
    also={201: "no instance waited: the message started a new one"},
    response_headers={"Location": {"schema": {"type": "string"}, "description": "201: the new instance"}},
    errors=(404, 409, 422),
    links=instance_links("$response.body#/instance_id"),
)
def send_message(engine: Engine, actor: Actor, body: dict[str, Any]) -> Reply:
    delivery = engine.events.correlate_message(
        body["name"], body["correlation_key"], body["data"], actor, business_key=body["business_key"]
    )
    if not delivery.started:
        return Reply(delivery)
    location = url_for("instances.get_instance", instance_id=delivery.instance_id)
    return Reply(delivery, status=201, headers={"Location": location})


@bp.post("/signals")
@operation(
    "Broadcast a signal to every instance waiting for it, and start every model that starts on it",
    description="200 even when no instance waited (`delivered` is empty). Each waiting instance "
    "receives the signal in its own transaction; one that cannot (the model's `senderGroups` exclude "
    "the sender, its process fails) is listed in `failed` without undoing the others. A model that "
    "starts on the signal but does not accept this sender: 403, after the waiting instances received it.",
    body=SignalBody,
    response=SignalReportSchema,
    errors=(422,),
)
def broadcast_signal(engine: Engine, actor: Actor, body: dict[str, Any]) -> SignalReport:
    return engine.events.broadcast_signal(body["name"], body["data"], actor)
