"""A deployable bundle: one BPMN file plus the DMN files and forms it references.

On disk the conventional layout is::

    process_models/<key>/<key>.bpmn      the process
    process_models/<key>/*.dmn           its decision tables
    process_models/<key>/model.toml      names, owner group, defaults
    process_models/<key>/versions/<n>/<key>.bpmn
                                         earlier versions of the process, kept as history: deployed,
                                         oldest first, before the current one into a repository that
                                         has no version of the model yet (with today's DMN and forms)
    process_models/_shared/*.dmn         decision tables several models use
    forms/<key>/<form_key>.json          one JSON Schema per form key

Inside a bundle, files are named ``<name>.bpmn``, ``<name>.dmn``, ``forms/<form_key>.json``
and ``model.toml``.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from engine.errors import InvalidInput, ModelValidationError, Problem
from engine.repository.bpmn_document import CAMUNDA_NS, NSMAP
from engine.xmlsafe import parse_untrusted_xml

FORM_KEY = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,150}$")
_FILE_NAME = re.compile(r"^(forms/)?[A-Za-z0-9_][A-Za-z0-9_. -]{0,200}$")
SHARED_DIR = "_shared"


def file_kind(name: str) -> str:
    if not isinstance(name, str):
        raise InvalidInput(f"a bundle's files are named by text, not by {type(name).__name__}")
    if name == "model.toml":
        return "meta"
    if name.endswith(".bpmn"):
        return "bpmn"
    if name.endswith(".dmn"):
        return "dmn"
    if name.startswith("forms/") and name.endswith(".json"):
        return "form"
    raise InvalidInput(
        f"file {name!r} does not belong in a bundle: expected *.bpmn, *.dmn, forms/<key>.json or model.toml"
    )


@dataclass(frozen=True)
class Bundle:
    files: dict[str, bytes]
    source: str
    history: tuple[Bundle, ...] = ()  # earlier versions, oldest first (from versions/<n>/)

    def __post_init__(self) -> None:
        for name in self.files:
            if not isinstance(name, str) or not _FILE_NAME.match(name) or ".." in name:
                raise InvalidInput(f"invalid file name {name!r} in bundle {self.source}")
            file_kind(name)

    def names(self, kind: str) -> list[str]:
        return sorted(n for n in self.files if file_kind(n) == kind)

    def content_hash(self) -> str:
        digest = hashlib.sha256()
        for name in sorted(self.files):
            digest.update(name.encode("utf-8") + b"\0")
            digest.update(hashlib.sha256(self.files[name]).digest())
        return digest.hexdigest()


def collect_bundles(paths: list[Path], max_file_bytes: int) -> list[Bundle]:
    """Find the bundles under ``paths``: BPMN files, model directories, or a directory of them."""
    bundles: list[Bundle] = []
    for path in paths:
        if not path.exists():
            raise InvalidInput(f"{path} does not exist")
        if path.is_file():
            if path.suffix != ".bpmn":
                raise InvalidInput(f"{path} is not a .bpmn file or a directory of models")
            bundles.append(bundle_for_bpmn(path, max_file_bytes))
            continue
        found = sorted(path.glob("*.bpmn"))
        if not found:
            found = sorted(
                p
                for sub in sorted(path.iterdir())
                if sub.is_dir() and not sub.name.startswith(("_", "."))
                for p in sub.glob("*.bpmn")
            )
        if not found:
            raise InvalidInput(f"no .bpmn files in {path} or its model directories")
        bundles.extend(_with_history(bundle_for_bpmn(p, max_file_bytes), p, max_file_bytes) for p in found)
    return bundles


def _with_history(bundle: Bundle, bpmn_path: Path, max_file_bytes: int) -> Bundle:
    home = bpmn_path.parent
    numbered = [d for d in (home / "versions").glob("*") if d.is_dir() and d.name.isdigit()]
    earlier = [
        bundle_for_bpmn(d / bpmn_path.name, max_file_bytes, home=home)
        for d in sorted(numbered, key=lambda d: int(d.name))
        if (d / bpmn_path.name).is_file()
    ]
    return Bundle(bundle.files, bundle.source, tuple(earlier)) if earlier else bundle


def _read(path: Path, max_file_bytes: int) -> bytes:
    size = path.stat().st_size
    if size > max_file_bytes:
        raise ModelValidationError(
            f"{path} is {size:,} bytes; the limit is {max_file_bytes:,}",
            [Problem("file too large", file=str(path))],
        )
    return path.read_bytes()


def bundle_for_bpmn(bpmn_path: Path, max_file_bytes: int, home: Path | None = None) -> Bundle:
    """The BPMN file and what it references, looked up around ``home`` (default: its directory)."""
    content = _read(bpmn_path, max_file_bytes)
    root = parse_untrusted_xml(content, bpmn_path.name, max_file_bytes)
    files = {bpmn_path.name: content}
    directory = home or bpmn_path.parent

    decision_refs = {
        node.get(f"{{{CAMUNDA_NS}}}decisionRef")
        for node in root.xpath(".//bpmn:businessRuleTask", namespaces=NSMAP)
    } - {None}
    if decision_refs:
        candidates = sorted(directory.glob("*.dmn")) + sorted((directory.parent / SHARED_DIR).glob("*.dmn"))
        for dmn in candidates:
            dmn_content = _read(dmn, max_file_bytes)
            if decision_refs & _decision_ids(dmn_content, dmn.name, max_file_bytes):
                files.setdefault(dmn.name, dmn_content)

    process_ids = [p.get("id") for p in root.xpath("./bpmn:process", namespaces=NSMAP)]
    form_keys = {
        node.get(f"{{{CAMUNDA_NS}}}formKey")
        for node in root.xpath(".//bpmn:userTask | .//bpmn:startEvent", namespaces=NSMAP)
    } - {None}
    form_dirs = [directory / "forms"]
    for pid in process_ids:
        form_dirs += [directory.parent.parent / "forms" / pid, directory.parent / "forms" / pid]
    for key in sorted(form_keys):
        if not FORM_KEY.match(key):
            continue  # reported by validation, with the element that names it
        for form_dir in form_dirs:
            candidate = form_dir / f"{key}.json"
            if candidate.is_file():
                files[f"forms/{key}.json"] = _read(candidate, max_file_bytes)
                break

    meta = directory / "model.toml"
    if meta.is_file() and len(list(directory.glob("*.bpmn"))) == 1:
        files["model.toml"] = _read(meta, max_file_bytes)
    return Bundle(files, str(bpmn_path))


def _decision_ids(content: bytes, file_name: str, max_file_bytes: int) -> set[str]:
    root = parse_untrusted_xml(content, file_name, max_file_bytes)
    return {
        node.get("id")
        for node in root.iter()
        if isinstance(node.tag, str) and node.tag.endswith("}decision") and node.get("id")
    }
