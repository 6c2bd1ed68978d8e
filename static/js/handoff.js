/* Small progressive enhancements. Every page works without this file. */
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  // The server checks every form and shows its errors beside the fields, in the
  // page's language and tied to the inputs (aria-describedby). With script on, skip
  // the browser's own bubbles so people see one consistent kind of message; without
  // script, the browser's checks still run first. Opt out with data-native-validation.
  function relaxValidation(root) {
    root.querySelectorAll("form:not([data-native-validation])").forEach(function (form) {
      form.noValidate = true;
    });
  }
  relaxValidation(document);
  document.addEventListener("htmx:afterSwap", function (event) { relaxValidation(event.target); });

  // "Save this search" (catalogue): htmx swaps only the results and pushes the new
  // address, so the form's hidden query follows the address bar.
  function syncSavedSearch() {
    document.querySelectorAll("input[data-current-query]").forEach(function (input) {
      input.value = window.location.search.replace(/^\?/, "");
    });
  }
  document.addEventListener("htmx:pushedIntoHistory", syncSavedSearch);
  document.addEventListener("htmx:afterSettle", syncSavedSearch);

  // After a failed submit, bring the first field with an error into view and focus.
  var invalid = document.querySelector("main [aria-invalid=true]");
  if (invalid && typeof invalid.focus === "function") { invalid.focus({ preventScroll: false }); }

  // Language (and other) selects that submit their form on change.
  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el.matches && el.matches("[data-autosubmit]") && el.form) {
      el.form.requestSubmit ? el.form.requestSubmit() : el.form.submit();
    }
  });

  // A form marked data-once disables its submit buttons after the first submit,
  // so a double click cannot send it twice (the server refuses duplicates anyway).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches("[data-once]")) return;
    if (form.dataset.submitted) { event.preventDefault(); return; }
    form.dataset.submitted = "1";
    form.querySelectorAll("button[type=submit]").forEach(function (b) {
      setTimeout(function () { b.disabled = true; }, 0);
    });
  });

  // Foldable panels (<details data-fold-below="PX" open>): closed on load on screens
  // narrower than PX, so a phone sees the results first; a tap opens them.
  document.querySelectorAll("details[data-fold-below]").forEach(function (el) {
    var px = parseInt(el.getAttribute("data-fold-below"), 10);
    if (px && window.matchMedia("(max-width: " + px + "px)").matches) { el.open = false; }
  });

  // File fields: the browser writes "Choose File / No file chosen" in its own
  // language, whatever the page's. The input stays (invisible, over the whole
  // box: clicks, drops, keyboard and labels still reach it); the words shown are
  // the page's (<body data-file-choose data-file-none>, translated in base.html).
  function filePickers(root) {
    var words = document.body.dataset;
    if (!words.fileChoose) return;
    root.querySelectorAll("input[type=file]:not([data-picker])").forEach(function (input) {
      input.setAttribute("data-picker", "");
      var box = document.createElement("span");
      box.className = "file-picker";
      var button = document.createElement("span");
      button.className = "btn btn-small btn-ghost file-picker-button";
      button.setAttribute("aria-hidden", "true");
      button.textContent = words.fileChoose;
      var names = document.createElement("span");
      names.className = "file-picker-names";
      names.setAttribute("aria-hidden", "true");
      names.textContent = words.fileNone;
      input.parentNode.insertBefore(box, input);
      box.appendChild(input);
      box.appendChild(button);
      box.appendChild(names);
      input.addEventListener("change", function () {
        var chosen = Array.prototype.map.call(input.files || [], function (f) { return f.name; });
        names.textContent = chosen.length ? chosen.join(", ") : words.fileNone;
      });
    });
  }
  filePickers(document);
  document.addEventListener("htmx:afterSwap", function (event) { filePickers(event.target); });

  // A request made in the background (the chat, the catalogue's filters) that fails
  // or is refused (too many at once) says so beside what was clicked, in the
  // page's language (<body data-request-failed>), instead of doing nothing.
  function requestFailed(event) {
    var text = document.body.dataset.requestFailed;
    var elt = event.detail && event.detail.elt;
    if (!text || !elt || !elt.parentNode) return;
    var note = elt.previousElementSibling;
    if (!(note && note.classList.contains("request-failed"))) {
      note = document.createElement("p");
      note.className = "alert alert-error request-failed";
      note.setAttribute("role", "alert");
      elt.parentNode.insertBefore(note, elt);
    }
    note.textContent = text;
  }
  document.addEventListener("htmx:responseError", requestFailed);
  document.addEventListener("htmx:sendError", requestFailed);
  document.addEventListener("htmx:afterRequest", function (event) {
    var elt = event.detail && event.detail.elt;
    var note = elt && elt.previousElementSibling;
    if (event.detail.successful && note && note.classList.contains("request-failed")) {
      note.remove();
    }
  });

  // Countdowns: <time data-countdown data-day-label="d" datetime="ISO">…</time>
  // (the day label is translated in the template: "2d 03:04:05", "2天 03:04:05").
  function pad(n) { return n < 10 ? "0" + n : String(n); }
  function tick() {
    document.querySelectorAll("[data-countdown]").forEach(function (el) {
      var end = Date.parse(el.getAttribute("datetime"));
      if (isNaN(end)) return;
      var s = Math.max(0, Math.floor((end - Date.now()) / 1000));
      var d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600),
          m = Math.floor((s % 3600) / 60), sec = s % 60;
      var day = el.getAttribute("data-day-label") || "d";
      el.textContent = (d ? d + day + " " : "") + pad(h) + ":" + pad(m) + ":" + pad(sec);
    });
  }
  if (document.querySelector("[data-countdown]")) { tick(); setInterval(tick, 1000); }
})();
