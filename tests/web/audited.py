"""Contract reviews for the auditors' pages and the path tests, worked through the engine: one that
went round the rework loop once and was approved, one waiting for finance."""

from __future__ import annotations

from engine import Engine
from engine.actor import Actor
from tests.process_models.conftest import Process
from tests.process_models.test_contract_review import contract


def people(engine: Engine) -> dict[str, Actor]:
    """The web tests' people (tests/web/conftest.py) and a sales assistant, or the scenario staff."""
    known = {u.name for u in engine.identity.list_users()}
    if "asa" not in known:
        engine.identity.add_user("asa", ["sales_assistant"])
    return {name: engine.identity.actor(name) for name in ("sam", "mona", "milo", "fay", "asa")}


def reworked_contract(engine: Engine, customer: str = "ACME Trading") -> int:
    """Finance rejects the first round; sam revises; the second round is approved and signed."""
    p = Process(engine, "contract_review", people(engine))
    iid = p.start("sam", contract(300_000, customer=customer))
    p.approve(iid, "manager_review", "mona")
    p.reject(iid, "finance_review", "fay", "payment term too long", payment_terms_ok=False, margin_ok=True)
    p.complete(iid, "revise", "sam", action="resubmit", payment_term_days=15, revision_note="term 15 days")
    p.approve(iid, "manager_review", "milo")
    p.approve(iid, "finance_review", "fay", payment_terms_ok=True, margin_ok=True)
    p.complete(iid, "record_signing", "asa", signed_date="2026-03-06", sales_order_no="SO-1")
    assert p.status(iid) == "completed"
    return iid


def waiting_contract(engine: Engine) -> int:
    """Started and approved by the manager: finance's review is open."""
    p = Process(engine, "contract_review", people(engine))
    iid = p.start("sam", contract(200_000))
    p.approve(iid, "manager_review", "mona")
    return iid
