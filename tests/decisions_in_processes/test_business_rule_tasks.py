import pytest

from engine.actor import SYSTEM
from engine.errors import ModelValidationError, WorkflowError
from engine.tasks.service import TaskQuery
from tests.factories import MODELS, add_users, deploy_files, deploy_path


@pytest.fixture
def people(engine):
    deploy_path(engine, MODELS / "routing")
    return add_users(engine, sam="sales_rep", mona="sales_manager", vic="sales_vp", gina="general_manager")


@pytest.mark.parametrize(
    "amount, group",
    [
        (499_999, "sales_manager"),
        (500_000, "sales_vp"),
        (1_999_999.99, "sales_vp"),
        (2_000_000, "general_manager"),
    ],
)
def test_the_decision_routes_the_approval(engine, people, amount, group):
    instance = engine.runtime.start("routing", people["sam"], {"amount": amount})
    task = engine.tasks.list(SYSTEM, TaskQuery(instance_id=instance.id))[0]
    assert task.candidate_groups == [group]
    assert instance.data["approver_group"] == group
    assert instance.data["checks"] == (["legal", "credit"] if amount >= 1_000_000 else ["credit"])


def test_every_evaluation_is_in_the_history(engine, people):
    instance = engine.runtime.start("routing", people["sam"], {"amount": 750_000})
    evaluated = [e for e in engine.history.events(instance.id, SYSTEM) if e.type == "decision_evaluated"]
    assert [(e.element_id, e.data["decision_id"]) for e in evaluated] == [
        ("decide_level", "approval_level"),
        ("decide_checks", "extra_checks"),
    ]
    level = evaluated[0].data["evaluations"][0]
    assert level["decision_name"] == "Approval level"
    assert level["inputs"] == {"Amount": 750_000}
    assert level["matched_rules"] == ["medium"] and level["outputs"] == "sales_vp"
    assert evaluated[0].data["file"] == "routing.dmn" and evaluated[0].model_version == 1


def test_a_failing_decision_names_the_task_and_changes_nothing(engine, people):
    with pytest.raises(WorkflowError) as err:
        engine.runtime.start("routing", people["sam"], {"amount": "a lot"})
    assert "decide_level" in err.value.message
    assert engine.runtime.list(SYSTEM) == []


def test_decision_references_are_checked_at_deploy_time(engine):
    files = {p.name: p.read_bytes() for p in (MODELS / "routing").iterdir()}
    files["routing.bpmn"] = files["routing.bpmn"].replace(
        b'camunda:decisionRef="extra_checks"', b'camunda:decisionRef="extra_chekcs"'
    )
    with pytest.raises(ModelValidationError) as err:
        deploy_files(engine, files)
    problem = err.value.problems[0]
    assert problem.element_id == "decide_checks" and "extra_chekcs" in problem.message and problem.line == 6


def test_a_broken_table_is_refused_at_deploy_time(engine):
    files = {p.name: p.read_bytes() for p in (MODELS / "routing").iterdir()}
    files["routing.dmn"] = files["routing.dmn"].replace(b"[500000..2000000[", b"[500000..")
    with pytest.raises(ModelValidationError) as err:
        deploy_files(engine, files)
    problem = err.value.problems[0]
    assert (problem.file, problem.decision_id, problem.rule) == ("routing.dmn", "approval_level", 2)
