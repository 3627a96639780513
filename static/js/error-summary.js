/*
 * After a failed submission the page opens with an error summary (templates/_error_summary.html):
 * focus moves to it, so that a screen reader reads what went wrong and a keyboard user's next Tab
 * is its first link. A link of the summary moves focus to its field (not only the scroll position),
 * showing the field's label or legend above it.
 *
 * Progressive enhancement: without this file the page's title begins 「エラー: 」 and the summary is
 * the first thing in the main content. No inline script (Content-Security-Policy: script-src 'self').
 */
(function () {
  "use strict";

  /** The element a summary link points at, or the first field inside it (a fieldset, a wrapper). */
  function fieldOf(target) {
    if (target.matches("input, select, textarea, button, a[href], [tabindex]")) {
      return target;
    }
    return target.querySelector("input:not([type='hidden']), select, textarea, button") || target;
  }

  /** What to keep in view above the field: its fieldset's legend or its label. */
  function captionOf(field) {
    var fieldset = field.closest("fieldset");
    if (field.type === "radio" || field.type === "checkbox") {
      var legend = fieldset && fieldset.querySelector("legend");
      if (legend) {
        return legend;
      }
    }
    return (field.id && document.querySelector("label[for='" + CSS.escape(field.id) + "']")) || field;
  }

  function focusField(event) {
    var link = event.target.closest("a[href^='#']");
    if (!link) {
      return;
    }
    var target = document.getElementById(decodeURIComponent(link.getAttribute("href").slice(1)));
    if (!target) {
      return;
    }
    event.preventDefault();
    var field = fieldOf(target);
    if (!field.matches("input, select, textarea, button, a[href], [tabindex]")) {
      field.setAttribute("tabindex", "-1");
    }
    captionOf(field).scrollIntoView({ block: "start" });
    field.focus({ preventScroll: true });
  }

  function init() {
    var summary = document.querySelector("[data-error-summary], #error-summary");
    if (!summary) {
      return;
    }
    if (!summary.hasAttribute("tabindex")) {
      summary.setAttribute("tabindex", "-1");
    }
    summary.focus();
    summary.addEventListener("click", focusField);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
