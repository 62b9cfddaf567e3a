// Shows a process diagram with bpmn.io's viewer (served from this server, web/assets.py) and marks
// the elements a page names: `data-highlight` (where the instance waits) and `data-done`; or, on the
// instance page, `data-path`: the path taken (elements passed, flows taken, loops, incidents).
// Without JavaScript, or if the viewer fails, the page says so and everything else still works.
(function () {
  "use strict";
  const box = document.getElementById("diagram");
  if (!box || typeof BpmnJS === "undefined") return;
  const failed = () => {
    box.hidden = true;
    const note = box.parentElement.querySelector(".diagram-failed");
    if (note) note.hidden = false;
  };
  const viewer = new BpmnJS({ container: box });
  fetch(box.dataset.src, { credentials: "same-origin" })
    .then((r) => (r.ok ? r.text() : Promise.reject(new Error(r.status))))
    .then((xml) => viewer.importXML(xml))
    .then(() => {
      const canvas = viewer.get("canvas");
      const registry = viewer.get("elementRegistry");
      const mark = (ids, marker) =>
        ids.split(" ").filter((id) => id && registry.get(id)).forEach((id) => canvas.addMarker(id, marker));
      mark(box.dataset.done || "", "done");
      mark(box.dataset.highlight || "", "current");
      if (box.dataset.path) markPath(JSON.parse(box.dataset.path), canvas, registry, viewer.get("overlays"));
      canvas.zoom("fit-viewport", "auto");
      // On a phone the whole process is too small to read: show the current step at full size.
      var current = (box.dataset.highlight || "").split(" ").map(function (id) { return registry.get(id); })
        .filter(Boolean)[0];
      if (current && box.clientWidth < 600) {
        var width = box.clientWidth, height = box.clientHeight;
        canvas.viewbox({
          x: current.x + current.width / 2 - width / 2,
          y: current.y + current.height / 2 - height / 2,
          width: width,
          height: height,
        });
      }
      // The page's own scripts paint on it first (audit.js, heatmap.js); then it is ready.
      box.dispatchEvent(new CustomEvent("diagram:ready", { detail: { viewer: viewer } }));
      box.dataset.ready = "true";
    })
    .catch(failed);

  function markPath(path, canvas, registry, overlays) {
    const each = (ids, marker) =>
      (ids || []).filter((id) => registry.get(id)).forEach((id) => canvas.addMarker(id, marker));
    // A subprocess is a frame around its steps: outlined, not filled, so its steps stay readable.
    (path.done || []).filter((id) => registry.get(id)).forEach(function (id) {
      canvas.addMarker(id, registry.get(id).type === "bpmn:SubProcess" ? "done-frame" : "done");
    });
    each(path.flows, "taken");
    each(path.current, "current");
    each(path.incidents, "incident");
    Object.keys(path.loops || {}).forEach(function (id) {
      if (!registry.get(id)) return;
      const badge = document.createElement("span");
      badge.className = "loop-badge";
      badge.textContent = "×" + path.loops[id];
      badge.title = path.loops[id] + "×";
      overlays.add(id, "loop", { position: { top: -12, right: 12 }, html: badge });
    });
  }
})();
