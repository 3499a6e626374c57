// Broadcast progress on the incident page: poll a small JSON endpoint while a broadcast is
// queued or running, and move the progress bars. Without JavaScript the page shows the state
// as of loading.
document.addEventListener("DOMContentLoaded", () => {
  const timeline = document.querySelector("[data-broadcast-poll]");
  if (!timeline) return;
  const unfinished = (state) => state === "queued" || state === "running";
  const busy = () => [...timeline.querySelectorAll("[data-broadcast-version]")]
    .some((row) => unfinished(row.dataset.state));

  function show(broadcast) {
    const row = timeline.querySelector(`[data-broadcast-version="${broadcast.version}"]`);
    if (!row) return;
    row.dataset.state = broadcast.state;
    row.querySelector("progress").value = broadcast.percent;
    row.querySelector("progress").textContent = `${broadcast.percent}%`;
    row.querySelector("[data-broadcast-state]").textContent = timeline.dataset[`label${broadcast.state[0].toUpperCase()}${broadcast.state.slice(1)}`] || broadcast.state;
    row.querySelector("[data-broadcast-count]").textContent = broadcast.count_text;
    if (!unfinished(broadcast.state)) row.querySelector("form")?.remove();
  }

  async function poll() {
    try {
      const response = await fetch(timeline.dataset.broadcastPoll, {headers: {Accept: "application/json"}});
      if (response.ok) (await response.json()).broadcasts.forEach(show);
    } catch (error) {
      // A missed poll is fine: the next one catches up.
    }
    if (busy()) setTimeout(poll, 2000);
  }
  if (busy()) setTimeout(poll, 1000);
});

// The rules preview is live: while the admin types, the rules are checked against the recent
// tickets again (at most every 700 ms after typing stops) and the preview is replaced in place.
// Without JavaScript the Preview button does the same with a page load.
document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("rules-form");
  if (!form) return;
  const side = document.querySelector(".rules-side");
  let timer = null;
  let latest = 0;

  async function refresh() {
    const asked = ++latest;
    const body = new FormData(form);
    body.set("action", "preview");
    try {
      // getAttribute: the form has buttons named "action", which shadow form.action.
      const response = await fetch(form.getAttribute("action"), {method: "POST", body, headers: {"X-Preview": "live"}});
      if (asked !== latest) return; // a newer keystroke has asked again
      const page = new DOMParser().parseFromString(await response.text(), "text/html");
      const fresh = page.getElementById("preview");
      const current = document.getElementById("preview");
      if (fresh && current) current.replaceWith(fresh);
      else if (fresh) side.prepend(fresh);
      else if (current) current.remove(); // rules that do not check yet: their errors show on save
      form.dataset.previewed = String(asked);
    } catch (error) {
      // Offline for a moment: the next keystroke tries again.
    }
  }

  form.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(refresh, 700);
  });
});
