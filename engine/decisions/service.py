"""Evaluating decisions on their own — of a deployed model, or of DMN files not deployed yet — so a
process owner can try a table before deploying it (CLI ``approvals decide``, HTTP
``POST /decisions/{key}/evaluate``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.dmn import DecisionModel, DecisionOutcome, load_decision_model
from engine.errors import InvalidInput, NotFound
from engine.repository.service import RepositoryService


def top_decision(model: DecisionModel) -> str:
    """The one decision no other decision requires; ambiguous models need ``--decision``."""
    required = {ref for d in model.decisions.values() for ref in d.required_decisions}
    tops = [d for d in model.decisions.values() if d.id not in required]
    if len(tops) != 1:
        names = ", ".join(f"{d.id} ({d.name})" for d in tops)
        raise InvalidInput(f"say which decision to evaluate: {names}")
    return tops[0].id


def evaluate(model: DecisionModel, decision: str | None, inputs: Mapping[str, Any]) -> DecisionOutcome:
    if not isinstance(inputs, Mapping):
        raise InvalidInput("decision input must be a JSON object of input names to values")
    return model.evaluate(decision or top_decision(model), inputs)


class DecisionService:
    def __init__(self, repository: RepositoryService) -> None:
        self.repository = repository

    def evaluate_deployed(
        self, model_key: str, decision: str | None, inputs: Mapping[str, Any], version: int | None = None
    ) -> DecisionOutcome:
        with self.repository.db.read() as conn:
            version_id = self.repository.resolve_version_id(conn, model_key, version)
        model = self.repository.compiled(version_id).decisions
        if model is None:
            raise NotFound(f"model {model_key!r} has no decision tables")
        return evaluate(model, decision, inputs)

    def evaluate_files(
        self, files: Mapping[str, bytes], decision: str | None, inputs: Mapping[str, Any]
    ) -> DecisionOutcome:
        return evaluate(load_decision_model(dict(files)), decision, inputs)
