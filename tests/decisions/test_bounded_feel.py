"""FEEL does bounded work on hostile text: long chains are loops, nesting has a limit, constants
are not folded past the size limits, and evaluation stops at them with a DecisionError that names
the decision, rule and column. Each attack has its happy neighbour."""

from __future__ import annotations

import time

import pytest

from engine.errors import DecisionError, ModelValidationError
from engine.feel import FeelSyntaxError, compile_expression, compile_unary_tests
from engine.feel.parser import MAX_NESTING
from engine.feel.values import MAX_DIGITS, MAX_STRING

from .dmn_factory import FEEL_URI, PYTHON_URI, literal, load, table


def one_cell_table(cell: str, result: str = '"yes"', *, input_expression: str = "amount") -> str:
    return table(
        "check",
        [("Amount", input_expression, None)],
        [("answer", None)],
        [([cell], [result]), (["-"], ['"no"'])],
        hit_policy="FIRST",
        name="Check",
        cell_language=FEEL_URI,
    )


def refused(*elements: str) -> list:
    with pytest.raises(ModelValidationError) as caught:
        load(*elements, language=FEEL_URI)
    return caught.value.problems


def evaluate(text: str, context: dict | None = None) -> object:
    return compile_expression(text).evaluate(context or {}, None)


# --- nesting ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "(" * 120 + "1" + ")" * 120,
        "[" * 120 + "]" * 120,
        "-" * 120 + "1",
        "abs(" * 120 + "1" + ")" * 120,
        "if true then " * 120 + "1" + " else 2" * 120,
        "a" + ".b" * 120,
        "a" + "[1]" * 120,
        "x in (" * 120 + "1" + ")" * 120,
    ],
    ids=["parentheses", "lists", "minus", "calls", "if", "path", "index", "in"],
)
def test_nesting_past_the_limit_is_a_syntax_error_not_a_recursion_error(text: str) -> None:
    with pytest.raises(FeelSyntaxError, match=f"nested more than {MAX_NESTING} levels"):
        compile_expression(text)
    with pytest.raises(FeelSyntaxError, match="nested more than"):
        compile_unary_tests(text)


def test_nesting_up_to_the_limit_compiles_and_evaluates_far_from_the_recursion_limit() -> None:
    # Every level uses each operator that adds a node to the tree; the deepest such text that
    # compiles must also evaluate (the compiled closures recurse once per node).
    def text(levels: int) -> str:
        level = "(-a.b[1] ** 1 * 1 + 0 > 0 and true or false or not("
        return level * levels + "false" + "))" * levels

    levels = 1
    while True:
        try:
            compile_expression(text(levels + 1))
        except FeelSyntaxError:
            break
        levels += 1
    assert levels >= 8
    assert compile_expression(text(levels)).evaluate({"a": {"b": [1]}}, None) in (True, False)
    assert evaluate("(" * (MAX_NESTING - 1) + "7" + ")" * (MAX_NESTING - 1)) == 7
    assert evaluate("-" * (MAX_NESTING - 1) + "7") == -7  # odd count: negative


def test_nested_in_tests_parse_in_linear_time() -> None:
    # Trying each "(" both as a range and as a list would double the work at every level.
    text = "x in (" * 15 + "1" + ")" * 15
    start = time.perf_counter()
    compile_expression(text)
    assert time.perf_counter() - start < 0.5


def test_a_deeply_nested_cell_is_a_model_problem_naming_file_decision_rule_and_column() -> None:
    (problem,) = refused(one_cell_table("(" * 120 + "1" + ")" * 120))
    assert problem.file == "test.dmn" and problem.decision_id == "check"
    assert problem.rule == 1 and problem.column == "Amount"
    assert f"nested more than {MAX_NESTING} levels" in problem.message
    # The neighbour, nested a few levels, loads and decides.
    model = load(one_cell_table("((((1))))"), language=FEEL_URI)
    assert model.evaluate("check", {"amount": 1}).result == "yes"


# --- long chains ------------------------------------------------------------------------------


def test_a_20000_term_and_compiles_and_evaluates_with_feel_logic() -> None:
    names = [f"x{i}" for i in range(20_000)]
    compiled = compile_expression(" and ".join(names))
    everything_true = dict.fromkeys(names, True)
    assert compiled.evaluate(everything_true, None) is True
    assert compiled.evaluate({**everything_true, "x19999": False}, None) is False
    assert compiled.evaluate({**everything_true, "x5": None}, None) is None
    assert compiled.evaluate({**everything_true, "x5": None, "x6": False}, None) is False
    disjunction = compile_expression(" or ".join(names))
    assert disjunction.evaluate(dict.fromkeys(names, False), None) is False
    assert disjunction.evaluate({**dict.fromkeys(names, False), "x7": None}, None) is None
    assert disjunction.evaluate({**dict.fromkeys(names, None), "x19999": True}, None) is True


def test_long_arithmetic_chains_evaluate_left_to_right() -> None:
    assert evaluate(" + ".join(["1"] * 20_000)) == 20_000
    assert evaluate("x" + " + 1 - 1" * 10_000 + " + 1", {"x": 5}) == 6
    assert evaluate("100 - 10 - 1") == 89  # left to right, not 100 - (10 - 1)
    assert evaluate("x - 10 - 1", {"x": 100}) == 89
    assert evaluate("2 ** 3 ** 2") == 64  # FEEL's ** is left-associative too
    assert evaluate("x * 2 / 4 * 3", {"x": 10}) == 15
    assert evaluate(" + ".join(['"ab"'] * 3) + " + x", {"x": "c"}) == "abababc"


def test_a_20000_term_cell_is_usable_in_a_table() -> None:
    cell = " and ".join(["? > 0"] * 20_000)
    model = load(one_cell_table(cell), language=FEEL_URI)
    assert model.evaluate("check", {"amount": 3}).result == "yes"
    assert model.evaluate("check", {"amount": -3}).result == "no"


# --- constants are not folded past the limits -------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "10 ** 100000000",
        "(10 ** 500) ** 3",
        "99999999999 ** 99999999999",
        "1" + "0" * 999 + " * 1" + "0" * 999,
        "1" * 1001,
        "1" * 400 + ".5",
        "decimal(1, 1000000000)",
        "date(1000000000000000000000, 1, 1)",
    ],
)
def test_constants_past_the_limits_are_refused_at_once(text: str) -> None:
    start = time.perf_counter()
    with pytest.raises(FeelSyntaxError):
        compile_expression(text)
    assert time.perf_counter() - start < 0.5


def test_folding_within_the_limits_still_happens() -> None:
    compiled = compile_expression("10 ** 999")
    assert compiled.is_constant and compiled.constant == 10**999
    assert compile_expression("1.05 ** 360").is_constant


def test_validating_a_model_with_a_huge_constant_is_quick_and_names_the_cell() -> None:
    start = time.perf_counter()
    (problem,) = refused(one_cell_table("-", "10 ** 100000000"))
    assert time.perf_counter() - start < 1
    assert problem.decision_id == "check" and problem.rule == 1 and problem.column == "answer"
    assert f"more than {MAX_DIGITS:,} digits" in problem.message


# --- evaluation stops at the limits -----------------------------------------------------------


def test_run_time_arithmetic_past_the_limit_is_a_decision_error_naming_decision_and_limit() -> None:
    model = load(one_cell_table("-", "amount ** amount"), language=FEEL_URI)
    assert model.evaluate("check", {"amount": 10}).result == 10**10
    start = time.perf_counter()
    with pytest.raises(DecisionError) as caught:
        model.evaluate("check", {"amount": 100_000_000})
    assert time.perf_counter() - start < 0.5
    assert "Check" in caught.value.message or caught.value.problems[0].decision_id == "check"
    assert f"more than {MAX_DIGITS:,} digits" in str(caught.value)
    assert caught.value.problems[0].rule == 1 and caught.value.problems[0].column == "answer"


def test_products_and_floats_are_bounded_too() -> None:
    big = 10 ** (MAX_DIGITS - 1)
    with pytest.raises(Exception, match="digits"):
        evaluate("x * x", {"x": big})
    with pytest.raises(Exception, match="range"):
        evaluate("x * x", {"x": 1e300})
    assert evaluate("x * 9", {"x": big}) == big * 9  # the largest number of MAX_DIGITS digits: fine


def test_string_concatenation_is_bounded_and_linear() -> None:
    model = load(literal("joined", " + ".join(["x"] * 20_000), type_ref="string"), language=FEEL_URI)
    start = time.perf_counter()
    assert model.evaluate("joined", {"x": "ab"}).result == "ab" * 20_000
    with pytest.raises(DecisionError) as caught:
        model.evaluate("joined", {"x": "y" * 1000})
    assert time.perf_counter() - start < 1
    assert f"at most {MAX_STRING:,}" in str(caught.value) and "joined" in str(caught.value)
    with pytest.raises(Exception, match="at most"):
        evaluate("x + x", {"x": "z" * (MAX_STRING // 2 + 1)})


def test_a_negative_base_with_a_fractional_exponent_is_an_error_not_a_complex_number() -> None:
    with pytest.raises(Exception, match="not a real number"):
        evaluate("x ** 0.5", {"x": -8})


# --- in tables whose language is not declared -------------------------------------------------


@pytest.mark.parametrize(
    "cell, result",
    [("(" * 120 + "1" + ")" * 120, '"yes"'), ("-" * 300 + "1", '"yes"'), ("-", "10 ** 100000000")],
    ids=["parentheses", "minus", "constant"],
)
def test_feel_too_complex_is_reported_as_feel_not_reread_as_python(cell: str, result: str) -> None:
    # Undeclared cells that are not FEEL are tried as SpiffWorkflow's Python; FEEL that is merely
    # too large must not be: Python would take it (or recurse until it fails).
    with pytest.raises(ModelValidationError) as caught:
        load(one_cell_table(cell, result))
    (problem,) = caught.value.problems
    assert problem.decision_id == "check" and problem.rule == 1
    assert "not valid FEEL" in problem.message or "not a valid FEEL" in problem.message
    assert len(problem.message) < 400  # the cell's text is shortened, not quoted whole


def test_a_python_cell_too_deep_to_compile_is_a_model_problem() -> None:
    (problem,) = refused_python(one_cell_table("-", "-" * 5000 + "1"))
    assert problem.rule == 1 and problem.column == "answer"
    assert "nested too deeply" in problem.message or "not a valid Python" in problem.message


def refused_python(*elements: str) -> list:
    with pytest.raises(ModelValidationError) as caught:
        load(*elements, language=PYTHON_URI)
    return caught.value.problems
