/* The development identity provider's success page: continue to the service after 3 seconds.
   Without JavaScript the "Continue to the service" button does the same. No inline script: the
   Content-Security-Policy allows only scripts from the portal itself. */
(function () {
  "use strict";
  var link = document.querySelector("a[data-auto-continue]");
  if (!link) {
    return;
  }
  var seconds = parseInt(link.getAttribute("data-auto-continue"), 10);
  window.setTimeout(function () {
    window.location.assign(link.href);
  }, (seconds > 0 ? seconds : 3) * 1000);
})();
