/*
 * A part of a staff form page refreshed from the server as the person types: the live preview
 * (static/js/sheet-form.js) and the やさしい日本語 hints (static/js/writing-aid.js).
 *
 * window.wardserviceLiveForm(form, options) sends the whole form (POST, with its CSRF token) to
 * options.url once the person has paused for options.delay ms, and hands the answer's text to
 * options.show. An older answer never overwrites a newer one: a request still under way is
 * aborted when the next one starts. options.target is aria-busy while a request is under way,
 * until the newest one has ended. options.accept(response) says whether an answer is shown
 * (default: a 2xx answer that is not a redirect); otherwise what is shown stays.
 *
 * Loaded before the scripts that use it (deferred scripts run in document order).
 */
(function () {
  "use strict";

  function debounce(fn, delay) {
    var timer = null;
    return function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(fn, delay);
    };
  }

  function acceptOk(response) {
    return response.ok && !response.redirected;
  }

  window.wardserviceLiveForm = function (form, options) {
    var token = form.querySelector("input[name='csrfmiddlewaretoken']");
    if (!options.target || !options.url || !token || !window.fetch || !window.AbortController) {
      return;
    }
    var accept = options.accept || acceptOk;
    var controller = null;
    var refresh = debounce(function () {
      if (controller) {
        controller.abort(); // an older answer must not overwrite a newer one
      }
      var mine = (controller = new AbortController());
      options.target.setAttribute("aria-busy", "true");
      fetch(options.url, {
        method: "POST",
        body: new FormData(form),
        headers: { "X-CSRFToken": token.value },
        credentials: "same-origin",
        signal: mine.signal,
      })
        .then(function (response) {
          if (!accept(response)) {
            throw new Error(options.url + " " + response.status);
          }
          return response.text();
        })
        .then(function (text) {
          options.show(text);
        })
        .catch(function () {
          // Keep what is shown: the form itself is unaffected, and saving still works.
        })
        .finally(function () {
          if (controller === mine) {
            // The newest request has ended: an aborted older one leaves the region busy.
            options.target.removeAttribute("aria-busy");
            controller = null;
          }
        });
    }, options.delay);
    form.addEventListener("input", refresh);
    form.addEventListener("change", refresh);
  };
})();
