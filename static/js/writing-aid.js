/*
 * やさしい日本語のヒント (the writing aid).
 *
 * On the goals and results forms: as the person types, the form is sent (after a pause) to its
 * hints URL, and the fragment that comes back replaces the hints list beside the preview. Silently:
 * no aria-live region, since hints read out while typing would talk over the typing; the list has
 * a heading the person goes to when they want it, and each field's heading links to its field.
 *
 * On the 差戻し page: a button beside each suggested sentence puts it into the comment.
 *
 * Progressive enhancement only: without this file the form page shows the hints of the text as
 * saved (or as last sent), and the 差戻し page lists the sentences to copy. Everything is attached
 * through data- attributes; there are no inline scripts (strict Content-Security-Policy).
 */
(function () {
  "use strict";

  var HINTS_DELAY = 800;

  // --- Live hints on the sheet forms -------------------------------------------------------

  function setupLiveHints(form) {
    var target = document.getElementById(form.getAttribute("data-hints-target"));
    var shown = null;
    if (!window.wardserviceLiveForm) {
      return; // static/js/live-form.js not on the page
    }
    window.wardserviceLiveForm(form, {
      target: target,
      url: form.getAttribute("data-hints-url"),
      delay: HINTS_DELAY,
      // A refusal (too much text: 413, a broken page: 400) is a fragment too, shown in place of
      // the hints. A redirect is the login page after the session ended: keep the hints.
      accept: function (response) {
        return !response.redirected && (response.ok || response.status === 413 || response.status === 400);
      },
      show: function (html) {
        if (html === shown) {
          return;
        }
        shown = html;
        var template = document.createElement("template");
        template.innerHTML = html;
        target.replaceChildren(template.content);
      },
    });
  }

  // --- Quoting a hint in the 差戻し comment -------------------------------------------------

  function setupQuotes(list) {
    var textarea = document.getElementById(list.getAttribute("data-quote-target"));
    if (!textarea) {
      return;
    }
    list.querySelectorAll("button[data-quote]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () {
        var sentence = button.getAttribute("data-quote");
        var before = textarea.value.replace(/\s+$/, "");
        textarea.value = before ? before + "\n" + sentence : sentence;
        textarea.dispatchEvent(new Event("input", { bubbles: true }));
        textarea.focus();
        textarea.setSelectionRange(textarea.value.length, textarea.value.length);
      });
    });
  }

  function init() {
    document.querySelectorAll("form[data-hints-url]").forEach(setupLiveHints);
    document.querySelectorAll("[data-quote-target]").forEach(setupQuotes);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
