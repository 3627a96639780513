/*
 * A table wider than the window scrolls in its own box (.table-scroll: focusable, named by its
 * caption or heading), never the page. While the table is wider than its box, the box says so:
 * 「表は横にスクロールできます」 above it (also its description for screen readers) and a darker
 * right edge (site.css, [data-overflowing]). Re-checked whenever the box or its table changes size:
 * a zoom, a turned phone, a preview that grew.
 *
 * Progressive enhancement: without this file the box still scrolls, by its scroll bar, or with the
 * arrow keys once it has focus. No inline script (Content-Security-Policy: script-src 'self').
 */
(function () {
  "use strict";

  var HINT = "表は横にスクロールできます。";
  var count = 0;

  function setDescribed(box, id, on) {
    var ids = (box.getAttribute("aria-describedby") || "").split(/\s+/).filter(function (x) {
      return x && x !== id;
    });
    if (on) {
      ids.unshift(id);
    }
    if (ids.length) {
      box.setAttribute("aria-describedby", ids.join(" "));
    } else {
      box.removeAttribute("aria-describedby");
    }
  }

  function setup(box) {
    count += 1;
    var hint = document.createElement("p");
    hint.className = "scroll-hint";
    hint.id = "scroll-hint-" + count;
    hint.textContent = HINT;
    hint.hidden = true;
    box.insertAdjacentElement("beforebegin", hint);

    function update() {
      var overflowing = box.scrollWidth > box.clientWidth + 1;
      if (overflowing === !hint.hidden) {
        return;
      }
      hint.hidden = !overflowing;
      box.toggleAttribute("data-overflowing", overflowing);
      setDescribed(box, hint.id, overflowing);
    }

    if (window.ResizeObserver) {
      var observer = new ResizeObserver(update);
      observer.observe(box);
      Array.prototype.forEach.call(box.children, function (child) {
        observer.observe(child);
      });
      // A live preview replaces its table: watch the new one too.
      new MutationObserver(function () {
        Array.prototype.forEach.call(box.children, function (child) {
          observer.observe(child);
        });
        update();
      }).observe(box, { childList: true });
    } else {
      window.addEventListener("resize", update);
    }
    update();
  }

  function init() {
    document.querySelectorAll(".table-scroll").forEach(setup);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
