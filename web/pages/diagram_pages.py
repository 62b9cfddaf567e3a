"""A deployed version's BPMN, for the diagram viewer on task and request pages."""

from __future__ import annotations

from flask import Response

from engine.errors import NotFound
from web.blueprint import bp, engine


@bp.get("/diagrams/<model_key>/<int:version>.bpmn")
def diagram(model_key: str, version: int) -> Response:
    info = engine().repository.get_version(model_key, version)
    bpmn = next((f.name for f in info.files if f.kind == "bpmn"), None)
    if bpmn is None:
        raise NotFound(f"version {version} of {model_key!r} has no BPMN file")
    content, _ = engine().repository.file(model_key, version, bpmn)
    response = Response(content, content_type="application/xml")
    # A model file is user-supplied: never let a browser run it as a page of this origin.
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
