/*
 * The progress pages of background work — 公表 (a version's files being made) and a データ
 * 取込 being written: polls the status (JSON) while the work runs, moves the progress bar and
 * the status text (an aria-live region, so screen readers hear the change), and reloads the page
 * once the work has finished or failed, so that the server shows the outcome: the links and
 * files, the numbers imported, or the error (and 再試行). A 公表 that has stopped moving (the
 * status says "stalled") shows its notice and 再試行 button, already on the page but hidden.
 *
 * Progressive enhancement only: without this file the page offers a 再読み込み link. No inline
 * script, so a strict Content-Security-Policy can be added later.
 */
(function () {
  "use strict";

  var INTERVAL = 1000;
  var MAX_INTERVAL = 10000;

  function start(root) {
    var url = root.getAttribute("data-status-url");
    var bar = root.querySelector("progress");
    var label = root.querySelector("[data-status-label]");
    var percent = root.querySelector("[data-progress]");
    var stalled = document.querySelector("[data-stalled]");
    var updatedAt = stalled && stalled.querySelector("[data-updated-at]");
    var delay = INTERVAL;

    function show(data) {
      bar.value = data.progress;
      bar.textContent = data.progress + "%";
      percent.textContent = String(data.progress);
      if (label.textContent !== data.status_label) {
        label.textContent = data.status_label;
      }
      if (stalled) {
        if (updatedAt && data.updated_at) {
          updatedAt.textContent = data.updated_at;
        }
        stalled.hidden = !data.stalled;
      }
    }

    function poll() {
      fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin", cache: "no-store" })
        .then(function (response) {
          if (!response.ok) {
            throw new Error("HTTP " + response.status);
          }
          return response.json();
        })
        .then(function (data) {
          show(data);
          delay = INTERVAL;
          if (data.finished) {
            window.location.reload();
          } else {
            window.setTimeout(poll, delay);
          }
        })
        .catch(function () {
          // A network hiccup or a restarting server: ask again, less often.
          delay = Math.min(delay * 2, MAX_INTERVAL);
          window.setTimeout(poll, delay);
        });
    }

    window.setTimeout(poll, delay);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var root = document.querySelector(
      ".publish-progress[data-status-url], .import-progress[data-status-url]"
    );
    if (root && root.getAttribute("data-finished") !== "true") {
      start(root);
    }
  });
})();
