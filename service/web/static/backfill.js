// Backfill progress: while the worker counts or answers, poll the backfill's JSON and move the
// bar; when its state changes (counted, done, failed) load the page again to show the figures.
// Without JavaScript the page shows the state as of loading.
document.addEventListener("DOMContentLoaded", () => {
  const card = document.querySelector("[data-backfill-poll]");
  if (!card) return;
  const busy = (state) => state === "counting" || state === "queued" || state === "running";
  if (!busy(card.dataset.state)) return;

  async function poll() {
    try {
      const response = await fetch(card.dataset.backfillPoll, {headers: {Accept: "application/json"}});
      if (response.ok) {
        const backfill = await response.json();
        if (backfill.state !== card.dataset.state) {
          window.location.reload();
          return;
        }
        const bar = card.querySelector("progress");
        if (bar) {
          bar.value = backfill.percent;
          bar.textContent = `${backfill.percent}%`;
        }
        const count = card.querySelector("[data-backfill-count]");
        if (count) count.textContent = backfill.count_text;
        card.querySelector("[data-backfill-state]").textContent = backfill.state_text;
      }
    } catch (error) {
      // A missed poll is fine: the next one catches up.
    }
    setTimeout(poll, 1500);
  }
  setTimeout(poll, 1000);
});
