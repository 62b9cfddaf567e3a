// The instance page: filter the trail by kind without a reload, and tie the trail to the diagram —
// a click on an event's step selects it on the diagram, a click on the diagram shows that step's events.
(function () {
  "use strict";
  const timeline = document.getElementById("timeline");
  if (!timeline) return;
  const kinds = document.getElementById("kinds");
  const events = Array.from(timeline.querySelectorAll("li.event"));
  const selectedNote = document.getElementById("selected-element");
  let selected = null;
  let diagram = null;

  function shownGroups() {
    return new Set(Array.from(kinds.querySelectorAll("input[name=kind]:checked")).map((i) => i.value));
  }
  function refresh() {
    const groups = shownGroups();
    events.forEach(function (li) {
      const inGroup = groups.has(li.dataset.group);
      const atElement = !selected || li.dataset.element === selected;
      li.hidden = !(inGroup && atElement);
      li.classList.toggle("at-selected", !!selected && li.dataset.element === selected);
    });
    if (selectedNote) {
      selectedNote.hidden = !selected;
      const button = selected && document.querySelector('[data-select="' + CSS.escape(selected) + '"]');
      selectedNote.querySelector("strong").textContent = button ? button.textContent.replace(/ ×\d+$/, "") : selected || "";
    }
  }
  function highlightOnDiagram(id) {
    if (!diagram) return;
    const canvas = diagram.get("canvas");
    const registry = diagram.get("elementRegistry");
    registry.getAll().forEach((e) => canvas.removeMarker(e.id, "selected"));
    const element = id && registry.get(id);
    if (!element) return;
    canvas.addMarker(id, "selected");
    diagram.get("selection").select(element);
    // The whole process fits the box at a scale too small to read: come close enough to read the step.
    if (canvas.zoom() < 0.9) canvas.zoom(1);
    canvas.scrollToElement(element);
  }
  function select(id) {
    selected = selected === id ? null : id;
    refresh();
    highlightOnDiagram(selected);
  }

  if (kinds) {
    kinds.addEventListener("change", refresh);
    kinds.querySelectorAll(".js-hidden").forEach((b) => (b.hidden = true));
  }
  document.addEventListener("click", function (event) {
    const target = event.target.closest("[data-select]");
    if (target) {
      select(target.dataset.select);
      document.getElementById("diagram")?.scrollIntoView({ block: "nearest" });
    }
  });
  document.getElementById("clear-selection")?.addEventListener("click", function () {
    selected = null;
    refresh();
    highlightOnDiagram(null);
  });
  const box = document.getElementById("diagram");
  if (box) {
    box.addEventListener("diagram:ready", function (event) {
      diagram = event.detail.viewer;
      diagram.get("eventBus").on("element.click", function (e) {
        const id = e.element && e.element.id;
        if (!id || e.element.type === "bpmn:Process" || e.element.type === "bpmn:Collaboration") return;
        if (events.some((li) => li.dataset.element === id)) {
          select(id);
          box.dataset.selected = selected || "";
        }
      });
      if (selected) highlightOnDiagram(selected);
      const canvas = diagram.get("canvas");
      document.querySelectorAll("[data-zoom]").forEach(function (button) {
        button.hidden = false;
        button.addEventListener("click", function () {
          const how = button.dataset.zoom;
          if (how === "fit") canvas.zoom("fit-viewport", "auto");
          else canvas.zoom(canvas.zoom() * (how === "in" ? 1.25 : 0.8));
        });
      });
    });
  }
  window.approvalsTrail = { select: select };
})();
