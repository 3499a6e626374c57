"""Delivery-to-claim latency on PostgreSQL: an idle worker polling every 0.5 s vs woken by
LISTEN/NOTIFY (issue 14), in the same run.

Run: ``.venv/bin/python -m bench.wakeup_bench`` (about 75 s; ``--postgres URL`` names the server,
``--deliveries N`` how many per mode). Each mode has a schema of its own, migrated (so the
notifying trigger of migration 0019 is there), and one real ``Worker.run_forever`` thread with the
default poll interval; its pipeline is replaced by one that only notes when each delivery reached
it and completes it, so the figure is the wait, not the work. Deliveries are stored one per
transaction from another thread, each 50-550 ms after the previous one was claimed (so they fall
anywhere in a poll interval); the latency is from the store's commit to the claimed batch
reaching the pipeline.
Exit status 0 when LISTEN/NOTIFY's p95 is under 50 ms.
"""

from __future__ import annotations

import argparse
import random
import statistics
import threading
import time

from bench.databases import migrated
from integrations.zendesk.adapter import ZendeskAdapter
from service.inbox import store as inbox
from service.inbox import wakeup
from service.inbox.outcomes import BatchReport
from service.inbox.pipeline import BatchUnderWay
from service.inbox.worker import Worker
from service.settings import Settings
from service.wiring import build_services
from zendesk_sandbox import DEMO_AGENT_EMAIL, DEMO_API_TOKEN, SandboxServer

POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
POLL_SECONDS = 0.5
TARGET_P95_SECONDS = 0.05


class ClaimTimes:
    """Stands in for the pipeline: notes when each delivery arrived, completes it."""

    def __init__(self, db):
        self.db = db
        self.at: dict[int, float] = {}
        self.arrived = threading.Condition()

    def begin(self, claimed, owner):
        now = time.monotonic()
        with self.db.transaction() as session:
            inbox.complete(session, [d.id for d in claimed], owner)
        with self.arrived:
            self.at.update((d.id, now) for d in claimed)
            self.arrived.notify_all()
        return BatchUnderWay.done(BatchReport())

    def wait_for(self, delivery_id: int, seconds: float) -> float:
        with self.arrived:
            if not self.arrived.wait_for(lambda: delivery_id in self.at, seconds):
                raise RuntimeError(f"delivery {delivery_id} was not claimed within {seconds} s")
            return self.at[delivery_id]


def latencies(database_url: str, helpdesk, listen: bool, deliveries: int, seed: int) -> list[float]:
    settings = Settings(
        database_url=database_url,
        secret_key="bench" * 8,
        zendesk_webhook_secret="x",
        worker_poll_seconds=POLL_SECONDS,
        worker_batch_window_seconds=0,
        reconcile_seconds=0,
    )
    services = build_services(settings, helpdesk=helpdesk)
    worker = Worker(services, "bench-worker")
    worker.pipeline = times = ClaimTimes(services.db)
    if not listen:
        worker.wakeup = wakeup.Polling()
    stop = threading.Event()
    thread = threading.Thread(target=worker.run_forever, args=(stop,), daemon=True)
    thread.start()
    rng = random.Random(seed)
    found = []
    try:
        deadline = time.monotonic() + 5
        while listen and not getattr(worker.wakeup, "listening", False):
            if time.monotonic() > deadline:
                raise RuntimeError("the worker is not listening")
            time.sleep(0.01)
        for n in range(deliveries):
            time.sleep(rng.uniform(0.05, 0.05 + POLL_SECONDS))
            with services.db.transaction() as session:
                delivery_id, _ = inbox.store(
                    session, delivery_key=f"bench-{n}", event_type="ticket.changed", ticket_id=n, payload="{}"
                )
            stored_at = time.monotonic()
            found.append(times.wait_for(delivery_id, 5 * POLL_SECONDS) - stored_at)
    finally:
        stop.set()
        thread.join(timeout=5)
        services.db.dispose()
    return found


def percentiles(values: list[float]) -> tuple[float, float, float]:
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return cuts[49], cuts[94], max(values)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.wakeup_bench")
    parser.add_argument("--postgres", metavar="URL", default=POSTGRES_URL, help=f"default {POSTGRES_URL}")
    parser.add_argument("--deliveries", type=int, default=100, help="deliveries per mode (default 100)")
    args = parser.parse_args(argv)
    results = {}
    with SandboxServer(plan="enterprise") as sandbox:
        helpdesk = ZendeskAdapter.connect("sandbox", DEMO_AGENT_EMAIL, DEMO_API_TOKEN, sandbox.url)
        for label, listen in ((f"polling every {POLL_SECONDS:g} s (before)", False), ("LISTEN/NOTIFY", True)):
            with migrated(args.postgres, name="wakeup") as url:
                results[label] = percentiles(latencies(url, helpdesk, listen, args.deliveries, seed=14))
    print(
        f"PostgreSQL; {args.deliveries} deliveries per mode, one per transaction, 50-550 ms after the last claim"
    )
    print("| idle worker | p50 | p95 | max |")
    print("|---|---:|---:|---:|")
    for label, (p50, p95, worst) in results.items():
        print(f"| {label} | {p50 * 1000:.1f} ms | {p95 * 1000:.1f} ms | {worst * 1000:.1f} ms |")
    listen_p95 = results["LISTEN/NOTIFY"][1]
    met = listen_p95 < TARGET_P95_SECONDS
    print(f"target (LISTEN/NOTIFY p95 < {TARGET_P95_SECONDS * 1000:.0f} ms): {'met' if met else 'not met'}")
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
