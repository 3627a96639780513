/*
 * The progress pages of background work — 公表 (a version's files being made) and a データ
 * 取込 being written: polls the status (JSON) while the work runs, moves the progress bar and
 * the status text, and reloads the page once the work has finished or failed, so that the server
 * shows the outcome: the links and files, the numbers imported, or the error (and 再試行). A 公表
 * that has stopped moving (the status says "stalled") shows its notice and 再試行 button, already
 * on the page but hidden.
 *
 * Screen readers hear milestones only, through one polite live region ([data-progress-announce]):
 * the work starting (a new status), each quarter (25 %, 50 %, 75 %), stalling, and the end —
 * never the figure that changes every second.
 *
 * Progressive enhancement only: without this file the page offers a 再読み込み link. No inline
 * script, so a strict Content-Security-Policy can be added later.
 */
(function () {
  "use strict";

  var INTERVAL = 1000;
  var MAX_INTERVAL = 10000;
  var RELOAD_DELAY = 1500; // the end is announced before the page is loaded again

  function start(root) {
    var url = root.getAttribute("data-status-url");
    var bar = root.querySelector("progress");
    var label = root.querySelector("[data-status-label]");
    var percent = root.querySelector("[data-progress]");
    var stalled = document.querySelector("[data-stalled]");
    var updatedAt = stalled && stalled.querySelector("[data-updated-at]");
    var announcer = root.querySelector("[data-progress-announce]");
    var delay = INTERVAL;
    var heard = {
      status: root.getAttribute("data-status"),
      quarter: Math.floor((Number(bar.value) || 0) / 25),
      stalled: Boolean(stalled && !stalled.hidden),
    };

    function say(text) {
      if (announcer && text) {
        announcer.textContent = text;
      }
    }

    /** What is worth saying about this status, or "" (see the header). */
    function milestone(data) {
      var quarter = Math.floor(data.progress / 25);
      var text = "";
      if (data.finished) {
        text = data.status_label + "。結果を表示します。";
      } else if (data.stalled && !heard.stalled) {
        text = "作成が止まっています。再試行できます。";
      } else if (data.status !== heard.status) {
        text = "進捗: " + data.status_label;
      } else if (quarter > heard.quarter && quarter < 4) {
        text = "進捗: " + data.progress + "%";
      }
      heard = { status: data.status, quarter: Math.max(quarter, heard.quarter), stalled: Boolean(data.stalled) };
      return text;
    }

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
          say(milestone(data));
          delay = INTERVAL;
          if (data.finished) {
            window.setTimeout(function () {
              window.location.reload();
            }, RELOAD_DELAY);
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
