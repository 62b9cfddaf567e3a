"""Every script and expression runs under a budget: time, steps, integer size, value size, total built.

Each attack runs in a thread that must finish quickly: with its control removed the attack would
run for minutes (or exhaust memory), and the test fails on the time rather than hanging.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from engine.config import ScriptLimits
from engine.errors import ConfigurationError, ScriptError, ScriptLimitExceeded
from engine.scripting import budget
from engine.scripting.sandbox import evaluate, execute


@pytest.fixture
def limits() -> Iterator[Callable[..., ScriptLimits]]:
    """Set the sandbox's limits for one test (the defaults otherwise)."""
    previous = budget.configure(ScriptLimits())

    def set_limits(**changes: int) -> ScriptLimits:
        new = ScriptLimits(**changes)
        budget.configure(new)
        return new

    yield set_limits
    budget.configure(previous)


def finishes(action: Callable[[], Any], within: float = 5.0) -> BaseException | None:
    """Run ``action`` in a thread; the exception it raised (None if none) — or fail after ``within``."""
    outcome: list[BaseException | None] = []

    def run() -> None:
        try:
            action()
            outcome.append(None)
        except BaseException as exc:
            outcome.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    started = time.monotonic()
    thread.start()
    thread.join(within)
    # A C-level computation holds the GIL, so join() may only return when it is over: time it too.
    elapsed = time.monotonic() - started
    assert outcome and elapsed < within, f"ran for {elapsed:.1f} s (allowed: {within} s)"
    return outcome[0]


def refused(source: str, variable: str, within: float = 5.0, mode: str = "exec") -> ScriptLimitExceeded:
    if mode == "exec":
        error = finishes(lambda: execute(source, {}), within)
    else:
        error = finishes(lambda: evaluate(source, {}), within)
    assert isinstance(error, ScriptLimitExceeded), repr(error)
    assert variable in error.message
    return error


# (attack, the variable naming the limit it hits); each also runs in a script task, a gateway
# condition and a DMN cell (test_budget_in_models.py).
EXPRESSION_ATTACKS = {
    "huge power": ("10 ** 10 ** 8", "APPROVALS_SCRIPT_MAX_INT_BITS"),
    "huge shift": ("1 << 10 ** 9", "APPROVALS_SCRIPT_MAX_INT_BITS"),
    "huge product": ("(10 ** 5000) * (10 ** 5000)", "APPROVALS_SCRIPT_MAX_INT_BITS"),
    "huge round": ("round(12345, -10 ** 7)", "APPROVALS_SCRIPT_MAX_INT_BITS"),
    "huge modular power": ("pow(3, 10 ** 4000, 10 ** 4000)", "APPROVALS_SCRIPT_MAX_INT_BITS"),
    "huge int from text": ("int('9' * 4000)", "APPROVALS_SCRIPT_MAX_INT_BITS"),
    "huge decimal": ("Decimal(10) ** 100000", "APPROVALS_SCRIPT_MAX_INT_BITS"),
    "huge decimal to int": ("int(Decimal('1e999999'))", "APPROVALS_SCRIPT_MAX_INT_BITS"),
    "string repetition": ("'a' * 10 ** 10", "APPROVALS_SCRIPT_MAX_ITEMS"),
    "list repetition": ("[0] * 10 ** 9", "APPROVALS_SCRIPT_MAX_ITEMS"),
    "range sum": ("sum(range(10 ** 12))", "APPROVALS_SCRIPT_MAX_ITEMS"),
    "sorted range": ("sorted(range(10 ** 10))", "APPROVALS_SCRIPT_MAX_ITEMS"),
    "list of range": ("list(range(10 ** 10))", "APPROVALS_SCRIPT_MAX_ITEMS"),
    "f-string width": ("f'{1:>1000000000}'", "APPROVALS_SCRIPT_MAX_ITEMS"),
    "f-string nested width": ("f'{1:>{10 ** 9}}'", "APPROVALS_SCRIPT_MAX_ITEMS"),
    "f-string precision": ("f'{1.5:.1000000000f}'", "APPROVALS_SCRIPT_MAX_ITEMS"),
    "%-format width": ("'%1000000000d' % 1", "APPROVALS_SCRIPT_MAX_ITEMS"),
    "str.format width": ("'{:>1000000000}'.format(1)", "APPROVALS_SCRIPT_MAX_ITEMS"),
    "join": ("','.join(['x' * 1000] * 1000) * 1000", "APPROVALS_SCRIPT_MAX_ITEMS"),
    "replace": ("('x' * 1000).replace('', 'y' * 1000)", "APPROVALS_SCRIPT_MAX_ITEMS"),
    "padding": ("'x'.zfill(10 ** 9)", "APPROVALS_SCRIPT_MAX_ITEMS"),
    "text of a shared list": ("str([['x' * 100000] * 10] * 100)", "APPROVALS_SCRIPT_MAX_ITEMS"),
    "endless generator": ("all(True for _ in iter(int, 1))", ""),
}
SCRIPT_ATTACKS = {
    "while True": ("while True:\n    pass", "APPROVALS_SCRIPT_MAX_STEPS"),
    "swallowed in a loop": (
        "while True:\n    try:\n        while True:\n            pass\n    except Exception:\n        pass",
        "APPROVALS_SCRIPT_MAX_STEPS",
    ),
    "swallowed by finally": (
        "try:\n    while True:\n        pass\nfinally:\n    x = 1",
        "APPROVALS_SCRIPT_MAX_STEPS",
    ),
    "exponential recursion": (
        "def f(n):\n    return 1 if n == 0 else f(n - 1) + f(n - 1)\nx = f(60)",
        "APPROVALS_SCRIPT_MAX_STEPS",
    ),
    "exponential lambdas": (
        "f = lambda n: 1 if n == 0 else f(n - 1) + f(n - 1)\nx = f(60)",
        "APPROVALS_SCRIPT_MAX_STEPS",
    ),
    "deep recursion": ("def f():\n    return f()\nx = f()", "recursion"),
    "doubling a string": ("s = 'x'\nfor i in range(100):\n    s = s + s", "APPROVALS_SCRIPT_MAX_ITEMS"),
    "doubling in place": ("s = 'x'\nfor i in range(100):\n    s += s", "APPROVALS_SCRIPT_MAX_ITEMS"),
    "doubling by unpacking": (
        "xs = [1]\nfor i in range(100):\n    xs = [*xs, *xs]",
        "APPROVALS_SCRIPT_MAX_ITEMS",
    ),
    "doubling by slices": (
        "xs = [1]\nfor i in range(100):\n    xs[len(xs):] = xs",
        "APPROVALS_SCRIPT_MAX_ITEMS",
    ),
    "doubling by extend": ("xs = [1]\nfor i in range(100):\n    xs.extend(xs)", "APPROVALS_SCRIPT_MAX_ITEMS"),
    "hoarding": (
        "keep = []\nfor i in range(100000):\n    keep.append('x' * 999999)",
        "APPROVALS_SCRIPT_MAX_TOTAL_ITEMS",
    ),
    "printing": (
        "s = 'x' * 999999\nfor i in range(100000):\n    print(s)\nx = printed",
        "APPROVALS_SCRIPT_MAX",
    ),
    "comparing shared structures": (
        "a = [0]\nb = [0]\nfor i in range(60):\n    a = [a, a]\n    b = [b, b]\nx = a == b",
        "APPROVALS_SCRIPT_MAX_ITEMS",
    ),
    "sorting shared structures": (
        "a = [0]\nb = [0]\nfor i in range(60):\n    a = [a, a]\n    b = [b, b]\nx = sorted([a, b])",
        "APPROVALS_SCRIPT_MAX_ITEMS",
    ),
    "a set of shared tuples": (
        "t = (0,)\nfor i in range(60):\n    t = (t, t)\nx = len(set([t, t]))",
        "APPROVALS_SCRIPT_MAX_ITEMS",
    ),
    "sorting shared structures in place": (
        "a = [0]\nb = [0]\nfor i in range(60):\n    a = [a, a]\n    b = [b, b]\nxs = [a, b]\nxs.sort()",
        "APPROVALS_SCRIPT_MAX_ITEMS",
    ),
    "looking up a shared tuple": (
        "t = (0,)\nfor i in range(60):\n    t = (t, t)\nx = {}.get(t)",
        "APPROVALS_SCRIPT_MAX_ITEMS",
    ),
    "a shared structure left as data": (
        "a = [0]\nfor i in range(60):\n    a = [a, a]",
        "APPROVALS_SCRIPT_MAX_ITEMS",
    ),
}


@pytest.mark.parametrize("attack", EXPRESSION_ATTACKS)
def test_expressions_are_stopped_before_the_work(limits, attack: str) -> None:
    source, variable = EXPRESSION_ATTACKS[attack]
    if attack == "endless generator":
        # iter(callable, sentinel) is not offered at all.
        with pytest.raises(ScriptError, match="'iter' is not available"):
            evaluate(source, {})
        return
    refused(source, variable, mode="eval")


@pytest.mark.parametrize("attack", SCRIPT_ATTACKS)
def test_scripts_are_stopped(limits, attack: str) -> None:
    source, variable = SCRIPT_ATTACKS[attack]
    if variable == "APPROVALS_SCRIPT_MAX_STEPS":
        # The step count is the control under test: on a busy machine the default second could run
        # out first. Without the step limit the time limit still stops it, and the test fails.
        limits(timeout_ms=4000)
    refused(source, variable)


def test_the_time_limit_stops_a_loop_of_expensive_steps(limits) -> None:
    limits(timeout_ms=300, max_steps=10**12)
    started = time.monotonic()
    error = refused("xs = list(range(100000))\nwhile True:\n    top = max(xs)", "APPROVALS_SCRIPT_TIMEOUT_MS")
    assert "300 ms" in error.message
    assert time.monotonic() - started < 1.5


def test_the_step_limit_is_configurable(limits) -> None:
    limits(max_steps=1000)
    execute("for i in range(900):\n    pass", {})
    refused("for i in range(1001):\n    pass", "APPROVALS_SCRIPT_MAX_STEPS")


def test_the_integer_limit_is_configurable(limits) -> None:
    limits(max_int_bits=128)
    assert evaluate("2 ** 127", {}) == 2**127
    refused("x = 2 ** 128", "APPROVALS_SCRIPT_MAX_INT_BITS")


def test_a_limit_passed_cannot_be_caught_by_the_script(limits) -> None:
    limits(max_int_bits=128)
    data: dict = {}
    error = finishes(lambda: execute("try:\n    x = 2 ** 1000\nexcept Exception:\n    x = 0\ny = 1", data))
    assert isinstance(error, ScriptLimitExceeded)
    assert data == {}


def test_ordinary_work_fits_the_default_budget(limits) -> None:
    data = {"lines": [{"q": i % 7, "p": i * 0.5} for i in range(10000)]}
    execute(
        "total = sum(l['q'] * l['p'] for l in lines)\n"
        "by_q = {}\nfor l in lines:\n    by_q[l['q']] = by_q.get(l['q'], 0) + 1\n"
        "text = '; '.join(str(k) + '=' + str(v) for k, v in sorted(by_q.items()))\n"
        "big = 2 ** 1000 % 97",
        data,
    )
    assert data["by_q"][0] == 1429 and data["big"] == 2**1000 % 97


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("APPROVALS_SCRIPT_TIMEOUT_MS", "0"),
        ("APPROVALS_SCRIPT_TIMEOUT_MS", "soon"),
        ("APPROVALS_SCRIPT_MAX_STEPS", "0"),
        ("APPROVALS_SCRIPT_MAX_INT_BITS", "8"),
        ("APPROVALS_SCRIPT_MAX_ITEMS", "-1"),
        ("APPROVALS_SCRIPT_MAX_TOTAL_ITEMS", "many"),
    ],
)
def test_limits_come_from_the_environment_and_bad_values_are_named(
    monkeypatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigurationError, match=variable):
        ScriptLimits.from_env()


def test_limits_read_from_the_environment(monkeypatch, limits) -> None:
    monkeypatch.setenv("APPROVALS_SCRIPT_TIMEOUT_MS", "250")
    monkeypatch.setenv("APPROVALS_SCRIPT_MAX_STEPS", "5000")
    budget.configure(None)  # read the environment again
    assert budget.limits() == ScriptLimits(timeout_ms=250, max_steps=5000)
    refused("while True:\n    pass", "APPROVALS_SCRIPT_MAX_STEPS")


def test_an_except_block_does_not_run_once_a_limit_is_passed(limits) -> None:
    limits(max_int_bits=128)
    calls: list[str] = []
    functions = {"record": lambda: calls.append("ran")}
    with pytest.raises(ScriptLimitExceeded):
        execute("try:\n    x = 2 ** 1000\nexcept Exception:\n    record()", {}, functions)
    assert calls == []
