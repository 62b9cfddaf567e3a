"""Health, the OpenAPI document and the interactive API page: no token needed for any of them."""

from __future__ import annotations

from functools import cache
from typing import Any

from flask import Blueprint, current_app, redirect
from flask_swagger_ui import get_swaggerui_blueprint
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import ServiceUnavailable
from werkzeug.wrappers import Response

from api.operation import operation
from api.schemas.system import HealthSchema
from engine import Engine, store

bp = Blueprint("system", __name__)

OPENAPI_KEY = "approvals.openapi"
API_PAGE_PATH = "/api/v1/docs"
OPENAPI_PATH = "/api/v1/openapi.json"


@bp.get("/health")
@operation(
    "Is the service up: the database answers and its schema is current",
    response=HealthSchema,
    public=True,
    errors=(503,),
)
def health(engine: Engine, actor: None) -> dict[str, Any]:
    try:
        revision = store.current_revision(engine.db)
    except SQLAlchemyError as exc:
        raise ServiceUnavailable(f"the database does not answer: {type(exc).__name__}")
    head = _head_revision()
    if revision != head:
        raise ServiceUnavailable(f"the database schema is at {revision}, this version needs {head}")
    return {"status": "ok", "database": engine.db.dialect, "schema_revision": revision}


@bp.get("/openapi.json")
@operation(
    "This API's OpenAPI 3 document",
    response_content={"application/json": {"schema": {"type": "object"}}},
    public=True,
)
def openapi_document(engine: Engine, actor: None) -> dict[str, Any]:
    return current_app.extensions[OPENAPI_KEY]


@cache
def _head_revision() -> str | None:
    return store.head_revision()  # reads the migration scripts: once per process is enough


def api_page() -> Blueprint:
    """Swagger UI, served from the flask-swagger-ui package's files: it works without internet."""
    return get_swaggerui_blueprint(
        API_PAGE_PATH,
        OPENAPI_PATH,
        blueprint_name="api_page",
        config={
            "app_name": "marketing-approvals API",
            "layout": "BaseLayout",
            "deepLinking": True,
            "displayRequestDuration": True,
            "validatorUrl": None,  # Swagger UI would otherwise send the document to an online validator
        },
    )


def to_api_page() -> Response:
    return redirect(API_PAGE_PATH + "/")
