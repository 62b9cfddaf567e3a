"""Input entries: every S-FEEL unary test form, with the standard's edge cases."""

from __future__ import annotations

import datetime as dt

import pytest

from engine.feel import FeelSyntaxError, compile_unary_tests

from .dmn_factory import single_input

D = dt.date
DT = dt.datetime


def matches(cell: str, value: object, **ctx: object) -> bool | None:
    compiled = compile_unary_tests(cell)
    if compiled.test is None:
        return True
    return compiled.test(value, ctx)


@pytest.mark.parametrize(
    ("cell", "value", "expected"),
    [
        # "-" and empty match everything, null included
        ("-", 5, True),
        ("-", None, True),
        ("", "x", True),
        ("  ", None, True),
        # literals are equality tests
        ("5", 5, True),
        ("5", 5.0, True),
        ("5", 6, False),
        ("5", "5", False),
        ("-5", -5, True),
        ("1.5", 1.5, True),
        (".5", 0.5, True),
        ('"new"', "new", True),
        ('"new"', "New", False),
        ('"new"', None, False),
        ('"with \\"quotes\\""', 'with "quotes"', True),
        ('"客户"', "客户", True),
        ("true", True, True),
        ("true", False, False),
        ("true", 1, False),
        ("false", False, True),
        ("1", True, False),
        ("0", False, False),
        ('date("2026-01-31")', D(2026, 1, 31), True),
        ('date("2026-01-31")', D(2026, 2, 1), False),
        ('date("2026-01-31")', DT(2026, 1, 31), False),
        ('date and time("2026-01-31T10:00:00")', DT(2026, 1, 31, 10), True),
        ('@"2026-01-31"', D(2026, 1, 31), True),
        # comparisons
        ("< 10", 9, True),
        ("< 10", 10, False),
        ("<= 10", 10, True),
        ("<= 10", 10.5, False),
        ("> 10", 10, False),
        ("> 10", 10.01, True),
        (">= 10", 10, True),
        (">= 0.05", 0.05, True),
        (">= 0.05", 0.049, False),
        ("< -1", -2, True),
        ('< "m"', "a", True),
        ('< date("2026-01-01")', D(2025, 12, 31), True),
        # ranges with every combination of open and closed ends, in both notations
        ("[1..10]", 1, True),
        ("[1..10]", 10, True),
        ("[1..10]", 0, False),
        ("[1..10]", 11, False),
        ("(1..10)", 1, False),
        ("(1..10)", 10, False),
        ("(1..10)", 5, True),
        ("]1..10[", 1, False),
        ("]1..10[", 10, False),
        ("]1..10[", 2, True),
        ("[1..10)", 1, True),
        ("[1..10)", 10, False),
        ("[1..10[", 10, False),
        ("[1..10[", 9.99, True),
        ("(1..10]", 1, False),
        ("(1..10]", 10, True),
        ("]1..10]", 1, False),
        ("]1..10]", 10, True),
        ("[-5..-1]", -3, True),
        ("[1.5..2.5]", 2.5, True),
        ('[date("2026-01-01")..date("2026-12-31")]', D(2026, 6, 1), True),
        ('[date("2026-01-01")..date("2026-12-31")]', D(2027, 1, 1), False),
        # lists of tests: any may match
        ('"new","overseas"', "overseas", True),
        ('"new", "overseas"', "existing", False),
        ("1, 2, 3", 2, True),
        ("< 0, > 100", 50, False),
        ("< 0, > 100", 101, True),
        ("[1..2], [5..6]", 5.5, True),
        ("[1..2], [5..6]", 3, False),
        # not(...)
        ('not("blocked")', "ok", True),
        ('not("blocked")', "blocked", False),
        ('not("a", "b")', "c", True),
        ('not("a", "b")', "b", False),
        ("not([1..5])", 6, True),
        ("not([1..5])", 5, False),
        ("not(< 0)", 0, True),
        # null
        ("null", None, True),
        ("null", 0, False),
        ("null", "", False),
        ('null, "x"', None, True),
        ("not(null)", 5, True),
        ("not(null)", None, False),
        # other names in the cell
        ("< max_amount", 5, True),
        ("< max_amount", 10, False),
        ("[low..high]", 3, True),
        ("limit", 7, True),
        ('"a", limit', 7, True),
        # FEEL 1.3 conditions on "?" and a boolean condition without it
        ("? > 5 and ? < 10", 7, True),
        ("? > 5 and ? < 10", 10, False),
        ('starts with(?, "HT-")', "HT-2026-000123", True),
        ("amount > 100", "anything", True),
        # a list-valued expression is membership
        ("[1, 2, 3]", 2, True),
        ("[1, 2, 3]", 4, False),
        ("allowed", "b", True),
    ],
)
def test_unary_test_forms(cell: str, value: object, expected: bool) -> None:
    ctx = {"max_amount": 10, "low": 1, "high": 5, "limit": 7, "amount": 150, "allowed": ["a", "b"]}
    assert (matches(cell, value, **ctx) is True) is expected


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("-", True),
        ("null", True),
        ("not(5)", True),
        ('not("a", "b")', True),
        ("5", False),
        ('"a"', False),
        ("< 5", None),
        (">= 5", None),
        ("[1..5]", None),
        ("not(< 5)", None),
        ("not([1..5])", None),
        ("not(null)", False),
        ("< 5, null", True),
    ],
)
def test_null_input_follows_three_valued_logic(cell: str, expected: bool | None) -> None:
    """A null input matches "-", "null" and not(...) of equality tests; an ordering test on null is
    null, and so is its negation, so neither matches."""
    compiled = compile_unary_tests(cell)
    result = True if compiled.test is None else compiled.test(None, {})
    assert result is expected


def test_null_endpoint_makes_the_comparison_null() -> None:
    assert compile_unary_tests("< limit").test(5, {"limit": None}) is None
    assert compile_unary_tests("[1..limit]").test(5, {}) is None


@pytest.mark.parametrize(
    "cell",
    [
        "[1..",
        "]1..5",
        "1..5",
        "< ",
        ">= >= 1",
        "1 < ? < 5",
        "x == 5",
        "'single quoted'",
        "foo(1)",
        'date("2026-13-01")',
        '"unclosed',
        "not(1",
        "5 6 +",
        "date(1, 2)",
    ],
)
def test_invalid_cells_are_syntax_errors(cell: str) -> None:
    with pytest.raises(FeelSyntaxError):
        compile_unary_tests(cell)


def test_syntax_error_says_where() -> None:
    with pytest.raises(FeelSyntaxError) as caught:
        compile_unary_tests("[1..5] ]")
    assert caught.value.offset == 7
    assert "character 8" in str(caught.value)


def test_literals_are_collected_for_load_time_checks() -> None:
    compiled = compile_unary_tests('[1..10], "x", < date("2026-01-01")')
    assert compiled.literals == ((1, "order"), (10, "order"), ("x", "equal"), (D(2026, 1, 1), "order"))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (-1, "negative"),
        (0, "small"),
        (99_999, "small"),
        (100_000, "mid"),
        (500_000, "mid"),
        (500_000.01, "large"),
        (None, "unknown"),
    ],
)
def test_cells_in_a_table(value: object, expected: str) -> None:
    model = single_input(
        [
            ("< 0", '"negative"'),
            ("[0..100000[", '"small"'),
            ("[100000..500000]", '"mid"'),
            ("> 500000", '"large"'),
            ("null", '"unknown"'),
        ],
        type_ref="number",
    )
    assert model.evaluate("d", {"x": value}).result == expected
