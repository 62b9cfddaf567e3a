"""Input expressions, output entries and literal decisions: the FEEL expression subset."""

from __future__ import annotations

import datetime as dt

import pytest

from engine.feel import FeelSyntaxError, FeelTypeError, compile_expression


def ev(text: str, known: tuple[str, ...] = (), **ctx: object) -> object:
    return compile_expression(text, known).evaluate(ctx, None)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1 + 2 * 3", 7),
        ("(1 + 2) * 3", 9),
        ("10 / 4", 2.5),
        ("10 / 2", 5),
        ("2 ** 10", 1024),
        ("-3 + 1", -2),
        ("7 - -3", 10),
        ("1 / 0", None),
        ("1 + null", None),
        ('"sales" + "_vp"', "sales_vp"),
        ("1 = 1.0", True),
        ("1 != 2", True),
        ('"a" = "a"', True),
        ("null = null", True),
        ("null = 0", False),
        ("true = 1", False),
        ("3 < 5", True),
        ("3 >= 5", False),
        ("null < 5", None),
        ("true and false", False),
        ("true or null", True),
        ("false and null", False),
        ("true and null", None),
        ("null or false", None),
        ('if 5 > 3 then "yes" else "no"', "yes"),
        ("if null then 1 else 2", 2),
        ("5 between 1 and 10", True),
        ("10 between 1 and 9", False),
        ("5 in [1..10]", True),
        ("5 in (1, 2, 3)", False),
        ('"b" in ("a", "b")', True),
        ("5 in < 10", True),
        ("[1, 2, 3]", [1, 2, 3]),
        ("[1, 2, 3][2]", 2),
        ("[1, 2, 3][-1]", 3),
        ("[1, 2][5]", None),
        ('{a: 1, "b c": 2}', {"a": 1, "b c": 2}),
        ("{a: {b: 5}}.a.b", 5),
        ("min(3, 1, 2)", 1),
        ("max([3, 1, 2])", 3),
        ("sum([1, 2, 3])", 6),
        ("count([1, 2])", 2),
        ("mean([1, 2, 3])", 2),
        ("abs(-5)", 5),
        ("floor(1.7)", 1),
        ("ceiling(1.2)", 2),
        ("modulo(7, 3)", 1),
        ("decimal(2.345, 2)", 2.34),
        ("decimal(2.355, 2)", 2.36),
        ('string length("合同评审")', 4),
        ('upper case("ab")', "AB"),
        ('lower case("AB")', "ab"),
        ('substring("HT-2026", 4)', "2026"),
        ('substring("HT-2026", 1, 2)', "HT"),
        ('contains("abc", "b")', True),
        ('starts with("HT-1", "HT")', True),
        ('ends with("x.dmn", ".dmn")', True),
        ("string(5)", "5"),
        ("string(true)", "true"),
        ('number("12")', 12),
        ('number("1.5")', 1.5),
        ('number("x")', None),
        ("not(true)", False),
        ("not(null)", None),
        ("list contains([1, 2], 2)", True),
        ('date("2026-01-31")', dt.date(2026, 1, 31)),
        ("date(2026, 1, 31)", dt.date(2026, 1, 31)),
        ('date and time("2026-01-31T10:30:00")', dt.datetime(2026, 1, 31, 10, 30)),
        ('date and time("2026-01-31T10:30:00Z")', dt.datetime(2026, 1, 31, 10, 30, tzinfo=dt.UTC)),
        ('time("10:30:00")', dt.time(10, 30)),
        ('duration("P1DT4H")', dt.timedelta(days=1, hours=4)),
        ('date("2026-01-31") + duration("P1D")', dt.date(2026, 2, 1)),
        ('date("2026-03-01") - date("2026-02-01")', dt.timedelta(days=28)),
        ('date("2026-01-31").year', 2026),
        ('@"2026-01-31".month', 1),
    ],
)
def test_expressions(text: str, expected: object) -> None:
    assert ev(text) == expected
    if isinstance(expected, bool) or expected is None:
        assert ev(text) is expected


def test_names_with_spaces_dots_and_chinese() -> None:
    ctx = {
        "Customer Type": "new",
        "customer": {"type": "existing", "address": {"city": "Xi'an"}},
        "金额": 100,
        "customer.level": "gold",
    }
    assert ev("Customer Type", **ctx) == "new"
    assert ev("customer.type", **ctx) == "existing"
    assert ev("customer.address.city", **ctx) == "Xi'an"
    assert ev("金额 * 2", **ctx) == 200
    # a key spelled with the dot wins over walking into "customer" (longest match)
    assert ev("customer.level", **ctx) == "gold"
    assert ev("customer.missing", **ctx) is None
    assert ev("unknown name", **ctx) is None
    assert ev("`odd-name!`", **{"odd-name!": 1}) == 1


def test_known_names_may_contain_keywords() -> None:
    ctx = {"Days in arrears": 95}
    assert ev("Days in arrears > 90", ("Days in arrears",), **ctx) is True
    # without knowing the name, "in" is read as the operator: "Days" in ("arrears"), both null
    assert ev("Days in arrears", **ctx) is True


def test_input_value_is_only_for_unary_tests() -> None:
    with pytest.raises(FeelSyntaxError, match="input entry"):
        compile_expression("? + 1")


def test_constants_are_folded_at_compile_time() -> None:
    compiled = compile_expression('date("2026-01-31")')
    assert compiled.is_constant and compiled.constant == dt.date(2026, 1, 31)
    assert not compile_expression("amount * 2").is_constant
    assert compile_expression("amount * rate + fee").names == {"amount", "rate", "fee"}


@pytest.mark.parametrize(
    "text",
    [
        "1 +",
        "(1",
        "a b +",
        "x == 1",
        "foo(1)",
        'string length("a", "b")',
        "1 < 2 < 3",
        "for x in [1] return x",
        "some x in [1] satisfies x > 0",
        "function(x) x",
        '"a" + 1',
        'date("31.01.2026")',
        "",
        "x instance of number",
        "a.b(1)",
    ],
)
def test_invalid_expressions(text: str) -> None:
    with pytest.raises(FeelSyntaxError):
        compile_expression(text)


@pytest.mark.parametrize(
    ("text", "ctx"),
    [
        ("a + 1", {"a": "x"}),
        ("a < 1", {"a": "x"}),
        ("a * b", {"a": True, "b": 2}),
        ("-a", {"a": "x"}),
        ("string length(a)", {"a": 5}),
        ("sum(a)", {"a": [1, "x"]}),
        ("a < b", {"a": dt.date(2026, 1, 1), "b": dt.datetime(2026, 1, 1)}),
    ],
)
def test_type_errors_at_run_time(text: str, ctx: dict) -> None:
    with pytest.raises(FeelTypeError):
        compile_expression(text).evaluate(ctx, None)
