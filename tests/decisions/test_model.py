"""Loading DMN files into a model, the DRG, traces, types, allowed values and load-time problems."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from engine.dmn import DecisionModel, DecisionOutcome, load_decision_model
from engine.errors import DecisionError, ModelValidationError, NotFound

from .dmn_factory import DMN11, DMN12, DMN13, DMN14, DMN15, document, input_data, literal, load, table

LEVEL = table(
    "approval_level",
    [("Amount", "amount", "number"), ("Customer Type", "Customer Type", "string")],
    [("level", "string")],
    [
        (["< 500000", "-"], ['"sales_manager"']),
        (["[500000..2000000[", '"existing"'], ['"sales_vp"']),
        (["[500000..2000000[", '"new","overseas"'], ['"general_manager"']),
        ([">= 2000000", "-"], ['"general_manager"']),
    ],
    name="Approval level",
)


def problems_of(*elements: str, **kwargs: object) -> list:
    with pytest.raises(ModelValidationError) as caught:
        load(*elements, **kwargs)  # type: ignore[arg-type]
    return caught.value.problems


@pytest.mark.parametrize("namespace", [DMN11, DMN12, DMN13, DMN14, DMN15, DMN13.replace("https", "http")])
def test_every_dmn_version_loads(namespace: str) -> None:
    model = load(LEVEL, namespace=namespace)
    assert (
        model.evaluate("approval_level", {"amount": 600000, "Customer Type": "new"}).result
        == "general_manager"
    )


def test_public_api_shape() -> None:
    model = load(LEVEL)
    assert isinstance(model, DecisionModel)
    decision = model.decisions["approval_level"]
    assert (decision.id, decision.name, decision.kind, decision.hit_policy, decision.file) == (
        "approval_level",
        "Approval level",
        "table",
        "UNIQUE",
        "test.dmn",
    )
    assert decision.input_labels == ("Amount", "Customer Type")
    assert decision.output_names == ("level",)
    assert decision.required_decisions == ()
    assert model.find("Approval level") is decision
    assert model.find("approval_level") is decision
    outcome = model.evaluate("Approval level", {"amount": 500000, "Customer Type": "existing"})
    assert isinstance(outcome, DecisionOutcome)
    assert outcome.result == "sales_vp"
    assert outcome.results == {"Approval level": "sales_vp"}


def test_find_unknown_lists_the_available_decisions() -> None:
    model = load(LEVEL)
    with pytest.raises(NotFound, match=r"no decision 'nope'.*approval_level \(Approval level\)"):
        model.find("nope")
    with pytest.raises(NotFound):
        model.evaluate("nope", {})


def test_trace_records_inputs_matched_rules_and_outputs_as_json() -> None:
    model = load(
        table(
            "due",
            [("Delivery", "delivery_date", "date"), ("Amount", "amount", "number")],
            [("due", "date"), ("band", "string")],
            [
                (['< date("2026-07-01")', "-"], ['date(delivery_date) + duration("P30D")', '"H1"']),
                (['>= date("2026-07-01")', "-"], ['date(delivery_date) + duration("P60D")', '"H2"']),
            ],
        )
    )
    outcome = model.evaluate("due", {"delivery_date": "2026-06-15", "amount": 10})
    assert outcome.result == {"due": dt.date(2026, 7, 15), "band": "H1"}
    trace = outcome.trace[0].as_dict()
    assert trace == {
        "decision_id": "due",
        "decision_name": "due",
        "inputs": {"Delivery": "2026-06-15", "Amount": 10},
        "matched_rules": ["due_r1"],
        "outputs": {"due": "2026-07-15", "band": "H1"},
    }
    json.dumps(trace)


class TestRequiredDecisions:
    ELEMENTS = (
        input_data("in_amount", "amount", "number"),
        input_data("in_type", "customer type", "string"),
        table(
            "risk",
            [("Customer type", "customer type", "string")],
            [("risk", "string")],
            [(['"new"'], ['"high"']), (['"existing"'], ['"low"'])],
            name="Customer risk",
            requires_inputs=["in_type"],
        ),
        table(
            "limit",
            [("Amount", "amount", "number")],
            [("limit", "number")],
            [(["-"], ["amount * 2"])],
            name="Credit limit",
            requires_inputs=["in_amount"],
        ),
        table(
            "level",
            [("Risk", "Customer risk", "string"), ("Limit", "Credit limit", "number")],
            [("level", "string")],
            [
                (['"high"', "-"], ['"general_manager"']),
                (['"low"', "> 1000"], ['"sales_vp"']),
                (['"low"', "<= 1000"], ['"sales_manager"']),
            ],
            name="Approval level",
            requires=["risk", "limit"],
        ),
        literal(
            "summary",
            'Approval level + " / " + string(Credit limit)',
            name="Summary",
            type_ref="string",
            requires=["level", "limit"],
        ),
    )

    def test_required_decisions_are_evaluated_first_and_visible_by_name(self) -> None:
        model = load(*self.ELEMENTS)
        outcome = model.evaluate("summary", {"amount": 400, "customer type": "existing"})
        assert outcome.result == "sales_manager / 800"
        assert outcome.results == {
            "Customer risk": "low",
            "Credit limit": 800,
            "Approval level": "sales_manager",
            "Summary": "sales_manager / 800",
        }
        assert [t.decision_id for t in outcome.trace] == ["risk", "limit", "level", "summary"]
        assert outcome.trace[-1].as_dict()["inputs"] == {
            "Approval level": "sales_manager",
            "Credit limit": 800,
        }
        assert model.find("Approval level").required_decisions == ("risk", "limit")

    def test_only_the_needed_part_of_the_graph_runs(self) -> None:
        outcome = load(*self.ELEMENTS).evaluate("risk", {"customer type": "new"})
        assert outcome.results == {"Customer risk": "high"}

    def test_input_data_types_are_checked(self) -> None:
        model = load(*self.ELEMENTS)
        with pytest.raises(DecisionError, match="input data 'amount' has the wrong type"):
            model.evaluate("limit", {"amount": "400"})

    def test_missing_required_decision_and_input_are_load_errors(self) -> None:
        problems = problems_of(
            table(
                "t",
                [("A", "a", None)],
                [("o", None)],
                [(["-"], ["1"])],
                requires=["ghost"],
                requires_inputs=["nobody"],
            )
        )
        messages = {p.message for p in problems}
        assert "requires decision 'ghost', which is not in the model" in messages
        assert "requires input data 'nobody', which is not in the model" in messages
        assert all(p.decision_id == "t" for p in problems)

    def test_cycles_are_load_errors(self) -> None:
        problems = problems_of(
            literal("a", "b + 1", requires=["b"], name="a"), literal("b", "a + 1", requires=["a"], name="b")
        )
        assert any("cycle: a -> b -> a" in p.message for p in problems)

    def test_unknown_names_are_reported_when_requirements_are_declared(self) -> None:
        problems = problems_of(
            input_data("in_a", "a", "number"),
            table(
                "t",
                [("A", "a", "number")],
                [("o", "number")],
                [(["< b"], ["c + 1"])],
                requires_inputs=["in_a"],
            ),
        )
        assert [(p.rule, p.column, p.message.split(";")[0]) for p in problems] == [
            (1, "A", "unknown name 'b' in '< b'"),
            (1, "o", "unknown name 'c' in 'c + 1'"),
        ]

    def test_decisions_may_come_from_several_files(self) -> None:
        shared = document(
            table(
                "rate",
                [("Grade", "grade", "string")],
                [("rate", "number")],
                [(['"A"'], ["0.1"]), (['"B"'], ["0.2"])],
                name="Rate",
            )
        )
        main = document(
            input_data("in_amount", "amount", "number"),
            literal("fee", "amount * Rate", requires=["rate"], requires_inputs=["in_amount"], name="Fee"),
        )
        model = load_decision_model({"main.dmn": main, "shared.dmn": shared})
        assert model.evaluate("fee", {"amount": 100, "grade": "B"}).result == 20
        assert model.find("rate").file == "shared.dmn"


class TestLiteralDecisions:
    def test_literal_expression_decision(self) -> None:
        model = load(literal("disc", "if amount > 1000 then 0.05 else 0", name="Discount", type_ref="number"))
        decision = model.find("Discount")
        assert decision.kind == "literal" and decision.hit_policy is None
        outcome = model.evaluate("disc", {"amount": 2000})
        assert outcome.result == 0.05
        assert outcome.trace[0].as_dict() == {
            "decision_id": "disc",
            "decision_name": "Discount",
            "inputs": {"amount": 2000},
            "matched_rules": [],
            "outputs": 0.05,
        }

    def test_result_type_is_checked(self) -> None:
        model = load(literal("d", "name", type_ref="number"))
        with pytest.raises(DecisionError, match="decision's type is number"):
            model.evaluate("d", {"name": "x"})

    def test_constant_of_wrong_type_is_a_load_error(self) -> None:
        problems = problems_of(literal("d", '"x"', type_ref="number"))
        assert "does not match the decision's type number" in problems[0].message


class TestTypes:
    def test_wrong_input_type_at_run_time_names_decision_and_input(self) -> None:
        model = load(LEVEL)
        with pytest.raises(DecisionError) as caught:
            model.evaluate("approval_level", {"amount": "500000", "Customer Type": "new"})
        assert caught.value.problems[0].column == "Amount"
        assert "Approval level" in str(caught.value) and "expected a number" in str(caught.value)

    def test_booleans_are_not_numbers(self) -> None:
        with pytest.raises(DecisionError, match="expected a number"):
            load(LEVEL).evaluate("approval_level", {"amount": True, "Customer Type": "new"})

    def test_null_input_is_allowed_and_matches_dash_only(self) -> None:
        assert load(LEVEL).evaluate("approval_level", {"Customer Type": "new"}).result is None

    def test_iso_strings_become_dates_in_date_columns(self) -> None:
        model = load(
            table(
                "d",
                [("When", "when", "date")],
                [("o", "string")],
                [(['< date("2026-01-01")'], ['"before"']), (['>= date("2026-01-01")'], ['"after"'])],
            )
        )
        assert model.evaluate("d", {"when": "2025-12-31"}).result == "before"
        assert model.evaluate("d", {"when": dt.date(2026, 1, 1)}).result == "after"
        with pytest.raises(DecisionError, match="expected a date"):
            model.evaluate("d", {"when": "31.12.2025"})

    def test_without_type_ref_the_cells_literals_decide_the_type(self) -> None:
        model = load(table("d", [("X", "x", None)], [("o", None)], [(["< 5"], ["1"]), ([">= 5"], ["2"])]))
        assert model.evaluate("d", {"x": 7}).result == 2
        with pytest.raises(DecisionError, match="column 'X'"):
            model.evaluate("d", {"x": "7"})
        with pytest.raises(DecisionError):
            model.evaluate("d", {"x": True})

    def test_comparing_with_a_variable_of_another_type_is_an_error_naming_rule_and_input(self) -> None:
        model = load(table("d", [("X", "x", None)], [("o", None)], [(['"a"'], ["0"]), (["< limit"], ["1"])]))
        with pytest.raises(DecisionError) as caught:
            model.evaluate("d", {"x": 3, "limit": "ten"})
        problem = caught.value.problems[0]
        assert (problem.rule, problem.column) == (2, "X")

    def test_computed_output_of_wrong_type_is_an_error(self) -> None:
        model = load(table("d", [("X", "x", None)], [("o", "number")], [(["-"], ["x"])]))
        assert model.evaluate("d", {"x": 3}).result == 3
        with pytest.raises(DecisionError, match="its type is number"):
            model.evaluate("d", {"x": "3"})

    def test_item_definitions_resolve_to_their_base_type(self) -> None:
        item = '<itemDefinition name="tAmount"><typeRef>number</typeRef></itemDefinition>'
        model = load(item, table("d", [("A", "a", "tAmount")], [("o", None)], [(["< 5"], ["1"])]))
        with pytest.raises(DecisionError, match="expected a tAmount"):
            model.evaluate("d", {"a": "x"})


class TestAllowedValues:
    def model(self) -> DecisionModel:
        return load(
            table(
                "d",
                [("Type", "customer_type", "string")],
                [("level", "string")],
                [(['"new","overseas"'], ['"high"']), (['"existing"'], ['"low"'])],
                input_values={0: '"existing","new","overseas"'},
                output_values={0: '"high","low"'},
            )
        )

    def test_value_outside_input_values_is_a_run_time_error(self) -> None:
        model = self.model()
        assert model.evaluate("d", {"customer_type": "new"}).result == "high"
        with pytest.raises(DecisionError, match="not one of its allowed values"):
            model.evaluate("d", {"customer_type": "vip"})

    def test_cells_and_outputs_outside_allowed_values_are_load_errors(self) -> None:
        problems = problems_of(
            table(
                "d",
                [("Type", "customer_type", "string")],
                [("level", "string")],
                [(['"new","vip"'], ['"high"']), (['"existing"'], ['"medium"'])],
                input_values={0: '"existing","new","overseas"'},
                output_values={0: '"high","low"'},
            )
        )
        assert [(p.rule, p.column) for p in problems] == [(1, "Type"), (2, "level")]
        assert "'vip' (string) is not one of the allowed values" in problems[0].message

    def test_computed_output_outside_allowed_values_is_a_run_time_error(self) -> None:
        model = load(
            table(
                "d",
                [("X", "x", None)],
                [("level", "string")],
                [(["-"], ["x"])],
                output_values={0: '"high","low"'},
            )
        )
        assert model.evaluate("d", {"x": "low"}).result == "low"
        with pytest.raises(DecisionError, match="not one of its allowed values"):
            model.evaluate("d", {"x": "medium"})


class TestLoadProblems:
    def test_every_problem_is_reported_with_file_line_decision_rule_and_column(self) -> None:
        bad = table(
            "bad",
            [("Amount", "amount", "number"), ("Type", "customer_type", "string")],
            [("level", "string"), ("points", "number")],
            [
                (["< 500000", '"new"'], ['"a"', "1"]),
                (["[500000..", '"new"'], ['"b"', "2"]),
                (['"big"', "5"], ['"c"', '"three"']),
                (["> 1", '"x"'], ['"d" +', "4"]),
            ],
        )
        xml = document(bad).replace(b'<rule id="bad_r1">', b'\n<rule id="bad_r1">')
        with pytest.raises(ModelValidationError) as caught:
            load_decision_model({"rules.dmn": xml})
        found = [(p.file, p.decision_id, p.rule, p.column) for p in caught.value.problems]
        assert found == [
            ("rules.dmn", "bad", 2, "Amount"),  # [500000..   syntax
            ("rules.dmn", "bad", 4, "level"),  # "d" +        syntax
            ("rules.dmn", "bad", 3, "Amount"),  # "big"       string in a number column
            ("rules.dmn", "bad", 3, "Type"),  # 5             number in a string column
            ("rules.dmn", "bad", 3, "points"),  # "three"     string for a number output
        ]
        assert all(p.line == 4 for p in caught.value.problems)

    def test_type_problems_are_all_reported(self) -> None:
        problems = problems_of(
            table(
                "t",
                [("Amount", "amount", "number"), ("Type", "t", "string")],
                [("level", "string"), ("points", "number")],
                [(['"big"', "5"], ['"c"', '"three"']), (["> 1", '"x"'], ["7", "4"])],
            )
        )
        assert [(p.rule, p.column) for p in problems] == [
            (1, "Amount"),
            (1, "Type"),
            (1, "points"),
            (2, "level"),
        ]
        assert problems[0].message == "'big' (string) does not match the column's type number"
        where = "test.dmn:3, element 't_r1i0', decision 't', rule 1, column 'Amount': "
        assert str(problems[0]).startswith(where)

    def test_date_text_in_a_date_column_gets_a_hint(self) -> None:
        problems = problems_of(table("t", [("D", "d", "date")], [("o", None)], [(['"2026-01-01"'], ["1"])]))
        assert problems[0].message.endswith('write date("2026-01-01")')

    def test_syntax_errors_in_expressions_and_cells(self) -> None:
        problems = problems_of(
            table("t", [("A", "a +", "number")], [("o", None)], [(["[1..2"], ["1"])]), literal("l", "1 +")
        )
        assert [(p.decision_id, p.rule, p.column) for p in problems] == [
            ("t", None, "A"),
            ("t", 1, "A"),
            ("l", None, None),
        ]
        assert all("not valid FEEL" in p.message for p in problems)

    def test_wrong_number_of_entries(self) -> None:
        problems = problems_of(
            table("t", [("A", "a", None), ("B", "b", None)], [("o", None)], [(["1"], ["1"])])
        )
        assert problems[0].rule == 1 and "1 input and 1 output entries" in problems[0].message

    def test_duplicate_ids_and_names(self) -> None:
        first = document(table("t", [("A", "a", None)], [("o", None)], [(["1"], ["1"])], name="Same"))
        second = document(
            table("t", [("A", "a", None)], [("o", None)], [(["1"], ["1"])], name="Other"),
            table("u", [("A", "a", None)], [("o", None)], [(["1"], ["1"])], name="Same"),
        )
        inner_duplicate = document(literal("x", "1"), literal("x", "2", name="y"))
        with pytest.raises(ModelValidationError) as caught:
            load_decision_model({"a.dmn": first, "b.dmn": second, "c.dmn": inner_duplicate})
        messages = [(p.file, p.message) for p in caught.value.problems]
        assert ("b.dmn", "decision id 't' is also used in a.dmn (line 3)") in messages
        assert any(f == "b.dmn" and "decision name 'Same'" in m for f, m in messages)
        assert any(f == "c.dmn" and "duplicate id 'x'" in m for f, m in messages)

    def test_unsupported_logic_and_language(self) -> None:
        problems = problems_of(
            '<decision id="ctx" name="ctx"><context/></decision>', '<decision id="none" name="none"/>'
        )
        assert [p.decision_id for p in problems] == ["ctx", "none"]
        problems = problems_of(literal("l", "1"), language="http://www.javascript.com")
        assert "not supported" in problems[0].message

    def test_files_that_are_not_dmn_are_reported_with_the_others(self) -> None:
        with pytest.raises(ModelValidationError) as caught:
            load_decision_model(
                {
                    "a.dmn": b"<definitions",
                    "b.dmn": b"<process xmlns='x'/>",
                    "c.dmn": b"<!DOCTYPE x><definitions/>",
                    "d.dmn": document(literal("d", "1 +")),
                }
            )
        assert [p.file for p in caught.value.problems] == ["a.dmn", "b.dmn", "c.dmn", "d.dmn"]

    def test_range_in_wrong_order_is_still_a_valid_but_empty_range(self) -> None:
        model = load(table("t", [("A", "a", "number")], [("o", None)], [(["[10..1]"], ["1"])]))
        assert model.evaluate("t", {"a": 5}).result is None


def test_context_must_be_a_mapping() -> None:
    with pytest.raises(DecisionError, match="mapping"):
        load(LEVEL).evaluate("approval_level", [("amount", 1)])  # type: ignore[arg-type]


def test_labels_that_repeat_keep_every_input_in_the_trace() -> None:
    model = load(table("t", [("A", "a", None), ("A", "b", None)], [("o", None)], [(["-", "-"], ["1"])]))
    assert model.evaluate("t", {"a": 1, "b": 2}).trace[0].inputs == {"A": 1, "A (2)": 2}


def test_a_data_key_spelled_like_the_whole_input_expression_wins() -> None:
    model = load(
        table("t", [("Arrears", "Days in arrears", "number")], [("o", None)], [(["> 90"], ['"late"'])])
    )
    assert model.evaluate("t", {"Days in arrears": 91}).result == "late"


def test_evaluation_never_parses(monkeypatch: pytest.MonkeyPatch) -> None:
    model = load(
        LEVEL,
        literal("note", 'if amount > 5 then "big" else "small"'),
        table("py", [("X", "x", None)], [("o", None)], [(["? > 5"], ["'big'"]), (["-"], ["str(x)"])]),
    )
    from engine.feel import parser
    from engine.scripting import sandbox

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("parsed during evaluation")

    monkeypatch.setattr(parser, "tokenize", refuse)
    monkeypatch.setattr(sandbox.ast, "parse", refuse)
    assert model.evaluate("approval_level", {"amount": 1, "Customer Type": "new"}).result == "sales_manager"
    assert model.evaluate("note", {"amount": 9}).result == "big"
    assert model.evaluate("py", {"x": 3}).result == "3"
