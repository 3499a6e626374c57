// Campaign page: refresh the progress bar and counts every two seconds while work remains.
(function () {
  "use strict";
  var bar = document.getElementById("outreach-progress");
  if (!bar) { return; }
  var url = bar.getAttribute("data-progress-url");

  function show(progress) {
    bar.value = progress.percent;
    bar.textContent = progress.percent + " %";
    ["sent", "queued", "failed", "skipped"].forEach(function (key) {
      var cell = document.querySelector('[data-count="' + key + '"]');
      if (cell) { cell.textContent = String(progress[key]); }
    });
    return progress.queued > 0 || progress.state === "running";
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (answer) { return answer.ok ? answer.json() : null; })
      .then(function (progress) {
        if (progress && show(progress)) { window.setTimeout(poll, 2000); }
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }
  window.setTimeout(poll, 2000);
}());
