/*
 * The staff sheet forms: live character counts, moving goals up and down, the live preview,
 * the omitted-result switch, and buttons that submit once.
 *
 * Progressive enhancement only: every page works without this file (the number field orders
 * the goals, the server counts and previews). Everything is attached through data- attributes;
 * there are no inline scripts, so a strict Content-Security-Policy can be added later.
 */
(function () {
  "use strict";

  // Python's str.isspace() characters: the server strips exactly these from both ends.
  var SPACE = "[\\t\\n\\v\\f\\r \\u001c-\\u001f\\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]";
  var EDGES = new RegExp("^" + SPACE + "+|" + SPACE + "+$", "g");
  var PREVIEW_DELAY = 500;
  var ANNOUNCE_DELAY = 1000;
  var NEAR_LIMIT = 0.9; // the share of a field's limit from which the count is read out

  /** The length the server will count: code points (not UTF-16 units), one per line break, edges trimmed. */
  function countChars(value) {
    return Array.from(value.replace(/\r\n?/g, "\n").replace(EDGES, "")).length;
  }

  function debounce(fn, delay) {
    var timer = null;
    return function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(fn, delay);
    };
  }

  function describedBy(element, id) {
    var ids = (element.getAttribute("aria-describedby") || "").split(/\s+/).filter(Boolean);
    if (ids.indexOf(id) === -1) {
      ids.push(id);
    }
    element.setAttribute("aria-describedby", ids.join(" "));
  }

  // --- Character counts --------------------------------------------------------------------

  function setupCounter(textarea) {
    var limit = parseInt(textarea.getAttribute("data-char-limit"), 10);
    var counter = document.createElement("p");
    counter.className = "char-count form-text mb-0";
    counter.id = textarea.id + "_count";
    // A separate, quieter region, read out once typing pauses and only near the limit (NEAR_LIMIT
    // and over): a count after every pause would talk over the typing. The count itself is the
    // field's description, heard whenever the person asks for it (or comes back to the field).
    var live = document.createElement("p");
    live.className = "visually-hidden";
    live.setAttribute("aria-live", "polite");
    textarea.insertAdjacentElement("afterend", counter);
    counter.insertAdjacentElement("afterend", live);
    describedBy(textarea, counter.id);

    function render() {
      var count = countChars(textarea.value);
      var over = count - limit;
      counter.textContent = count + " / " + limit + " 文字" + (over > 0 ? " (" + over + " 文字超過)" : "");
      counter.classList.toggle("is-over", over > 0);
      return over;
    }
    var announce = debounce(function () {
      var over = render();
      var text = "";
      if (over > 0) {
        text = over + " 文字超過しています。";
      } else if (limit + over >= limit * NEAR_LIMIT) {
        text = "残り " + -over + " 文字です。";
      }
      if (live.textContent !== text) {
        live.textContent = text;
      }
    }, ANNOUNCE_DELAY);
    textarea.addEventListener("input", function () {
      render();
      announce();
    });
    render();
  }

  // --- Moving goals up and down (the number field is the fallback) --------------------------

  function numberSelect(fieldset) {
    return fieldset.querySelector("select[name$='-number']");
  }

  function relabel(fieldset) {
    var select = numberSelect(fieldset);
    var legend = fieldset.querySelector("[data-goal-legend]");
    if (!select || !legend) {
      return;
    }
    var text = "目標 " + select.value;
    legend.textContent = text;
    fieldset.querySelectorAll("[data-move-label]").forEach(function (label) {
      label.textContent = " (" + text + ")";
    });
  }

  function setupReorder(list, form) {
    var status = form.querySelector("[data-move-status]");
    list.querySelectorAll("[data-goal-move]").forEach(function (element) {
      element.hidden = false;
    });
    list.addEventListener("click", function (event) {
      var button = event.target.closest("[data-move]");
      if (!button) {
        return;
      }
      var fieldset = button.closest("[data-goal-form]");
      var all = Array.from(list.querySelectorAll("[data-goal-form]"));
      var up = button.getAttribute("data-move") === "up";
      var other = all[all.indexOf(fieldset) + (up ? -1 : 1)];
      if (!other) {
        if (status) {
          status.textContent = up ? "これ以上、上へは移動できません。" : "これ以上、下へは移動できません。";
        }
        return;
      }
      var mine = numberSelect(fieldset);
      var theirs = numberSelect(other);
      var number = mine.value;
      mine.value = theirs.value;
      theirs.value = number;
      list.insertBefore(up ? fieldset : other, up ? other : fieldset);
      relabel(fieldset);
      relabel(other);
      button.focus();
      if (status) {
        status.textContent = "目標 " + number + " を " + mine.value + " 番に移動しました。";
      }
      form.dispatchEvent(new Event("change", { bubbles: true }));
    });
    list.addEventListener("change", function (event) {
      if (event.target.matches("select[name$='-number']")) {
        relabel(event.target.closest("[data-goal-form]"));
      }
    });
  }

  // --- Live preview ------------------------------------------------------------------------

  /** Replace only the rows that changed, so a screen reader hears the goal being edited, not the table. */
  function patchPreview(target, html) {
    var template = document.createElement("template");
    template.innerHTML = html;
    var next = template.content.querySelector("table");
    var current = target.querySelector("table");
    if (!next) {
      target.replaceChildren(template.content);  // no goal typed: the sentence that says so
      return;
    }
    var nextRows = next.querySelectorAll("tbody tr");
    var currentRows = current ? current.querySelectorAll("tbody tr") : [];
    if (!current || nextRows.length !== currentRows.length) {
      target.replaceChildren(next);
      return;
    }
    nextRows.forEach(function (row, index) {
      if (row.outerHTML !== currentRows[index].outerHTML) {
        currentRows[index].replaceWith(row);
      }
    });
  }

  function setupPreview(form) {
    var target = document.getElementById(form.getAttribute("data-preview-target"));
    if (!window.wardserviceLiveForm) {
      return; // static/js/live-form.js not on the page
    }
    window.wardserviceLiveForm(form, {
      target: target,
      url: form.getAttribute("data-preview-url"),
      delay: PREVIEW_DELAY,
      show: function (html) {
        patchPreview(target, html);
      },
    });
  }

  // --- 省略する ------------------------------------------------------------------------------

  function setupOmitToggle(checkbox) {
    var reason = document.getElementById("div_" + checkbox.id.replace(/is_omitted$/, "omitted_reason"));
    var textarea = reason && reason.querySelector("textarea");
    if (!reason || !textarea) {
      return;
    }
    function sync() {
      // Keep the reason visible while it has text or an error, so nothing typed is hidden.
      reason.hidden = !checkbox.checked && !textarea.value && !textarea.classList.contains("is-invalid");
      // The reason is needed once 省略 is ticked (the help text says so; this tells screen readers).
      textarea.setAttribute("aria-required", checkbox.checked ? "true" : "false");
    }
    checkbox.addEventListener("change", sync);
    sync();
  }

  // --- Submit once -------------------------------------------------------------------------

  function setupSubmitOnce(form) {
    form.addEventListener("submit", function (event) {
      if (form.hasAttribute("data-submitting")) {
        event.preventDefault();  // a double click: the first request is already on its way
        return;
      }
      form.setAttribute("data-submitting", "");
      var buttons = form.querySelectorAll("button[type='submit'], input[type='submit']");
      // Disabled only after this turn: a disabled button's name=value would not be sent.
      window.setTimeout(function () {
        buttons.forEach(function (button) {
          button.disabled = true;
        });
      }, 0);
    });
  }

  // Coming back with the browser's Back button shows the page as it was left: usable again.
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) {
      return;
    }
    document.querySelectorAll("form[data-submitting]").forEach(function (form) {
      form.removeAttribute("data-submitting");
      form.querySelectorAll("button[type='submit'], input[type='submit']").forEach(function (button) {
        button.disabled = false;
      });
    });
  });

  function init() {
    document.querySelectorAll("textarea[data-char-limit]").forEach(setupCounter);
    document.querySelectorAll("form[data-submit-once]").forEach(setupSubmitOnce);
    document.querySelectorAll("input[data-omit-toggle]").forEach(setupOmitToggle);
    document.querySelectorAll("form[data-sheet-form]").forEach(function (form) {
      var list = form.querySelector("[data-goal-list]");
      if (list) {
        setupReorder(list, form);
      }
      setupPreview(form);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
