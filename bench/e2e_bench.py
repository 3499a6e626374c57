"""End to end: customers writing in at a steady rate, each answered by the real processes.

Run: ``.venv/bin/python -m bench.e2e_bench`` (about 4 minutes for the defaults; ``--tickets N``,
``--rate R``, ``--postgres URL``, ``--job-delays 0,5``). For each job delay, on a freshly
migrated database and a fresh sandbox (Team plan, 200 calls a minute, every API call delayed by
a normal 60 ms ± 20 ms, Zendesk's jobs starting ``delay`` seconds late): one ``incidentdesk
serve`` (gunicorn, 2 processes) behind the sandbox's webhook and one ``incidentdesk worker``,
with an active checkout incident. N different customers write in about the checkout, R a
second, through the sandbox's customer channel (not API calls). A ticket is answered when its
link is confirmed, which IncidentDesk does once the answer's job has finished (polled every
0.1 s). Then every ticket is read back as its customer sees it: one public answer each.

Printed per run: created → answered p50/p95/max, the seconds to the last answer against the
plan's floor for the calls made (our share of the budget a minute), the calls by endpoint, the
worker's CPU seconds and peak RSS. The baseline is the run without job delay.

``--second-contacts K``: K of the customers write a second time about the same thing, about
5 s after their first (the same number of tickets in all, at the same rate), and every job
delay is run with and without them. A second contact is done when it is merged into the first
(``merges`` row merged); printed: the merges, the p95 of the customers who wrote once (against
the run without second contacts) and the extra calls a merge cost over that run.
"""

from __future__ import annotations

import argparse
import logging
import os
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from statistics import quantiles

import requests
from sqlalchemy import create_engine, select

from bench.databases import migrated
from service.domain.states import LinkState, MergeState
from service.merging.models import Merge
from service.models import TicketLink
from service.settings import Settings
from service.wiring import build_services
from tests.cluster import Cluster
from tests.conftest import make_settings
from tests.factories import declare_checkout_incident
from zendesk_sandbox import DEMO_AGENT_EMAIL, DEMO_API_TOKEN, SandboxServer

LATENCY = {"distribution": "normal", "mean_ms": 60, "stddev_ms": 20}
PER_MINUTE, AGENT_HEADROOM = 200, 0.2  # the Team plan, and the service's defaults
# The service as shipped: the test cluster's quicker batching and its reconciler off undone.
DEFAULTS = {
    "INCIDENTDESK_WORKER_POLL_SECONDS": str(Settings.worker_poll_seconds),
    "INCIDENTDESK_WORKER_BATCH_WINDOW_SECONDS": str(Settings.worker_batch_window_seconds),
    "INCIDENTDESK_RECONCILE_SECONDS": str(Settings.reconcile_seconds),
}


def customers(tickets: int, second_contacts: int) -> list[int]:
    """Who writes each ticket, in order: customer n writes ticket n, except that every fourth
    ticket from the 100th on (``second_contacts`` of them) is the second contact of the customer
    who wrote 101 tickets (about 5 s) earlier, never a second contact themselves."""
    who = list(range(tickets))
    for k in range(second_contacts):
        position = 100 + 4 * k
        if position >= tickets:
            raise SystemExit(f"--second-contacts {second_contacts} does not fit in {tickets} tickets")
        who[position] = who[position - 101]
    return who


def write_in(
    sandbox_url: str, who: list[int], rate: float, created: dict[int, float], writers: dict[int, int]
) -> None:
    """Ticket n is written by customer ``who[n]`` at start + n / rate; ``created`` gets each
    ticket's moment, ``writers`` its customer."""
    start = time.monotonic()

    def one(n: int) -> None:
        time.sleep(max(0.0, start + n / rate - time.monotonic()))
        c = who[n]
        ticket = {
            "subject": f"Order {c}",
            "comment": {"body": f"Hello, checkout fails when I pay for order {c}"},
            "requester": {"name": f"Customer {c}", "email": f"customer{c}@example.com"},
        }
        at = time.monotonic()
        answer = requests.post(f"{sandbox_url}/_sandbox/tickets", json={"ticket": ticket}, timeout=30)
        answer.raise_for_status()
        ticket_id = int(answer.json()["ticket"]["id"])
        created[ticket_id], writers[ticket_id] = at, c

    with ThreadPoolExecutor(16) as pool:
        list(pool.map(one, range(len(who))))


def watch_answers(url: str, answered: dict[int, float], stop: threading.Event) -> None:
    """Every 0.1 s, the tickets whose link is confirmed or which were merged into another: the
    first moment each was seen."""
    engine = create_engine(url)
    linked = select(TicketLink.ticket_id).where(TicketLink.state == LinkState.LINKED)
    merged = select(Merge.source_ticket_id).where(Merge.state == MergeState.MERGED)
    try:
        while not stop.is_set():
            with engine.connect() as connection:
                now = time.monotonic()
                for ticket_id in [*connection.scalars(linked), *connection.scalars(merged)]:
                    answered.setdefault(ticket_id, now)
            stop.wait(0.1)
    finally:
        engine.dispose()


def process_use(pid: int) -> tuple[float, float]:
    """CPU seconds (user + system) and peak RSS in MiB of a running process."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    status = Path(f"/proc/{pid}/status").read_text().splitlines()
    peak = next(line for line in status if line.startswith("VmHWM:"))
    return cpu, int(peak.split()[1]) / 1024


def public_answers(sandbox: SandboxServer, ticket_ids: list[int]) -> list[int]:
    """Per ticket, how many public comments its customer has beside their own first one (read
    from the sandbox's store: through the API, a thousand reads would spend the plan's budget)."""
    with sandbox.state.lock:
        return [sum(1 for c in sandbox.state.comments[t][1:] if c.get("public")) for t in ticket_ids]


def one_run(postgres_url: str | None, who: list[int], rate: float, job_delay: float) -> dict:
    with migrated(postgres_url, name="e2e") as url, SandboxServer() as sandbox:
        from integrations.zendesk.adapter import ZendeskAdapter

        helpdesk = ZendeskAdapter.connect("sandbox", DEMO_AGENT_EMAIL, DEMO_API_TOKEN, sandbox.url)
        services = build_services(make_settings(url), helpdesk=helpdesk)
        declare_checkout_incident(services)
        services.db.dispose()
        created: dict[int, float] = {}
        writers: dict[int, int] = {}
        answered: dict[int, float] = {}
        stop = threading.Event()
        with Cluster(url, sandbox.url, serves=1, workers=1, **DEFAULTS) as cluster:
            faults = {"latency": LATENCY, "job_delay_seconds": job_delay}
            requests.post(f"{sandbox.url}/_sandbox/faults", json=faults, timeout=5).raise_for_status()
            requests.post(f"{sandbox.url}/_sandbox/counters/reset", timeout=5).raise_for_status()
            watcher = threading.Thread(target=watch_answers, args=(url, answered, stop), daemon=True)
            watcher.start()
            started = time.monotonic()
            write_in(sandbox.url, who, rate, created, writers)
            deadline = time.monotonic() + 900
            while not set(created) <= set(answered) and time.monotonic() < deadline:
                time.sleep(0.2)
            stop.set()
            watcher.join()
            calls = requests.get(f"{sandbox.url}/_sandbox/counters", timeout=5).json()
            cpu, rss = process_use(cluster.workers[0].pid)
            requests.delete(f"{sandbox.url}/_sandbox/faults", timeout=5).raise_for_status()
            counts = public_answers(sandbox, sorted(created))
            with create_engine(url).connect() as connection:
                merges = len(
                    connection.scalars(select(Merge.id).where(Merge.state == MergeState.MERGED)).all()
                )
    once = {c for c, n in Counter(who).items() if n == 1}
    waits = sorted(answered[t] - created[t] for t in created if t in answered)
    waits_once = sorted(answered[t] - created[t] for t in created if t in answered and writers[t] in once)
    last = max(answered[t] for t in created if t in answered) - started
    return {
        "waits": waits,
        "waits_once": waits_once,
        "merges": merges,
        "unanswered": len(created) - len(waits),
        "seconds": last,
        "floor": calls["total"] * 60 / (PER_MINUTE * (1 - AGENT_HEADROOM)),
        "calls": calls,
        "cpu": cpu,
        "rss": rss,
        "answers": {n: counts.count(n) for n in sorted(set(counts))},
    }


def _summary(delay: float, result: dict, base: dict) -> str:
    waits = result["waits"]
    cuts = quantiles(waits, n=100) if len(waits) > 1 else [waits[0]] * 99
    calls = result["calls"]
    by_endpoint = ", ".join(f"{n} {name}" for name, n in sorted(calls["calls"].items(), key=lambda c: -c[1]))
    return (
        f"jobs {delay:g} s late: p50 {cuts[49]:.1f} s, p95 {cuts[94]:.1f} s, max {waits[-1]:.1f} s;"
        f" last answer at {result['seconds']:.1f} s (plan floor for these calls {result['floor']:.1f} s,"
        f" {result['seconds'] / result['floor']:.2f}x); {result['unanswered']} unanswered\n"
        f"  calls {calls['total']} ({calls['total'] / base['calls']['total']:.2f}x the instant jobs'): {by_endpoint}\n"
        f"  worker CPU {result['cpu']:.1f} s ({1000 * result['cpu'] / max(1, len(waits)):.1f} ms a ticket),"
        f" peak RSS {result['rss']:.0f} MiB; public answers per ticket (count: tickets) {result['answers']}"
    )


def _p95(waits: list[float]) -> float:
    return quantiles(waits, n=100)[94] if len(waits) > 1 else waits[0]


def _duplicates(result: dict, alone: dict) -> str:
    extra = result["calls"]["total"] - alone["calls"]["total"]
    per_merge = f"{extra / result['merges']:.2f}" if result["merges"] else "-"
    return (
        f"  second contacts: {result['merges']} merged; customers who wrote once p95"
        f" {_p95(result['waits_once']):.1f} s (without second contacts {_p95(alone['waits_once']):.1f} s);"
        f" {extra:+d} calls over that run, {per_merge} a merge"
    )


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.e2e_bench")
    parser.add_argument("--tickets", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=20.0, help="customers writing in a second")
    parser.add_argument("--postgres", help="a PostgreSQL URL; SQLite without it")
    parser.add_argument("--job-delays", default="0,5", help="seconds Zendesk's jobs start late, per run")
    parser.add_argument("--second-contacts", type=int, default=0, help="customers writing twice")
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # the sandbox's request lines
    delays = [float(d) for d in args.job_delays.split(",")]
    alone = customers(args.tickets, 0)
    results = {delay: one_run(args.postgres, alone, args.rate, delay) for delay in delays}
    twice = {}
    if args.second_contacts:
        who = customers(args.tickets, args.second_contacts)
        twice = {delay: one_run(args.postgres, who, args.rate, delay) for delay in delays}
    base = results[delays[0]]
    database = "PostgreSQL" if args.postgres else "SQLite"
    print(f"\n{args.tickets} customers at {args.rate:g}/s, 1 serve + 1 worker, {database}, calls 60 ± 20 ms")
    for delay, result in results.items():
        print(_summary(delay, result, base))
    for delay, result in twice.items():
        print(f"with {args.second_contacts} second contacts:")
        print(_summary(delay, result, base))
        print(_duplicates(result, results[delay]))


if __name__ == "__main__":
    main()
