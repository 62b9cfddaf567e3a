"""Evaluating the decision tables of a deployed model: /decisions."""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from api.operation import operation
from api.schemas.decisions import EvaluateBody, EvaluationSchema
from engine import Engine
from engine.actor import Actor
from engine.feel import to_json

bp = Blueprint("decisions", __name__)


@bp.post("/decisions/<key>/evaluate")
@operation(
    "Evaluate a decision of a deployed model (nothing is stored)",
    description="`key` is the model key. Results are keyed by decision name; the trace lists, "
    "required decisions first, the inputs each decision saw and the rules that matched.",
    body=EvaluateBody,
    response=EvaluationSchema,
    errors=(404, 422),
)
def evaluate(engine: Engine, actor: Actor, key: str, body: dict[str, Any]) -> dict[str, Any]:
    outcome = engine.decisions.evaluate_deployed(
        key, body.get("decision"), body["input"], body.get("version")
    )
    return {"results": to_json(outcome.results), "trace": [t.as_dict() for t in outcome.trace]}
