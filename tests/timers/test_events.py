"""Messages (correlated to one waiting instance, or starting one) and signals (broadcast)."""

from datetime import timedelta

import pytest

from engine.actor import SYSTEM
from engine.errors import Conflict, NotFound, PermissionDenied
from engine.tasks.service import TaskQuery
from tests.factories import MODELS, add_users, deploy_path


def history_types(engine, instance_id):
    return [e.type for e in engine.history.events(instance_id, SYSTEM)]


@pytest.fixture
def people(engine):
    deploy_path(engine, MODELS / "confirmation")
    return add_users(engine, cara="customer_service", sam="sales_rep", root="admin")


def test_a_message_reaches_the_instance_waiting_under_its_key(engine, people):
    first = engine.runtime.start("confirmation", people["sam"], {"complaint_no": "TS-2026-000001"})
    second = engine.runtime.start("confirmation", people["sam"], {"complaint_no": "TS-2026-000002"})
    delivery = engine.events.correlate_message(
        "customer_confirmed", "TS-2026-000002", {"satisfied": True, "note": "thanks"}, people["cara"]
    )
    assert (delivery.instance_id, delivery.element_id, delivery.started) == (second.id, "confirmed", False)
    done = engine.runtime.get(second.id, SYSTEM)
    assert done.status == "completed" and done.data["satisfied"] is True
    assert [e.element_id for e in engine.history.events(second.id, SYSTEM) if e.type == "end_event"] == [
        "closed_confirmed"
    ]
    received = next(e for e in engine.history.events(second.id, SYSTEM) if e.type == "message_received")
    assert received.actor == "cara" and received.data["data"] == {"satisfied": True, "note": "thanks"}
    # The event-based gateway's other branches stopped waiting.
    assert engine.timers.list(SYSTEM, instance_id=second.id) == []
    assert engine.runtime.get(first.id, SYSTEM).status == "running"


def test_a_message_nobody_waits_for_is_refused(engine, people):
    engine.runtime.start("confirmation", people["sam"], {"complaint_no": "TS-1"})
    with pytest.raises(NotFound, match="no process waits for message 'customer_confirmed' with key 'TS-9'"):
        engine.events.correlate_message("customer_confirmed", "TS-9", {}, people["cara"])
    with pytest.raises(NotFound):
        engine.events.correlate_message("unknown_message", "TS-1", {}, people["cara"])


def test_only_the_groups_the_model_names_may_send_it(engine, people):
    engine.runtime.start("confirmation", people["sam"], {"complaint_no": "TS-1"})
    with pytest.raises(PermissionDenied, match="customer_service"):
        engine.events.correlate_message("customer_confirmed", "TS-1", {}, people["sam"])


def test_an_ambiguous_message_is_refused(engine, people):
    engine.runtime.start("confirmation", people["sam"], {"complaint_no": "SAME"})
    engine.runtime.start("confirmation", people["sam"], {"complaint_no": "SAME"})
    with pytest.raises(Conflict, match="several instances"):
        engine.events.correlate_message("customer_confirmed", "SAME", {}, people["cara"])


def test_the_timer_branch_of_the_event_gateway_closes_silently(engine, people, clock):
    instance = engine.runtime.start("confirmation", people["sam"], {"complaint_no": "TS-3"})
    clock.advance(timedelta(days=7))
    assert engine.timers.fire_due().fired == 1
    assert engine.runtime.get(instance.id, SYSTEM).status == "completed"
    types = history_types(engine, instance.id)
    assert "timer_fired" in types and types.count("message_wait_cancelled") == 1
    with pytest.raises(NotFound):
        engine.events.correlate_message("customer_confirmed", "TS-3", {}, people["cara"])


def test_a_signal_is_broadcast_to_every_waiting_instance(engine, people):
    ids = [
        engine.runtime.start("confirmation", people["sam"], {"complaint_no": f"TS-{n}"}).id for n in range(3)
    ]
    report = engine.events.broadcast_signal("product_recall", {"batch": "B7"}, people["root"])
    assert sorted(d.instance_id for d in report.delivered) == ids and report.failed == {}
    for instance_id in ids:
        info = engine.runtime.get(instance_id, SYSTEM)
        assert info.status == "completed" and info.data["batch"] == "B7"
    assert engine.events.broadcast_signal("product_recall", {}, people["root"]).delivered == []


def test_a_message_start_event_starts_an_instance(engine):
    deploy_path(engine, MODELS / "intake")
    cara = add_users(engine, cara="customer_service")["cara"]
    delivery = engine.events.correlate_message("complaint_received", "C-77", {"customer": "ACME"}, cara)
    assert delivery.started and delivery.element_id == "received"
    instance = engine.runtime.get(delivery.instance_id, SYSTEM)
    assert (instance.business_key, instance.initiator, instance.data["customer"]) == ("C-77", "cara", "ACME")
    assert [t.element_id for t in engine.tasks.list(SYSTEM, TaskQuery(instance_id=instance.id))] == [
        "register"
    ]
    started = engine.history.events(instance.id, SYSTEM)[0]
    assert started.data["trigger"] == {
        "kind": "message",
        "element_id": "received",
        "name": "complaint_received",
        "correlation_key": "C-77",
    }
