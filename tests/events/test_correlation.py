"""Message correlation on the catching side: BPMN correlation properties (one or several per message,
their values given as the key or carried in the payload) and Camunda's business key — through the
engine, the `approvals message` command and HTTP."""

from __future__ import annotations

import json

import pytest

from engine.actor import SYSTEM
from engine.errors import Conflict, NotFound
from tests.factories import MODELS, deploy_path


@pytest.fixture
def orders(engine):
    """Two payments waiting: orders A-1 and A-2 of the same customer, business keys P-1 and P-2."""
    deploy_path(engine, MODELS / "payments")
    first = engine.runtime.start("payments", SYSTEM, {"order_no": "A-1", "customer": "ACME"}, "P-1")
    second = engine.runtime.start("payments", SYSTEM, {"order_no": "A-2", "customer": "ACME"}, "P-2")
    return first.id, second.id


def _waiting_at(engine, instance_id):
    return engine.runtime.get(instance_id, SYSTEM).waiting_for


def test_the_key_is_the_value_of_the_correlation_property(engine, orders):
    first, second = orders
    delivery = engine.events.correlate_message("payment_received", "A-2", {"amount": 5}, SYSTEM)
    assert (delivery.instance_id, delivery.element_id) == (second, "paid")
    assert _waiting_at(engine, second) == ["message 'goods_delivered' at delivered"]
    assert _waiting_at(engine, first) == ["message 'payment_received' at paid"]


def test_the_property_values_may_travel_in_the_message(engine, orders):
    """As BPMN has it, the retrieval expression reads the value from the message itself."""
    first, second = orders
    delivery = engine.events.correlate_message(
        "payment_received", None, {"order_no": "A-1", "amount": 3}, SYSTEM
    )
    assert delivery.instance_id == first
    data = engine.runtime.get(first, SYSTEM).data
    assert data["amount"] == 3 and data["order_no"] == "A-1"
    assert _waiting_at(engine, second) == ["message 'payment_received' at paid"]


def test_every_property_of_a_key_counts(engine, orders):
    """goods_delivered is correlated by customer *and* order: the customer alone is not enough."""
    first, second = orders
    for _instance_id, order in ((first, "A-1"), (second, "A-2")):
        engine.events.correlate_message("payment_received", order, {"amount": 1}, SYSTEM)
    with pytest.raises(NotFound):
        engine.events.correlate_message("goods_delivered", None, {"customer": "ACME"}, SYSTEM)
    delivery = engine.events.correlate_message(
        "goods_delivered", None, {"customer": "ACME", "order_no": "A-2", "carrier": "DHL"}, SYSTEM
    )
    assert delivery.instance_id == second
    assert engine.runtime.get(second, SYSTEM).status == "completed"
    assert engine.runtime.get(first, SYSTEM).status == "running"


def test_a_value_nobody_waits_under_reaches_nobody(engine, orders):
    first, second = orders
    with pytest.raises(NotFound):
        engine.events.correlate_message("payment_received", None, {"order_no": "A-9", "amount": 1}, SYSTEM)
    with pytest.raises(NotFound):
        engine.events.correlate_message("payment_received", "A-9", {"amount": 1}, SYSTEM)
    # A key and a payload that disagree: the key is what the sender says it is; the payload's
    # correlation field then contradicts the instance it names.
    with pytest.raises(NotFound):
        engine.events.correlate_message("payment_received", "A-1", {"order_no": "A-2", "amount": 1}, SYSTEM)
    for instance_id in (first, second):
        assert _waiting_at(engine, instance_id) == ["message 'payment_received' at paid"]


def test_the_business_key_correlates_as_in_camunda(engine, orders):
    first, second = orders
    delivery = engine.events.correlate_message(
        "payment_received", None, {"amount": 7}, SYSTEM, business_key="P-1"
    )
    assert delivery.instance_id == first
    # The business key of an instance that waits for something else reaches nobody.
    with pytest.raises(NotFound):
        engine.events.correlate_message("payment_received", None, {"amount": 7}, SYSTEM, business_key="P-1")
    with pytest.raises(NotFound):
        engine.events.correlate_message("payment_received", None, {"amount": 7}, SYSTEM, business_key="P-3")
    # Business key and correlation values together must both match.
    with pytest.raises(NotFound):
        engine.events.correlate_message("payment_received", "A-1", {"amount": 7}, SYSTEM, business_key="P-2")
    assert (
        engine.events.correlate_message(
            "payment_received", "A-2", {"amount": 7}, SYSTEM, business_key="P-2"
        ).instance_id
        == second
    )


def test_the_same_values_in_two_instances_are_ambiguous(engine):
    deploy_path(engine, MODELS / "payments")
    for _ in range(2):
        engine.runtime.start("payments", SYSTEM, {"order_no": "SAME", "customer": "ACME"})
    with pytest.raises(Conflict, match="several instances"):
        engine.events.correlate_message("payment_received", None, {"order_no": "SAME", "amount": 1}, SYSTEM)


def test_over_http(api):
    engine = api.engine
    deploy_path(engine, MODELS / "payments")
    first = engine.runtime.start("payments", SYSTEM, {"order_no": "H-1", "customer": "C"}, "B-1").id
    second = engine.runtime.start("payments", SYSTEM, {"order_no": "H-2", "customer": "C"}, "B-2").id
    root = api.client("root")
    by_payload = root.post(
        "/messages", json={"name": "payment_received", "data": {"order_no": "H-2", "amount": 2}}
    )
    assert by_payload.status_code == 200, by_payload.text
    assert by_payload.json()["instance_id"] == second
    by_business_key = root.post(
        "/messages", json={"name": "payment_received", "business_key": "B-1", "data": {"amount": 4}}
    )
    assert by_business_key.status_code == 200, by_business_key.text
    assert by_business_key.json()["instance_id"] == first
    nobody = root.post(
        "/messages", json={"name": "goods_delivered", "data": {"customer": "C", "order_no": "H-3"}}
    )
    assert nobody.status_code == 404, nobody.text


def test_from_the_command_line(cli):
    cli("deploy", str(MODELS / "payments"))
    cli("users", "add", "olaf", "--groups", "sales")
    ids = []
    for order in ("C-1", "C-2"):
        started = cli(
            "start",
            "payments",
            "--data",
            json.dumps({"order_no": order, "customer": "Z"}),
            "--business-key",
            f"K-{order}",
            "--user",
            "olaf",
            "--json",
        )
        ids.append(json.loads(started.stdout)["instance"]["id"])
    delivered = cli("message", "payment_received", "--data", '{"order_no": "C-2", "amount": 1}')
    assert f"delivered to instance {ids[1]} (paid)" in delivered.stdout
    assert "waiting for:  message 'goods_delivered' at delivered" in cli("instance", str(ids[1])).stdout
    by_key = cli("message", "payment_received", "--business-key", "K-C-1", "--data", '{"amount": 1}')
    assert f"delivered to instance {ids[0]} (paid)" in by_key.stdout
    refused = cli("message", "goods_delivered", "--data", '{"customer": "Z"}', ok=False)
    assert refused.returncode == 1 and "no process waits for message 'goods_delivered'" in refused.stderr
