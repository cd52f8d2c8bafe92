/* Yibao page chrome: error summary focus, the collapsible menu, the idle-logout warning,
   the language switch and print buttons.
   No dependencies; loaded with `defer` from base.html. */
(function () {
  "use strict";

  // After a failed submit, move focus to the error summary so a screen reader reads the field names.
  function focusErrorSummary() {
    var summary = document.querySelector("[data-error-summary]");
    if (summary) {
      summary.focus();
    }
  }

  // The main menu collapses behind a 菜单 button on narrow screens (and at 200% zoom).
  function setUpMenu() {
    var button = document.querySelector("[data-menu-toggle]");
    var nav = button && document.getElementById(button.getAttribute("aria-controls"));
    if (!nav) {
      return;
    }
    button.addEventListener("click", function () {
      var open = button.getAttribute("aria-expanded") !== "true";
      button.setAttribute("aria-expanded", open ? "true" : "false");
      nav.classList.toggle("open", open);
    });
    nav.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && button.getAttribute("aria-expanded") === "true" && button.offsetParent) {
        button.setAttribute("aria-expanded", "false");
        nav.classList.remove("open");
        button.focus();
      }
    });
  }

  // Warn before the idle logout, with a button that extends the session.
  function setUpIdleWarning() {
    var body = document.body;
    var idle = parseInt(body.getAttribute("data-idle-seconds") || "", 10);
    var warnBefore = parseInt(body.getAttribute("data-idle-warn-seconds") || "120", 10);
    var keepaliveUrl = body.getAttribute("data-keepalive-url");
    var dialog = document.getElementById("idle-warning");
    if (!idle || !keepaliveUrl || !dialog) {
      return;
    }
    var button = dialog.querySelector("[data-idle-continue]");
    var countdown = dialog.querySelector("[data-idle-countdown]");
    var warnTimer = null;
    var tickTimer = null;
    var deadline = 0;
    var returnFocus = null;

    function hide() {
      dialog.hidden = true;
      window.clearInterval(tickTimer);
    }

    function tick() {
      var left = Math.max(0, Math.round((deadline - Date.now()) / 1000));
      countdown.textContent = String(Math.floor(left / 60)) + ":" + String(left % 60).padStart(2, "0");
      if (left <= 0) {
        window.clearInterval(tickTimer);
        // The server has logged the user out by now (a second of slack): reload to show the login page.
        window.setTimeout(function () {
          window.location.assign(window.location.href);
        }, 1000);
      }
    }

    function show() {
      returnFocus = document.activeElement;
      dialog.hidden = false;
      tick();
      tickTimer = window.setInterval(tick, 1000);
      button.focus();
    }

    function restart() {
      hide();
      window.clearTimeout(warnTimer);
      deadline = Date.now() + idle * 1000;
      warnTimer = window.setTimeout(show, Math.max(0, idle - warnBefore) * 1000);
    }

    button.addEventListener("click", function () {
      var token = document.querySelector("[name=csrfmiddlewaretoken]");
      fetch(keepaliveUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: { "X-CSRFToken": token ? token.value : "" },
      }).then(function (response) {
        if (response.ok) {
          restart();
          if (returnFocus && document.body.contains(returnFocus)) {
            returnFocus.focus();
          }
        } else {
          window.location.assign(window.location.href);
        }
      });
    });
    // htmx requests of the user's own count as activity; progress polling does not.
    document.body.addEventListener("htmx:afterRequest", function (event) {
      var headers = (event.detail && event.detail.requestConfig && event.detail.requestConfig.headers) || {};
      if (!headers["X-Yibao-Poll"]) {
        restart();
      }
    });
    restart();
  }

  // Inline handlers (onclick, onchange) are forbidden by the Content-Security-Policy, so the
  // two behaviours that used them are wired here: <select data-auto-submit> submits its form
  // on change (the language switch); <button data-print> opens the print dialog (statements).
  function setUpDataBehaviours() {
    document.querySelectorAll("select[data-auto-submit]").forEach(function (select) {
      select.addEventListener("change", function () {
        if (select.form) {
          select.form.submit();
        }
      });
    });
    document.querySelectorAll("[data-print]").forEach(function (button) {
      button.addEventListener("click", function () {
        window.print();
      });
    });
  }

  function start() {
    focusErrorSummary();
    setUpMenu();
    setUpIdleWarning();
    setUpDataBehaviours();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
