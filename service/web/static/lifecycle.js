// Broadcast progress on the incident page: poll a small JSON endpoint while a broadcast is
// queued or running, and move the progress bars. Without JavaScript the page shows the state
// as of loading.
document.addEventListener("DOMContentLoaded", () => {
  const timeline = document.querySelector("[data-broadcast-poll]");
  if (!timeline) return;
  const unfinished = (state) => state === "queued" || state === "running";
  const busy = () => [...timeline.querySelectorAll("[data-broadcast-version]")]
    .some((row) => unfinished(row.dataset.state));
  const countText = (done, total) => timeline.dataset.countTemplate
    .replace("{done}", String(done)).replace("{total}", String(total));

  function show(broadcast) {
    const row = timeline.querySelector(`[data-broadcast-version="${broadcast.version}"]`);
    if (!row) return;
    row.dataset.state = broadcast.state;
    row.querySelector("progress").value = broadcast.percent;
    row.querySelector("progress").textContent = `${broadcast.percent}%`;
    row.querySelector("[data-broadcast-state]").textContent = timeline.dataset[`label${broadcast.state[0].toUpperCase()}${broadcast.state.slice(1)}`] || broadcast.state;
    row.querySelector("[data-broadcast-count]").textContent = countText(broadcast.done, broadcast.total);
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
