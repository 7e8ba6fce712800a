/* The session timeout warning (progressive enhancement: without JavaScript the session simply
   times out on the server and the next page says why).
   Five minutes before the idle timeout an accessible modal dialog offers "Continue", which
   extends the session; when the time runs out the page moves to the signed-out page. Another tab
   may have kept the session alive, so the status is asked before warning or leaving. */
(function () {
  "use strict";
  var dialog = document.getElementById("session-warning");
  if (!dialog || typeof dialog.showModal !== "function" || !window.fetch) { return; }
  var data = dialog.dataset;
  var warnMs = parseInt(data.warningSeconds, 10) * 1000;
  var deadline = Date.now() + parseInt(data.secondsLeft, 10) * 1000;
  var timer = null;

  function leave() {
    // A form being filled in is posted as it is: the server keeps it for after signing in again.
    var form = document.querySelector("form.eform");
    if (form) {
      var action = document.createElement("input");
      action.type = "hidden"; action.name = "action"; action.value = "save";
      form.appendChild(action);
      form.querySelectorAll("input[type=file]").forEach(function (f) { f.disabled = true; });
      form.submit();
      return;
    }
    window.location.href = data.signedOutUrl;
  }

  function ask(url, method) {
    var options = { method: method, credentials: "same-origin", headers: { "Accept": "application/json" } };
    if (method === "POST") {
      options.headers["Content-Type"] = "application/x-www-form-urlencoded";
      options.headers["X-CSRF-Token"] = data.csrf;
      options.body = "csrf_token=" + encodeURIComponent(data.csrf);
    }
    return fetch(url, options).then(function (response) {
      return response.json().then(function (body) { return { ok: response.ok, body: body }; });
    });
  }

  function update(result) {
    if (!result.ok || !result.body.signed_in) { leave(); return false; }
    deadline = Date.now() + result.body.seconds_left * 1000;
    return true;
  }

  function schedule() {
    clearTimeout(timer);
    var untilWarning = deadline - Date.now() - warnMs;
    timer = setTimeout(untilWarning > 0 ? check : expire, Math.max(0, untilWarning > 0 ? untilWarning : deadline - Date.now()));
  }

  function check() {
    ask(data.statusUrl, "GET").then(function (result) {
      if (!update(result)) { return; }
      if (deadline - Date.now() > warnMs + 1000) { schedule(); return; }
      if (!dialog.open) { dialog.showModal(); }
      schedule();
    }, schedule);
  }

  function expire() {
    ask(data.statusUrl, "GET").then(function (result) {
      if (!update(result)) { return; }  // signed out: update() has left the page
      var left = deadline - Date.now();
      if (left > 1000) {
        if (dialog.open && left > warnMs) { dialog.close(); }
        schedule();
      } else {
        clearTimeout(timer);
        timer = setTimeout(expire, Math.max(500, left + 500));  // the last moments: ask again just after
      }
    }, leave);
  }

  var form = dialog.querySelector("form[data-extend]");
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    ask(data.extendUrl, "POST").then(function (result) {
      if (update(result)) { dialog.close(); schedule(); }
    }, function () { form.submit(); });
  });
  schedule();
}());
