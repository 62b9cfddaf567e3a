"""SpiffWorkflow-style tables: Python cells and expressions, run in the sandbox, keep working."""

from __future__ import annotations

import pytest

from engine.errors import DecisionError, ModelValidationError

from .dmn_factory import FEEL_URI, PYTHON_URI, input_data, load, single_input, table


def result(model, **data):
    return model.evaluate("d", data).result


@pytest.mark.parametrize(
    ("cell", "value", "matches"),
    [
        ("100 < ? <= 110", 105, True),
        ("100 < ? <= 110", 100, False),
        ("100 <= ? < 110", 110, False),
        ('"PEANUTS" in ?', ["SPAM", "PEANUTS"], True),
        ('"PEANUTS" not in ?', ["SPAM"], True),
        ("? != 'x'", "y", True),
        ("? != 'x'", "x", False),
        ("> 1000", 1001, True),
        ("> 1000", 1000, False),
        ("<= 5", 5, True),
        ('in ["a", "b"]', "b", True),
        ('not in ["a", "b"]', "b", False),
        ("== 5", 5, True),
        ("!= 'm'", "f", True),
        ("'m'", "m", True),
        ("True", True, True),
        ("False", True, False),
        ("None", None, True),
        ("len(?) > 2", "abc", True),
        ("? % 2 == 0", 4, True),
    ],
)
def test_python_cells(cell: str, value: object, matches: bool) -> None:
    model = single_input([(cell, '"hit"')])
    assert (result(model, x=value) == "hit") is matches


@pytest.mark.parametrize(
    ("cell", "python"),
    [
        ("> 1000", False),
        ('"m"', False),
        ("? > 5", True),
        ("== 5", True),
        ("'m'", True),
        ("True", True),
        ("x is None", True),
        ('in ["a"]', True),
        ("[1..5]", False),
        ("Customer Type", False),
    ],
)
def test_which_cells_make_a_table_spiffworkflow_style(cell: str, python: bool) -> None:
    assert single_input([(cell, "1")]).find("d").spiffworkflow_style is python


def test_python_input_and_output_expressions() -> None:
    model = load(
        table(
            "d",
            [("Total", 'order["total"] * 2', None), ("Items", "len(items)", None)],
            [("fee", None), ("label", None)],
            [
                (["> 100", "-"], ["round(order['total'] * 0.1, 2)", "'big' if len(items) > 1 else 'one'"]),
                (["-", "-"], ["0", "str(len(items))"]),
            ],
        )
    )
    assert result(model, order={"total": 60}, items=[1, 2]) == {"fee": 6.0, "label": "big"}
    assert result(model, order={"total": 10}, items=[1]) == {"fee": 0, "label": "1"}


def test_unique_keeps_spiffworkflow_first_match_with_catch_all_rows() -> None:
    model = single_input([('"m"', '"isM"'), ('? != "x"', '"notX"'), ("", '"ELSE"')])
    decision = model.find("d")
    assert decision.hit_policy == "UNIQUE" and decision.spiffworkflow_style
    assert [result(model, x=v) for v in "myx"] == ["isM", "notX", "ELSE"]


def test_input_without_expression_reads_the_variable_named_like_its_label() -> None:
    model = load(
        table(
            "d",
            [("Gender", None, "string"), ("Age", None, "long")],
            [("out", "string")],
            [(['"m"', "< 25"], ['"mLow"']), (['"m"', ">= 25"], ['"mHigh"']), (["", ""], ['"ELSE"'])],
        )
    )
    assert result(model, Gender="m", Age=24) == "mLow"
    assert result(model, Gender="m", Age=25) == "mHigh"
    assert result(model, Gender="f", Age=25) == "ELSE"
    assert model.find("d").spiffworkflow_style


def test_declared_python_language_reads_even_feel_looking_text_as_python() -> None:
    cells = [(["[1, 2]"], ['"list"']), (["-"], ['"other"'])]
    feel = load(table("d", [("X", "x", None)], [("o", None)], cells, hit_policy="FIRST"))
    python = load(
        table("d", [("X", "x", None)], [("o", None)], cells, hit_policy="FIRST"), language=PYTHON_URI
    )
    assert result(feel, x=2) == "list"  # FEEL: membership in the list
    assert result(python, x=2) == "other"  # Python: equality with the list
    assert result(python, x=[1, 2]) == "list"


def test_language_on_the_expression_overrides_the_definitions() -> None:
    model = load(
        table(
            "d",
            [("Type", "customer.type", None)],
            [("o", None)],
            [(['"new"'], ["1"])],
            input_language=FEEL_URI,
        ),
        language=PYTHON_URI,
    )
    assert result(model, customer={"type": "new"}) == 1
    python = load(
        table("d", [("Type", "customer.type", None)], [("o", None)], [(['"new"'], ["1"])]),
        language=PYTHON_URI,
    )
    with pytest.raises(DecisionError, match="has no attribute 'type'"):  # Python reads dicts with [...]
        result(python, customer={"type": "new"})


def test_python_cell_in_a_feel_table_is_an_error_when_feel_is_declared() -> None:
    with pytest.raises(ModelValidationError) as caught:
        load(table("d", [("X", "x", None)], [("o", None)], [(["== 5"], ["1"])], cell_language=FEEL_URI))
    assert "not a valid FEEL unary test" in caught.value.problems[0].message


def test_type_ref_is_not_enforced_in_spiffworkflow_tables() -> None:
    model = load(table("d", [("Age", None, "long")], [("o", "string")], [(["'30'"], ['"thirty"'])]))
    assert result(model, Age="30") == "thirty"


@pytest.mark.parametrize(
    "cell", ["().__class__", "__import__('os')", "open('/etc/passwd')", "? and exec('1')"]
)
def test_sandbox_rules_are_enforced_at_load(cell: str) -> None:
    with pytest.raises(ModelValidationError) as caught:
        single_input([(cell, "1")])
    problem = caught.value.problems[0]
    assert problem.rule == 1 and problem.column == "X"


def test_python_errors_at_run_time_name_rule_and_column() -> None:
    model = single_input([("'a'", "1"), ("len(?) > 1", "2")])
    with pytest.raises(DecisionError) as caught:
        result(model, x=5)
    assert (caught.value.problems[0].rule, caught.value.problems[0].column) == (2, "X")


def test_unknown_python_names_are_reported_when_requirements_are_declared() -> None:
    with pytest.raises(ModelValidationError) as caught:
        load(
            input_data("in_x", "x"),
            table("d", [("X", "x", None)], [("o", None)], [(["? > limit"], ["1"])], requires_inputs=["in_x"]),
        )
    assert "unknown name 'limit'" in caught.value.problems[0].message


def test_simple_juel_expressions() -> None:
    model = load(
        table(
            "d",
            [("Amount", "${amount}", "number")],
            [("o", None)],
            [(["> 5"], ['"big"'])],
            input_language="juel",
        )
    )
    assert result(model, amount=6) == "big"
    with pytest.raises(ModelValidationError, match="JUEL"):
        load(
            table(
                "d", [("Amount", "${a && b}", None)], [("o", None)], [(["-"], ["1"])], input_language="juel"
            )
        )
