/* E-service forms, progressively enhanced (everything works without this script):
   - conditional fields appear only when the answer they depend on is chosen;
   - each field is checked when the person leaves it, with the same rules as the server;
   - forms flagged for it are saved as a draft every five minutes, and when leaving the page. */
(function () {
  "use strict";
  var form = document.querySelector("form.eform");
  if (!form || !window.fetch || !window.FormData) { return; }
  var csrf = form.querySelector("input[name=csrf_token]");
  var status = form.querySelector(".eform__autosave-status");
  var dirty = false;

  /* Conditional fields */
  document.documentElement.classList.add("js-conditions");
  var conditionals = form.querySelectorAll(".conditional");
  function answerOf(name) {
    var chosen = [];
    form.querySelectorAll("[name='" + name + "']").forEach(function (input) {
      if ((input.type === "radio" || input.type === "checkbox") ? input.checked : input.value) { chosen.push(input.value); }
    });
    return chosen;
  }
  function applyConditions() {
    conditionals.forEach(function (block) {
      var wanted = block.dataset.whenValues.split(" ");
      var shown = answerOf(block.dataset.whenField).some(function (v) { return wanted.indexOf(v) !== -1; });
      block.classList.toggle("conditional--hidden", !shown);
      block.querySelectorAll("input, textarea, select, button").forEach(function (el) { el.disabled = !shown; });
    });
  }
  applyConditions();
  form.addEventListener("change", function () { dirty = true; applyConditions(); });
  form.addEventListener("input", function () { dirty = true; });

  /* Checking a field when leaving it */
  var checkUrl = form.dataset.checkUrl;
  function showError(input, message) {
    var wrapper = input.closest(".hds-text-input");
    if (!wrapper) { return; }
    var id = input.id + "-error";
    var slot = document.getElementById(id);
    if (message) {
      if (!slot) {
        slot = document.createElement("span");
        slot.className = "hds-text-input__error-text";
        slot.id = id;
        wrapper.appendChild(slot);
      }
      slot.textContent = message;
      wrapper.classList.add("hds-text-input--invalid");
      input.setAttribute("aria-invalid", "true");
      var described = (input.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
      if (described.indexOf(id) === -1) { described.unshift(id); }
      input.setAttribute("aria-describedby", described.join(" "));
    } else if (slot) {
      slot.remove();
      wrapper.classList.remove("hds-text-input--invalid");
      input.removeAttribute("aria-invalid");
      input.setAttribute("aria-describedby", (input.getAttribute("aria-describedby") || "").split(" ").filter(function (x) { return x !== id; }).join(" "));
    }
  }
  if (checkUrl) {
    form.querySelectorAll(".hds-text-input__input:not([readonly])").forEach(function (input) {
      input.addEventListener("blur", function () {
        var body = new URLSearchParams({ field: input.name, value: input.value, csrf_token: csrf ? csrf.value : "" });
        fetch(checkUrl, { method: "POST", credentials: "same-origin", headers: { "Accept": "application/json" }, body: body })
          .then(function (r) { return r.ok ? r.json() : null; })
          .then(function (answer) { if (answer) { showError(input, answer.error); } })
          .catch(function () { /* the server checks again on Next */ });
      });
    });
  }

  /* Automatic draft saving */
  if (form.dataset.autosave !== "yes") { return; }
  var note = document.querySelector(".eform__autosave-note");
  if (note) { note.hidden = false; }
  function save(keepalive) {
    if (!dirty) { return Promise.resolve(); }
    var data = new FormData(form);
    data.delete("action");
    form.querySelectorAll("input[type=file]").forEach(function (f) { data.delete(f.name); });
    data.append("page", form.dataset.page);
    var body = new URLSearchParams();
    data.forEach(function (value, key) { if (typeof value === "string") { body.append(key, value); } });
    dirty = false;
    return fetch(form.dataset.autosaveUrl, { method: "POST", credentials: "same-origin", keepalive: !!keepalive,
                                             headers: { "Accept": "application/json" }, body: body })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (answer) {
        var isNew = form.querySelector("input[name=new]");
        if (isNew) { isNew.remove(); }
        if (status) { status.textContent = status.dataset.savedText.replace("{time}", answer.saved_time); }
      })
      .catch(function () { dirty = true; });
  }
  window.setInterval(function () { save(false); }, 5 * 60 * 1000);
  document.addEventListener("visibilitychange", function () { if (document.visibilityState === "hidden") { save(true); } });
  form.addEventListener("submit", function () { dirty = false; });
  window.eformSave = save;
}());
