/* The demo's stand-in for Zendesk's ZAF SDK, loaded by the sidebar only in `incidentdesk demo`
   (Zendesk's own SDK works only inside Zendesk). It answers what the workspace page framing the
   sidebar knows (the agent's language, the ticket) and takes the sidebar's resize, as ZAF's
   client.get and client.invoke do:
   https://developer.zendesk.com/documentation/apps/app-developer-guide/using-the-apps-framework/ */
(function () {
  "use strict";
  var frame = window.frameElement; /* the workspace's iframe: same origin in the demo */
  window.ZAFClient = {
    init: function () {
      if (!frame) { return null; }
      var answers = {
        "currentUser.locale": frame.getAttribute("data-locale"),
        "ticket.id": Number(frame.getAttribute("data-ticket"))
      };
      return {
        get: function (paths) {
          var found = {};
          [].concat(paths).forEach(function (path) { found[path] = answers[path]; });
          return Promise.resolve(found);
        },
        invoke: function (name, size) {
          if (name === "resize" && size && size.height) { frame.style.height = size.height; }
          return Promise.resolve({});
        }
      };
    }
  };
}());
