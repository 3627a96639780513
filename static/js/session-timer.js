/*
 * The login's end, said before it comes (WCAG 2.2.1 Timing Adjustable).
 *
 * A login ends after SESSION_IDLE_MINUTES without a request to the server (every request moves
 * the end forward). A few minutes before the end, a banner at the top of the page says so,
 * politely (no focus is taken from the field being typed in), and offers 「延長する」: a POST to
 * the server (wardservice.login_expiry.session_extend) that moves the end as any request would.
 * Once the end has come the banner says so and links to the login page, which brings the person
 * back here (static/js/draft-keeper.js keeps what was typed on the editing pages).
 *
 * The server says how long the login lasts on the <script> element's data- attributes. The tabs
 * of one browser share the end they know in localStorage, so a page left open is not warned while
 * the person works in another tab; requests this page's scripts make (the live preview) count too.
 * Without JavaScript nothing changes: the login still ends, and the login page says why.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  if (!script) {
    return;
  }
  var seconds = parseInt(script.getAttribute("data-session-seconds"), 10);
  var extendUrl = script.getAttribute("data-extend-url");
  var loginUrl = script.getAttribute("data-login-url");
  if (!(seconds > 0) || !extendUrl || !window.fetch) {
    return;
  }
  var SHARED = "wardservice.loginEndsAt";
  var TICK = 1000;
  // Warned this long before the end: 5 minutes of a 30-minute login, at least 20 seconds for any
  // login of a minute or more (the shortest SESSION_IDLE_MINUTES allows).
  var lead = Math.min(300, Math.round(seconds / 3)) * 1000;

  var endsAt = 0;
  var state = "quiet"; // quiet → warned → (quiet again after 延長する) or ended
  var banner, text, countdown, button, live, returnFocus;

  function shared() {
    try {
      return parseInt(window.localStorage.getItem(SHARED), 10) || 0;
    } catch (error) {
      return 0;
    }
  }

  /** The server has just been asked something: the login lasts `age` seconds from now. */
  function touched(age) {
    endsAt = Math.max(endsAt, Date.now() + age * 1000);
    try {
      if (shared() < endsAt) {
        window.localStorage.setItem(SHARED, String(endsAt));
      }
    } catch (error) {
      // Storage refused (a private window's quota): this tab still knows its own end.
    }
  }

  function formatLeft(ms) {
    var total = Math.max(0, Math.ceil(ms / 1000));
    var minutes = Math.floor(total / 60);
    var rest = total % 60;
    return minutes ? minutes + "分" + (rest ? rest + "秒" : "") : rest + "秒";
  }

  function announce(message) {
    // Emptied first, so that the same words said twice are read twice.
    live.textContent = "";
    window.setTimeout(function () {
      live.textContent = message;
    }, 50);
  }

  function build() {
    live = document.createElement("div");
    live.className = "visually-hidden";
    live.setAttribute("aria-live", "polite");
    live.setAttribute("aria-atomic", "true");

    banner = document.createElement("div");
    banner.className = "session-timer alert alert-warning sticky-top shadow-sm";
    banner.id = "session-timer";
    banner.hidden = true;
    text = document.createElement("p");
    text.className = "mb-2";
    countdown = document.createElement("span");
    button = document.createElement("button");
    button.type = "button";
    button.className = "btn btn-dark btn-sm";
    button.textContent = "延長する";
    button.addEventListener("click", extend);
    banner.append(text, button);

    var main = document.getElementById("main") || document.body;
    main.prepend(live, banner);
  }

  function showWarning(left) {
    state = "warned";
    returnFocus = document.activeElement;
    text.replaceChildren(
      "まもなくログインの有効期限が切れます。このままでは、あと ",
      countdown,
      " でログアウトされます。作業を続けるときは「延長する」を押してください。"
    );
    countdown.textContent = formatLeft(left);
    button.hidden = false;
    button.disabled = false;
    banner.className = "session-timer alert alert-warning sticky-top shadow-sm";
    banner.hidden = false;
    announce(
      "まもなくログインの有効期限が切れます。あと約" + formatLeft(left) +
      "です。続けるときは、ページ上部の「延長する」を押してください。"
    );
  }

  function showEnded() {
    state = "ended";
    var link = document.createElement("a");
    link.href = loginUrl || "/accounts/login/";
    link.textContent = "もう一度ログインする";
    link.setAttribute("data-draft-keep", ""); // leaving for the login page: the typing is kept
    var kept = document.querySelector("form[data-draft-keeper]")
      ? "入力中の内容は、このブラウザに残してあります。ログインし直すと、この画面で復元できます。"
      : "";
    text.replaceChildren("ログインの有効期限が切れました。" + kept + " ", link);
    button.hidden = true;
    banner.className = "session-timer alert alert-danger sticky-top shadow-sm";
    banner.hidden = false;
    announce("ログインの有効期限が切れました。" + kept + "続けるには、もう一度ログインしてください。");
  }

  function hide(message) {
    state = "quiet";
    banner.hidden = true;
    if (returnFocus && document.body.contains(returnFocus) && typeof returnFocus.focus === "function") {
      returnFocus.focus();
    }
    returnFocus = null;
    if (message) {
      announce(message);
    }
  }

  function tick() {
    endsAt = Math.max(endsAt, shared());
    var left = endsAt - Date.now();
    if (left <= 0) {
      if (state !== "ended") {
        showEnded();
      }
    } else if (left <= lead) {
      if (state === "quiet") {
        showWarning(left);
      } else if (state === "warned") {
        countdown.textContent = formatLeft(left);
      }
    } else if (state === "warned") {
      hide("ログインの有効期限が延長されました。"); // extended from another tab
    }
  }

  function csrfToken() {
    var field = document.querySelector("input[name='csrfmiddlewaretoken']");
    return field ? field.value : "";
  }

  function extend() {
    button.disabled = true;
    fetch(extendUrl, {
      method: "POST",
      headers: { "X-CSRFToken": csrfToken() },
      credentials: "same-origin",
      redirect: "manual", // a login that has ended answers with the login page: not followed
    })
      .then(function (response) {
        if (response.type === "opaqueredirect" || response.status === 302 || response.status === 403) {
          endsAt = 0;
          try {
            window.localStorage.removeItem(SHARED);
          } catch (error) {
            // nothing shared to forget
          }
          showEnded();
          return null;
        }
        if (!response.ok) {
          throw new Error("extend " + response.status);
        }
        return response.json();
      })
      .then(function (answer) {
        if (!answer) {
          return;
        }
        touched(answer.seconds);
        hide("ログインを延長しました。操作がないまま" + formatLeft(answer.seconds * 1000) + "たつと、ログアウトされます。");
      })
      .catch(function () {
        button.disabled = false;
        text.replaceChildren(
          "延長できませんでした。通信できる状態か確かめて、もう一度「延長する」を押してください。あと ",
          countdown,
          " でログアウトされます。"
        );
        announce("延長できませんでした。もう一度「延長する」を押してください。");
      });
  }

  /** A request of this page's scripts (the preview) reached the server: the login lasts from now. */
  function watchRequests() {
    if (!window.PerformanceObserver) {
      return;
    }
    try {
      new PerformanceObserver(function (list) {
        list.getEntries().forEach(function (entry) {
          var mine = entry.name.indexOf(window.location.origin + "/") === 0 && entry.name.indexOf(extendUrl) === -1;
          if (mine && (entry.initiatorType === "fetch" || entry.initiatorType === "xmlhttprequest")) {
            if (state !== "ended") {
              touched(seconds);
            }
          }
        });
      }).observe({ type: "resource", buffered: false });
    } catch (error) {
      // An old browser without resource entries: the warning may then come early, never late.
    }
  }

  function init() {
    build();
    touched(seconds);
    watchRequests();
    window.setInterval(tick, TICK);
    document.addEventListener("visibilitychange", function () {
      if (!document.hidden) {
        tick();
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
