"""A failure inside SpiffWorkflow that raises a plain Python error still names its element."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from engine.actor import SYSTEM
from engine.errors import WorkflowError
from engine.store.schema import process_instances
from tests.coverage.helpers import bpmn, flow
from tests.factories import deploy_files

DEFINITIONS = (
    '<bpmn:message id="letter" name="letter" />'
    '<bpmn:correlationProperty id="lover" name="Lover">'
    '<bpmn:correlationPropertyRetrievalExpression messageRef="letter">'
    "<bpmn:formalExpression>lover_name</bpmn:formalExpression>"
    "</bpmn:correlationPropertyRetrievalExpression></bpmn:correlationProperty>"
)
BODY = (
    '<bpmn:startEvent id="start" />'
    '<bpmn:intermediateThrowEvent id="send_letter" name="Send letter">'
    '<bpmn:messageEventDefinition id="md" messageRef="letter" /></bpmn:intermediateThrowEvent>'
    '<bpmn:endEvent id="end" />' + flow("f1", "start", "send_letter") + flow("f2", "send_letter", "end")
)


def test_a_correlation_expression_over_a_missing_variable_names_the_throwing_element(engine):
    deploy_files(engine, {"letters.bpmn": bpmn("letters", BODY, DEFINITIONS)})
    with pytest.raises(WorkflowError) as failed:
        engine.runtime.start("letters", SYSTEM, {})
    assert failed.value.problems[0].element_id == "send_letter"
    assert "lover_name" in failed.value.message and "send_letter" in failed.value.message
    with engine.db.read() as conn:  # the start rolled back: nothing half-written
        assert conn.scalar(select(func.count()).select_from(process_instances)) == 0
