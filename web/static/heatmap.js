// One version's heat map: its diagram (loaded by diagram.js, which says when it is ready) with each task
// coloured by how long instances wait there (`heat-1`…`heat-5`) and a badge of its figures under it.
// The page's `data-heat` holds them, computed by the server: the table below the diagram shows the
// same, so without JavaScript nothing is lost but the picture.
(function () {
  "use strict";
  const box = document.getElementById("diagram");
  if (!box || !box.dataset.heat) return;
  const spots = JSON.parse(box.dataset.heat);
  box.addEventListener("diagram:ready", function (event) {
    const viewer = event.detail.viewer;
    const canvas = viewer.get("canvas");
    const registry = viewer.get("elementRegistry");
    const overlays = viewer.get("overlays");
    spots.forEach((spot) => {
      if (!registry.get(spot.id)) return; // inside a collapsed subprocess: the table has it
      if (spot.level) canvas.addMarker(spot.id, "heat-" + spot.level);
      if (!spot.lines.length) return;
      const badge = document.createElement("div");
      badge.className = "heat-badge heat-" + spot.level;
      badge.dataset.element = spot.id;
      spot.lines.forEach((line) => {
        const row = document.createElement("span");
        row.textContent = line;
        badge.appendChild(row);
      });
      // Scaled with the diagram, but never below legible: a whole process fits a window only small.
      overlays.add(spot.id, "heat", {
        position: { bottom: -4, left: -8 },
        scale: { min: 0.8, max: 1.2 },
        html: badge,
      });
    });
    // The whole process, with room right and below for the badges of the last tasks, so that none
    // is cut off or covers bpmn.io's watermark in the bottom-right corner.
    const inner = canvas.viewbox().inner;
    canvas.viewbox({
      x: inner.x - 20,
      y: inner.y - 20,
      width: inner.width + 20 + 240,
      height: inner.height + 20 + 90,
    });
  });
})();
