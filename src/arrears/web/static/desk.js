// The collector's desk: keyboard shortcuts (shown with "?") for the frequent actions. Progressive
// enhancement only: every action is also a button, a checkbox or a form.
(function () {
  "use strict";
  function typing(el) {
    if (!el) { return false; }
    var tag = el.tagName;
    return tag === "TEXTAREA" || tag === "SELECT" || el.isContentEditable ||
      (tag === "INPUT" && !/^(checkbox|radio|button|submit)$/.test(el.type));
  }
  function openDetails(id, focusSelector) {
    var d = document.getElementById(id);
    if (!d || d.hidden) { return; }
    d.open = true;
    var target = d.querySelector(focusSelector || "input, select");
    if (target) { target.focus(); }
  }
  function help() {
    var dialog = document.getElementById("desk-help");
    if (dialog && typeof dialog.showModal === "function" && !dialog.open) { dialog.showModal(); }
  }
  function click(id) {
    var el = document.getElementById(id);
    if (el) { el.click(); return true; }
    return false;
  }
  document.addEventListener("click", function (event) {
    if (event.target && event.target.closest && event.target.closest("#desk-help-open")) { help(); }
  });
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) { return; }
    var active = document.activeElement;
    if (event.key === "Escape" && typing(active)) { active.blur(); return; }
    if (typing(active)) { return; }
    var dialog = document.getElementById("desk-help");
    if (dialog && dialog.open) { return; }
    var key = event.key;
    var handled = true;
    if (key === "?") { help(); }
    else if (key === "n") { handled = click("desk-next"); }
    else if (key === "s") {
      var form = document.getElementById("attempt-form");
      if (form) { form.requestSubmit(); } else { handled = false; }
    }
    else if (key === "p") { openDetails("promise-form"); }
    else if (key === "c") { openDetails("callback-form"); }
    else if (key === "o") { var o = document.getElementById("desk-outcome"); if (o) { o.focus(); } else { handled = false; } }
    else if (key === "w") { var w = document.getElementById("desk-note"); if (w) { w.focus(); } else { handled = false; } }
    else if (/^[1-9]$/.test(key)) {
      var box = document.getElementById("elem-" + key);
      if (box) { box.checked = !box.checked; box.focus(); } else { handled = false; }
    }
    else { handled = false; }
    if (handled) { event.preventDefault(); }
  });
  // after htmx swaps in a new call or a confirmation, put the focus on its heading or first action
  document.addEventListener("htmx:afterSwap", function (event) {
    if (!event.detail || !event.detail.target || event.detail.target.id !== "desk-work") { return; }
    var first = document.querySelector("#desk-work [autofocus], #desk-work h2");
    if (first) {
      if (first.tagName === "H2") { first.setAttribute("tabindex", "-1"); }
      first.focus();
    }
  });
})();
