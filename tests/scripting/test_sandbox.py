import pytest

from engine.errors import ScriptError
from engine.scripting.sandbox import evaluate, execute


def test_scripts_read_and_write_task_data():
    data = {"amount": 100, "lines": [{"q": 2, "p": 5.0}, {"q": 1, "p": 10.0}]}
    execute(
        "total = sum(l['q'] * l['p'] for l in lines)\namount += 1\nflags = {'big': total > 15}\ndel lines",
        data,
    )
    assert data == {"amount": 101, "total": 20.0, "flags": {"big": True}}
    assert evaluate("amount > 100 and flags['big']", data) is True
    assert evaluate("date(2026, 1, 31) + timedelta(days=1)", {}).isoformat() == "2026-02-01"
    assert evaluate("datetime.datetime(2026, 1, 31).year", {}) == 2026


def test_a_missing_attribute_is_an_error_not_none():
    with pytest.raises(AttributeError):
        evaluate("customer.type", {"customer": {"type": "new"}})
    assert evaluate("customer['type']", {"customer": {"type": "new"}}) == "new"


@pytest.mark.parametrize(
    "source, message",
    [
        ("import os", "import is not allowed"),
        ("from subprocess import run", "import is not allowed"),
        ("x = open('/etc/passwd').read()", "'open' is not available"),
        ("x = ().__class__.__bases__", "invalid attribute name"),
        ("x = amount.__class__", "invalid attribute name"),
        ("x = eval('1+1')", "'eval' is not available"),
        ("x = getattr(amount, 'real')", "'getattr' is not available"),
        ("x = __builtins__", "invalid variable name"),
        ("class A: pass", "class definitions are not allowed"),
        ("x = = 1", "Syntax error in script on line 1"),
    ],
)
def test_scripts_cannot_escape_the_sandbox(source, message):
    with pytest.raises(ScriptError, match=message):
        execute(source, {"amount": 1})


def test_format_strings_cannot_reach_attributes():
    with pytest.raises(ScriptError, match="only positions and names may be formatted"):
        execute("x = '{0.__class__}'.format(1)", {})
    data: dict = {}
    execute("x = '{} of {n:>3}'.format('a', n=5)", data)
    assert data == {"x": "a of   5"}


def test_functions_defined_by_a_script_do_not_become_data():
    data = {}
    execute("def double(v):\n    return v * 2\nresult = double(21)", data)
    assert data == {"result": 42}


def test_process_data_cannot_replace_the_guards():
    # Form input is process data: a field named like a guard must not switch the guard off.
    data = {"_getattr_": "off", "__builtins__": {}, "_tick_": None, "xs": [1]}
    with pytest.raises(ScriptError, match="no attribute 'sys'"):
        evaluate("datetime.sys", data)
    assert evaluate("len(xs)", data) == 1
