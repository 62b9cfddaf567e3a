"""Instances for the auditors' pages, worked through the engine: a contract review that went round
the rework loop once and was approved."""

from __future__ import annotations

from engine.actor import Actor
from tests.process_models.conftest import Process
from tests.process_models.test_contract_review import contract
from tests.web.conftest import Ui


def people(ui: Ui) -> dict[str, Actor]:
    if "asa" not in {u.name for u in ui.engine.identity.list_users()}:
        ui.engine.identity.add_user("asa", ["sales_assistant"])
    return {name: ui.engine.identity.actor(name) for name in ("sam", "mona", "milo", "fay", "asa")}


def reworked_contract(ui: Ui, customer: str = "ACME Trading") -> int:
    """Finance rejects the first round; sam revises; the second round is approved and signed."""
    p = Process(ui.engine, "contract_review", people(ui))
    iid = p.start("sam", contract(300_000, customer=customer))
    p.approve(iid, "manager_review", "mona")
    p.reject(iid, "finance_review", "fay", "payment term too long", payment_terms_ok=False, margin_ok=True)
    p.complete(iid, "revise", "sam", action="resubmit", payment_term_days=15, revision_note="term 15 days")
    p.approve(iid, "manager_review", "milo")
    p.approve(iid, "finance_review", "fay", payment_terms_ok=True, margin_ok=True)
    p.complete(iid, "record_signing", "asa", signed_date="2026-03-06", sales_order_no="SO-1")
    assert p.status(iid) == "completed"
    return iid


def waiting_contract(ui: Ui) -> int:
    """Started and approved by the manager: finance's review is open."""
    p = Process(ui.engine, "contract_review", people(ui))
    iid = p.start("sam", contract(200_000))
    p.approve(iid, "manager_review", "mona")
    return iid
