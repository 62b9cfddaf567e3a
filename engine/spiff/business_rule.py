"""Business rule tasks: a BPMN task that evaluates a DMN decision of the model's bundle.

``camunda:decisionRef`` names the decision (id or name). The result lands in the task data:
under ``camunda:resultVariable`` when given; else a result with several outputs is merged
into the data, and a single output of a single-hit table is stored under its output name;
any other result (a list from a multi-hit table) is stored under the decision id. Every
evaluation is noted for the audit trail with its inputs, matched rules and outputs.
"""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.bpmn.parser.TaskParser import TaskParser
from SpiffWorkflow.bpmn.specs.mixins.bpmn_spec_mixin import BpmnSpecMixin

from engine.errors import ApprovalsError, Problem, WorkflowError

CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
_SINGLE_HIT = {"UNIQUE", "FIRST", "ANY", "PRIORITY"}


class BusinessRuleTask(BpmnSpecMixin):
    def __init__(
        self, wf_spec: Any, bpmn_id: str, decision_ref: str, result_variable: str | None, **kwargs: Any
    ) -> None:
        super().__init__(wf_spec, bpmn_id, **kwargs)
        self.decision_ref = decision_ref
        self.result_variable = result_variable

    def _run_hook(self, my_task: Any) -> bool:
        context = my_task.workflow.top_workflow.context
        label = f"business rule task '{self.bpmn_id}'"
        if context.decisions is None:
            raise WorkflowError(f"{label}: the model has no decision tables")
        try:
            decision = context.decisions.find(self.decision_ref)
            outcome = context.decisions.evaluate(decision.id, my_task.data)
        except ApprovalsError as exc:
            raise WorkflowError(
                f"{label} failed: {exc.message}",
                [
                    Problem(
                        p.message,
                        element_id=self.bpmn_id,
                        decision_id=p.decision_id,
                        rule=p.rule,
                        column=p.column,
                    )
                    for p in exc.problems
                ]
                or [Problem(exc.message, element_id=self.bpmn_id)],
            )
        result = outcome.result
        if self.result_variable:
            my_task.data[self.result_variable] = result
        elif isinstance(result, dict):
            my_task.data.update(result)
        elif decision.hit_policy in _SINGLE_HIT and len(decision.output_names) == 1:
            my_task.data[decision.output_names[0]] = result
        else:
            my_task.data[decision.id] = result
        context.notice(
            "decision_evaluated",
            self.bpmn_id,
            decision_id=decision.id,
            file=decision.file,
            evaluations=[trace.as_dict() for trace in outcome.trace],
        )
        return True


class BusinessRuleTaskParser(TaskParser):
    def create_task(self) -> BusinessRuleTask:
        decision_ref = self.attribute("decisionRef", "camunda")
        if not decision_ref:
            self.raise_validation_exception(
                "a business rule task needs camunda:decisionRef naming a decision"
            )
        return BusinessRuleTask(
            self.spec,
            self.bpmn_id,
            decision_ref.strip(),
            (self.attribute("resultVariable", "camunda") or "").strip() or None,
            **self.bpmn_attributes,
        )
