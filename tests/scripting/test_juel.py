"""JUEL (Camunda 7's ``${…}``) and FEEL (Camunda 8's ``=…``) expressions, by the one rule of
engine/scripting/expressions.py: what they mean, and what they are refused."""

from __future__ import annotations

import pytest

from engine.actor import SYSTEM
from engine.errors import ApprovalsError, ModelValidationError, ScriptError, ScriptLimitExceeded
from engine.scripting import juel
from engine.scripting.expressions import FEEL, JUEL, PYTHON, compile_expression, evaluate, is_expression
from tests.factories import add_users, deploy_files
from tests.scripting.places import DMN_PLACES, ELEMENT, PLACES
from tests.scripting.test_escapes import EXPRESSIONS

DATA = {
    "approved": True,
    "rejected": False,
    "amount": 1500,
    "region": "east",
    "comment": "",
    "note": "ok",
    "items": [],
    "names": ["ann", "bob"],
    "request": {"customer": {"name": "ACME", "tier": 2}, "lines": [10, 20]},
    "nothing": None,
    "empty_map": {},
    "from": "web",
    "input": {"amount": 3},
    "open": True,
    "print": True,
    "id": 7,
}


@pytest.mark.parametrize(
    "text, expected",
    [
        # literals
        ("${true}", True),
        ("${false}", False),
        ("${null}", None),
        ("${42}", 42),
        ("${4.5}", 4.5),
        ("${1e3}", 1000.0),
        ("${'single'}", "single"),
        ('${"double"}', "double"),
        # names and the Camunda 7 forms
        ("${approved}", True),
        ("#{approved}", True),
        ("${!approved}", False),
        ("${not approved}", False),
        ("${amount > 1000 && region == 'east'}", True),
        ("${amount > 1000 and region == 'west'}", False),
        ("${rejected || approved}", True),
        ("${rejected or rejected}", False),
        # comparison words and symbols
        ("${amount gt 1000}", True),
        ("${amount lt 1000}", False),
        ("${amount ge 1500}", True),
        ("${amount le 1499}", False),
        ("${amount >= 1500}", True),
        ("${amount <= 1500}", True),
        ("${region eq 'east'}", True),
        ("${region ne 'east'}", False),
        ("${region != 'west'}", True),
        ("${nothing == null}", True),
        # arithmetic
        ("${amount + 1}", 1501),
        ("${amount - 500 * 2}", 500),
        ("${(amount - 500) * 2}", 2000),
        ("${10 / 4}", 2.5),
        ("${10 div 4}", 2.5),
        ("${7 % 3}", 1),
        ("${7 mod 3}", 1),
        ("${-amount}", -1500),
        ("${- -amount}", 1500),
        # empty
        ("${empty comment}", True),
        ("${empty note}", False),
        ("${empty items}", True),
        ("${empty names}", False),
        ("${empty nothing}", True),
        ("${empty empty_map}", True),
        ("${not empty names}", True),
        ("${!empty comment}", False),
        ("${empty 0}", False),
        # ternary
        ("${approved ? 'yes' : 'no'}", "yes"),
        ("${rejected ? 'yes' : 'no'}", "no"),
        ("${amount > 5000 ? 'director' : amount > 1000 ? 'manager' : 'clerk'}", "manager"),
        # property access on maps and lists
        ("${request.customer.name}", "ACME"),
        ("${request['customer']['tier']}", 2),
        ('${request["lines"][1]}', 20),
        ("${request.lines[5]}", None),  # EL: an index out of range is null
        ("${request.missing}", None),  # EL: a missing key is null
        ("${nothing.anything}", None),  # EL: a property of null is null
        ("${names[0]}", "ann"),
        # execution
        ("${execution.getVariable('amount')}", 1500),
        ("${execution.getVariable('not_set')}", None),
        ("${execution.hasVariable('amount')}", True),
        ("${execution.hasVariable('not_set')}", False),
        ("${execution.processBusinessKey}", None),
        # a variable Python cannot name, or the sandbox refuses to
        ("${from}", "web"),
        ("${input.amount}", 3),
        ("${open && print}", True),
        ("${id + 1}", 8),
        # Python written inside ${…} before this engine read JUEL
        ("${amount > 1000 and region in ('east', 'west')}", True),
        ("${region not in ['north']}", True),
        ("${nothing is None}", True),
        ("${nothing is not None}", False),
        ("${len(names)}", 2),
        ("${0 < amount < 2000}", True),
        ('${region + "-1"}', "east-1"),
        ("${[n for n in names]}", ["ann", "bob"]),  # no JUEL at all: Python
        ("${max(amount, 2000)}", 2000),
    ],
)
def test_juel_means_what_camunda_means(text: str, expected: object) -> None:
    assert evaluate(text, DATA) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        # && binds tighter than ||, ! tighter than &&, comparison tighter than both
        ("${true || false && false}", True),
        ("${(true || false) && false}", False),
        ("${!false && false}", False),
        ("${1 + 2 * 3}", 7),
        ("${(1 + 2) * 3}", 9),
        ("${2 * 3 > 5 == true}", True),  # relational before equality
        ("${10 - 4 - 3}", 3),  # left to right
        ("${-2 * 3}", -6),
        ("${empty comment && approved}", True),
        ("${approved ? 1 : 2 + 10}", 1),
    ],
)
def test_precedence(text: str, expected: object) -> None:
    assert evaluate(text, DATA) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        (r"${'it\'s'}", "it's"),
        (r'${"say \"hi\""}', 'say "hi"'),
        (r"${'back\\slash'}", "back\\slash"),
        (r"${'a\nb'}", "a\\nb"),  # EL escapes only quotes and the backslash
        ("${'}'}", "}"),
        ('${"it\'s"}', "it's"),
    ],
)
def test_string_escapes(text: str, expected: str) -> None:
    assert evaluate(text, {}) == expected


def test_languages_by_their_marks() -> None:
    assert compile_expression("${approved}").language == JUEL
    assert compile_expression("#{approved}").language == JUEL
    assert compile_expression("=amount > 1000").language == FEEL
    assert compile_expression("amount > 1000").language == PYTHON
    assert compile_expression("amount > 1000", "feel").language == FEEL
    assert compile_expression("amount > 1000", "juel").language == JUEL
    assert compile_expression("amount > 1000", "python").language == PYTHON
    assert compile_expression("${amount}", "http://camunda.org/juel").language == JUEL
    assert compile_expression("amount", "http://www.omg.org/spec/FEEL/20140401").language == FEEL
    assert is_expression("${x}") and is_expression("=x") and is_expression(" #{x} ")
    assert not is_expression("sales_manager") and not is_expression("=") and not is_expression("P2D")


def test_a_declared_language_counts_columns_from_the_text_as_written() -> None:
    with pytest.raises(ScriptError, match=r"\(column 5\)"):
        compile_expression("a &&", "juel")
    with pytest.raises(ScriptError, match=r"\(column 7\)"):
        compile_expression("${a &&}", "juel")


@pytest.mark.parametrize("language", ["javascript", "groovy", "JavaScript", "python3k"])
def test_other_languages_are_refused_by_name(language: str) -> None:
    with pytest.raises(ScriptError, match=f"'{language}' is not supported"):
        compile_expression("approved", language)


def test_feel_over_process_data() -> None:
    assert evaluate('=amount > 1000 and region = "east"', DATA) is True
    assert evaluate("=request.customer.name", DATA) == "ACME"
    assert evaluate('=if approved then "yes" else "no"', DATA) == "yes"
    assert evaluate("amount > 1000", DATA, language="feel") is True
    with pytest.raises(ScriptError, match="column"):
        compile_expression("=amount >")
    with pytest.raises(ScriptError, match="FEEL expression"):
        evaluate('=amount > "a"', DATA)


def test_an_unknown_variable_is_named() -> None:
    with pytest.raises(ScriptError, match="unknown variable 'approvd'"):
        evaluate("${approvd}", DATA)
    with pytest.raises(ScriptError, match="unknown variable 'typo'"):
        evaluate("${approved && typo > 1}", DATA)
    with pytest.raises(ScriptError, match="unknown variable 'input'"):
        evaluate("${input}", {})
    with pytest.raises(ScriptError, match="unknown variable 'id'"):
        evaluate("${id}", {})
    with pytest.raises(ScriptError, match="unknown variable 'type'"):
        evaluate("${type}", {})
    with pytest.raises(ScriptError, match="unknown variable 'gone'"):
        evaluate("${empty gone}", DATA)  # as in Camunda: empty does not excuse a missing variable


def test_the_business_key_is_the_process_variable_the_engine_sets() -> None:
    assert evaluate("${execution.processBusinessKey}", {"business_key": "EXP-7"}) == "EXP-7"


def test_a_variable_wins_over_a_sandbox_name() -> None:
    assert evaluate("${len}", {"len": 3}) == 3
    assert evaluate("${len(names)}", DATA) == 2


@pytest.mark.parametrize(
    "text, message, column",
    [
        ("${a &&}", "expected a value, found the end of the expression", 7),
        ("${amount > > 2}", "expected a value", 12),
        ("${'open}", "a string is not closed", 3),
        ("${a ? b}", "expected ':'", 8),
        ("${(a}", "expected ')'", 5),
        ("${a b}", "unexpected text after the expression", 5),
        ("${}", "the expression is empty", 3),
        ("${a @ b}", "unexpected character '@'", 5),
        ("#{x.}", "expected a property name after '.'", 5),
    ],
)
def test_syntax_errors_name_the_column(text: str, message: str, column: int) -> None:
    with pytest.raises(ScriptError) as refused:
        compile_expression(text)
    assert message in refused.value.message
    assert f"(column {column})" in refused.value.message
    assert text in refused.value.message


# --- hostile ------------------------------------------------------------------------------------

ATTACKS = {
    "java class walk": ("${''.getClass()}", "method calls are not supported: '.getClass(…)'"),
    "forName": ("${''.getClass().forName('java.lang.Runtime')}", "method calls are not supported"),
    "execution walk": ("${execution.getProcessEngineServices()}", "method calls are not supported"),
    "execution internals": ("${execution.processEngine}", "execution.processEngine is not available"),
    "dunder property": ("${x.__class__}", "names starting with '_' are not allowed"),
    "dunder item": ("${x['__class__']}", "names starting with '_' are not allowed"),
    "dunder name": ("${__builtins__}", "names starting with '_' are not allowed"),
    "helper name": ("${_juel_data_}", "names starting with '_' are not allowed"),
    "helper call": ("${_juel_prop_(x, 'y')}", "names starting with '_' are not allowed"),
    "spring T()": ("${T(java.lang.Runtime).getRuntime().exec('id')}", "function 'T' is not available"),
    "prefixed function": ("${fn:escapeXml(x)}", "functions with a prefix ('fn:…') are not supported"),
    "eval": ("${eval('1')}", "function 'eval' is not available"),
    "getattr": ("${getattr(x, 'real')}", "function 'getattr' is not available"),
    "type": ("${type(x)}", "function 'type' is not available"),
    "python method": ("${'{0.__class__}'.format(1)}", "method calls are not supported"),
    "python method in a comprehension": ("${[n.upper() for n in names]}", "method calls are not supported"),
    "python method, no JUEL": ("${{'a': 1}.keys()}", "method calls are not supported"),
    "huge number": ("${1" + "0" * 2000 + "}", "a number has more than 1,000 digits"),
    "deep nesting": ("${" + "(" * 60 + "1" + ")" * 60 + "}", "nested more than 32 levels deep"),
    "deep negation": ("${" + "!" * 60 + "true}", "nested more than 32 levels deep"),
    "deep ternary": ("${" + "a ? " * 40 + "1" + " : 2" * 40 + "}", "nested more than 32 levels deep"),
    "long chain": ("${" + " + ".join(["1"] * 500) + "}", "too complex"),
    "many parts": (
        "${" + " && ".join(["a"] * 6000) + "}",
        "the expression is too long (more than 10,000 parts)",
    ),
    "long property chain": ("${x" + ".y" * 200 + "}", "too complex"),
    "dollar name": ("${a$b}", "is not a name this engine accepts"),
    "unicode name": ("${ｅval}", "is not a name this engine accepts"),
}


@pytest.mark.parametrize("attack", ATTACKS)
def test_juel_escapes_are_refused_when_compiled(attack: str) -> None:
    text, message = ATTACKS[attack]
    with pytest.raises(ScriptError) as refused:
        compile_expression(text)
    assert message in refused.value.message
    assert "Traceback" not in refused.value.message


def test_numbers_stay_within_the_sandbox_budget() -> None:
    with pytest.raises(ScriptLimitExceeded):
        evaluate("${" + "9" * 900 + " * " + "9" * 900 + " * " + "9" * 900 + " * " + "9" * 900 + "}", {})
    with pytest.raises(ScriptLimitExceeded):
        evaluate("${big * big * big * big * big}", {"big": 10**2000})


def test_properties_of_other_values_come_from_the_sandbox_allowlist() -> None:
    assert evaluate("${now().year}", {}, {"now": lambda: __import__("datetime").datetime(2026, 1, 2)}) == 2026
    with pytest.raises(ApprovalsError):
        evaluate("${amount.real.denominator.numerator.imag.conjugate}", DATA)
    with pytest.raises(ApprovalsError):
        evaluate("${datetime.sys}", DATA)


def test_get_variable_reads_the_process_data_only() -> None:
    # Never the sandbox's scope: its guards and builtins are no process variables.
    for name in ("__builtins__", "_getattr_", "_juel_data_", "len", "datetime"):
        assert evaluate(f"${{execution.getVariable('{name}')}}", {}) is None
        assert evaluate(f"${{execution.hasVariable('{name}')}}", {}) is False


def test_a_dynamic_key_cannot_reach_an_attribute() -> None:
    # A key from the data reads the map, or — on anything else — only an allowlisted attribute.
    assert evaluate("${request[k]}", {**DATA, "k": "__class__"}) is None
    with pytest.raises(ApprovalsError):
        evaluate("${amount[k]}", {**DATA, "k": "__class__"})
    with pytest.raises(ApprovalsError):
        evaluate("${amount[k]}", {**DATA, "k": "__reduce__"})


def test_the_translation_is_plain_python_under_the_sandbox() -> None:
    assert juel.translate("a && !b || empty c", 2) == "a and (not b) or _juel_empty_(c)"
    assert juel.translate("x.y['z']", 2) == "_juel_prop_(_juel_prop_(x, 'y'), 'z')"


# --- the same attacks in every place a model holds an expression ----------------------------------

PLACE_ATTACKS = {
    name: ATTACKS[name][0][2:-1]
    for name in ("java class walk", "execution walk", "dunder property", "dunder item", "spring T()", "eval")
} | {
    "attribute walk from a namespace": "datetime.sys.modules",
    "empty of a walk": "empty datetime.sys",
    "ternary hiding a walk": "true ? x.__class__ : 1",
}


@pytest.mark.parametrize("place", [p for p in PLACES if p != "script task"])
@pytest.mark.parametrize("attack", PLACE_ATTACKS)
def test_juel_escapes_are_refused_in_every_place(make_engine, place: str, attack: str) -> None:
    engine = make_engine()
    people = add_users(engine, sam="sales")
    body = PLACE_ATTACKS[attack]
    if place.startswith("candidate") and "," in body:
        pytest.skip("a comma splits a candidate list into literal names")
    # The user-task places write ${…} around what they are given; the others take the text as is.
    text = body if place in ("candidateGroups", "candidateUsers", "due date") else "${" + body + "}"
    try:
        deploy_files(engine, PLACES[place](text))
    except ModelValidationError as refused:
        element = ELEMENT[place] if place not in DMN_PLACES else "attack.dmn"
        assert any(element in (p.element_id, p.decision_id, p.file) for p in refused.problems), refused
        return
    with pytest.raises(ApprovalsError) as failed:
        engine.runtime.start("attack", people["sam"], {"amount": 5, "x": {"y": 1}})
    assert "uid=" not in str(failed.value) and "<module" not in str(failed.value)
    assert engine.runtime.list(SYSTEM) == []


@pytest.mark.parametrize("attack", EXPRESSIONS)
def test_the_python_escapes_written_inside_a_juel_condition_are_refused(make_engine, attack: str) -> None:
    """test_escapes.py's attacks, as a ``${…}`` gateway condition: JUEL or the Python fallback,
    each is refused at deploy or fails its command, and reaches nothing."""
    engine = make_engine()
    people = add_users(engine, sam="sales")
    try:
        deploy_files(engine, PLACES["gateway condition"]("${" + EXPRESSIONS[attack] + "}"))
    except ModelValidationError as refused:
        assert [p.element_id for p in refused.problems] == ["risky"], refused
        return
    with pytest.raises(ApprovalsError) as failed:
        engine.runtime.start("attack", people["sam"], {"amount": 5})
    assert "uid=" not in str(failed.value) and "<module" not in str(failed.value)
    assert engine.runtime.list(SYSTEM) == []
