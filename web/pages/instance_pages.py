"""One instance as an auditor reads it: the path it took on its version's diagram, every event of
its trail, each decision with the rules that matched, whether the chain is intact, and the trail
and the version's files to take away."""

from __future__ import annotations

import io
import json

from flask import Response, render_template, request, send_file

from engine.audit import InstanceAudit, trail_csv, trail_json
from web.blueprint import actor, bp, engine
from web.pages.event_kinds import GROUPS, kind_of
from web.pages.names import model_names


def _audit(instance_id: int) -> InstanceAudit:
    return engine().audit.instance(instance_id, actor())


def _path_markers(audit: InstanceAudit) -> str:
    path = audit.path
    return json.dumps(
        {
            "done": sorted(e for e, n in path.visits.items() if n),
            "flows": sorted(path.flows),
            "current": path.current,
            "incidents": path.incidents,
            "loops": path.loops,
        }
    )


def _shown_groups() -> list[str]:
    """The event groups ?kind= asks for (every group when it asks for none we know)."""
    asked = [k for k in request.args.getlist("kind") if k in GROUPS]
    return asked or list(GROUPS)


def _page(audit: InstanceAudit, template: str) -> str:
    return render_template(
        template,
        active="instances",
        audit=audit,
        instance=audit.instance,
        names=model_names(),
        groups=GROUPS,
        shown=_shown_groups(),
        kind_of=kind_of,
        markers=_path_markers(audit),
        now=engine().clock.now(),
        rights=engine().runtime.rights(audit.instance.id, actor()),
    )


@bp.get("/instances/<int:instance_id>")
def instance_page(instance_id: int) -> str:
    return _page(_audit(instance_id), "web/instance.html")


@bp.get("/instances/<int:instance_id>/print")
def instance_print(instance_id: int) -> str:
    """The trail on paper: no diagram, no scripts, every label in the reader's language."""
    return _page(_audit(instance_id), "web/instance_print.html")


def _download(body: str | bytes, content_type: str, name: str) -> Response:
    data = body.encode() if isinstance(body, str) else body
    # send_file encodes a name with quotes or Chinese in it properly (RFC 6266), not us.
    return send_file(io.BytesIO(data), mimetype=content_type, as_attachment=True, download_name=name)


def _file_stem(audit: InstanceAudit) -> str:
    return f"trail-{audit.instance.business_key or audit.instance.id}".replace("/", "-")


@bp.get("/instances/<int:instance_id>/trail.json")
def trail_as_json(instance_id: int) -> Response:
    audit = _audit(instance_id)
    return _download(trail_json(audit), "application/json", _file_stem(audit) + ".json")


@bp.get("/instances/<int:instance_id>/trail.csv")
def trail_as_csv(instance_id: int) -> Response:
    audit = _audit(instance_id)
    return _download(trail_csv(audit), "text/csv; charset=utf-8", _file_stem(audit) + ".csv")


@bp.get("/models/<model_key>/<int:version>/files/<name>")
def model_file(model_key: str, version: int, name: str) -> Response:
    """A deployed file byte for byte, as a download: the auditor's copy of what ran."""
    content, _ = engine().repository.file(model_key, version, name)
    response = _download(content, "application/octet-stream", name)
    # A model file is user-supplied: never let a browser run it as a page of this origin.
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
