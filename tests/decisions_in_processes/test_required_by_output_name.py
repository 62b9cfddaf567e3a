"""A required decision's outputs are read by their output names (Camunda 7's dinnerDecisions style): through
the decision service, inside a process (businessRuleTask), with several outputs and a COLLECT table, and
a name that is truly unknown in a complete decision graph is still refused at deploy."""

from __future__ import annotations

import pytest

from engine.actor import SYSTEM
from engine.dmn import load_decision_model
from engine.errors import ModelValidationError
from tests.decisions.dmn_factory import input_data, literal, load, table
from tests.factories import MODELS, add_users, deploy_files, deploy_path

CATERING = MODELS / "catering"


@pytest.mark.parametrize(
    ("context", "course", "drinks"),
    [
        (
            {"season": "winter", "guests": 30, "children": True},
            "stew",
            ["red wine", "beer", "apple juice", "water"],
        ),
        ({"season": "summer", "guests": 5, "children": False}, "grilled fish", ["white wine", "water"]),
        ({"season": "summer", "guests": 80, "children": False}, "cold buffet", ["beer", "water"]),
    ],
)
def test_the_decision_service_reads_the_required_course_by_its_output_name(engine, context, course, drinks):
    deploy_path(engine, CATERING)
    outcome = engine.decisions.evaluate_deployed("catering", None, context)  # the top decision: Drinks
    assert outcome.results == {"Main course": course, "Drinks": drinks}
    assert [t.decision_id for t in outcome.trace] == ["pick_course", "pick_drinks"]
    assert outcome.trace[1].as_dict()["inputs"] == {"Course": course, "Children present": context["children"]}


def test_a_business_rule_task_evaluates_the_graph_inside_a_process(engine):
    deploy_path(engine, CATERING)
    planner = add_users(engine, eve="events")["eve"]
    instance = engine.runtime.start(
        "catering", planner, {"season": "winter", "guests": 12, "children": False}
    )
    assert instance.data["drinks"] == ["red wine", "beer", "water"]
    (evaluated,) = [e for e in engine.history.events(instance.id, SYSTEM) if e.type == "decision_evaluated"]
    assert [t["decision_id"] for t in evaluated.data["evaluations"]] == ["pick_course", "pick_drinks"]


def test_the_decision_is_also_visible_under_its_id_and_its_name():
    model = load(
        table(
            "base", [("X", "x", "number")], [("doubled", "number")], [(["-"], ["x * 2"])], name="Base value"
        ),
        literal("by_all", "base + doubled + Base value", requires=["base"], name="Sum", type_ref="number"),
    )
    assert model.evaluate("by_all", {"x": 5}).result == 30


def test_several_outputs_are_each_read_by_their_own_name_single_and_collected():
    terms = table(
        "terms",
        [("Amount", "amount", "number")],
        [("discount", "number"), ("approver", "string")],
        [(["< 1000"], ["5", '"clerk"']), (["-"], ["10", '"manager"'])],
        hit_policy="FIRST",
        name="Terms",
    )
    every = table(
        "every_term",
        [("Amount", "amount", "number")],
        [("fee", "number"), ("reason", "string")],
        [(["> 0"], ["1", '"base"']), ([">= 500"], ["2", '"large"'])],
        hit_policy="COLLECT",
        name="Every fee",
    )
    model = load(
        terms,
        every,
        literal(
            "summary",
            'approver + ": " + string(discount) + "% less, fees " + string(sum(fee)) + " for " + string(count(reason))',
            requires=["terms", "every_term"],
            name="Summary",
            type_ref="string",
        ),
    )
    assert model.evaluate("summary", {"amount": 700}).result == "clerk: 5% less, fees 3 for 2"
    assert model.evaluate("summary", {"amount": 100}).result == "clerk: 5% less, fees 1 for 1"


def test_a_required_decision_wins_over_a_stale_value_of_the_same_name_in_the_data(engine):
    deploy_path(engine, CATERING)
    outcome = engine.decisions.evaluate_deployed(
        "catering", None, {"season": "winter", "guests": 3, "children": False, "course": "grilled fish"}
    )
    assert outcome.result == ["red wine", "beer", "water"]  # the course decided now: stew


def test_a_truly_unknown_name_in_a_complete_graph_is_refused_at_deploy_naming_it(engine):
    files = {p.name: p.read_bytes() for p in CATERING.iterdir()}
    # Declaring its input data makes Drinks a complete graph, where every name can be checked.
    files["catering.dmn"] = (
        files["catering.dmn"]
        .replace(
            b'<requiredDecision href="#pick_course" /></informationRequirement>',
            b'<requiredDecision href="#pick_course" /></informationRequirement>'
            b'<informationRequirement><requiredInput href="#children_data" /></informationRequirement>',
        )
        .replace(b"<text>course</text>", b"<text>cours</text>")
        .replace(b"</definitions>", b'<inputData id="children_data" name="children" /></definitions>')
    )
    with pytest.raises(ModelValidationError) as err:
        deploy_files(engine, files)
    (problem,) = err.value.problems
    assert problem.message.startswith("unknown name 'cours'")
    assert "Main course, children, course, pick_course" in problem.message
    assert (problem.file, problem.decision_id, problem.column) == ("catering.dmn", "pick_drinks", "Course")
    assert problem.line
    # ... and the same graph with the right name deploys
    files["catering.dmn"] = files["catering.dmn"].replace(b"<text>cours</text>", b"<text>course</text>")
    assert load_decision_model({"catering.dmn": files["catering.dmn"]}).evaluate(
        "pick_drinks", {"season": "summer", "guests": 3, "children": True}
    ).result == ["white wine", "apple juice", "water"]


def test_an_output_name_of_a_decision_not_required_is_not_visible():
    with pytest.raises(ModelValidationError) as err:
        load(
            input_data("in_x", "x", "number"),
            table("a", [("X", "x", "number")], [("a_out", "number")], [(["-"], ["1"])]),
            table("b", [("X", "x", "number")], [("b_out", "number")], [(["-"], ["2"])]),
            literal("c", "a_out + b_out", requires=["a"], requires_inputs=["in_x"], name="C"),
        )
    assert [p.message.split(";")[0] for p in err.value.problems] == ["unknown name 'b_out'"]
