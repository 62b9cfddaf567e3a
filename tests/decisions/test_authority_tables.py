"""The five processes' DMN tables, loaded from process_models/, at and across every boundary."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from engine.dmn import DecisionModel, load_decision_model
from engine.errors import DecisionError

MODELS = Path(__file__).resolve().parents[2] / "process_models"
FILES = {
    "contract_review": ["contract_review/contract_rules.dmn"],
    "credit_approval": ["credit_approval/credit_rules.dmn"],
    "price_float": ["_shared/price_authority.dmn"],
    "promotion_campaign": ["promotion_campaign/campaign_rules.dmn"],
    "complaint_handling": ["complaint_handling/complaint_rules.dmn", "_shared/price_authority.dmn"],
    "receivables_review": ["receivables_review/receivables_rules.dmn"],
}


DECISIONS = {
    "contract_approval_level",
    "contract_legal_review",
    "credit_grade_limits",
    "credit_guarantee_required",
    "credit_approval_level",
    "price_authority",
    "campaign_filing",
    "campaign_budget_approval",
    "complaint_sla",
    "ageing_bucket",
    "collection_required",
}


def bundle(key: str) -> DecisionModel:
    return load_decision_model({Path(f).name: (MODELS / f).read_bytes() for f in FILES[key]})


@pytest.fixture(scope="module")
def contract() -> DecisionModel:
    return bundle("contract_review")


@pytest.fixture(scope="module")
def credit() -> DecisionModel:
    return bundle("credit_approval")


@pytest.fixture(scope="module")
def price() -> DecisionModel:
    return bundle("price_float")


@pytest.fixture(scope="module")
def campaign() -> DecisionModel:
    return bundle("promotion_campaign")


@pytest.fixture(scope="module")
def receivables() -> DecisionModel:
    return bundle("receivables_review")


def test_every_file_is_dmn_13_valid_against_the_schema() -> None:
    import SpiffWorkflow.dmn.parser as spiff_dmn_parser

    schema_file = Path(spiff_dmn_parser.__file__).parent / "schema" / "DMN13.xsd"
    schema = etree.XMLSchema(etree.parse(str(schema_file)))
    files = sorted({MODELS / f for paths in FILES.values() for f in paths})
    assert len(files) == 6
    for file in files:
        assert schema.validate(etree.parse(str(file))), (file, schema.error_log)


def test_all_files_load_together_with_the_expected_decisions() -> None:
    model = load_decision_model({f.name: f.read_bytes() for f in MODELS.glob("*/*.dmn")})
    assert set(model.decisions) >= DECISIONS
    # Written in FEEL, so the standard's UNIQUE and type checks apply (no SpiffWorkflow leniency).
    assert not any(model.find(d).spiffworkflow_style for d in DECISIONS)


@pytest.mark.parametrize(
    ("amount", "level", "vp", "gm"),
    [
        (0, "sales_manager", False, False),
        (499_999, "sales_manager", False, False),
        (499_999.99, "sales_manager", False, False),
        (500_000, "sales_vp", True, False),
        (1_999_999, "sales_vp", True, False),
        (1_999_999.99, "sales_vp", True, False),
        (2_000_000, "general_manager", True, True),
        (50_000_000, "general_manager", True, True),
    ],
)
def test_contract_approval_level(
    contract: DecisionModel, amount: float, level: str, vp: bool, gm: bool
) -> None:
    assert contract.evaluate("contract_approval_level", {"amount": amount}).result == {
        "approval_level": level,
        "needs_sales_vp": vp,
        "needs_general_manager": gm,
    }


@pytest.mark.parametrize(
    ("standard", "amount", "legal"),
    [
        (True, 999_999, False),
        (True, 999_999.99, False),
        (True, 1_000_000, True),
        (True, 3_000_000, True),
        (False, 1, True),
        (False, 1_000_000, True),
        (None, 10, True),
    ],
)
def test_contract_legal_review(
    contract: DecisionModel, standard: bool | None, amount: int, legal: bool
) -> None:
    outcome = contract.evaluate("contract_legal_review", {"standard_template": standard, "amount": amount})
    assert outcome.result is legal


def test_contract_amount_must_be_a_number(contract: DecisionModel) -> None:
    with pytest.raises(DecisionError, match="amount"):
        contract.evaluate("contract_approval_level", {"amount": "500000"})


@pytest.mark.parametrize(
    ("grade", "limit", "term"), [("A", 2_000_000, 90), ("B", 1_000_000, 60), ("C", 300_000, 30), ("D", 0, 0)]
)
def test_credit_grade_limits(credit: DecisionModel, grade: str, limit: int, term: int) -> None:
    assert credit.evaluate("credit_grade_limits", {"grade": grade}).result == {
        "max_limit": limit,
        "max_term_days": term,
    }


def test_unknown_credit_grade_is_refused(credit: DecisionModel) -> None:
    with pytest.raises(DecisionError, match="allowed values"):
        credit.evaluate("credit_grade_limits", {"grade": "E"})


@pytest.mark.parametrize(
    ("customer_type", "required"), [("new", True), ("overseas", True), ("existing", False)]
)
def test_credit_guarantee_required(credit: DecisionModel, customer_type: str, required: bool) -> None:
    assert credit.evaluate("credit_guarantee_required", {"customer_type": customer_type}).result is required


@pytest.mark.parametrize(
    ("limit", "term", "level"),
    [
        (0, 0, "sales_manager"),
        (200_000, 30, "sales_manager"),
        (200_001, 30, "sales_vp"),
        (200_000, 31, "sales_vp"),
        (200_000.01, 30, "sales_vp"),
        (1_000_000, 60, "sales_vp"),
        (1_000_000, 30, "sales_vp"),
        (100_000, 60, "sales_vp"),
        (1_000_001, 60, "general_manager"),
        (1_000_000, 61, "general_manager"),
        (50_000, 90, "general_manager"),
        (5_000_000, 10, "general_manager"),
    ],
)
def test_credit_approval_level(credit: DecisionModel, limit: float, term: int, level: str) -> None:
    assert (
        credit.evaluate("credit_approval_level", {"requested_limit": limit, "term_days": term}).result
        == level
    )


def test_credit_approval_level_escalates_when_data_is_missing(credit: DecisionModel) -> None:
    assert credit.evaluate("credit_approval_level", {"requested_limit": 1000}).result == "general_manager"


@pytest.mark.parametrize(
    ("deviation", "below_cost", "authority", "auto"),
    [
        (-2, False, "sales_rep", True),
        (0, False, "sales_rep", True),
        (3, False, "sales_rep", True),
        (3.0001, False, "sales_manager", False),
        (5, False, "sales_manager", False),
        (5.01, False, "sales_vp", False),
        (10, False, "sales_vp", False),
        (10.5, False, "general_manager", False),
        (15, False, "general_manager", False),
        (15.01, False, "reject", False),
        (40, False, "reject", False),
        (1, True, "reject", False),
        (12, True, "reject", False),
        (2, None, "sales_rep", True),
    ],
)
def test_price_authority(
    price: DecisionModel, deviation: float, below_cost: bool | None, authority: str, auto: bool
) -> None:
    result = price.evaluate("price_authority", {"deviation_pct": deviation, "below_cost": below_cost}).result
    assert result == {"authority": authority, "auto_approved": auto}


def test_complaint_bundle_shares_the_price_authority_table() -> None:
    model = bundle("complaint_handling")
    assert (
        model.evaluate("Price authority", {"deviation_pct": 8, "below_cost": False}).result["authority"]
        == "sales_vp"
    )
    assert model.find("price_authority").file == "price_authority.dmn"


@pytest.mark.parametrize(
    ("scope", "budget", "cut", "filing_only"),
    [
        ("local", 0, 0, True),
        ("local", 49_999, 5, True),
        ("local", 49_999.99, None, True),
        ("local", 50_000, 0, False),
        ("local", 49_999, 5.01, False),
        ("local", 10_000, 20, False),
        ("regional", 1_000, 0, False),
        ("national", 1_000, 0, False),
    ],
)
def test_campaign_filing(
    campaign: DecisionModel, scope: str, budget: float, cut: float | None, filing_only: bool
) -> None:
    data = {"scope": scope, "budget_estimate": budget, "max_price_cut_pct": cut}
    assert campaign.evaluate("campaign_filing", data).result is filing_only


def test_campaign_scope_must_be_known(campaign: DecisionModel) -> None:
    with pytest.raises(DecisionError, match="allowed values"):
        campaign.evaluate(
            "campaign_filing", {"scope": "global", "budget_estimate": 1, "max_price_cut_pct": 0}
        )


@pytest.mark.parametrize(
    ("budget", "group"),
    [
        (0, "marketing"),
        (50_000, "marketing"),
        (50_000.01, "sales_vp"),
        (200_000, "sales_vp"),
        (200_001, "general_manager"),
        (1_000_000, "general_manager"),
        (1_000_001, "president_office"),
    ],
)
def test_campaign_budget_approval(campaign: DecisionModel, budget: float, group: str) -> None:
    assert campaign.evaluate("campaign_budget_approval", {"total_budget": budget}).result == group


@pytest.mark.parametrize(
    ("severity", "acknowledge", "resolve"),
    [("critical", "PT4H", "P2D"), ("major", "P1D", "P5D"), ("minor", "P2D", "P10D")],
)
def test_complaint_sla(severity: str, acknowledge: str, resolve: str) -> None:
    result = bundle("complaint_handling").evaluate("complaint_sla", {"severity": severity}).result
    assert result == {"acknowledge_within": acknowledge, "resolve_within": resolve}


@pytest.mark.parametrize(
    ("days", "bucket", "collection"),
    [
        (0, None, False),
        (1, "1-30", False),
        (30, "1-30", False),
        (31, "31-60", False),
        (60, "31-60", False),
        (61, "61-90", False),
        (90, "61-90", False),
        (91, "91-120", True),
        (120, "91-120", True),
        (121, "121+", True),
        (400, "121+", True),
        (-5, None, False),
    ],
)
def test_receivables(receivables: DecisionModel, days: int, bucket: str | None, collection: bool) -> None:
    assert receivables.evaluate("ageing_bucket", {"days_overdue": days}).result == bucket
    assert receivables.evaluate("collection_required", {"days_overdue": days}).result is collection


def test_traces_of_a_real_table_are_readable(contract: DecisionModel) -> None:
    trace = contract.evaluate("contract_approval_level", {"amount": 500_000}).trace[0].as_dict()
    assert trace == {
        "decision_id": "contract_approval_level",
        "decision_name": "Contract approval level",
        "inputs": {"Contract amount": 500_000},
        "matched_rules": ["contract_approval_level_rule_2"],
        "outputs": {"approval_level": "sales_vp", "needs_sales_vp": True, "needs_general_manager": False},
    }
