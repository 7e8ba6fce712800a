/* The development identity provider's success page: continue to the service after 3 seconds.
   Without JavaScript the "Continue to the service" button does the same. Pressing it first cancels
   the automatic continue, so the portal's callback is asked once (it is safe twice as well). No
   inline script: the Content-Security-Policy allows only scripts from the portal itself. */
(function () {
  "use strict";
  var link = document.querySelector("a[data-auto-continue]");
  if (!link) {
    return;
  }
  var seconds = parseInt(link.getAttribute("data-auto-continue"), 10);
  var timer = window.setTimeout(function () {
    timer = null;
    link.setAttribute("data-auto-continued", "true");
    window.location.assign(link.href);
  }, (seconds > 0 ? seconds : 3) * 1000);
  link.addEventListener("click", function (event) {
    if (timer === null) {
      event.preventDefault(); // the automatic continue is already on its way
      return;
    }
    window.clearTimeout(timer);
    timer = null;
  });
})();
