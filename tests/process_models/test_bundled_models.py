"""The bundled models as a whole: strict deployment, forms, the data contract, defaults kept out of code,
and validation messages for broken copies."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from lxml import etree

from engine.actor import SYSTEM
from engine.errors import ModelValidationError
from tests.factories import deploy_files
from tests.process_models.conftest import MODELS_DIR, ORGANISATION

KEYS = [
    "complaint_handling",
    "contract_review",
    "credit_approval",
    "price_float",
    "promotion_campaign",
    "receivables_review",
]
NS = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL", "camunda": "http://camunda.org/schema/1.0/bpmn"}
FORMS = MODELS_DIR.parent / "forms"

# PROCESSES.md: the start data field names other systems rely on.
DATA_CONTRACT = {
    "contract_review": [
        "customer",
        "customer_type",
        "amount",
        "currency",
        "lines",
        "payment_term_days",
        "delivery_date",
        "standard_template",
        "attachment",
    ],
    "credit_approval": [
        "customer",
        "customer_type",
        "requested_limit",
        "term_days",
        "current_limit",
        "outstanding",
        "overdue",
        "reason",
        "guarantee",
    ],
    "price_float": [
        "customer",
        "product",
        "base_price",
        "requested_price",
        "quantity",
        "reason",
        "unit_cost",
        "competitor_evidence",
    ],
    "promotion_campaign": [
        "title",
        "scope",
        "budget_estimate",
        "max_price_cut_pct",
        "background",
        "start_date",
        "end_date",
    ],
    "complaint_handling": [
        "customer",
        "channel",
        "product",
        "batch",
        "description",
        "severity",
        "claim_amount",
    ],
}
PREFIXES = {
    "contract_review": "HT",
    "credit_approval": "XY",
    "price_float": "JG",
    "promotion_campaign": "CX",
    "complaint_handling": "TS",
}
# Approval tasks whose approver may pass the request up.
ESCALATING = {"approve_manager", "approve_vp", "allow_manager", "allow_vp"}


def bpmn(key: str) -> etree._Element:
    return etree.parse(str(MODELS_DIR / key / f"{key}.bpmn")).getroot()


def form(key: str, form_key: str) -> dict:
    return json.loads((FORMS / key / f"{form_key}.json").read_text("utf-8"))


def test_every_bundled_model_deploys_strictly_without_warnings_and_only_changes_make_versions(engine):
    bundles = engine.repository.bundles_from_paths([MODELS_DIR])
    results = engine.repository.deploy(bundles, SYSTEM, strict=True, organisation=ORGANISATION)
    # complaint_handling ships its version 1 (versions/1/) too: a fresh repository gets both.
    assert [(r.version.model_key, r.version.version) for r in results] == sorted(
        [(key, 1) for key in KEYS] + [("complaint_handling", 2)]
    )
    assert all(r.created and r.warnings == [] for r in results)
    v1, v2 = (r.version for r in results if r.version.model_key == "complaint_handling")
    claim_form = "forms/complaint_claim.json"
    assert claim_form in {f.name for f in v2.files} and claim_form not in {f.name for f in v1.files}
    for result in results:
        key = result.version.model_key
        assert result.version.info.get("business_key_prefix") == PREFIXES.get(key)
        assert result.version.info["name"]["zh"] and result.version.info["name"]["en"]
        assert result.version.info["owner_group"] in ORGANISATION
    again = engine.repository.deploy(engine.repository.bundles_from_paths([MODELS_DIR]), SYSTEM, strict=True)
    assert [r.created for r in again] == [False] * 6
    assert set(ORGANISATION) == {
        "sales_rep",
        "sales_assistant",
        "sales_manager",
        "sales_vp",
        "general_manager",
        "president_office",
        "finance",
        "credit_dept",
        "legal",
        "planning_center",
        "marketing",
        "customer_service",
        "qc",
        "warehouse",
        "auditor",
        "process_owner",
        "external_worker",
    }


@pytest.mark.slow
def test_the_cli_deploys_the_models_directory_strictly_on_a_fresh_database(tmp_path):
    env = {**os.environ, "APPROVALS_DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.db'}"}
    approvals = str(Path(sys.executable).with_name("approvals"))

    def run(*args):
        result = subprocess.run(
            [approvals, *args], capture_output=True, text=True, env=env, timeout=120, check=False
        )
        assert result.returncode == 0, result.stderr
        return result.stdout

    run("db", "upgrade")
    first = run("deploy", str(MODELS_DIR), "--strict")
    assert first.count("deployed as version 1") == 6 and "warning" not in first
    assert "complaint_handling: deployed as version 2" in first  # after its shipped version 1
    again = run("deploy", str(MODELS_DIR), "--strict")
    assert (
        again.count("unchanged, still version 1") == 5
        and "complaint_handling: unchanged, still version 2" in again
    )


@pytest.mark.parametrize("key", KEYS)
def test_every_user_task_and_start_form_has_a_bilingual_form(engine, key):
    model = engine.repository.validate(engine.repository.bundles_from_paths([MODELS_DIR / key])[0])
    document = model.document
    form_keys = {task.form_key for task in document.user_tasks.values()}
    assert None not in form_keys, [t.id for t in document.user_tasks.values() if not t.form_key]
    if key != "receivables_review":  # started by its timer
        assert document.start_form_key
        form_keys.add(document.start_form_key)
    assert form_keys == {p.stem for p in (FORMS / key).glob("*.json")}
    for form_key in form_keys:
        schema = form(key, form_key)
        assert schema["title"] and schema["x-title-zh"], form_key
        assert sorted(schema["x-order"]) == sorted(schema["properties"]), form_key
        for name, field in schema["properties"].items():
            assert field.get("title") and field.get("x-title-zh"), (form_key, name)


@pytest.mark.parametrize("key", [k for k in KEYS if k != "receivables_review"])  # approves nothing
def test_every_approval_task_asks_for_a_decision_and_a_comment_when_refusing(engine, key):
    model = engine.repository.validate(engine.repository.bundles_from_paths([MODELS_DIR / key])[0])
    approvals = {
        task.id: model.forms[task.form_key]
        for task in model.document.user_tasks.values()
        if task.form_key and model.forms[task.form_key].is_approval
    }
    assert approvals
    for task_id, approval in approvals.items():
        choices = approval.schema["properties"]["decision"]["enum"]
        assert choices == (
            ["approve", "reject", "escalate"] if task_id in ESCALATING else ["approve", "reject"]
        ), task_id
        for choice in ("reject", "escalate") if task_id in ESCALATING else ("reject",):
            with pytest.raises(Exception, match="comment"):
                approval.validate({"decision": choice, "settlement_amount": 0}, task_id)
            approval.validate({"decision": choice, "comment": "why"}, task_id)
    # tasks that decide something are approval tasks: the requester can never hold them
    deciding = {
        t.id
        for t in model.document.user_tasks.values()
        if re.search(r"approv|review|countersign|confirm|claim|allow_", t.id)
    }
    assert deciding <= set(approvals), deciding - set(approvals)


@pytest.mark.parametrize("key", sorted(DATA_CONTRACT))
def test_start_forms_carry_the_data_contract_field_names(key):
    start_form_key = bpmn(key).xpath("//bpmn:process/bpmn:startEvent/@camunda:formKey", namespaces=NS)[0]
    schema = form(key, start_form_key)
    assert set(DATA_CONTRACT[key]) <= set(schema["properties"])
    assert set(schema["required"]) <= set(DATA_CONTRACT[key])  # extra fields stay optional


@pytest.mark.parametrize("key", KEYS)
def test_thresholds_and_durations_live_in_tables_and_properties_not_in_the_model(key):
    root = bpmn(key)
    code = [n.text for n in root.xpath("//bpmn:script | //bpmn:conditionExpression", namespaces=NS)]
    numbers = {float(n) for text in code for n in re.findall(r"(?<![\w.])\d+(?:\.\d+)?", text)}
    assert numbers <= {0, 1, 2, 4, 100}, numbers  # indexes, rounding (cents, 4 places), percent
    timers = root.xpath("//bpmn:timeDuration | //bpmn:timeDate | //bpmn:timeCycle", namespaces=NS)
    for timer in timers:
        assert timer.text.startswith("${") or timer.text.startswith("R/"), timer.text
    due = root.xpath("//bpmn:userTask/@camunda:dueDate", namespaces=NS)
    assert all(d.startswith("${") for d in due), due


def test_groups_named_by_the_models_are_the_organisation(engine):
    used = set()
    for key in KEYS:
        model = engine.repository.validate(engine.repository.bundles_from_paths([MODELS_DIR / key])[0])
        used |= set(model.groups_used())
        for trigger in model.document.triggers.values():
            used |= {g.strip() for g in trigger.properties.get("escalate", "").split(",") if g.strip()}
            used |= {g.strip() for g in trigger.properties.get("senderGroups", "").split(",") if g.strip()}
    assert used <= set(ORGANISATION)
    # Roles no model names: auditors read, process owners deploy, external workers work service tasks.
    assert used >= set(ORGANISATION) - {"auditor", "process_owner", "external_worker"}


def test_validation_rejects_a_dangling_sequence_flow_naming_the_element_and_line(engine):
    text = (MODELS_DIR / "price_float" / "price_float.bpmn").read_text("utf-8")
    broken = text.replace('targetRef="authority"', 'targetRef="authority_typo"', 1)
    files = {
        n: c for n, c in engine.repository.bundles_from_paths([MODELS_DIR / "price_float"])[0].files.items()
    }
    files["price_float.bpmn"] = broken.encode()
    with pytest.raises(ModelValidationError) as err:
        engine.repository.validate(engine.repository.bundle_from_files(files))
    (problem,) = [p for p in err.value.problems if p.element_id == "Flow_assess_to_authority"]
    assert "targetRef 'authority_typo' names no element" in problem.message
    assert (
        problem.line
        == broken.splitlines().index(
            next(line for line in broken.splitlines() if 'id="Flow_assess_to_authority"' in line)
        )
        + 1
    )


def test_strict_deployment_rejects_an_unknown_group_naming_the_element_and_line(engine):
    engine.identity.add_groups(ORGANISATION, ORGANISATION)
    files = dict(engine.repository.bundles_from_paths([MODELS_DIR / "contract_review"])[0].files)
    text = files["contract_review.bpmn"].decode()
    files["contract_review.bpmn"] = text.replace('name="sales_assistant"', 'name="sales_asistant"').encode()
    with pytest.raises(ModelValidationError) as err:
        engine.repository.deploy(
            [engine.repository.bundle_from_files(files)], SYSTEM, strict=True, organisation=ORGANISATION
        )
    (problem,) = err.value.problems
    assert problem.element_id == "record_signing" and "group 'sales_asistant' is unknown" in problem.message
    assert (
        problem.line
        and 'id="record_signing"' in files["contract_review.bpmn"].decode().splitlines()[problem.line - 1]
    )
    # without --strict it is a warning and the model deploys
    result = deploy_files(engine, {k: v for k, v in files.items()})
    assert [w.element_id for w in result.warnings] == ["record_signing"]


def test_strict_validation_counts_the_organisation_as_known_just_as_strict_deployment(engine):
    (bundle,) = engine.repository.bundles_from_paths([MODELS_DIR / "contract_review"])
    # nothing is registered yet: the organisation handed over is what makes the lanes known
    engine.repository.validate(bundle, strict=True, organisation=ORGANISATION)
    with pytest.raises(ModelValidationError, match="strict validation refuses warnings"):
        engine.repository.validate(bundle, strict=True)
    text = bundle.files["contract_review.bpmn"].decode()
    files = {
        **bundle.files,
        "contract_review.bpmn": text.replace('name="sales_assistant"', 'name="sales_asistant"').encode(),
    }
    broken = engine.repository.bundle_from_files(files)
    with pytest.raises(ModelValidationError) as validated:
        engine.repository.validate(broken, strict=True, organisation=ORGANISATION)
    with pytest.raises(ModelValidationError) as deployed:
        engine.repository.deploy([broken], SYSTEM, strict=True, organisation=ORGANISATION)
    assert [p.element_id for p in validated.value.problems] == ["record_signing"]  # its lane's group
    assert "group 'sales_asistant' is unknown" in validated.value.problems[0].message
    assert validated.value.problems == deployed.value.problems
