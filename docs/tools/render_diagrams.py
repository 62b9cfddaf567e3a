"""Render the bundled BPMN models to SVG (and optionally PNG) with bpmn-js in headless Chromium.

The pictures in docs/processes/ are what Camunda Modeler shows: bpmn-js draws the diagram from
the model's own layout (its bpmndi section), so a picture never disagrees with its model.

One-time setup (Debian's Chromium, bpmn-js from the npm registry)::

    apt-get install -y chromium
    (cd docs/tools && npm install)

Then, from the repository root::

    .venv/bin/python docs/tools/render_diagrams.py            # every process_models/<key>/<key>.bpmn
    .venv/bin/python docs/tools/render_diagrams.py --png      # also a PNG next to each SVG
    .venv/bin/python docs/tools/render_diagrams.py path/to/model.bpmn --out /tmp/pictures
"""

from __future__ import annotations

import argparse
import html
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TOOLS = Path(__file__).resolve().parent
VIEWER = TOOLS / "node_modules" / "bpmn-js" / "dist" / "bpmn-viewer.production.min.js"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--hide-scrollbars",
]

PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><script src="{viewer}"></script></head>
<body><div id="canvas" style="width:1600px;height:900px"></div><pre id="out"></pre>
<script>
const xml = {xml};
const out = document.getElementById('out');
const viewer = new BpmnJS({{container: '#canvas'}});
viewer.importXML(xml)
  .then(() => viewer.saveSVG())
  .then(({{svg}}) => {{ out.textContent = 'SVG' + '-BEGIN' + svg + 'SVG' + '-END'; }})
  .catch((err) => {{ out.textContent = 'RENDER' + '-ERROR ' + err; }});
</script></body></html>
"""


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    sys.exit("Chromium not found: apt-get install -y chromium")


def render_svg(bpmn: Path, workdir: Path) -> str:
    page = workdir / f"{bpmn.stem}.html"
    page.write_text(
        PAGE.format(viewer=VIEWER.as_uri(), xml=json.dumps(bpmn.read_text("utf-8"))), encoding="utf-8"
    )
    result = subprocess.run(
        [chromium(), *CHROMIUM_FLAGS, "--virtual-time-budget=15000", "--dump-dom", page.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    found = re.search(r"SVG-BEGIN(.*?)SVG-END", result.stdout, re.S)
    if not found:
        error = re.search(r"RENDER-ERROR[^<]*", result.stdout)
        sys.exit(f"{bpmn}: bpmn-js did not render it: {error.group(0) if error else result.stderr[-2000:]}")
    return html.unescape(found.group(1))


def svg_size(svg: str) -> tuple[int, int]:
    box = re.search(r'viewBox="([-\d.]+) ([-\d.]+) ([\d.]+) ([\d.]+)"', svg)
    if not box:
        return 1600, 900
    return int(float(box.group(3))) + 1, int(float(box.group(4))) + 1


def render_png(svg_path: Path, png_path: Path, svg: str) -> None:
    width, height = svg_size(svg)
    subprocess.run(
        [
            chromium(),
            *CHROMIUM_FLAGS,
            "--default-background-color=ffffffff",
            f"--window-size={width},{height}",
            f"--screenshot={png_path}",
            svg_path.as_uri(),
        ],
        capture_output=True,
        timeout=120,
        check=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("models", nargs="*", type=Path, help="BPMN files (default: every bundled model)")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "processes" / "images")
    parser.add_argument("--png", action="store_true", help="also write a PNG next to each SVG")
    args = parser.parse_args()
    if not VIEWER.is_file():
        sys.exit(f"{VIEWER} is missing: run `npm install` in {TOOLS}")
    models = args.models or sorted(
        [*(ROOT / "process_models").glob("*/*.bpmn"), *(ROOT / "process_models").glob("*/versions/*/*.bpmn")]
    )
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        for bpmn in models:
            svg = render_svg(bpmn, Path(tmp))
            # an older version kept in the repository, process_models/<key>/versions/<n>/<key>.bpmn
            suffix = f"_v{bpmn.parent.name}" if bpmn.parent.parent.name == "versions" else ""
            target = args.out / f"{bpmn.stem}{suffix}.svg"
            target.write_text(svg, encoding="utf-8")
            print(f"{bpmn} -> {target}")
            if args.png:
                render_png(target, target.with_suffix(".png"), svg)
                print(f"{bpmn} -> {target.with_suffix('.png')}")


if __name__ == "__main__":
    main()
