"""Known ways out of Python sandboxes, tried in every place a model can hold Python.

Each attack must be refused — at deploy (the model is not stored) or when the expression runs (the
command fails with an error naming the element or decision, and nothing of it is stored) — and
never return what it reached for.
"""

from __future__ import annotations

import pytest

from engine.actor import SYSTEM
from engine.errors import ApprovalsError, ModelValidationError, ScriptError
from engine.scripting.sandbox import evaluate, execute
from tests.factories import add_users, deploy_files
from tests.scripting.places import DMN_PLACES, ELEMENT, PLACES, script_task

# Expressions: each is tried in every place.
EXPRESSIONS = {
    "module attribute walk": 'datetime.sys.modules["os"].popen("id").read()',
    "class of a namespace member": "datetime.datetime.mro()",
    "machine clock": "datetime.datetime.now()",
    "machine date": "date.today()",
    "math module walk": "math.factorial",
    "str.format attribute walk": '"{0.__class__}".format(1)',
    "str.format named attribute walk": '"{x.real}".format(x=1)',
    "str.format item walk": '"{0[0]}".format([datetime])',
    "format_map": '"{a}".format_map({"a": 1})',
    "f-string attribute walk": 'f"{datetime.sys}"',
    "f-string repr of a walk": 'f"{datetime.datetime.now!r}"',
    "f-string width bomb": 'f"{1:>{10**9}}"',
    "%-formatting of a walk": '"%s" % datetime.sys',
    "%-formatting width bomb": '"%1000000000d" % 1',
    "generator frame": "(i for i in [1]).gi_frame",
    "generator code": "(i for i in [1]).gi_code",
    "generator send": "(i for i in [1]).send",
    "lambda globals": "(lambda: 1).__globals__",
    "lambda globals without underscores": "(lambda: 1).func_globals",
    "function code": "(lambda: 1).__code__",
    "reduce": "(1).__reduce__()",
    "reduce_ex": "[].__reduce_ex__(2)",
    "type": "type(1)",
    "object": "object",
    "class of an int": "(1).__class__",
    "subclasses": "[].__class__.__base__.__subclasses__()",
    "exception class walk": "KeyError.mro()",
    "getattr": 'getattr(1, "real")',
    "vars": "vars()",
    "dir": "dir()",
    "builtins": "__builtins__",
    "builtin function self": "len.__self__",
    "builtin function self, no underscores": "math.ceil.self",
    "bound classmethod self": "datetime.datetime.fromisoformat.__self__",
    "NFKC eval": 'ｅval("1")',
    "NFKC getattr": 'ｇetattr(1, "real")',
    "NFKC dunder": "(1).＿＿class＿＿",
    "import": '__import__("os")',
    "exposed object internals": "datetime.attributes",
    "exposed constructor internals": "int.call",
    "dict class method": "dict.fromkeys([1])",
    "timezone internals": "timezone.utc.utcoffset.__self__",
    "now's globals": "now.__globals__",
}

# Statements: tried in script tasks only.
SCRIPTS = {
    "exception traceback": "try:\n    1 / 0\nexcept Exception as e:\n    x = e.__traceback__",
    "exception with_traceback": "try:\n    1 / 0\nexcept Exception as e:\n    x = e.with_traceback",
    "caught AttributeError object": "try:\n    {}.nope\nexcept AttributeError as e:\n    x = e.obj",
    "decorator reaching a module": "@datetime.sys.modules.get\ndef f():\n    pass",
    "generator function frame": "def g():\n    yield 1\nx = g().gi_frame",
    "generator function frame, no underscores": "def g():\n    yield 1\nx = g().gi_yieldfrom",
    "function attributes": "def f():\n    pass\nx = f.func_code",
    "print collector walk": "print(datetime.sys)\nx = printed",
    "class definition": "class A:\n    pass",
    "import statement": "import os",
    "from import": "from os import popen",
    "attribute write": "datetime.sys = 1",
    "item write on an exposed object": 'datetime["sys"] = 1',
    "with statement": "with datetime:\n    pass",
    "global builtins": "global __builtins__\nx = 1",
    "rebinding a guard": "global _getattr_\n_getattr_ = None",
    "rebinding builtins": "__builtins__ = None",
    "SystemExit": "raise SystemExit()",
    "BaseException": "raise BaseException()",
    "KeyboardInterrupt": "raise KeyboardInterrupt()",
}


def _refused(exc: BaseException, element: str) -> None:
    assert isinstance(exc, ApprovalsError), f"{type(exc).__name__}: {exc}"
    text = str(exc)
    assert element in text or any(
        p.element_id == element or p.decision_id == element for p in exc.problems
    ), text
    assert "uid=" not in text and "module" not in text.split("'")[0]


@pytest.mark.parametrize("place", PLACES)
@pytest.mark.parametrize("attack", EXPRESSIONS)
def test_expressions_cannot_escape_anywhere(make_engine, place: str, attack: str) -> None:
    engine = make_engine()
    people = add_users(engine, sam="sales")
    expression = EXPRESSIONS[attack]
    if place.startswith("candidate") and "," in expression:
        # Candidate lists are split at commas first: the pieces are names, never evaluated.
        expression = expression.replace(",", " ,")
        pytest.skip("a comma splits a candidate list into literal names")
    files = PLACES[place](expression)
    try:
        deploy_files(engine, files)
    except ModelValidationError as refused:
        _refused(refused, ELEMENT[place] if place not in DMN_PLACES else "attack.dmn")
        return
    with pytest.raises(ApprovalsError) as failed:
        engine.runtime.start("attack", people["sam"], {"amount": 5})
    element = ELEMENT[place]
    if place == "gateway condition":
        element = "choose" if "choose" in str(failed.value) else "risky"
    _refused(failed.value, element)
    assert engine.runtime.list(SYSTEM) == []


@pytest.mark.parametrize("attack", SCRIPTS)
def test_scripts_cannot_escape(make_engine, attack: str) -> None:
    engine = make_engine()
    people = add_users(engine, sam="sales")
    try:
        deploy_files(engine, script_task(SCRIPTS[attack]))
    except ModelValidationError as refused:
        _refused(refused, "attack_script")
        return
    with pytest.raises(ScriptError) as failed:
        engine.runtime.start("attack", people["sam"], {"amount": 5})
    _refused(failed.value, "attack_script")
    assert failed.value.problems[0].element_id == "attack_script"
    assert engine.runtime.list(SYSTEM) == []


@pytest.mark.parametrize("attack", EXPRESSIONS)
def test_expressions_cannot_escape_the_sandbox_itself(attack: str) -> None:
    with pytest.raises(ScriptError):
        evaluate(EXPRESSIONS[attack], {}, {"now": lambda: None})


@pytest.mark.parametrize("attack", SCRIPTS)
def test_scripts_cannot_escape_the_sandbox_itself(attack: str) -> None:
    with pytest.raises(ScriptError):
        execute(SCRIPTS[attack], {})


def test_a_refusal_caught_by_the_script_gives_it_nothing() -> None:
    data: dict = {}
    execute("try:\n    x = datetime.sys\nexcept AttributeError:\n    x = 'refused'", data)
    assert data == {"x": "refused"}
