/* The demo's stand-in for Zendesk's agent workspace: open the sidebar as Zendesk does, by
   POSTing the signed token into the app's iframe as soon as the page is there. */
(function () {
  "use strict";
  var opener = document.getElementById("sidebar-opener");
  if (opener) { opener.submit(); }
}());
