"""SpiffWorkflow's script engine, running every expression and script in our sandbox."""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

from engine.scripting import sandbox


class SandboxEnvironment(BasePythonScriptEngineEnvironment):
    def evaluate(self, expression: str, context: dict[str, Any], external_context: dict | None = None) -> Any:
        if external_context:
            context = {**context, **external_context}
        return sandbox.evaluate(expression, context)

    def execute(self, script: str, context: dict[str, Any], external_context: dict | None = None) -> bool:
        if external_context:
            raise ValueError("external script context is not supported")
        sandbox.execute(script, context)
        return True

    def call_service(self, context: dict[str, Any], **kwargs: Any) -> Any:
        raise NotImplementedError("service tasks have no connector in this engine")


SANDBOX_SCRIPT_ENGINE = PythonScriptEngine(environment=SandboxEnvironment())
