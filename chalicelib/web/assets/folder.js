/* The folder list, progressively enhanced: "Open the information" expands the item in the list
   (without JavaScript the link opens the item's own page, which shows the same). The opened item is
   kept in the address (#item-046283), so Back from "Show application" opens it again; its section
   headings become h3, under the list's "Sent forms". */
(function () {
  "use strict";
  if (!window.fetch || !window.DOMParser) { return; }
  function remember(row, open) {
    var address = window.location.pathname + window.location.search + (open ? "#" + row.id : "");
    window.history.replaceState(window.history.state, "", address);
  }
  document.querySelectorAll(".folder-list a.open-item").forEach(function (link) {
    var row = link.closest(".folder-list__item");
    var openText = link.dataset.openText, closeText = link.dataset.closeText;
    var panel = null;
    link.setAttribute("aria-expanded", "false");
    link.addEventListener("click", function (event) {
      event.preventDefault();
      if (panel) {
        var open = panel.hidden;
        panel.hidden = !open;
        link.setAttribute("aria-expanded", String(open));
        link.firstChild.textContent = open ? closeText : openText;
        remember(row, open);
        return;
      }
      fetch(link.href, { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
        .then(function (text) {
          var doc = new DOMParser().parseFromString(text, "text/html");
          var sections = doc.querySelector(".item-details");
          if (!sections) { window.location.href = link.href; return; }
          panel = document.createElement("div");
          panel.className = "folder-list__details";
          panel.id = "details-" + row.dataset.item;
          sections.querySelectorAll("h2").forEach(function (h2) {
            var h3 = doc.createElement("h3");
            h3.innerHTML = h2.innerHTML;
            Array.prototype.forEach.call(h2.attributes, function (a) { h3.setAttribute(a.name, a.value); });
            h2.replaceWith(h3);
          });
          panel.innerHTML = sections.innerHTML;
          row.appendChild(panel);
          remember(row, true);
          link.setAttribute("aria-controls", panel.id);
          link.setAttribute("aria-expanded", "true");
          link.firstChild.textContent = closeText;
          var label = row.querySelector(".new-label");
          if (label) { label.remove(); }
        })
        .catch(function () { window.location.href = link.href; });
    });
    if (window.location.hash === "#" + row.id) { link.click(); }
  });
}());
