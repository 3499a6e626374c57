/* The demo's stand-in for Zendesk's agent workspace: open the sidebar as Zendesk does, by
   POSTing the signed token into the app's iframe as soon as the page is there. */
(function () {
  "use strict";
  var opener = document.getElementById("sidebar-opener");
  var current = document.querySelector('.ticket-list [aria-current="page"]');
  if (current) { current.scrollIntoView({ block: "nearest" }); } /* the open ticket stays in sight */
  if (opener) { opener.submit(); }
}());
