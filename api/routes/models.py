"""Deploying and reading process models: /models."""

from __future__ import annotations

from dataclasses import replace

from flask import Blueprint, Response, request, url_for

from api.operation import Link, Reply, operation
from api.routes.links import version_links
from api.schemas.models import (
    DeployResultSchema,
    ModelListSchema,
    ModelPageSchema,
    ValidationReportSchema,
    VersionListSchema,
)
from api.uploads import BUNDLE_CONTENT, read_bundle
from engine import Engine
from engine.actor import Actor
from engine.repository import Bundle, DeployResult
from engine.runtime import ModelPage

bp = Blueprint("models", __name__)

FILE_TYPES = {
    "bpmn": "application/xml",
    "dmn": "application/xml",
    "form": "application/json",
    "meta": "application/toml",
}
FILE_CONTENT = {
    "application/xml": {"schema": {"type": "string"}},
    "application/json": {"schema": {}},
    "application/toml": {"schema": {"type": "string"}},
}


def _bundle(engine: Engine) -> tuple[Bundle, bool, str | None]:
    upload = read_bundle(request, engine.settings.max_upload_bytes)
    return engine.repository.bundle_from_files(upload.files, "upload"), upload.strict, upload.note


@bp.post("/models")
@operation(
    "Deploy a bundle (BPMN, DMN, forms, model.toml) as a new version",
    description="Field names are the file names in the bundle. 201: a new version; 200: the bundle is "
    "identical to the latest version, which is returned (`created` false).",
    request_content=BUNDLE_CONTENT,
    response=DeployResultSchema,
    status=201,
    also={200: "identical to the latest version: nothing new was stored"},
    response_headers={"Location": {"schema": {"type": "string"}, "description": "the model's versions"}},
    errors=(422,),
    links=version_links(
        "$response.body#/version/model_key",
        "$response.body#/version/version",
        "$response.body#/version/files",
    ),
)
def deploy(engine: Engine, actor: Actor) -> Reply:
    bundle, strict, note = _bundle(engine)
    results = engine.repository.deploy([bundle], actor, note=note, strict=strict)
    deployed = [
        {"model_key": r.version.model_key, "version": r.version.version, "created": r.created}
        for r in results
    ]
    result: DeployResult = replace(results[0], deployed=deployed)
    location = url_for("models.list_versions", key=result.version.model_key)
    return Reply(result, status=201 if result.created else 200, headers={"Location": location})


@bp.post("/models/validate")
@operation(
    "Check a bundle without deploying it (dry run)",
    description="Everything a deployment checks; nothing is stored. Problems: 422; warnings: in the answer.",
    request_content=BUNDLE_CONTENT,
    response=ValidationReportSchema,
    errors=(422,),
)
def validate(engine: Engine, actor: Actor) -> dict:
    bundle, strict, _ = _bundle(engine)
    models = engine.repository.validate_all(bundle, strict=strict, actor=actor)
    report = [{"model_key": m.model_key, "name": m.name, "warnings": m.warnings} for m in models]
    return {**report[0], "models": report}


@bp.get("/models")
@operation(
    "List deployed models with their latest version",
    response=ModelListSchema,
    links={
        "ListVersionsOfFirstModel": Link(
            "models.list_versions", {"key": "$response.body#/items/0/model_key"}
        ),
        "StartFirstModel": Link(
            "instances.start",
            request_body={"model": "$response.body#/items/0/model_key"},
            description="without data: a model whose start form requires fields answers 422 naming them",
        ),
    },
)
def list_models(engine: Engine, actor: Actor) -> dict:
    return {"items": engine.repository.list_models()}


@bp.get("/models/<model_key:key>")
@operation(
    "Read a model: its latest version, start form and who may start it",
    response=ModelPageSchema,
    errors=(404,),
    links={
        "ListVersionsOfModel": Link("models.list_versions", {"key": "$response.body#/model_key"}),
        "StartModel": Link(
            "instances.start",
            request_body={"model": "$response.body#/model_key"},
            description="with data satisfying start_form",
        ),
    },
)
def get_model(engine: Engine, actor: Actor, key: str) -> ModelPage:
    return engine.runtime.model_page(key, actor)


@bp.get("/models/<key>/versions")
@operation(
    "List the versions of a model",
    response=VersionListSchema,
    errors=(404,),
    links=version_links(
        "$response.body#/items/0/model_key",
        "$response.body#/items/0/version",
        "$response.body#/items/0/files",
    ),
)
def list_versions(engine: Engine, actor: Actor, key: str) -> dict:
    return {"items": engine.repository.versions(key)}


@bp.get("/models/<key>/versions/<id:version>/files/<path:name>")
@operation(
    "Download a file of a deployed version, byte for byte",
    description="`name` as in the bundle, and may contain `/`: `forms/approve.json`.",
    response_content=FILE_CONTENT,
    errors=(404,),
)
def get_file(engine: Engine, actor: Actor, key: str, version: int, name: str) -> Response:
    content, kind = engine.repository.file(key, version, name)
    response = Response(content, content_type=FILE_TYPES.get(kind, "application/octet-stream"))
    response.headers["Content-Disposition"] = "inline"
    # A model file is user-supplied: never let a browser run it as a page of this origin.
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
