"""DMN decisions: every hit policy, S-FEEL unary tests, simple FEEL, SpiffWorkflow-style Python.

    model = load_decision_model({"approval.dmn": content})
    outcome = model.evaluate("Approval level", {"amount": 500000})

Tables are compiled to Python closures when loaded; see ``docs/decisions.md``.
"""

from engine.dmn.loader import load_decision_model
from engine.dmn.model import Decision, DecisionModel
from engine.dmn.trace import DecisionOutcome, DecisionTrace

__all__ = ["Decision", "DecisionModel", "DecisionOutcome", "DecisionTrace", "load_decision_model"]
