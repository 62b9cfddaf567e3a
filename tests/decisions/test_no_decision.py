"""A DMN file without a decision is refused, not loaded as nothing."""

from __future__ import annotations

import pytest

from engine.dmn import load_decision_model
from engine.errors import ModelValidationError

ONLY_KNOWLEDGE = b"""<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="d" name="Fees" namespace="x">
  <businessKnowledgeModel id="fee" name="Fee">
    <encapsulatedLogic><literalExpression><text>amount * 0.01</text></literalExpression></encapsulatedLogic>
  </businessKnowledgeModel>
</definitions>
"""


def test_a_file_of_business_knowledge_only_is_refused_saying_why():
    with pytest.raises(ModelValidationError) as refused:
        load_decision_model({"fees.dmn": ONLY_KNOWLEDGE})
    (problem,) = refused.value.problems
    assert problem.file == "fees.dmn" and "holds no decision" in problem.message
    assert "business knowledge models" in problem.message
