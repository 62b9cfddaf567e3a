"""Reading a bundle upload: a multipart form whose file parts are named like the files in the bundle.

    curl -F contract.bpmn=@contract.bpmn -F rules.dmn=@rules.dmn \
         -F forms/approve.json=@approve.json -F model.toml=@model.toml -F note="raise limit" …

Camunda's ``deployment/create`` convention works too: a part with any other name (``-F file=@x.bpmn``,
``-F data=@rules.dmn``) is named by its file name, a ``.json`` file landing in ``forms/``.

Files are kept byte for byte (no newline or charset conversion), so the stored version hashes the
same as the files on the process owner's disk.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Request
from werkzeug.exceptions import RequestEntityTooLarge, UnsupportedMediaType

from api.parsing import refuse_truncated_stream
from engine.errors import InvalidInput, Problem

TEXT_FIELDS = ("note", "strict")
# Room for the multipart boundaries and part headers around the files themselves.
MULTIPART_OVERHEAD = 64 * 1024
MAX_NOTE = 2000

# For the OpenAPI document: the field names are the bundle's file names, so they are open-ended.
BUNDLE_CONTENT: dict[str, Any] = {
    "multipart/form-data": {
        "schema": {
            "type": "object",
            "properties": {
                "note": {"type": "string", "maxLength": MAX_NOTE, "description": "stored with the version"},
                "strict": {"type": "boolean", "description": "refuse the bundle if it has warnings"},
            },
            "additionalProperties": {
                "type": "string",
                "format": "binary",
                "description": "one part per file, named as in the bundle: `contract.bpmn`, `rules.dmn`, "
                "`forms/approve.json`, `model.toml`",
            },
        }
    }
}

_TRUE = ("1", "true", "yes", "on")
_FALSE = ("", "0", "false", "no", "off")


@dataclass(frozen=True)
class BundleUpload:
    files: dict[str, bytes]
    note: str | None
    strict: bool


def _flag(raw: str) -> bool:
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise InvalidInput("invalid form field", [Problem("must be true or false", field="strict")])


def _refuse_nameless_parts(form: Any, files: Any) -> None:
    # A part whose Content-Disposition has no name parses with the name None (or ""): it names no
    # file of the bundle, so there is nothing to store it as.
    nameless = [
        f"part {part.filename!r}" if kind == "file" and part.filename else f"a {kind} part"
        for kind, parts in (("file", files), ("text", form))
        for name, part in parts.items(multi=True)
        if not name
    ]
    if nameless:
        raise InvalidInput(
            "every multipart part needs a name: the file's name in the bundle "
            "(curl -F contract.bpmn=@contract.bpmn)",
            [Problem(f"{what} has no name in its Content-Disposition") for what in nameless],
        )


def _is_bundle_path(name: str) -> bool:
    return (
        name == "model.toml"
        or name.endswith((".bpmn", ".dmn"))
        or (name.startswith("forms/") and name.endswith(".json"))
    )


def bundle_name(part_name: str, filename: str | None) -> str:
    """The file a part stands for: its part name when that is a bundle path, else (Camunda's
    convention) its file name, without the client's folders."""
    if _is_bundle_path(part_name) or not filename:
        return part_name
    base = filename.replace("\\", "/").rsplit("/", 1)[-1]
    name = f"forms/{base}" if base.endswith(".json") else base
    if not _is_bundle_path(name):
        raise InvalidInput(
            f"part {part_name!r} ({filename!r}) is not a file a bundle holds: send *.bpmn, *.dmn, "
            "model.toml or a form (.json), named by the part (-F forms/approve.json=@approve.json) "
            "or by its file name (-F file=@contract.bpmn)",
            [Problem("not a bundle file", field=part_name)],
        )
    return name


def read_bundle(request: Request, max_upload_bytes: int) -> BundleUpload:
    if request.mimetype != "multipart/form-data":
        raise UnsupportedMediaType("upload the bundle as multipart/form-data, one file part per file")
    request.max_content_length = max_upload_bytes + MULTIPART_OVERHEAD
    form = request.form  # parses the whole body: 413 beyond the limit
    refuse_truncated_stream(request)
    _refuse_nameless_parts(form, request.files)
    unexpected = sorted(set(form) - set(TEXT_FIELDS))
    if unexpected:
        raise InvalidInput(
            "send bundle files as file parts (curl -F name=@file), not as text fields",
            [Problem("not a file part", field=name) for name in unexpected],
        )
    files: dict[str, bytes] = {}
    for part_name, part in request.files.items(multi=True):
        name = bundle_name(part_name, part.filename)
        if name in files:
            raise InvalidInput(f"the file {name!r} was sent twice", [Problem("repeated", field=part_name)])
        files[name] = part.read()
    total = sum(len(content) for content in files.values())
    if total > max_upload_bytes:
        raise RequestEntityTooLarge(
            f"the bundle's files are {total:,} bytes; the limit is {max_upload_bytes:,}"
        )
    if not files:
        raise InvalidInput("no files: send the bundle's files as multipart file parts")
    note = request.form.get("note") or None
    if note is not None and ("\x00" in note or len(note) > MAX_NOTE):
        raise InvalidInput(
            "invalid form field", [Problem(f"at most {MAX_NOTE} characters, no NUL", field="note")]
        )
    return BundleUpload(files, note, _flag(request.form.get("strict", "")))
