"""SpiffWorkflow's script engine, running every expression and script in our sandbox."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

from engine.scripting import expressions, sandbox
from engine.spiff.context import CommandContext


class SandboxEnvironment(BasePythonScriptEngineEnvironment):
    def __init__(self, functions: Mapping[str, Callable[..., Any]] | None = None) -> None:
        super().__init__()
        self.functions = functions

    def evaluate(self, expression: str, context: dict[str, Any], external_context: dict | None = None) -> Any:
        if external_context:
            context = {**context, **external_context}
        # Conditions, loop cardinalities, completion conditions: JUEL, FEEL or Python by one rule.
        return expressions.evaluate(expression, context, self.functions)

    def execute(self, script: str, context: dict[str, Any], external_context: dict | None = None) -> bool:
        if external_context:
            raise ValueError("external script context is not supported")
        sandbox.execute(script, context, self.functions)
        return True

    def call_service(self, context: dict[str, Any], **kwargs: Any) -> Any:
        raise NotImplementedError("service tasks have no connector in this engine")


def command_functions(context_of: Callable[[], CommandContext]) -> dict[str, Callable[..., Any]]:
    """Functions for models whose answer depends on the command running them.

    ``now()`` reads the command's clock (which tests move), never the machine's, and answers in the
    engine's time zone so that ``now().date()`` is the local business day.
    """

    def now() -> datetime:
        context = context_of()
        return context.clock.now().astimezone(context.timezone)

    return {"now": now}


def sandbox_script_engine(functions: Mapping[str, Callable[..., Any]] | None = None) -> PythonScriptEngine:
    return PythonScriptEngine(environment=SandboxEnvironment(functions))


# For a plain BpmnWorkflow outside any command (comparisons with stock SpiffWorkflow): no now().
SANDBOX_SCRIPT_ENGINE = sandbox_script_engine()
