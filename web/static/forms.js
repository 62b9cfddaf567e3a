// Progressive enhancement of forms rendered from JSON Schema (web/templates/web/_form.html). Without
// it every form still works: rows are added and removed by submit buttons that re-render the form.
(function () {
  "use strict";

  // "Required when": a field required only while another field has one of some values (if/then).
  function refreshRequired(form) {
    form.querySelectorAll("[data-required-when]").forEach(function (box) {
      var rules = JSON.parse(box.dataset.requiredWhen);
      var needed = rules.some(function (rule) {
        var chosen = form.querySelector('[name="' + rule.field + '"]:checked') ||
          form.querySelector('select[name="' + rule.field + '"]');
        return chosen && rule.values.map(String).indexOf(chosen.value) >= 0;
      });
      var mark = box.querySelector(".required-mark");
      if (mark) mark.hidden = !needed;
      box.querySelectorAll("input, select, textarea").forEach(function (input) { input.required = needed; });
    });
  }

  // Rows of a table: a row's fields are named table.N.field (ids f-table-N-field); keep N contiguous.
  function escape(text) { return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"); }
  function renumber(table) {
    var name = table.dataset.table;
    var byName = new RegExp("^" + escape(name) + "\\.\\d+");
    var idPrefix = "f-" + name.replace(/\./g, "-");
    var byId = new RegExp(escape(idPrefix) + "-\\d+", "g");
    table.querySelectorAll(".rows > .row").forEach(function (row, index) {
      row.dataset.row = index;
      row.querySelectorAll("*").forEach(function (el) {
        if (el.name) el.name = el.name.replace(byName, name + "." + index);
        ["id", "for", "aria-describedby"].forEach(function (attr) {
          var v = el.getAttribute(attr);
          if (v) el.setAttribute(attr, v.replace(byId, idPrefix + "-" + index));
        });
        if (el.classList.contains("remove-row")) el.value = name + "." + index;
      });
    });
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest(".add-row, .remove-row");
    if (!button) return;
    var table = button.closest("[data-table]");
    var rows = table.querySelector(".rows");
    event.preventDefault();
    if (button.classList.contains("add-row")) {
      var last = rows.lastElementChild;
      var copy = last.cloneNode(true);
      copy.querySelectorAll("input, textarea").forEach(function (input) {
        if (input.type === "checkbox" || input.type === "radio") input.checked = false; else input.value = "";
        input.removeAttribute("aria-invalid");
      });
      copy.querySelectorAll("select").forEach(function (s) { s.selectedIndex = 0; });
      copy.querySelectorAll(".field-error").forEach(function (e) { e.remove(); });
      rows.appendChild(copy);
      renumber(table);
      var first = copy.querySelector("input, select, textarea");
      if (first) first.focus();
    } else if (rows.children.length > 1) {
      button.closest(".row").remove();
      renumber(table);
    }
  });

  document.addEventListener("change", function (event) {
    var form = event.target.form;
    if (form) refreshRequired(form);
  });
  document.querySelectorAll("form").forEach(refreshRequired);
})();
