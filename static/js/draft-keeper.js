/*
 * What a person types into the goals and results forms is not lost between phone calls.
 *
 * - Kept: while they type, the form's fields are copied into sessionStorage (this tab only,
 *   gone when it is closed), under the person and the form's address, with the sheet's version
 *   the page was opened at. When 保存 arrives after the login has ended, the server sends them to
 *   the login page and back here (wardservice.login_expiry): the copy is then offered back,
 *   「保存されていない入力があります。復元する / 破棄する」. Restoring brings back the version
 *   too, so that a sheet someone else saved meanwhile is caught by the server's usual check
 *   (their save shown beside the typed text), never silently overwritten.
 * - Dropped: when the server has saved it (the page after a save says so: data-draft-saved),
 *   when the person chooses 破棄する or leaves by a link marked data-draft-discard (「保存せずに
 *   シートへ戻る」), when they log out, and when another person uses the tab.
 * - Leaving a page whose form has changed asks first (beforeunload), and only then.
 * - Enter in a field other than a text area or a button does nothing, instead of sending the
 *   whole form as 保存 (下書き): a 区分 checkbox or the 目標番号 select is not a place to submit
 *   from. Without JavaScript the form behaves as it always did.
 *
 * Configured by data- attributes: on the <script> element, data-draft-owner (the person) and
 * data-draft-saved (addresses of forms the server has just saved); on the form,
 * data-draft-keeper, data-draft-unsaved (the server showed it back after refusing to save it)
 * and data-draft-saved (this form's typing was just saved).
 */
(function () {
  "use strict";

  var script = document.currentScript;
  var PREFIX = "wardservice.draft:";
  var SAVE_DELAY = 300;
  var owner = (script && script.getAttribute("data-draft-owner")) || "";
  var store = (function () {
    try {
      return window.sessionStorage;
    } catch (error) {
      return null; // storage refused: the form still works, only nothing is kept
    }
  })();

  function keyFor(path) {
    return PREFIX + owner + ":" + path;
  }

  function read(key) {
    if (!store) {
      return null;
    }
    try {
      var draft = JSON.parse(store.getItem(key));
      return draft && typeof draft.fields === "object" ? draft : null;
    } catch (error) {
      return null;
    }
  }

  function write(key, draft) {
    if (!store) {
      return;
    }
    try {
      store.setItem(key, JSON.stringify(draft));
    } catch (error) {
      // Over the quota: the page's own fields still hold the text.
    }
  }

  function forget(key) {
    if (!store) {
      return;
    }
    try {
      store.removeItem(key);
    } catch (error) {
      // nothing to forget
    }
  }

  /** Another person's copies go as soon as someone else logs in on this tab; so do the saved ones. */
  function tidy() {
    if (!store) {
      return;
    }
    var mine = PREFIX + owner + ":";
    for (var index = store.length - 1; index >= 0; index -= 1) {
      var key = store.key(index);
      if (key && key.indexOf(PREFIX) === 0 && (!owner || key.indexOf(mine) !== 0)) {
        forget(key);
      }
    }
    ((script && script.getAttribute("data-draft-saved")) || "").split(/\s+/).forEach(function (path) {
      if (path) {
        forget(keyFor(path));
      }
    });
  }

  function forgetAll() {
    if (!store) {
      return;
    }
    for (var index = store.length - 1; index >= 0; index -= 1) {
      var key = store.key(index);
      if (key && key.indexOf(PREFIX) === 0) {
        forget(key);
      }
    }
  }

  // --- The form's fields as plain data -----------------------------------------------------

  var SKIPPED_TYPES = ["submit", "button", "reset", "image", "file", "password"];

  function kept(element) {
    if (!element.name || element.disabled || element.name === "csrfmiddlewaretoken") {
      return false;
    }
    if (SKIPPED_TYPES.indexOf(element.type) !== -1) {
      return false;
    }
    // Of the hidden values only the version: the others describe the page, not the typing.
    return element.type !== "hidden" || element.name === "version";
  }

  function fieldKey(element) {
    var checkable = element.type === "checkbox" || element.type === "radio";
    return checkable ? element.name + "=" + element.value : element.name;
  }

  function fieldsOf(form) {
    var fields = {};
    Array.prototype.forEach.call(form.elements, function (element) {
      if (!kept(element)) {
        return;
      }
      if (element.type === "checkbox" || element.type === "radio") {
        fields[fieldKey(element)] = element.checked;
      } else if (element.type === "select-multiple") {
        fields[fieldKey(element)] = Array.prototype.filter
          .call(element.options, function (option) {
            return option.selected;
          })
          .map(function (option) {
            return option.value;
          });
      } else {
        fields[fieldKey(element)] = element.value;
      }
    });
    return fields;
  }

  function same(a, b) {
    var keys = Object.keys(a);
    if (keys.length !== Object.keys(b).length) {
      return false;
    }
    return keys.every(function (key) {
      return JSON.stringify(a[key]) === JSON.stringify(b[key]);
    });
  }

  /** Put the kept values back, then tell the page's other scripts (counts, preview) they changed. */
  function restore(form, fields) {
    var changed = [];
    Array.prototype.forEach.call(form.elements, function (element) {
      var key = fieldKey(element);
      if (!kept(element) || !Object.prototype.hasOwnProperty.call(fields, key)) {
        return;
      }
      var value = fields[key];
      if (element.type === "checkbox" || element.type === "radio") {
        if (element.checked !== Boolean(value)) {
          element.checked = Boolean(value);
          changed.push(element);
        }
      } else if (element.type === "select-multiple") {
        Array.prototype.forEach.call(element.options, function (option) {
          option.selected = Array.isArray(value) && value.indexOf(option.value) !== -1;
        });
        changed.push(element);
      } else if (typeof value === "string" && element.value !== value) {
        element.value = value;
        changed.push(element);
      }
    });
    changed.forEach(function (element) {
      var kind = element.tagName === "TEXTAREA" || element.type === "text" ? "input" : "change";
      element.dispatchEvent(new Event(kind, { bubbles: true }));
    });
  }

  // --- Offering the kept copy back --------------------------------------------------------

  function formatTime(ms) {
    var time = new Date(ms);
    var minutes = String(time.getMinutes());
    return (
      time.getFullYear() + "年" + (time.getMonth() + 1) + "月" + time.getDate() + "日 " +
      time.getHours() + ":" + (minutes.length < 2 ? "0" + minutes : minutes)
    );
  }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    if (text) {
      node.textContent = text;
    }
    return node;
  }

  function offer(form, draft, onRestore, onDiscard) {
    var box = element("section", "draft-restore alert alert-info");
    box.id = "draft-restore";
    box.setAttribute("aria-labelledby", "draft-restore-heading");
    var heading = element("h2", "h5", "保存されていない入力があります");
    heading.id = "draft-restore-heading";
    heading.tabIndex = -1;
    box.append(heading);
    box.append(
      element(
        "p",
        "mb-2",
        "このブラウザに、" + formatTime(draft.savedAt) + " まで入力していた保存前の内容が残っています。" +
          "復元すると、下の入力欄がその内容に置き換わります (まだ保存はされません)。"
      )
    );
    var version = form.querySelector("input[name='version']");
    if (version && draft.fields.version && draft.fields.version !== version.value) {
      box.append(
        element(
          "p",
          "mb-2",
          "入力の後に、このシートは更新されています。復元して保存すると、更新された内容と見比べる画面になります。"
        )
      );
    }
    var actions = element("p", "mb-0");
    var restoreButton = element("button", "btn btn-primary me-2", "復元する");
    restoreButton.type = "button";
    var discardButton = element("button", "btn btn-outline-dark", "破棄する");
    discardButton.type = "button";
    actions.append(restoreButton, discardButton);
    box.append(actions);
    form.parentNode.insertBefore(box, form);

    function done(message) {
      var status = element("p", "draft-restore alert alert-success", message);
      status.setAttribute("role", "status");
      status.tabIndex = -1;
      box.replaceWith(status);
      status.focus();
    }
    restoreButton.addEventListener("click", function () {
      onRestore();
      done("入力内容を復元しました。まだ保存されていません。確認してから保存してください。");
    });
    discardButton.addEventListener("click", function () {
      onDiscard();
      done("保存されていない入力を破棄しました。下の入力欄は、保存されている内容です。");
    });
    heading.focus();
  }

  // --- One form ----------------------------------------------------------------------------

  function keep(form) {
    var key = keyFor(window.location.pathname);
    var initial = form.hasAttribute("data-draft-unsaved") ? null : fieldsOf(form);
    var leaving = false; // submitted, or left on purpose: no question on the way out
    var loggingOut = false;
    var timer = null;

    function dirty() {
      return initial === null || !same(fieldsOf(form), initial);
    }

    function save() {
      window.clearTimeout(timer);
      if (dirty()) {
        write(key, { savedAt: Date.now(), fields: fieldsOf(form) });
      } else {
        forget(key);
      }
    }

    function later() {
      leaving = loggingOut = false;
      window.clearTimeout(timer);
      timer = window.setTimeout(save, SAVE_DELAY);
    }

    if (form.hasAttribute("data-draft-saved")) {
      forget(key);
    }
    var draft = read(key);
    if (initial === null) {
      save(); // what the server showed back is what has not been saved
    } else if (draft && !same(draft.fields, initial)) {
      offer(
        form,
        draft,
        function () {
          restore(form, draft.fields);
          save();
        },
        function () {
          forget(key);
        }
      );
    } else if (draft) {
      forget(key); // the same as the saved content: nothing to offer
    }

    form.addEventListener("input", later);
    form.addEventListener("change", later);
    form.addEventListener("submit", function () {
      save(); // kept until a page says the server has it
      leaving = true;
    });
    form.addEventListener("keydown", function (event) {
      if (event.key !== "Enter" || event.isComposing || event.keyCode === 229) {
        return;
      }
      var target = event.target;
      var tag = target.tagName;
      if (tag === "TEXTAREA" || tag === "BUTTON" || tag === "A") {
        return;
      }
      if (tag === "SELECT" || (tag === "INPUT" && ["submit", "button", "reset", "image"].indexOf(target.type) === -1)) {
        event.preventDefault();
      }
    });
    // 「保存せずにシートへ戻る」 lets the typing go; the login link of an ended login keeps it.
    document.addEventListener("click", function (event) {
      var link = event.target.closest && event.target.closest("[data-draft-discard], [data-draft-keep]");
      if (!link) {
        return;
      }
      if (link.hasAttribute("data-draft-discard")) {
        forget(key);
      } else {
        save();
      }
      leaving = true;
    });
    // Logging out takes every copy with it (a shared computer), once the page is really left.
    document.querySelectorAll("form[action$='/accounts/logout/']").forEach(function (logout) {
      logout.addEventListener("submit", function () {
        loggingOut = true;
      });
    });
    window.addEventListener("pagehide", function () {
      if (loggingOut) {
        forgetAll();
      }
    });
    window.addEventListener("beforeunload", function (event) {
      if (leaving || !dirty()) {
        return undefined;
      }
      if (!loggingOut) {
        save();
      }
      event.preventDefault();
      event.returnValue = ""; // the browser's own question: "このサイトを離れますか?"
      return "";
    });
    // Back from the browser's page cache: the form is there again, to be guarded again.
    window.addEventListener("pageshow", function (event) {
      if (event.persisted) {
        leaving = false;
      }
    });
  }

  function init() {
    tidy();
    document.querySelectorAll("form[data-draft-keeper]").forEach(keep);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
