"""Third-party browser files: copied from ``node_modules`` into ``web/static/vendor`` and found again.

``npm ci`` installs the versions ``package-lock.json`` pins; ``python -m web.assets`` (run by
``make setup``) copies the few files the pages load into ``web/static/vendor/<package>-<version>/``
and writes ``manifest.json`` beside them: each file's package, version, size and SHA-384. The folder
is git-ignored, so nothing third-party is committed, and everything is served from this server: the
UI works without internet.

Pages ask :func:`vendor_file` for a file by its short name. A path that carries the version never
changes content, so it is cached for a year; the hash becomes the tag's ``integrity`` attribute, and
a file altered on disk after the build is refused by the browser.
"""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

WEB = Path(__file__).resolve().parent
REPO = WEB.parent
VENDOR = WEB / "static" / "vendor"
MANIFEST = VENDOR / "manifest.json"

# short name -> (npm package, path inside the package). Only what pages load is copied.
FILES: dict[str, tuple[str, str]] = {
    "htmx.js": ("htmx.org", "dist/htmx.min.js"),
    "bpmn-viewer.js": ("bpmn-js", "dist/bpmn-navigated-viewer.production.min.js"),
    "diagram-js.css": ("bpmn-js", "dist/assets/diagram-js.css"),
    "bpmn-js.css": ("bpmn-js", "dist/assets/bpmn-js.css"),
    "bpmn-font.css": ("bpmn-js", "dist/assets/bpmn-font/css/bpmn-embedded.css"),
}


class AssetsMissing(RuntimeError):
    pass


@dataclass(frozen=True)
class VendorFile:
    name: str
    path: str  # under web/static/, e.g. vendor/bpmn-js-18.31.1/bpmn-viewer.js
    package: str
    version: str
    integrity: str  # sha384-…, for the tag's integrity attribute
    bytes: int


def _integrity(content: bytes) -> str:
    return "sha384-" + base64.b64encode(hashlib.sha384(content).digest()).decode()


def build(node_modules: Path = REPO / "node_modules", target: Path = VENDOR) -> dict[str, VendorFile]:
    """Copy :data:`FILES` from ``node_modules`` and write the manifest; a missing file says which."""
    files: dict[str, VendorFile] = {}
    if target.exists():
        shutil.rmtree(target)  # drop the files of versions no longer pinned
    target.mkdir(parents=True)
    for name, (package, inside) in FILES.items():
        package_dir = node_modules / package
        try:
            version = json.loads((package_dir / "package.json").read_text("utf-8"))["version"]
            content = (package_dir / inside).read_bytes()
        except (OSError, KeyError, ValueError) as exc:
            raise AssetsMissing(
                f"{package}/{inside} is not in {node_modules} ({exc}); run `npm ci` in {REPO} first"
            ) from None
        relative = f"vendor/{package}-{version}/{name}"
        (target.parent / relative).parent.mkdir(parents=True, exist_ok=True)
        (target.parent / relative).write_bytes(content)
        files[name] = VendorFile(name, relative, package, version, _integrity(content), len(content))
    manifest = {name: vars(f) for name, f in files.items()}
    (target / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", "utf-8")
    return files


@cache
def manifest() -> dict[str, VendorFile]:
    """The built files by short name; empty when ``make setup`` has not built them."""
    try:
        raw = json.loads(MANIFEST.read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    return {name: VendorFile(**entry) for name, entry in raw.items()}


def vendor_file(name: str) -> VendorFile:
    try:
        return manifest()[name]
    except KeyError:
        raise AssetsMissing(
            f"the web UI's browser file {name} is not built: run `make setup` (npm ci, python -m web.assets)"
        ) from None


if __name__ == "__main__":
    try:
        built = build()
    except AssetsMissing as exc:
        sys.exit(f"web.assets: {exc}")
    for f in built.values():
        print(f"{f.path}  {f.bytes} bytes  {f.integrity[:20]}…")
